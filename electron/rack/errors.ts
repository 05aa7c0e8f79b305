/**
 * Errors of the rack client. The rack's own wire codes (docs/rack-api.md section 3) are mapped to
 * these so callers never see raw HTTP; the original wire code, status and rack message ride along
 * in `details` (`rackCode`, `status`) for the log.
 */
import { defineErrors } from '../../shared/errors.js';

export const RackErrors = defineErrors({
  RACK_UNREACHABLE: {
    category: 'rack',
    hint: 'Check the rack address and port, that the rack is running, and that this computer can reach it.',
  },
  RACK_FINGERPRINT_CHANGED: {
    category: 'auth',
    hint: 'The rack presented a different certificate than the one you confirmed. If the rack was redeployed or its certificate renewed, confirm the new fingerprint with the rack administrator before trusting it; otherwise someone may be intercepting the connection.',
  },
  RACK_TLS_FAILED: {
    category: 'rack',
    hint: 'The secure connection to the rack could not be set up. Check that the address points to the rack API (HTTPS) and not another service.',
  },
  RACK_AUTH_FAILED: {
    category: 'auth',
    hint: 'Check the rack operator username and password.',
  },
  RACK_UNKNOWN_COMPONENT: {
    category: 'rack',
    hint: 'The rack does not know this component. Check that the rack runs a supported version.',
  },
  RACK_NOT_FOUND: {
    category: 'rack',
    hint: 'The export or import is gone (it expired, or the rack was redeployed). Start it again.',
  },
  RACK_NOT_IN_RECOVERY: {
    category: 'refused',
    hint: 'Put the component (or the redeployed rack) into recovery mode before restoring into it.',
  },
  RACK_COMPONENT_IN_RECOVERY: {
    category: 'refused',
    hint: 'The component is in recovery mode, so its data is not live and cannot be backed up. Finish or cancel the recovery first.',
  },
  RACK_DEPENDENCY_MISSING: {
    category: 'refused',
    hint: 'Restore the components named in the message first; the rack enforces the restore order.',
  },
  RACK_VERSION_UNSUPPORTED: {
    category: 'refused',
    hint: 'Redeploy the rack with the version the backup was taken from (or at most one minor version newer).',
  },
  RACK_ARTIFACT_REJECTED: {
    category: 'damaged',
    hint: 'The rack refused the artifact as malformed or altered; nothing was applied. Verify the backup, then restore from an intact copy.',
  },
  RACK_DIGEST_MISMATCH: {
    category: 'damaged',
    hint: 'The data does not have the digest it should. Nothing was kept; retry, and verify the backup if it happens again.',
  },
  RACK_UPLOAD_INTERRUPTED: {
    category: 'rack',
    hint: 'The upload stopped before the end. Ask the import status and resume from the bytes received.',
  },
  RACK_UPLOAD_CONFLICT: {
    category: 'rack',
    hint: 'The rack holds a different number of bytes than expected. Ask the import status and resume from the bytes received.',
  },
  RACK_IMPORT_INCOMPLETE: {
    category: 'rack',
    hint: 'Upload every artifact of the component completely before committing.',
  },
  RACK_IMPORT_CLOSED: {
    category: 'rack',
    hint: 'This import was already committed, failed or abandoned; create a new import.',
  },
  RACK_UNAVAILABLE: {
    category: 'rack',
    hint: 'The rack says its infrastructure is down. Wait for it to come back, or redeploy it for cloud recovery.',
  },
  RACK_SERVER_ERROR: {
    category: 'rack',
    hint: 'The rack failed to answer this request. Retry; if it persists, check the rack’s health.',
  },
  RACK_TIMEOUT: {
    category: 'rack',
    hint: 'The rack did not answer in time. Check its health and the network, then retry.',
  },
  RACK_PROTOCOL: {
    category: 'rack',
    hint: 'The rack answered something this version of Lifeboat does not understand. Check that the rack implements rack API v1.',
  },
  RACK_BAD_REQUEST: {
    category: 'internal',
    hint: 'The rack refused a request Lifeboat made. Keep the log and report it.',
  },
});

export type RackErrorCode = keyof typeof RackErrors.specs;
