import { useState } from 'react';
import type { ErrorBody } from '../../../shared/errors.js';
import type { CertificateInfo } from '../api/types.js';
import type { EncryptionMode } from '../lib/wizard.js';
import { attempt } from '../stores/resource.js';
import { useStores } from '../stores/index.js';
import { CertificatePicker } from './CertificatePicker.js';
import { Choice } from './Choice.js';
import { MaybeError } from './ErrorNotice.js';
import { SecretField, type SecretHandle } from './Fields.js';
import { GeneratedKeyPanel } from './GeneratedKeyPanel.js';

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

export interface EncryptionChooserProps {
  mode: EncryptionMode;
  onMode: (mode: EncryptionMode) => void;
  confirmedKey: { pendingKeyId: string; keyFingerprint: string } | null;
  onKeyConfirmed: (pendingKeyId: string, keyFingerprint: string) => void;
  importedKey: SecretHandle;
  onImportedKeyPresence: (present: boolean) => void;
  pem: string;
  onPem: (pem: string) => void;
  certificate: CertificateInfo | null;
  onCertificate: (info: CertificateInfo | null) => void;
}

/**
 * How backups are encrypted: a generated key (shown once), an imported key, or a certificate.
 * Used by the Enable backup wizard and by Settings' key change, so both behave the same.
 */
export function EncryptionChooser(props: EncryptionChooserProps) {
  const { client } = useStores();
  const [inspectError, setInspectError] = useState<ErrorBody | null>(null);
  const [inspecting, setInspecting] = useState(false);

  async function inspect() {
    setInspecting(true);
    const outcome = await attempt(() =>
      client.call('certificate.inspect', { certificatePem: props.pem }),
    );
    setInspecting(false);
    setInspectError(outcome.ok ? null : outcome.error);
    props.onCertificate(outcome.ok ? outcome.value : null);
  }

  const info = props.certificate;
  return (
    <>
      <Choice
        legend="Encryption"
        options={OPTIONS.map((o) => ({
          value: o.mode,
          label: (
            <>
              {o.label}
              <span className="help muted"> — {o.help}</span>
            </>
          ),
        }))}
        value={props.mode}
        onChange={props.onMode}
      />
      <div hidden={props.mode !== 'generated'}>
        <GeneratedKeyPanel confirmed={props.confirmedKey} onConfirmed={props.onKeyConfirmed} />
      </div>
      <div hidden={props.mode !== 'imported'}>
        <SecretField
          label="Backup key"
          handle={props.importedKey}
          help="Groups separated by dashes, as on the key sheet. It goes to the vault when you apply."
          onPresenceChange={props.onImportedKeyPresence}
        />
      </div>
      <div hidden={props.mode !== 'certificate'}>
        <CertificatePicker pem={props.pem} onPem={props.onPem} />
        <button
          type="button"
          onClick={() => void inspect()}
          disabled={props.pem === '' || inspecting}
        >
          Check certificate
        </button>
        <MaybeError error={inspectError} title="The certificate was not accepted" />
        {info !== null && (
          <dl className="summary" data-testid="certificate-info">
            <dt>Thumbprint</dt>
            <dd className="mono">{info.thumbprint}</dd>
            <dt>Subject</dt>
            <dd>{info.subject}</dd>
            <dt>Valid</dt>
            <dd>
              {info.notBefore.slice(0, 10)} to {info.notAfter.slice(0, 10)}
            </dd>
            <dt>Public key</dt>
            <dd>
              {info.publicKeyAlgorithm}
              {info.keyBits === null ? '' : ` ${info.keyBits} bits`}
            </dd>
          </dl>
        )}
      </div>
    </>
  );
}
