/**
 * The recovery report: what was restored from which backup into which rack, by whom, and the
 * proof (each component's state digest recorded at backup equals the rack's after restore).
 * Rendered as JSON (the schema below, also used to read stored reports back) and as one
 * self-contained HTML page that prints well.
 */
import { z } from 'zod';
import { NOT_RESTORED, RESTORE_ORDER } from './components.js';
import { RecoveryErrors } from './errors.js';
import { html, htmlDocument, type Html } from './html.js';
import { formatBytes } from '../../shared/format.js';

export const REPORT_FORMAT = 'lifeboat-recovery-report/1';

const ComponentResultSchema = z.object({
  component: z.enum(RESTORE_ORDER),
  bytes: z.number().int().nonnegative(),
  digestAtBackup: z.string(),
  digestAfterRestore: z.string().nullable(),
  match: z.boolean(),
  startedAt: z.string().nullable(),
  /** When the rack was asked to commit; null for a component committed in an earlier run. */
  commitStartedAt: z.string().nullable().default(null),
  finishedAt: z.string().nullable(),
});

export const RecoveryReportSchema = z.object({
  format: z.literal(REPORT_FORMAT),
  recoveryId: z.string().min(1),
  kind: z.enum(['recovery', 'heal', 'drill']),
  /** proven: every restored component's digests are equal. */
  result: z.enum(['proven', 'mismatch']),
  backup: z.object({
    id: z.string(),
    createdAt: z.string(),
    location: z.string(),
    sourceId: z.string(),
    sourceVersion: z.string(),
    /** "key epoch 3" or "certificate <thumbprint>". */
    keyReference: z.string(),
  }),
  rack: z.object({
    url: z.string(),
    fingerprint: z.string(),
    stampId: z.string(),
    version: z.string(),
    lab: z.boolean(),
  }),
  operator: z.object({ user: z.string(), host: z.string() }),
  startedAt: z.string(),
  finishedAt: z.string(),
  /** How many times the restore was resumed after a drop. */
  resumes: z.number().int().nonnegative(),
  components: z.array(ComponentResultSchema),
  notRestored: z.array(z.string()),
});

export type RecoveryReport = z.infer<typeof RecoveryReportSchema>;
export type ComponentResult = z.infer<typeof ComponentResultSchema>;

/** The fixed list of what recovery never restores, as the report states it. */
export function notRestoredList(): string[] {
  return [...NOT_RESTORED];
}

export function parseReport(value: unknown): RecoveryReport {
  const parsed = RecoveryReportSchema.safeParse(value);
  if (!parsed.success) {
    throw RecoveryErrors.create(
      'RECOVERY_BAD_REPORT',
      'The recovery report does not match its format.',
      {
        cause: parsed.error,
      },
    );
  }
  return parsed.data;
}

export function reportToJson(report: RecoveryReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

const KIND_TITLE = {
  recovery: 'Cloud recovery report',
  heal: 'Component restore report',
  drill: 'Recovery drill report',
} as const;

export function renderReportHtml(report: RecoveryReport): string {
  const title = `${KIND_TITLE[report.kind]}: ${report.rack.stampId}`;
  return htmlDocument(
    title,
    html`<header>
        <h1>${title}</h1>
        <p class="lead">
          Recovery <code>${report.recoveryId}</code>, ${formatTime(report.startedAt)} to
          ${formatTime(report.finishedAt)} (${duration(report.startedAt, report.finishedAt)}).
        </p>
      </header>
      <main>
        ${verdict(report)}
        <h2>Backup used</h2>
        <dl>
          <dt>Backup id</dt>
          <dd><code>${report.backup.id}</code></dd>
          <dt>Taken</dt>
          <dd>${formatTime(report.backup.createdAt)}</dd>
          <dt>Location</dt>
          <dd><code>${report.backup.location}</code></dd>
          <dt>Source rack</dt>
          <dd>${report.backup.sourceId}, version ${report.backup.sourceVersion}</dd>
          <dt>Decrypted with</dt>
          <dd>${report.backup.keyReference}</dd>
        </dl>
        <h2>Target rack</h2>
        <dl>
          <dt>Rack</dt>
          <dd>
            ${report.rack.stampId}${report.rack.lab ? ' (lab rack)' : ''}, version
            ${report.rack.version}
          </dd>
          <dt>Address</dt>
          <dd><code>${report.rack.url}</code></dd>
          <dt>Certificate SHA-256</dt>
          <dd><code>${report.rack.fingerprint}</code></dd>
        </dl>
        <h2>Components</h2>
        ${componentTable(report)}
        <h2>Not restored, by design</h2>
        <p>Cloud recovery restores the rack's infrastructure data only. These are not restored:</p>
        <ul>
          ${report.notRestored.map((item) => html`<li>${item}</li>`)}
        </ul>
      </main>
      <footer>
        Run by ${report.operator.user} on ${report.operator.host}. Resumed ${report.resumes}
        time(s). Produced by Lifeboat (${REPORT_FORMAT}).
      </footer>`,
  );
}

function verdict(report: RecoveryReport): Html {
  const mismatched = report.components
    .filter((entry) => !entry.match)
    .map((entry) => entry.component);
  return report.result === 'proven'
    ? html`<p class="verdict ok">
        Proven: every restored component's state digest equals the digest recorded in the backup
        (${report.components.length} of ${report.components.length}).
      </p>`
    : html`<p class="verdict bad">
        Not proven: the digests of ${mismatched.join(', ')} differ from the backup. Do not return
        the rack to service.
      </p>`;
}

function componentTable(report: RecoveryReport): Html {
  const rows = report.components.map(
    (entry) =>
      html`<tr>
        <td>${entry.component}</td>
        <td class="mono">${entry.digestAtBackup}</td>
        <td class="mono">${entry.digestAfterRestore ?? 'not read'}</td>
        <td class="${entry.match ? 'ok' : 'bad'}">${entry.match ? 'equal' : 'DIFFERENT'}</td>
        <td>${formatBytes(entry.bytes)}</td>
        <td>${timeCell(entry)}</td>
      </tr>`,
  );
  return html`<table>
    <thead>
      <tr>
        <th scope="col">Component</th>
        <th scope="col">Digest at backup</th>
        <th scope="col">Digest after restore</th>
        <th scope="col">Result</th>
        <th scope="col">Size</th>
        <th scope="col">Time</th>
      </tr>
    </thead>
    <tbody>
      ${rows}
    </tbody>
  </table>`;
}

/** The component's restore time, and how much of it the rack spent applying the data. */
function timeCell(entry: ComponentResult): string {
  if (entry.startedAt === null || entry.finishedAt === null) return 'earlier run';
  const total = duration(entry.startedAt, entry.finishedAt);
  return entry.commitStartedAt === null
    ? total
    : `${total} (commit ${duration(entry.commitStartedAt, entry.finishedAt)})`;
}

export function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC');
}

function duration(fromIso: string, toIso: string): string {
  const ms = Math.max(0, Date.parse(toIso) - Date.parse(fromIso));
  if (!Number.isFinite(ms)) return 'unknown';
  if (ms < 1000) return `${ms} ms`;
  const seconds = Math.round(ms / 1000);
  return seconds < 120 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}
