import { EncryptionChooser } from '../../components/EncryptionChooser.js';
import type { SecretHandle } from '../../components/Fields.js';
import { useEnable } from '../../stores/index.js';

/** The wizard's encryption step: the shared chooser, wired to the wizard's store. */
export function EncryptionStep({
  importedKey,
  onImportedKeyPresence,
}: {
  importedKey: SecretHandle;
  onImportedKeyPresence: (present: boolean) => void;
}) {
  const s = useEnable((state) => state);
  return (
    <EncryptionChooser
      mode={s.mode}
      onMode={s.setMode}
      confirmedKey={s.confirmedKey}
      onKeyConfirmed={s.keyConfirmed}
      importedKey={importedKey}
      onImportedKeyPresence={onImportedKeyPresence}
      pem={s.certificatePem}
      onPem={s.setCertificatePem}
      certificate={s.certificate}
      onCertificate={s.setCertificate}
    />
  );
}
