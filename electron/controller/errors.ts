/**
 * Error codes of the backup controller (BACKUP_*) and of its configuration (CONFIG_*).
 * Messages name ids, paths and settings, never a secret.
 */
import { defineErrors } from '../../shared/errors.js';
import { JobLockErrors } from '../job-lock/index.js';

export const ConfigErrors = defineErrors({
  CONFIG_INVALID: {
    category: 'usage',
    hint: 'Correct the setting named in the message; `lifeboat config show` lists the current values.',
  },
  CONFIG_NOT_ENABLED: {
    category: 'refused',
    hint: 'Enable backup first: choose a location, its credentials and an encryption key.',
  },
  CONFIG_CONFIRMATION_REQUIRED: {
    category: 'refused',
    hint: 'Review the backups listed in the message and repeat the change with confirmation (`--yes`).',
  },
  CONFIG_KEY_NOT_SAVED: {
    category: 'refused',
    hint: 'Store the new key offline (print or copy it), then confirm that it was saved.',
  },
});

export const BackupErrors = defineErrors({
  // Declared by the job lock, which recoveries take too; the same spec, so BackupErrors still
  // creates and recognises it.
  BACKUP_JOB_RUNNING: JobLockErrors.specs.BACKUP_JOB_RUNNING,
  BACKUP_INTERRUPTED: {
    category: 'internal',
    hint: 'The process running this job ended before it finished (closed, killed or crashed); nothing it wrote is listed. Run it again.',
  },
  BACKUP_NOT_FOUND: {
    category: 'usage',
    hint: 'Run `lifeboat backup list` for the backups known at the configured location.',
  },
  BACKUP_FAILED: {
    category: 'storage',
    hint: 'Read the reason in the message and the job log; fix it and run the backup again.',
  },
  BACKUP_CERTIFICATE_INVALID: {
    category: 'usage',
    hint: 'Give the certificate as a .cer file (DER or PEM) holding an RSA public key.',
  },
});
