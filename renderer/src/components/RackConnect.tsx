import type { RackProbe } from '../api/types.js';
import { groupFingerprint } from '../lib/fingerprint.js';
import { formatTimestamp } from '../lib/format.js';
import type { Resource } from '../stores/resource.js';
import { MaybeError } from './ErrorNotice.js';
import { Field, SecretField, type SecretHandle } from './Fields.js';

export interface RackConnectProps {
  url: string;
  onUrl: (url: string) => void;
  urlHelp: string;
  probe: Resource<RackProbe>;
  onProbe: () => void;
  confirmed: boolean;
  onConfirmed: (confirmed: boolean) => void;
  username: string;
  onUsername: (username: string) => void;
  password: SecretHandle;
  onPasswordPresence?: (present: boolean) => void;
}

/**
 * Connecting to a rack the way SSH trusts a host: the rack's certificate fingerprint is shown
 * and the operator confirms it against the rack's own console before any credential is sent.
 * Used by the Enable backup wizard (the rack to back up) and Cloud recovery (the target).
 */
export function RackConnect(props: RackConnectProps) {
  const probe = props.probe.data;
  return (
    <>
      <Field
        label="Rack API URL"
        type="url"
        value={props.url}
        spellCheck={false}
        onChange={(e) => props.onUrl(e.currentTarget.value)}
        help={props.urlHelp}
      />
      <button
        type="button"
        onClick={props.onProbe}
        disabled={props.url === '' || props.probe.loading}
      >
        Connect to the rack
      </button>
      <MaybeError error={props.probe.error} title="The rack did not answer" />
      {probe !== null && (
        <>
          <section className="card" aria-labelledby="fingerprint-title" data-testid="rack-probe">
            <h3 id="fingerprint-title">Confirm the rack&apos;s certificate</h3>
            <p>
              Compare this SHA-256 fingerprint with the one the rack&apos;s own console shows. If
              they differ, stop: something else answers at this address.
            </p>
            <p className="mono" data-testid="rack-fingerprint">
              {groupFingerprint(probe.fingerprint)}
            </p>
            <dl className="summary">
              <dt>Certificate subject</dt>
              <dd>{probe.certificateSubject}</dd>
              <dt>Valid until</dt>
              <dd>
                {probe.certificateValidTo === null
                  ? '—'
                  : formatTimestamp(probe.certificateValidTo)}
              </dd>
              <dt>Rack version</dt>
              <dd>{probe.version ?? 'not said'}</dd>
              <dt>Recovery mode</dt>
              <dd>
                {probe.recoveryMode === null ? 'not said' : probe.recoveryMode ? 'Yes' : 'No'}
              </dd>
              <dt>Lab rack</dt>
              <dd>{probe.lab === null ? 'not said' : probe.lab ? 'Yes' : 'No'}</dd>
            </dl>
            <label className="field-inline">
              <input
                type="checkbox"
                checked={props.confirmed}
                onChange={(e) => props.onConfirmed(e.currentTarget.checked)}
              />
              The fingerprint matches the one the rack shows
            </label>
          </section>
          <Field
            label="Rack user name"
            value={props.username}
            autoComplete="username"
            onChange={(e) => props.onUsername(e.currentTarget.value)}
          />
          <SecretField
            label="Rack password"
            handle={props.password}
            autoComplete="current-password"
            {...(props.onPasswordPresence ? { onPresenceChange: props.onPasswordPresence } : {})}
          />
        </>
      )}
    </>
  );
}
