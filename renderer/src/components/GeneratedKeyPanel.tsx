import { useState } from 'react';
import type { ErrorBody } from '../../../shared/errors.js';
import type { GeneratedKey } from '../api/types.js';
import { attempt } from '../stores/resource.js';
import { useStores } from '../stores/index.js';
import { MaybeError } from './ErrorNotice.js';
import { Field } from './Fields.js';
import { KeySheet } from './KeySheet.js';
import { Notice } from './Notice.js';

/**
 * Generates a key and shows it ONCE, with a printable key sheet. The operator confirms they
 * stored it offline by ticking the box and retyping the group main names; then the key is
 * dropped from this component's state and is never shown again.
 */
export function GeneratedKeyPanel({
  confirmed,
  onConfirmed,
}: {
  confirmed: { pendingKeyId: string; keyFingerprint: string } | null;
  onConfirmed: (pendingKeyId: string, keyFingerprint: string) => void;
}) {
  const { client } = useStores();
  const [key, setKey] = useState<GeneratedKey | null>(null);
  const [stored, setStored] = useState(false);
  const [group, setGroup] = useState('');
  const [error, setError] = useState<ErrorBody | null>(null);
  const [busy, setBusy] = useState(false);

  async function generate() {
    setBusy(true);
    const outcome = await attempt(() => client.call('key.generate', {}));
    setBusy(false);
    setError(outcome.ok ? null : outcome.error);
    if (outcome.ok) {
      setKey(outcome.value);
      setStored(false);
      setGroup('');
    }
  }

  async function confirm() {
    if (key === null) return;
    setBusy(true);
    const outcome = await attempt(() =>
      client.call('key.confirmGenerated', {
        pendingKeyId: key.pendingKeyId,
        confirmation: group.trim(),
        storedOffline: true,
      }),
    );
    setBusy(false);
    setError(outcome.ok ? null : outcome.error);
    if (outcome.ok) {
      // The key has done its job on screen: forget it.
      setKey(null);
      setGroup('');
      onConfirmed(outcome.value.pendingKeyId, outcome.value.keyFingerprint);
    }
  }

  async function discard() {
    if (key === null) return;
    await attempt(() => client.call('key.discardGenerated', { pendingKeyId: key.pendingKeyId }));
    setKey(null);
  }

  if (confirmed !== null && key === null) {
    return (
      <Notice tone="success" title="Key stored and confirmed">
        <p data-testid="key-confirmed">
          Key fingerprint <span className="mono">{confirmed.keyFingerprint}</span>. Lifeboat will
          not show this key again: keep your copy offline.
        </p>
      </Notice>
    );
  }
  return (
    <>
      <MaybeError error={error} title="The key step did not work" />
      {key === null ? (
        <button type="button" className="primary" onClick={() => void generate()} disabled={busy}>
          Generate key
        </button>
      ) : (
        <>
          <KeySheet generated={key} />
          <label className="field-inline">
            <input
              type="checkbox"
              checked={stored}
              onChange={(e) => setStored(e.currentTarget.checked)}
            />
            I have stored it offline
          </label>
          <Field
            label={`Group ${key.confirmGroup} of the key, retyped from your stored copy`}
            value={group}
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => setGroup(e.currentTarget.value)}
          />
          <div className="row">
            <button
              type="button"
              className="primary"
              onClick={() => void confirm()}
              disabled={!stored || group.trim() === '' || busy}
            >
              Confirm key
            </button>
            <button type="button" onClick={() => void discard()}>
              Discard this key
            </button>
          </div>
        </>
      )}
    </>
  );
}
