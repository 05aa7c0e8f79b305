import { useState } from 'react';
import { MaybeError } from '../../components/ErrorNotice.js';
import { Field, SecretField, useSecret } from '../../components/Fields.js';
import { Notice } from '../../components/Notice.js';
import { groupFingerprint } from '../../lib/fingerprint.js';
import { formatTimestamp } from '../../lib/format.js';
import { useRecovery } from '../../stores/index.js';

/**
 * The rack to restore into: its URL, the certificate fingerprint it presents (confirmed by the
 * engineer against the rack's console, like SSH), its credentials, and the pre-flight checks.
 */
export function TargetStep() {
  const s = useRecovery((state) => state);
  const password = useSecret();
  const [busy, setBusy] = useState(false);
  const probe = s.probe.data;

  async function preflight() {
    setBusy(true);
    await s.runPreflight(password.take());
    setBusy(false);
  }
  return (
    <>
      <Field
        label="Rack API URL"
        type="url"
        value={s.rackUrl}
        spellCheck={false}
        onChange={(e) => s.setRackUrl(e.currentTarget.value)}
        help={
          s.mode === 'drill'
            ? 'The lab rack, redeployed in recovery mode.'
            : 'For example https://rack-01.example:8443'
        }
      />
      <button
        type="button"
        onClick={() => void s.probeRack()}
        disabled={s.rackUrl === '' || s.probe.loading}
      >
        Connect to the rack
      </button>
      <MaybeError error={s.probe.error} title="The rack did not answer" />
      {probe !== null && (
        <>
          <section className="card" aria-labelledby="fingerprint-title" data-testid="rack-probe">
            <h3 id="fingerprint-title">Confirm the rack&apos;s certificate</h3>
            <p>
              Compare this SHA-256 fingerprint with the one the rack&apos;s own console shows. If
              they differ, stop: something else answers at this address.
            </p>
            <p className="mono key" data-testid="rack-fingerprint">
              {groupFingerprint(probe.fingerprint)}
            </p>
            <dl className="summary">
              <dt>Certificate subject</dt>
              <dd>{probe.certificateSubject}</dd>
              <dt>Valid until</dt>
              <dd>
                {probe.certificateValidTo === null
                  ? '—'
                  : formatTimestamp(probe.certificateValidTo)}
              </dd>
              <dt>Rack version</dt>
              <dd>{probe.version ?? 'not said'}</dd>
              <dt>Recovery mode</dt>
              <dd>
                {probe.recoveryMode === null ? 'not said' : probe.recoveryMode ? 'Yes' : 'No'}
              </dd>
              <dt>Lab rack</dt>
              <dd>{probe.lab === null ? 'not said' : probe.lab ? 'Yes' : 'No'}</dd>
            </dl>
            {s.mode === 'drill' && probe.lab === false && (
              <Notice tone="warning" title="This is not a lab rack">
                A drill restores into a lab rack only; use Cloud recovery for a production rack.
              </Notice>
            )}
            <label className="field-inline">
              <input
                type="checkbox"
                checked={s.fingerprintConfirmed}
                onChange={(e) => s.confirmFingerprint(e.currentTarget.checked)}
              />
              The fingerprint matches the one the rack shows
            </label>
          </section>
          <Field
            label="Rack user name"
            value={s.rackUsername}
            autoComplete="username"
            onChange={(e) => s.setRackUsername(e.currentTarget.value)}
          />
          <SecretField label="Rack password" handle={password} autoComplete="current-password" />
          <button
            type="button"
            className="primary"
            onClick={() => void preflight()}
            disabled={!s.fingerprintConfirmed || s.rackUsername === '' || busy}
          >
            Run pre-flight
          </button>
        </>
      )}
      <MaybeError error={s.preflight.error} title="The pre-flight could not run" />
      {s.preflight.data !== null && <PreflightResult />}
    </>
  );
}

function PreflightResult() {
  const preflight = useRecovery((s) => s.preflight.data);
  if (preflight === null) return null;
  return (
    <section
      className="card"
      aria-labelledby="preflight-title"
      data-testid="preflight"
      data-ok={preflight.ok}
    >
      <h3 id="preflight-title">Pre-flight {preflight.ok ? 'passed' : 'failed'}</h3>
      <ul className="checks">
        {preflight.checks.map((c) => (
          <li key={c.check} data-check={c.check} data-ok={c.ok}>
            <span className={`badge ${c.ok ? 'ok' : 'bad'}`}>{c.ok ? 'OK' : 'Failed'}</span>{' '}
            {c.message}
            {c.hint !== null && !c.ok && <div className="muted">What to do: {c.hint}</div>}
          </li>
        ))}
      </ul>
      <p className="muted">
        Backup made on rack version {preflight.backupVersion ?? '?'}; target runs{' '}
        {preflight.rackVersion ?? '?'}.
      </p>
    </section>
  );
}
