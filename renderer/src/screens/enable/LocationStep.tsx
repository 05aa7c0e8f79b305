import { MaybeError } from '../../components/ErrorNotice.js';
import { LocationFields, LocationTestView } from '../../components/LocationFields.js';
import type { StorageCredentialsInput } from '../../stores/enable.js';
import { useEnable } from '../../stores/index.js';
import { locationProblem } from '../../lib/wizard.js';

/** The location and its live test (reachable, writable, free space). */
export function LocationStep({
  testCredentials,
  active,
}: {
  testCredentials: () => StorageCredentialsInput | null;
  /** Only the current step shows the test's answer, so it appears once on the page. */
  active: boolean;
}) {
  const location = useEnable((s) => s.location);
  const setLocation = useEnable((s) => s.setLocation);
  const test = useEnable((s) => s.test);
  const testLocation = useEnable((s) => s.testLocation);
  return (
    <>
      <p>
        Name the folder or share that will hold the encrypted backups. Choose storage outside this
        rack: it must survive the rack&apos;s loss.
      </p>
      <LocationFields location={location} onChange={setLocation} />
      <button
        type="button"
        onClick={() => void testLocation(testCredentials())}
        disabled={locationProblem(location) !== null || test.loading}
      >
        {test.loading ? 'Testing…' : 'Test location'}
      </button>
      {active && <MaybeError error={test.error} title="The location test failed" />}
      {active && test.data !== null && <LocationTestView test={test.data} />}
    </>
  );
}
