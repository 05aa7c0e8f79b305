import { useApp, useStores } from '../stores/index.js';

const BACKENDS = {
  'safe-storage': 'the operating system (Electron safeStorage)',
  keychain: 'the OS keychain',
  'passphrase-file': 'a passphrase-protected file',
} as const;

/** The vault status line: which backend protects the secrets, how strongly, and why. */
export function StatusLine() {
  const vault = useApp((s) => s.vault);
  const info = useApp((s) => s.info.data);
  const { client } = useStores();
  const status = vault.data;
  return (
    <>
      <span role="status" aria-live="polite" data-testid="vault-status">
        {status === null
          ? vault.error !== null
            ? `Secrets: unknown (${vault.error.message})`
            : 'Secrets: checking…'
          : `Secrets protected by ${BACKENDS[status.backend]}${
              status.strength === 'weak' ? ' (weak protection)' : ''
            }${status.locked ? ', locked' : ''}. ${status.reason}`}
      </span>
      <span>
        {client.transport === 'electron' ? 'Desktop app' : 'Browser console (this computer only)'}
        {info !== null ? ` · version ${info.version} · profile ${info.home}` : ''}
      </span>
    </>
  );
}
