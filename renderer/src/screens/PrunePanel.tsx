import { DeletionList } from '../components/DeletionList.js';
import { MaybeError } from '../components/ErrorNotice.js';
import { Section } from '../components/Section.js';
import { useBackups, useStores } from '../stores/index.js';
import { countOf } from '../lib/format.js';

/** The prune preview: exactly what retention would delete, confirmed before anything goes. */
export function PrunePanel() {
  const stores = useStores();
  const prune = useBackups((s) => s.prune);
  if (prune.data === null && prune.error === null && !prune.loading) return null;
  const preview = prune.data;
  return (
    <Section title="Prune with retention">
      <MaybeError error={prune.error} title="The prune preview failed" />
      {preview === null ? (
        <p aria-busy={prune.loading}>Working out what retention would delete…</p>
      ) : (
        <>
          <DeletionList preview={preview} />
          <div className="row">
            <button
              type="button"
              className="danger"
              disabled={preview.wouldDelete.length === 0}
              onClick={() => void stores.backups.getState().confirmPrune()}
            >
              Delete {countOf(preview.wouldDelete.length, 'backup')}
            </button>
            <button type="button" onClick={() => stores.backups.getState().cancelPrune()}>
              Keep everything
            </button>
          </div>
        </>
      )}
    </Section>
  );
}
