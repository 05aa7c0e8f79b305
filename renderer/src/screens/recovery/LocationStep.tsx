import { useState } from 'react';
import { Choice } from '../../components/Choice.js';
import { MaybeError } from '../../components/ErrorNotice.js';
import { Field, SecretField, useSecret } from '../../components/Fields.js';
import { LocationFields } from '../../components/LocationFields.js';
import { locationProblem } from '../../lib/wizard.js';
import { useRecovery } from '../../stores/index.js';
import { countOf } from '../../lib/format.js';

/**
 * Where the backups are and how to reach them; also whether this is a real recovery or a drill
 * into a lab rack. Discovery reads the location directly, with no local catalog (a fresh laptop).
 */
export function LocationStep() {
  const s = useRecovery((state) => state);
  const password = useSecret();
  const [busy, setBusy] = useState(false);

  async function discover() {
    setBusy(true);
    const secret = password.take();
    await s.discover(s.username === '' ? null : { username: s.username, password: secret });
    setBusy(false);
  }
  return (
    <>
      <Choice
        legend="What to do"
        options={[
          { value: 'recovery', label: 'Cloud recovery into a redeployed rack (in recovery mode)' },
          {
            value: 'drill',
            label:
              'Recovery drill into a lab rack (proves a backup restores, without touching production)',
          },
        ]}
        value={s.mode}
        onChange={s.setMode}
      />
      <LocationFields location={s.location} onChange={s.setLocation} />
      <Field
        label="User name for the location"
        value={s.username}
        autoComplete="username"
        onChange={(e) => s.setUsername(e.currentTarget.value)}
        help="Leave empty for a folder on this computer."
      />
      <SecretField
        label="Password for the location"
        handle={password}
        autoComplete="current-password"
      />
      <button
        type="button"
        className="primary"
        onClick={() => void discover()}
        disabled={busy || locationProblem(s.location) !== null}
      >
        {busy ? 'Discovering…' : 'Discover backups'}
      </button>
      <MaybeError error={s.discovery.error} title="No backups could be read there" />
      {s.discovery.data !== null && (
        <p role="status" data-testid="discovered-count">
          Found {countOf(s.discovery.data.backups.length, 'backup')} at {s.discovery.data.location}.
        </p>
      )}
    </>
  );
}
