import { RangeField } from '../../components/Fields.js';
import { useEnable } from '../../stores/index.js';
import type { Schedule } from '../../api/types.js';

/** Frequency and retention within Azure Stack Hub's ranges, and the schedule switch. */
export function ScheduleFields({
  schedule,
  onChange,
}: {
  schedule: Schedule;
  onChange: (schedule: Schedule) => void;
}) {
  return (
    <>
      <RangeField
        label="Back up every (hours)"
        unit="hours"
        min={4}
        max={12}
        value={schedule.frequencyHours}
        onChange={(frequencyHours) => onChange({ ...schedule, frequencyHours })}
      />
      <RangeField
        label="Keep backups for (days)"
        unit="days"
        min={2}
        max={14}
        value={schedule.retentionDays}
        onChange={(retentionDays) => onChange({ ...schedule, retentionDays })}
      />
      <label className="field-inline">
        <input
          type="checkbox"
          checked={schedule.enabled}
          onChange={(e) => onChange({ ...schedule, enabled: e.currentTarget.checked })}
        />
        Run backups on this schedule
      </label>
    </>
  );
}

export function ScheduleStep() {
  const schedule = useEnable((s) => s.schedule);
  const setSchedule = useEnable((s) => s.setSchedule);
  return (
    <>
      <p>
        Retention never deletes the newest Succeeded backup. Missed runs (a sleeping laptop) run
        once on wake.
      </p>
      <ScheduleFields schedule={schedule} onChange={setSchedule} />
    </>
  );
}
