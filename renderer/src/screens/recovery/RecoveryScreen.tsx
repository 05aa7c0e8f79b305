import { useEffect } from 'react';
import { NOT_RESTORED } from '../../../../shared/contract/index.js';
import { Notice } from '../../components/Notice.js';
import { Wizard } from '../../components/Wizard.js';
import { RECOVERY_STEPS } from '../../lib/wizard.js';
import { isActive } from '../../stores/jobs.js';
import { useApp, useJobs, useRecovery, useStores } from '../../stores/index.js';
import { BackupStep } from './BackupStep.js';
import { KeyStep } from './KeyStep.js';
import { LocationStep } from './LocationStep.js';
import { ReportStep } from './ReportStep.js';
import { RestoreStep } from './RestoreStep.js';
import { TargetStep } from './TargetStep.js';

/** What a recovery deliberately leaves alone, said on every step. */
export function NotRestored() {
  return (
    <Notice tone="info" title="Not restored, by design">
      <p>
        Cloud recovery restores the rack&apos;s infrastructure data (deployment, identity,
        federation, CA, resource manager with subscriptions, plans, offers and quotas, KeyVault,
        role assignments). It does not restore: {NOT_RESTORED.join(', ')}.
      </p>
    </Notice>
  );
}

/** Which step may be left, from what the main process has confirmed so far. */
function useStepProblem(): string | null {
  const s = useRecovery((state) => state);
  const verifyJob = useJobs((state) =>
    s.verifyJobId === null ? undefined : state.jobs[s.verifyJobId],
  );
  const runJob = useJobs((state) => (s.run === null ? undefined : state.jobs[s.run.jobId]));
  switch (s.step) {
    case 0:
      return s.discovery.data === null ? 'Discover the backups at the location first.' : null;
    case 1:
      return s.backupId === null ? 'Choose the backup to restore.' : null;
    case 2: {
      if (s.opened.data === null) return 'Open the backup with its decryption key.';
      const result = verifyJob?.result;
      if (result?.kind !== 'recovery-verify') return 'Verify the backup before touching the rack.';
      return result.verify.ok ? null : 'This backup is damaged; choose another.';
    }
    case 3:
      // A drill needs no target here: main redeploys its own drill lab rack when it starts.
      if (s.mode === 'drill') return null;
      return s.preflight.data?.ok === true ? null : 'Run a pre-flight that passes every check.';
    case 4:
      return runJob !== undefined && !isActive(runJob) ? null : 'Wait for the restore to finish.';
    default:
      return null;
  }
}

/**
 * Cloud recovery, and the recovery drill: location and credentials, the backup, its decryption
 * key and verification, the target rack (fingerprint confirmed, pre-flight), the restore with
 * per-component progress, pause and resume, and the report with every digest.
 */
export function RecoveryScreen() {
  const stores = useStores();
  const step = useRecovery((s) => s.step);
  const mode = useRecovery((s) => s.mode);
  const defaults = useApp((s) => s.info.data?.defaults ?? null);
  const problem = useStepProblem();

  useEffect(() => {
    const recovery = stores.recovery.getState();
    if (defaults !== null && recovery.discovery.data === null && recovery.location.path === '') {
      recovery.init({ location: defaults.location, rackUrl: defaults.rackUrl });
    }
  }, [defaults, stores]);

  const recovery = useRecovery((s) => s);
  const last = step === RECOVERY_STEPS.length - 1;
  return (
    <Wizard
      title={mode === 'drill' ? 'Recovery drill' : 'Cloud recovery'}
      steps={RECOVERY_STEPS}
      current={step}
      actions={
        <>
          <button
            type="button"
            onClick={() => recovery.setStep(step - 1)}
            disabled={step === 0 || recovery.run !== null}
          >
            Back
          </button>
          {last ? (
            <button type="button" onClick={() => void recovery.close()}>
              Start a new recovery
            </button>
          ) : (
            <button
              type="button"
              className="primary"
              onClick={() => recovery.setStep(step + 1)}
              disabled={problem !== null}
              aria-describedby={problem === null ? undefined : 'recovery-step-problem'}
            >
              Next
            </button>
          )}
          {problem !== null && (
            <span id="recovery-step-problem" className="muted">
              {problem}
            </span>
          )}
        </>
      }
    >
      {step === 0 && <LocationStep />}
      {step === 1 && <BackupStep />}
      {step === 2 && <KeyStep />}
      {step === 3 && <TargetStep />}
      {step === 4 && <RestoreStep />}
      {step === 5 && <ReportStep />}
      {step < 5 && <NotRestored />}
    </Wizard>
  );
}
