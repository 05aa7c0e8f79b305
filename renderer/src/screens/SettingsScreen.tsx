import { useState } from 'react';
import type { ErrorBody } from '../../../shared/errors.js';
import type {
  CertificateInfo,
  Location,
  LocationTestResult,
  PrunePreview,
  Schedule,
  Settings,
} from '../api/types.js';
import { DeletionList } from '../components/DeletionList.js';
import { EncryptionChooser } from '../components/EncryptionChooser.js';
import { MaybeError } from '../components/ErrorNotice.js';
import { Field, SecretField, useSecret } from '../components/Fields.js';
import { LocationFields, LocationTestView } from '../components/LocationFields.js';
import { Notice } from '../components/Notice.js';
import { Section } from '../components/Section.js';
import {
  encryptionProblem,
  locationProblem,
  scheduleProblem,
  type EncryptionMode,
} from '../lib/wizard.js';
import { encryptionChoice } from '../stores/enable.js';
import { attempt } from '../stores/resource.js';
import { useApp, useStores } from '../stores/index.js';
import { ScheduleFields } from './enable/ScheduleStep.js';
import { countOf } from '../lib/format.js';

/** Runs one settings change, shows its error, and refreshes the picture on success. */
function useChange() {
  const stores = useStores();
  const [error, setError] = useState<ErrorBody | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  async function run(action: () => Promise<Settings>, success: string): Promise<boolean> {
    setBusy(true);
    setDone(null);
    const outcome = await attempt(action);
    setBusy(false);
    setError(outcome.ok ? null : outcome.error);
    if (outcome.ok) {
      setDone(success);
      await stores.app.getState().refresh(['settings', 'health']);
    }
    return outcome.ok;
  }
  return { error, busy, done, run };
}

function ChangeResult({ change, title }: { change: ReturnType<typeof useChange>; title: string }) {
  return (
    <>
      <MaybeError error={change.error} title={title} />
      {change.done !== null && (
        <Notice tone="success">
          <span role="status">{change.done}</span>
        </Notice>
      )}
    </>
  );
}

/** Modify location, credentials, key, schedule and retention, with the controller's warnings. */
export function SettingsScreen() {
  const settings = useApp((s) => s.settings);
  const go = useApp((s) => s.go);
  const data = settings.data;
  return (
    <>
      <h1>Settings</h1>
      <MaybeError error={settings.error} title="The settings could not be read" />
      {data !== null && !data.configured && (
        <Notice tone="info" title="Backup is not enabled">
          <button type="button" className="primary" onClick={() => go('enable')}>
            Enable backup
          </button>
        </Notice>
      )}
      {data !== null && data.configured && (
        <>
          <CurrentSettings settings={data} />
          <ScheduleSection current={data.schedule} />
          <LocationSection current={data.location} />
          <CredentialsSection username={data.credentials.username} />
          <KeySection settings={data} />
        </>
      )}
    </>
  );
}

function CurrentSettings({ settings }: { settings: Settings }) {
  const enc = settings.encryption;
  return (
    <Section title="Current configuration">
      <dl className="summary">
        <dt>Location</dt>
        <dd className="mono">{settings.location?.path ?? '—'}</dd>
        <dt>Credentials</dt>
        <dd>
          {settings.credentials.present ? (settings.credentials.username ?? 'stored') : 'none'}
        </dd>
        <dt>Encryption</dt>
        <dd>
          {enc === null
            ? '—'
            : enc.mode === 'key'
              ? `Key epoch ${enc.keyEpoch}, fingerprint ${enc.keyFingerprint ?? '—'}`
              : `Certificate ${enc.certificateThumbprint ?? ''} (epoch ${enc.keyEpoch})`}
        </dd>
        <dt>Schedule</dt>
        <dd>
          {settings.schedule.enabled ? `Every ${settings.schedule.frequencyHours} hours` : 'Off'},
          kept {settings.schedule.retentionDays} days
        </dd>
        <dt>Rack</dt>
        <dd className="mono">
          {settings.rack === null
            ? '—'
            : `${settings.rack.url} (${settings.rack.fingerprint.slice(0, 16)}…)`}
        </dd>
      </dl>
      {settings.oldKeys.length > 0 && (
        <Notice tone="warning" title="Keep these older keys">
          <ul aria-label="Older keys still needed">
            {settings.oldKeys.map((k) => (
              <li key={k.keyEpoch}>
                Key epoch {k.keyEpoch}
                {k.keyFingerprint === null ? '' : ` (fingerprint ${k.keyFingerprint})`}
                {k.certificateThumbprint === null
                  ? ''
                  : ` (certificate ${k.certificateThumbprint})`}{' '}
                is still needed by {countOf(k.neededBy.length, 'backup')} until they age out:{' '}
                {k.neededBy.slice(0, 5).join(', ')}
                {k.neededBy.length > 5 ? '…' : ''}
              </li>
            ))}
          </ul>
        </Notice>
      )}
    </Section>
  );
}

function ScheduleSection({ current }: { current: Schedule }) {
  const { client } = useStores();
  const [schedule, setSchedule] = useState(current);
  const [preview, setPreview] = useState<PrunePreview | null>(null);
  const [previewError, setPreviewError] = useState<ErrorBody | null>(null);
  const change = useChange();
  const problem = scheduleProblem(schedule);

  function edit(next: Schedule) {
    setSchedule(next);
    setPreview(null);
  }
  async function review() {
    const outcome = await attempt(() => client.call('settings.previewSchedule', { schedule }));
    setPreviewError(outcome.ok ? null : outcome.error);
    setPreview(outcome.ok ? outcome.value : null);
  }
  async function apply() {
    if (preview === null) return;
    const confirmDeletes = preview.wouldDelete.map((b) => b.backupId);
    const ok = await change.run(
      () => client.call('settings.changeSchedule', { schedule, confirmDeletes }),
      'Schedule and retention saved.',
    );
    if (ok) setPreview(null);
  }
  return (
    <Section title="Schedule and retention">
      <ScheduleFields schedule={schedule} onChange={edit} />
      <button type="button" onClick={() => void review()} disabled={problem !== null}>
        Review the change
      </button>
      <MaybeError error={previewError} title="The change could not be previewed" />
      {preview !== null && (
        <>
          <DeletionList preview={preview} />
          <button
            type="button"
            className={preview.wouldDelete.length > 0 ? 'danger' : 'primary'}
            onClick={() => void apply()}
            disabled={change.busy}
          >
            {preview.wouldDelete.length > 0
              ? `Apply and delete ${countOf(preview.wouldDelete.length, 'backup')}`
              : 'Apply schedule and retention'}
          </button>
        </>
      )}
      <ChangeResult change={change} title="The schedule was not changed" />
    </Section>
  );
}

function LocationSection({ current }: { current: Location | null }) {
  const { client } = useStores();
  const [location, setLocation] = useState<Location>(current ?? { kind: 'folder', path: '' });
  const [username, setUsername] = useState('');
  const [test, setTest] = useState<LocationTestResult | null>(null);
  const [testError, setTestError] = useState<ErrorBody | null>(null);
  const password = useSecret();
  const change = useChange();
  const credentials = (take: boolean) =>
    username === '' ? null : { username, password: take ? password.take() : password.peek() };

  async function runTest() {
    const outcome = await attempt(() =>
      client.call('location.test', { location, credentials: credentials(false) }),
    );
    setTestError(outcome.ok ? null : outcome.error);
    setTest(outcome.ok ? outcome.value : null);
  }
  return (
    <Section title="Change the location">
      <p>The new location is tested before it is used. Older backups stay listed where they are.</p>
      <LocationFields
        location={location}
        onChange={(next) => {
          setLocation(next);
          setTest(null);
        }}
      />
      <Field
        label="User name for the new location"
        value={username}
        onChange={(e) => setUsername(e.currentTarget.value)}
      />
      <SecretField
        label="Password for the new location"
        handle={password}
        autoComplete="new-password"
      />
      <div className="row">
        <button
          type="button"
          onClick={() => void runTest()}
          disabled={locationProblem(location) !== null}
        >
          Test new location
        </button>
        <button
          type="button"
          className="primary"
          disabled={test === null || !test.reachable || !test.writable || change.busy}
          onClick={() =>
            void change.run(
              () =>
                client.call('settings.changeLocation', {
                  location,
                  credentials: credentials(true),
                }),
              'Location changed: the next backup goes there.',
            )
          }
        >
          Change location
        </button>
      </div>
      <MaybeError error={testError} title="The location test failed" />
      {test !== null && <LocationTestView test={test} />}
      <ChangeResult change={change} title="The location was not changed" />
    </Section>
  );
}

function CredentialsSection({ username: current }: { username: string | null }) {
  const { client } = useStores();
  const [username, setUsername] = useState(current ?? '');
  const [hasPassword, setHasPassword] = useState(false);
  const password = useSecret();
  const change = useChange();
  async function apply() {
    const secret = password.take();
    setHasPassword(false);
    await change.run(
      () =>
        client.call('settings.changeCredentials', { credentials: { username, password: secret } }),
      'Credentials checked against the location and replaced.',
    );
  }
  return (
    <Section title="Change the credentials">
      <p>The new credentials are checked against the location before the old ones are replaced.</p>
      <Field
        label="User name"
        value={username}
        autoComplete="username"
        onChange={(e) => setUsername(e.currentTarget.value)}
      />
      <SecretField
        label="New password"
        handle={password}
        autoComplete="new-password"
        onPresenceChange={setHasPassword}
      />
      <button
        type="button"
        className="primary"
        onClick={() => void apply()}
        disabled={username === '' || !hasPassword || change.busy}
      >
        Change credentials
      </button>
      <ChangeResult change={change} title="The credentials were not changed" />
    </Section>
  );
}

function KeySection({ settings }: { settings: Settings }) {
  const { client } = useStores();
  const [mode, setMode] = useState<EncryptionMode>('generated');
  const [confirmedKey, setConfirmedKey] = useState<{
    pendingKeyId: string;
    keyFingerprint: string;
  } | null>(null);
  const [pem, setPem] = useState('');
  const [certificate, setCertificate] = useState<CertificateInfo | null>(null);
  const [hasImportedKey, setHasImportedKey] = useState(false);
  const [acknowledged, setAcknowledged] = useState(false);
  const importedKey = useSecret();
  const change = useChange();
  const problem = encryptionProblem({
    mode,
    confirmedKeyId: confirmedKey?.pendingKeyId ?? null,
    certificateThumbprint: certificate?.thumbprint ?? null,
    hasImportedKey,
  });
  async function apply() {
    const encryption = encryptionChoice(
      { mode, confirmedKey, certificatePem: pem },
      mode === 'imported' ? importedKey.take() : null,
    );
    setHasImportedKey(false);
    if (encryption === null) return;
    const ok = await change.run(
      () => client.call('settings.changeKey', { encryption }),
      'New key in use: a new key epoch starts with the next backup.',
    );
    if (ok) {
      setConfirmedKey(null);
      setAcknowledged(false);
    }
  }
  const epoch = settings.encryption?.keyEpoch ?? 0;
  return (
    <Section title="Change the key">
      <Notice tone="warning" title="Keep the current key">
        Backups made so far stay encrypted with key epoch {epoch}. Keep that key (or the
        certificate&apos;s .pfx) until every one of them has aged out; Settings lists them.
      </Notice>
      <EncryptionChooser
        mode={mode}
        onMode={setMode}
        confirmedKey={confirmedKey}
        onKeyConfirmed={(pendingKeyId, keyFingerprint) =>
          setConfirmedKey({ pendingKeyId, keyFingerprint })
        }
        importedKey={importedKey}
        onImportedKeyPresence={setHasImportedKey}
        pem={pem}
        onPem={(next) => {
          setPem(next);
          setCertificate(null);
        }}
        certificate={certificate}
        onCertificate={setCertificate}
      />
      <label className="field-inline">
        <input
          type="checkbox"
          checked={acknowledged}
          onChange={(e) => setAcknowledged(e.currentTarget.checked)}
        />
        I keep key epoch {epoch} until its backups age out
      </label>
      <button
        type="button"
        className="primary"
        onClick={() => void apply()}
        disabled={problem !== null || !acknowledged || change.busy}
      >
        Change key
      </button>
      {problem !== null && <p className="muted">{problem}</p>}
      <ChangeResult change={change} title="The key was not changed" />
    </Section>
  );
}
