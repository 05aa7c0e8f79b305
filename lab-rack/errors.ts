/**
 * Errors of the lab rack. `ApiError` is an answer on the wire (docs/rack-api.md §3: a status, a
 * stable code and a message); `LabErrors` are the `lab-rack` command's own failures.
 */
import { defineErrors } from '../shared/errors.js';
import { ERROR_STATUS, type ErrorDetails, type RackErrorCode } from '../shared/rack-api.js';

export class ApiError extends Error {
  readonly status: number;

  constructor(
    readonly code: RackErrorCode,
    message: string,
    readonly details?: ErrorDetails,
    status?: number,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status ?? ERROR_STATUS[code];
  }
}

export const LabErrors = defineErrors({
  LAB_USAGE: {
    category: 'usage',
    hint: 'Run `lab-rack help` for the subcommands and their options.',
  },
  LAB_NO_RACK: {
    category: 'usage',
    hint: 'Create the rack first with `lab-rack serve --state DIR` (it is made on first start).',
  },
  LAB_STATE_DAMAGED: {
    category: 'damaged',
    hint: 'The lab rack state folder is not one this version understands. Use a new folder.',
  },
});
