import { useState } from 'react';
import { MaybeError } from '../../components/ErrorNotice.js';
import { useSecret } from '../../components/Fields.js';
import { Notice } from '../../components/Notice.js';
import { RackConnect } from '../../components/RackConnect.js';
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
      <RackConnect
        url={s.rackUrl}
        onUrl={s.setRackUrl}
        urlHelp={
          s.mode === 'drill'
            ? 'The lab rack, redeployed in recovery mode.'
            : 'For example https://rack-01.example:8443'
        }
        probe={s.probe}
        onProbe={() => void s.probeRack()}
        confirmed={s.fingerprintConfirmed}
        onConfirmed={s.confirmFingerprint}
        username={s.rackUsername}
        onUsername={s.setRackUsername}
        password={password}
        warning={
          s.mode === 'drill' && probe?.lab === false ? (
            <Notice tone="warning" title="This is not a lab rack">
              A drill restores into a lab rack only; use Cloud recovery for a production rack.
            </Notice>
          ) : undefined
        }
      />
      {probe !== null && (
        <button
          type="button"
          className="primary"
          onClick={() => void preflight()}
          disabled={!s.fingerprintConfirmed || s.rackUsername === '' || busy}
        >
          Run pre-flight
        </button>
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
