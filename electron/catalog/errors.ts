/** Error codes of the local catalog (a cache: the repository on the share is the truth). */
import { defineErrors } from '../../shared/errors.js';

export const CatalogErrors = defineErrors({
  CATALOG_OPEN_FAILED: {
    category: 'storage',
    hint: 'Check that the profile folder exists, is writable and is on a local disk.',
  },
  CATALOG_SCHEMA_TOO_NEW: {
    category: 'refused',
    hint: 'This catalog was written by a newer Lifeboat. Upgrade Lifeboat; the catalog was not changed.',
  },
  CATALOG_DAMAGED: {
    category: 'damaged',
    hint: 'The catalog holds a value Lifeboat did not write. Rebuild it from the repository (`lifeboat catalog rebuild`); backups on the storage are not affected.',
  },
  CATALOG_NOT_FOUND: {
    category: 'usage',
    hint: 'Check the id (`lifeboat backup list` shows the backups); rebuild the catalog if the repository has more.',
  },
  CATALOG_INVALID_INPUT: {
    category: 'usage',
    hint: 'Correct the value named in the message and try again; nothing was written.',
  },
  CATALOG_APPEND_ONLY: {
    category: 'refused',
    hint: 'The audit log and job events are append-only; entries cannot be changed or removed.',
  },
  CATALOG_JOURNAL_CONFLICT: {
    category: 'refused',
    hint: 'The restore journal already records this step; resume from the first unfinished component instead.',
  },
  CATALOG_BUSY: {
    category: 'busy',
    hint: 'Another Lifeboat process holds the catalog. Try again in a moment.',
  },
});
