import { useId } from 'react';
import { derToPem } from '../lib/certificate.js';

/**
 * A certificate's public part, pasted as PEM or picked as a .cer file (PEM or DER). Public data:
 * it may sit in state, unlike the .pfx, which only the recovery wizard reads.
 */
export function CertificatePicker({ pem, onPem }: { pem: string; onPem: (pem: string) => void }) {
  const id = useId();
  async function pick(file: File | undefined) {
    if (file === undefined) return;
    const bytes = new Uint8Array(await file.arrayBuffer());
    const text = new TextDecoder().decode(bytes);
    onPem(text.includes('-----BEGIN') ? text.trim() : derToPem(bytes));
  }
  return (
    <>
      <div className="field">
        <label htmlFor={`${id}-file`}>Certificate file (.cer)</label>
        <input
          id={`${id}-file`}
          type="file"
          accept=".cer,.crt,.pem"
          onChange={(e) => void pick(e.currentTarget.files?.[0])}
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-pem`}>Or paste the certificate (PEM)</label>
        <textarea
          id={`${id}-pem`}
          value={pem}
          spellCheck={false}
          onChange={(e) => onPem(e.currentTarget.value)}
          placeholder="-----BEGIN CERTIFICATE-----"
        />
      </div>
    </>
  );
}
