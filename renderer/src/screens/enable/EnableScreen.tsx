import { useEffect, useState } from 'react';
import { Notice } from '../../components/Notice.js';
import { useSecret } from '../../components/Fields.js';
import { Wizard } from '../../components/Wizard.js';
import {
  credentialsProblem,
  ENABLE_STEPS,
  encryptionProblem,
  locationProblem,
  locationTestProblem,
  rackProblem,
  scheduleProblem,
} from '../../lib/wizard.js';
import { useApp, useEnable, useStores } from '../../stores/index.js';
import { CredentialsStep } from './CredentialsStep.js';
import { EncryptionStep } from './EncryptionStep.js';
import { LocationStep } from './LocationStep.js';
import { RackFields } from './RackFields.js';
import { ScheduleStep } from './ScheduleStep.js';
import { SummaryStep } from './SummaryStep.js';

/**
 * Enable backup: location (tested live), credentials, encryption, schedule and retention,
 * summary. Every step stays mounted (hidden when not current) so the password and an imported
 * key remain only in their inputs until Enable sends them, once.
 */
export function EnableScreen() {
  const stores = useStores();
  const state = useEnable((s) => s);
  const defaults = useApp((s) => s.info.data?.defaults.location ?? null);
  const configured = useApp((s) => s.settings.data?.configured ?? false);
  const knownRack = useKnownRack();
  const known = knownRack ?? null;
  const password = useSecret();
  const importedKey = useSecret();
  const rackPassword = useSecret();
  const [hasPassword, setHasPassword] = useState(false);
  const [hasImportedKey, setHasImportedKey] = useState(false);
  const [hasRackPassword, setHasRackPassword] = useState(false);

  // Pre-fill the default location (a local folder in the default set-up) once it is known.
  useEffect(() => {
    const enable = stores.enable.getState();
    if (defaults !== null && enable.location.path === '' && enable.step === 0) {
      enable.setLocation(defaults);
    }
  }, [defaults, stores]);

  // Once main has said which rack it knows (if any), default to it; with none, ask for one.
  useEffect(() => {
    if (knownRack !== undefined) {
      stores.enable.getState().setRackMode(knownRack === null ? 'other' : 'known');
    }
  }, [knownRack, stores]);

  const credentials = () =>
    state.username === '' ? null : { username: state.username, password: password.peek() };
  const problems = [
    locationProblem(state.location) ??
      (state.location.kind === 'folder' ? locationTestProblem(state.test.data) : null),
    credentialsProblem(state.location.kind, state.username, hasPassword) ??
      locationTestProblem(state.test.data) ??
      rackProblem({
        mode: state.rackMode,
        knownAvailable: known !== null,
        probed: state.rackProbe.data !== null,
        confirmed: state.rackConfirmed,
        username: state.rackUsername,
        hasPassword: hasRackPassword,
      }),
    encryptionProblem({
      mode: state.mode,
      confirmedKeyId: state.confirmedKey?.pendingKeyId ?? null,
      certificateThumbprint: state.certificate?.thumbprint ?? null,
      hasImportedKey,
    }),
    scheduleProblem(state.schedule),
    null,
  ];
  const problem = problems[state.step] ?? null;
  const last = state.step === ENABLE_STEPS.length - 1;

  async function enable() {
    const ok = await state.enable({
      credentials:
        state.username === '' ? null : { username: state.username, password: password.take() },
      importedKey: state.mode === 'imported' ? importedKey.take() : null,
      rackPassword: state.rackMode === 'other' ? rackPassword.take() : null,
    });
    setHasPassword(false);
    setHasImportedKey(false);
    setHasRackPassword(false);
    if (ok) await stores.app.getState().refresh(['settings', 'health', 'vault']);
  }

  if (state.enabled !== null) return <Enabled />;
  return (
    <Wizard
      title="Enable backup"
      steps={ENABLE_STEPS}
      current={state.step}
      actions={
        <>
          <button
            type="button"
            onClick={() => state.setStep(state.step - 1)}
            disabled={state.step === 0}
          >
            Back
          </button>
          {last ? (
            <button
              type="button"
              className="primary"
              onClick={() => void enable()}
              disabled={state.submitting}
            >
              Enable backup
            </button>
          ) : (
            <button
              type="button"
              className="primary"
              onClick={() => state.setStep(state.step + 1)}
              disabled={problem !== null}
              aria-describedby={problem === null ? undefined : 'enable-step-problem'}
            >
              Next
            </button>
          )}
          {problem !== null && (
            <span id="enable-step-problem" className="muted">
              {problem}
            </span>
          )}
        </>
      }
    >
      {configured && (
        <Notice tone="warning" title="Backup is already enabled">
          Enabling again replaces the configuration. To change one setting, use Settings.
        </Notice>
      )}
      <div hidden={state.step !== 0}>
        <LocationStep testCredentials={() => null} active={state.step === 0} />
      </div>
      <div hidden={state.step !== 1}>
        <CredentialsStep
          active={state.step === 1}
          password={password}
          onPasswordPresence={setHasPassword}
          testCredentials={credentials}
        />
        <RackFields known={known} password={rackPassword} onPasswordPresence={setHasRackPassword} />
      </div>
      <div hidden={state.step !== 2}>
        <EncryptionStep importedKey={importedKey} onImportedKeyPresence={setHasImportedKey} />
      </div>
      <div hidden={state.step !== 3}>
        <ScheduleStep />
      </div>
      <div hidden={state.step !== 4}>
        <SummaryStep known={known} />
      </div>
    </Wizard>
  );
}

/**
 * How to name the rack main already knows, null when it knows none, undefined until the app's
 * info and settings have arrived.
 */
function useKnownRack(): string | null | undefined {
  const loaded = useApp((s) => s.settings.data !== null && s.info.data !== null);
  const rack = useApp((s) => s.settings.data?.rack ?? null);
  const lab = useApp((s) => s.info.data?.lab ?? false);
  const labUrl = useApp((s) => s.info.data?.defaults.rackUrl ?? null);
  if (!loaded) return undefined;
  if (rack !== null) return `The configured rack (${rack.url})`;
  if (lab) return `The lab rack of the default set-up${labUrl === null ? '' : ` (${labUrl})`}`;
  return null;
}

function Enabled() {
  const stores = useStores();
  const go = useApp((s) => s.go);
  async function backUpNow() {
    const jobId = await stores.backups.getState().startBackup();
    if (jobId !== null) go('backups');
  }
  return (
    <>
      <h1>Enable backup</h1>
      <Notice tone="success" title="Backup is enabled">
        <p data-testid="backup-enabled">
          Lifeboat will back up this rack on schedule. Run the first backup now to protect it right
          away.
        </p>
        <div className="row">
          <button type="button" className="primary" onClick={() => void backUpNow()}>
            Back up now
          </button>
          <button type="button" onClick={() => go('dashboard')}>
            Go to the dashboard
          </button>
        </div>
      </Notice>
    </>
  );
}
