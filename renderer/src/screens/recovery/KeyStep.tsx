import { useState } from 'react';
import { JobCard } from '../../components/JobCard.js';
import { MaybeError } from '../../components/ErrorNotice.js';
import { Notice } from '../../components/Notice.js';
import { SecretField, useSecret } from '../../components/Fields.js';
import { formatBytes } from '../../lib/format.js';
import type { DecryptionKey, VerifyResult } from '../../api/types.js';
import { isActive } from '../../stores/jobs.js';
import { useJobs, useRecovery } from '../../stores/index.js';
import { Choice, TableHead } from '../../components/Choice.js';

/** Opens the chosen backup with its key (or .pfx and password), then verifies it in full. */
export function KeyStep() {
  const s = useRecovery((state) => state);
  const backup = s.discovery.data?.backups.find((b) => b.backupId === s.backupId) ?? null;
  const [mode, setMode] = useState<'key' | 'pfx'>(backup?.certificateThumbprint ? 'pfx' : 'key');
  const key = useSecret();
  const pfx = useSecret();
  const pfxPassword = useSecret();
  const [busy, setBusy] = useState(false);

  async function open() {
    setBusy(true);
    let decryption: DecryptionKey | null = null;
    if (mode === 'key') decryption = { mode: 'key', key: key.take() };
    else {
      const file = await pfx.takeFileBase64();
      const password = pfxPassword.take();
      if (file !== null) decryption = { mode: 'pfx', pfx: file, password };
    }
    if (decryption !== null) await s.open(decryption);
    setBusy(false);
  }

  return (
    <>
      <p>
        Backup <span className="mono">{s.backupId}</span> needs{' '}
        {backup?.keyEpoch !== null && backup?.keyEpoch !== undefined
          ? `the backup key of epoch ${backup.keyEpoch}`
          : `the .pfx of the certificate with thumbprint ${backup?.certificateThumbprint ?? '?'}`}
        .
      </p>
      <Choice
        legend="Decryption key"
        options={[
          { value: 'key', label: 'The key from the key sheet' },
          { value: 'pfx', label: 'Certificate with private key (.pfx) and its password' },
        ]}
        value={mode}
        onChange={setMode}
      />
      {mode === 'key' ? (
        <SecretField label="Backup key" handle={key} />
      ) : (
        <>
          <SecretField
            label="Certificate file (.pfx)"
            handle={pfx}
            file={{ accept: '.pfx,.p12' }}
          />
          <SecretField label="Password of the .pfx" handle={pfxPassword} />
        </>
      )}
      <button type="button" className="primary" onClick={() => void open()} disabled={busy}>
        Open backup
      </button>
      <MaybeError error={s.opened.error} title="The backup could not be opened" />
      {s.opened.data !== null && <Opened />}
    </>
  );
}

function Opened() {
  const opened = useRecovery((s) => s.opened.data);
  const verify = useRecovery((s) => s.verify);
  const verifyJobId = useRecovery((s) => s.verifyJobId);
  const actionError = useRecovery((s) => s.actionError);
  const verifyJob = useJobs((s) => (verifyJobId === null ? undefined : s.jobs[verifyJobId]));
  const result = verifyJob?.result ?? null;
  // Verify again is possible once the last verification ended, whatever its outcome.
  const verifying = verifyJobId !== null && (verifyJob === undefined || isActive(verifyJob));
  if (opened === null) return null;
  return (
    <>
      <Notice tone="success" title="The key opens this backup">
        <table aria-label="Components in this backup">
          <TableHead columns={['Component', 'Size', 'Digest at backup time']} />
          <tbody>
            {opened.components.map((c) => (
              <tr key={c.component}>
                <th scope="row">{c.component}</th>
                <td>{formatBytes(c.sizeBytes)}</td>
                <td className="mono">{c.digest}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Notice>
      <button type="button" className="primary" onClick={() => void verify()} disabled={verifying}>
        Verify backup
      </button>
      <MaybeError error={actionError} title="The verification could not start" />
      {verifyJobId !== null && (
        <JobCard level={3} jobId={verifyJobId} title="Verification (every blob read)" />
      )}
      {result?.kind === 'recovery-verify' && <VerifyOutcome verify={result.verify} />}
    </>
  );
}

function VerifyOutcome({ verify }: { verify: VerifyResult }) {
  const choose = useRecovery((s) => s.chooseBackup);
  if (verify.ok) {
    return (
      <Notice tone="success" title="Backup verified">
        <p data-testid="backup-verified">
          Every manifest, index entry and blob is present, decrypts and hashes correctly.
        </p>
      </Notice>
    );
  }
  return (
    <div className="notice error" role="alert">
      <strong>This backup is damaged and will not be restored</strong>
      <p>Damaged components: {verify.damagedComponents.join(', ') || 'see the problems below'}.</p>
      {verify.problems.map((p) => (
        <p key={p.code + p.message}>
          {p.message} — {p.hint} <span className="code">({p.code})</span>
        </p>
      ))}
      {verify.suggestedBackupId !== null && (
        <button
          type="button"
          className="primary"
          onClick={() => choose(verify.suggestedBackupId ?? '')}
        >
          Use backup {verify.suggestedBackupId} instead
        </button>
      )}
    </div>
  );
}
