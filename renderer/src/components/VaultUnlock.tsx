import { useState, type FormEvent } from 'react';
import type { ErrorBody } from '../../../shared/errors.js';
import { attempt } from '../stores/resource.js';
import { useStores } from '../stores/index.js';
import { MaybeError } from './ErrorNotice.js';
import { SecretField, useSecret } from './Fields.js';
import { Section } from './Section.js';

/** Shown while the passphrase-protected vault is locked; the passphrase is sent once. */
export function VaultUnlock() {
  const { client, app } = useStores();
  const passphrase = useSecret();
  const [error, setError] = useState<ErrorBody | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    const outcome = await attempt(() =>
      client.call('vault.unlock', { passphrase: passphrase.take() }),
    );
    setBusy(false);
    setError(outcome.ok ? null : outcome.error);
    if (outcome.ok) await app.getState().refresh(['vault', 'health', 'settings']);
  }

  return (
    <Section title="Unlock the secrets">
      <p>
        The secrets are kept in a passphrase-protected file because no OS keychain is available.
        Enter the vault passphrase to let Lifeboat reach the location and the rack.
      </p>
      <form onSubmit={submit}>
        <SecretField label="Vault passphrase" handle={passphrase} autoComplete="current-password" />
        <MaybeError error={error} title="The vault stayed locked" />
        <button type="submit" className="primary" disabled={busy}>
          Unlock
        </button>
      </form>
    </Section>
  );
}
