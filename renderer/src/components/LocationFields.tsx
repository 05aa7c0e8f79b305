import type { Location, LocationTestResult } from '../api/types.js';
import { countOf, formatBytes } from '../lib/format.js';
import { locationProblem } from '../lib/wizard.js';
import { MaybeError } from './ErrorNotice.js';
import { Field } from './Fields.js';

const KINDS: ReadonlyArray<{ value: Location['kind']; label: string; example: string }> = [
  { value: 'folder', label: 'Folder on this computer', example: '/srv/lifeboat or D:\\Lifeboat' },
  { value: 'share', label: 'Mounted share (SMB or NFS)', example: '/mnt/backup-share/rack-01' },
  { value: 'unc', label: 'Windows UNC path', example: '\\\\fileserver\\backups\\rack-01' },
];

/** Where backups go: the kind of location and its path, with the path checked as typed. */
export function LocationFields({
  location,
  onChange,
}: {
  location: Location;
  onChange: (location: Location) => void;
}) {
  const kind = KINDS.find((k) => k.value === location.kind) ?? KINDS[0];
  const problem = location.path === '' ? null : locationProblem(location);
  return (
    <fieldset>
      <legend>External storage location</legend>
      <div className="field">
        <label htmlFor="location-kind">Kind of location</label>
        <select
          id="location-kind"
          value={location.kind}
          onChange={(e) =>
            onChange({ ...location, kind: e.currentTarget.value as Location['kind'] })
          }
        >
          {KINDS.map((k) => (
            <option key={k.value} value={k.value}>
              {k.label}
            </option>
          ))}
        </select>
      </div>
      <Field
        label="Location path"
        value={location.path}
        spellCheck={false}
        onChange={(e) => onChange({ ...location, path: e.currentTarget.value })}
        help={`For example ${kind?.example ?? ''}`}
        problem={problem}
      />
    </fieldset>
  );
}

function Check({ ok, label }: { ok: boolean; label: string }) {
  return (
    <li data-check={label} data-ok={ok}>
      <span className={`badge ${ok ? 'ok' : 'bad'}`}>{ok ? 'Yes' : 'No'}</span> {label}
    </li>
  );
}

/** The live test's answer: reachable, writable, free space, and any problem with its hint. */
export function LocationTestView({ test }: { test: LocationTestResult }) {
  return (
    <div role="status" aria-label="Location test result" data-testid="location-test">
      <ul className="checks">
        <Check ok={test.reachable} label="Reachable" />
        <Check
          ok={test.writable}
          label="Writable (a probe file was written, read back and deleted)"
        />
        <Check ok={!test.insideAnotherRepository} label="Not inside another repository" />
      </ul>
      <p>
        Free space:{' '}
        <strong>
          {test.freeBytes === null ? 'unknown' : formatBytes(test.freeBytes)}
          {test.totalBytes === null ? '' : ` of ${formatBytes(test.totalBytes)}`}
        </strong>
      </p>
      {test.existingRepository !== null && (
        <p>
          A Lifeboat repository is already here (
          {countOf(test.existingRepository.backups, 'backup')}); they will stay listed.
        </p>
      )}
      {test.problems.map((p) => (
        <MaybeError key={p.code + p.message} error={p} title="Location problem" />
      ))}
    </div>
  );
}
