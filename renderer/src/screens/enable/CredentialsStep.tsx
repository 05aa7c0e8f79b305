import { Field, SecretField, type SecretHandle } from '../../components/Fields.js';
import { LocationTestView } from '../../components/LocationFields.js';
import { MaybeError } from '../../components/ErrorNotice.js';
import type { StorageCredentialsInput } from '../../stores/enable.js';
import { useEnable } from '../../stores/index.js';

/** Credentials for the share; a local folder needs none. Tested against the location here. */
export function CredentialsStep({
  password,
  onPasswordPresence,
  testCredentials,
  active,
}: {
  active: boolean;
  password: SecretHandle;
  onPasswordPresence: (present: boolean) => void;
  testCredentials: () => StorageCredentialsInput | null;
}) {
  const kind = useEnable((s) => s.location.kind);
  const username = useEnable((s) => s.username);
  const setUsername = useEnable((s) => s.setUsername);
  const test = useEnable((s) => s.test);
  const testLocation = useEnable((s) => s.testLocation);
  return (
    <>
      <p>
        {kind === 'folder'
          ? 'A folder on this computer needs no credentials: leave both fields empty.'
          : 'The account Lifeboat uses to reach the share. The password goes to the vault and is never shown again.'}
      </p>
      <Field
        label="User name"
        value={username}
        autoComplete="username"
        onChange={(e) => setUsername(e.currentTarget.value)}
        help="For a Windows share: DOMAIN\user"
      />
      <SecretField
        label="Password"
        handle={password}
        autoComplete="new-password"
        onPresenceChange={onPasswordPresence}
      />
      <button
        type="button"
        onClick={() => void testLocation(testCredentials())}
        disabled={test.loading}
      >
        {test.loading ? 'Testing…' : 'Test location with these credentials'}
      </button>
      {active && <MaybeError error={test.error} title="The location test failed" />}
      {active && test.data !== null && <LocationTestView test={test.data} />}
    </>
  );
}
