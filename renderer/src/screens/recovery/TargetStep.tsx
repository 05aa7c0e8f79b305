import { useState } from 'react';
import { MaybeError } from '../../components/ErrorNotice.js';
import { useSecret } from '../../components/Fields.js';
import { Notice } from '../../components/Notice.js';
import { RackConnect } from '../../components/RackConnect.js';
import { useRecovery } from '../../stores/index.js';

/**
 * The rack to restore into (a drill brings its own): its URL, the certificate fingerprint it presents (confirmed by the
 * engineer against the rack's console, like SSH), its credentials, and the pre-flight checks.
 */
export function TargetStep() {
  const mode = useRecovery((state) => state.mode);
  return mode === 'drill' ? <DrillTarget /> : <ProductionTarget />;
}

/** A drill needs no target: Lifeboat starts a lab rack of its own for it. */
function DrillTarget() {
  return (
    <Notice tone="info" title="The drill brings its own lab rack">
      <p data-testid="drill-target">
        Lifeboat starts a lab rack on this computer, redeployed empty in recovery mode, restores the
        backup into it, compares every digest, and stops it. No production rack is touched.
      </p>
    </Notice>
  );
}

function ProductionTarget() {
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
        urlHelp="For example https://rack-01.example:8443 (the rack redeployed in recovery mode)"
        probe={s.probe}
        onProbe={() => void s.probeRack()}
        confirmed={s.fingerprintConfirmed}
        onConfirmed={s.confirmFingerprint}
        username={s.rackUsername}
        onUsername={s.setRackUsername}
        password={password}
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
