import { Choice } from '../../components/Choice.js';
import { RackConnect } from '../../components/RackConnect.js';
import type { SecretHandle } from '../../components/Fields.js';
import { useEnable } from '../../stores/index.js';

/** Which rack to back up: the one Lifeboat already knows, or another reached by URL. */
export function RackFields({
  known,
  password,
  onPasswordPresence,
}: {
  /** How to name the rack main knows (the lab rack, the configured one), or null if none. */
  known: string | null;
  password: SecretHandle;
  onPasswordPresence: (present: boolean) => void;
}) {
  const s = useEnable((state) => state);
  return (
    <>
      <Choice
        legend="Rack to back up"
        options={[
          ...(known === null ? [] : [{ value: 'known' as const, label: known }]),
          { value: 'other' as const, label: 'Another rack, by its API address' },
        ]}
        value={s.rackMode}
        onChange={s.setRackMode}
      />
      <div hidden={s.rackMode !== 'other'}>
        <RackConnect
          url={s.rackUrl}
          onUrl={s.setRackUrl}
          urlHelp="For example https://rack-01.example:8443"
          probe={s.rackProbe}
          onProbe={() => void s.probeRack()}
          confirmed={s.rackConfirmed}
          onConfirmed={s.confirmRack}
          username={s.rackUsername}
          onUsername={s.setRackUsername}
          password={password}
          onPasswordPresence={onPasswordPresence}
        />
      </div>
    </>
  );
}
