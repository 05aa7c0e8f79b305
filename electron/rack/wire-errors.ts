/**
 * Turns a rack's error answer (`{ code, message, details }`, docs/rack-api.md §3) into a typed
 * Lifeboat error. Unknown codes (a newer rack) are mapped by HTTP status.
 */
import type { ErrorBody, LifeboatError } from '../../shared/errors.js';
import { ErrorResponse } from '../../shared/rack-api.js';
import { RackErrors, type RackErrorCode } from './errors.js';

const BY_WIRE_CODE: Readonly<Record<string, RackErrorCode>> = {
  INVALID_CREDENTIALS: 'RACK_AUTH_FAILED',
  UNAUTHENTICATED: 'RACK_AUTH_FAILED',
  TOKEN_EXPIRED: 'RACK_AUTH_FAILED',
  UNKNOWN_COMPONENT: 'RACK_UNKNOWN_COMPONENT',
  NOT_FOUND: 'RACK_NOT_FOUND',
  NOT_IN_RECOVERY: 'RACK_NOT_IN_RECOVERY',
  COMPONENT_IN_RECOVERY: 'RACK_COMPONENT_IN_RECOVERY',
  DEPENDENCY_MISSING: 'RACK_DEPENDENCY_MISSING',
  VERSION_UNSUPPORTED: 'RACK_VERSION_UNSUPPORTED',
  ARTIFACT_MALFORMED: 'RACK_ARTIFACT_REJECTED',
  ARTIFACT_DIGEST_MISMATCH: 'RACK_ARTIFACT_REJECTED',
  STATE_DIGEST_MISMATCH: 'RACK_DIGEST_MISMATCH',
  UPLOAD_OFFSET_MISMATCH: 'RACK_UPLOAD_CONFLICT',
  IMPORT_INCOMPLETE: 'RACK_IMPORT_INCOMPLETE',
  IMPORT_CLOSED: 'RACK_IMPORT_CLOSED',
  RACK_UNAVAILABLE: 'RACK_UNAVAILABLE',
};

function byStatus(status: number): RackErrorCode {
  if (status === 401 || status === 403) return 'RACK_AUTH_FAILED';
  if (status === 404) return 'RACK_NOT_FOUND';
  if (status === 503) return 'RACK_UNAVAILABLE';
  if (status >= 500) return 'RACK_SERVER_ERROR';
  return 'RACK_BAD_REQUEST';
}

/** Parses an error body; a body that is not one still yields an error naming the status. */
export function parseErrorBody(raw: Buffer): ErrorResponse | undefined {
  try {
    const parsed = ErrorResponse.safeParse(JSON.parse(raw.toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Flattens the rack's details into the scalar map LifeboatError carries. */
function flatDetails(body: ErrorResponse | undefined, status: number): ErrorBody['details'] {
  const out: NonNullable<ErrorBody['details']> = { status, rackCode: body?.code ?? null };
  for (const [key, value] of Object.entries(body?.details ?? {})) {
    out[key] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}

export function wireError(
  status: number,
  body: ErrorResponse | undefined,
  what: string,
): LifeboatError {
  const code = (body !== undefined ? BY_WIRE_CODE[body.code] : undefined) ?? byStatus(status);
  const said =
    body === undefined ? `HTTP ${status}` : `${body.code}: ${body.message.slice(0, 500)}`;
  return RackErrors.create(code, `${what} failed: the rack answered ${said}`, {
    details: flatDetails(body, status),
  });
}
