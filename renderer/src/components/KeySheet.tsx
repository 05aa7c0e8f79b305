import type { GeneratedKey } from '../api/types.js';
import { formatTimestamp } from '../lib/format.js';
import { keySheetLines } from '../lib/wizard.js';

/**
 * The key sheet: the key in large groups, its fingerprint, and what it is for. Printing shows
 * only this sheet (body.printing-sheet hides the rest of the window).
 */
export function KeySheet({ generated }: { generated: GeneratedKey }) {
  function print() {
    document.body.classList.add('printing-sheet');
    const done = () => {
      document.body.classList.remove('printing-sheet');
      window.removeEventListener('afterprint', done);
    };
    window.addEventListener('afterprint', done);
    window.print();
  }
  return (
    <section className="card key-sheet print-target" aria-labelledby="key-sheet-title">
      <h3 id="key-sheet-title">Lifeboat backup key</h3>
      <p>
        <strong>Shown once.</strong> Anyone with this key and the storage location can read the
        backups; without it, nobody can recover this rack. Print this sheet or copy the key by hand,
        and keep it offline, away from the rack.
      </p>
      <div className="key" data-testid="generated-key" aria-label="The backup key">
        {keySheetLines(generated.key).map((line) => (
          <div key={line}>{line}</div>
        ))}
      </div>
      <dl className="summary">
        <dt>Fingerprint</dt>
        <dd className="mono">{generated.keyFingerprint}</dd>
        <dt>Created</dt>
        <dd>{formatTimestamp(generated.createdAt)}</dd>
        <dt>Groups</dt>
        <dd>{generated.groups}</dd>
      </dl>
      <p className="no-print muted">
        This key stays pending until you confirm it; it expires{' '}
        {formatTimestamp(generated.expiresAt)}.
      </p>
      <button type="button" className="no-print" onClick={print}>
        Print key sheet
      </button>
    </section>
  );
}
