import { MaybeError } from '../../components/ErrorNotice.js';
import { SecretField, type SecretHandle } from '../../components/Fields.js';
import { CertificatePicker } from '../../components/CertificatePicker.js';
import { GeneratedKeyPanel } from '../../components/GeneratedKeyPanel.js';
import type { EncryptionMode } from '../../lib/wizard.js';
import { useEnable } from '../../stores/index.js';

const OPTIONS: ReadonlyArray<{ mode: EncryptionMode; label: string; help: string }> = [
  {
    mode: 'generated',
    label: 'Generate a new key',
    help: 'Lifeboat shows the key once; you print or copy it and keep it offline.',
  },
  {
    mode: 'imported',
    label: 'Import a key I already have',
    help: 'Paste the key in its printed form.',
  },
  {
    mode: 'certificate',
    label: 'Use a certificate (.cer)',
    help: 'Backups are encrypted to its public key; the .pfx is needed only to recover.',
  },
];

/** How backups are encrypted: a generated key, an imported key, or a certificate. */
export function EncryptionStep({
  importedKey,
  onImportedKeyPresence,
}: {
  importedKey: SecretHandle;
  onImportedKeyPresence: (present: boolean) => void;
}) {
  const mode = useEnable((s) => s.mode);
  const setMode = useEnable((s) => s.setMode);
  const keyConfirmed = useEnable((s) => s.keyConfirmed);
  const confirmedKey = useEnable((s) => s.confirmedKey);
  const pem = useEnable((s) => s.certificatePem);
  const setPem = useEnable((s) => s.setCertificatePem);
  const certificate = useEnable((s) => s.certificate);
  const inspect = useEnable((s) => s.inspectCertificate);
  return (
    <>
      <fieldset>
        <legend>Encryption</legend>
        {OPTIONS.map((o) => (
          <label className="field-inline" key={o.mode}>
            <input
              type="radio"
              name="encryption-mode"
              value={o.mode}
              checked={mode === o.mode}
              onChange={() => setMode(o.mode)}
            />
            <span>
              {o.label}
              <span className="help muted"> — {o.help}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <div hidden={mode !== 'generated'}>
        <GeneratedKeyPanel confirmed={confirmedKey} onConfirmed={keyConfirmed} />
      </div>
      <div hidden={mode !== 'imported'}>
        <SecretField
          label="Backup key"
          handle={importedKey}
          help="Groups separated by dashes, as on the key sheet. It goes to the vault when you enable."
          onPresenceChange={onImportedKeyPresence}
        />
      </div>
      <div hidden={mode !== 'certificate'}>
        <CertificatePicker pem={pem} onPem={setPem} />
        <button
          type="button"
          onClick={() => void inspect()}
          disabled={pem === '' || certificate.loading}
        >
          Check certificate
        </button>
        <MaybeError error={certificate.error} title="The certificate was not accepted" />
        {certificate.data !== null && (
          <dl className="summary" data-testid="certificate-info">
            <dt>Thumbprint</dt>
            <dd className="mono">{certificate.data.thumbprint}</dd>
            <dt>Subject</dt>
            <dd>{certificate.data.subject}</dd>
            <dt>Valid</dt>
            <dd>
              {certificate.data.notBefore.slice(0, 10)} to {certificate.data.notAfter.slice(0, 10)}
            </dd>
            <dt>Public key</dt>
            <dd>
              {certificate.data.publicKeyAlgorithm}
              {certificate.data.keyBits === null ? '' : ` ${certificate.data.keyBits} bits`}
            </dd>
          </dl>
        )}
      </div>
    </>
  );
}
