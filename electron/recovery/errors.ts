/**
 * Error codes of cloud recovery. Every code is listed in docs/error-codes.md.
 * Messages name backups, racks, components and versions; never a key or a password.
 */
import { defineErrors } from '../../shared/errors.js';

export const RecoveryErrors = defineErrors({
  RECOVERY_VERSION_INCOMPATIBLE: {
    category: 'refused',
    hint: 'Redeploy the rack with the version the backup was taken on, or at most one minor version newer, then run the recovery again.',
  },
  RECOVERY_BAD_VERSION: {
    category: 'rack',
    hint: 'The version string cannot be read. Check the rack and the backup with `lifeboat recovery discover`.',
  },
  RECOVERY_NOT_IN_RECOVERY_MODE: {
    category: 'refused',
    hint: 'Redeploy the rack in recovery mode (or set the component to recovery mode to heal it) before restoring.',
  },
  RECOVERY_RACK_NOT_EMPTY: {
    category: 'refused',
    hint: 'A full recovery only goes into an empty, freshly redeployed rack. To repair one service of a running rack, restore that component alone.',
  },
  RECOVERY_OTHER_RACK: {
    category: 'refused',
    hint: "Heal a running rack only from its own backups. To restore another rack's backup, redeploy the target in recovery mode and run a full recovery.",
  },
  RECOVERY_UNKNOWN_COMPONENT: {
    category: 'usage',
    hint: 'Use one of: deployment, identity, federation, ca, arm, crp, srp, nrp, keyvault, rbac.',
  },
  RECOVERY_COMPONENT_NOT_RESTORABLE: {
    category: 'refused',
    hint: 'This backup holds no good copy of the component. Pick an older backup in which it Succeeded.',
  },
  RECOVERY_BACKUP_DAMAGED: {
    category: 'damaged',
    hint: 'Do not restore from this backup. Use the older backup offered, or repair the storage and verify again.',
  },
  RECOVERY_BACKUP_NOT_FOUND: {
    category: 'usage',
    hint: 'Run `lifeboat recovery discover --location PATH` to list the backups at the location.',
  },
  RECOVERY_NO_DIGEST_RECORDED: {
    category: 'damaged',
    hint: 'The backup does not record the state digest of this component, so the restore cannot be proven. Use a backup made by Lifeboat.',
  },
  RECOVERY_NOTHING_TO_RESUME: {
    category: 'usage',
    hint: 'There is no unfinished recovery in this profile. Start one with `lifeboat recovery run`.',
  },
  RECOVERY_JOURNAL_MISMATCH: {
    category: 'refused',
    hint: 'The unfinished recovery was for another backup or rack. Finish it, or abandon it before starting another.',
  },
  RECOVERY_NO_REPORT: {
    category: 'usage',
    hint: 'No recovery has finished in this profile yet. Run `lifeboat recovery run` or `drill` first.',
  },
  RECOVERY_IMPORT_FAILED: {
    category: 'damaged',
    hint: 'The rack refused the restored data of this component; nothing of it was applied. Verify the backup, then restore the component again or from an older backup.',
  },
  RECOVERY_KIT_UNAVAILABLE: {
    category: 'refused',
    hint: 'Enable backup first (location, rack and key); the kit is made from that configuration.',
  },
  RECOVERY_WRONG_KEY: {
    category: 'auth',
    hint: 'Give the key named in the message: the operator key of that epoch, or the .pfx of that certificate.',
  },
  RECOVERY_BAD_REPORT: {
    category: 'damaged',
    hint: 'The stored recovery report cannot be read. Run the recovery or drill again to produce a new one.',
  },
});

export type RecoveryErrorCode = keyof typeof RecoveryErrors.specs;
