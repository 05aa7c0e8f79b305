/**
 * The renderer's own failures (the transport, not the services): declared once like every
 * other family, so the codes are documented in docs/error-codes.md.
 */
import { defineErrors } from '../../shared/errors.js';

export const UiErrors = defineErrors({
  UI_UNREACHABLE: {
    category: 'internal',
    hint: 'Check that Lifeboat is still running, then reload this window. Nothing was changed.',
  },
  UI_NO_TOKEN: {
    category: 'auth',
    hint: 'Open the full address that `npm start` printed (it ends with #token=…).',
  },
  UI_DEFECT: {
    category: 'internal',
    hint: 'This is a defect in Lifeboat. Reload the window; no data was changed.',
  },
});
