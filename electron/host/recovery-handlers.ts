/**
 * The contract's cloud-recovery and drill methods, served by electron/recovery/.
 *
 * A wizard session lives here, in main: the location opened at `discover`, the backup opened
 * with its key at `open`, the target rack and its password kept at `preflight`, so each secret
 * crosses from the window once. `close` (or closing the app) drops them and wipes the bytes.
 * Restores run as host jobs; `recovery.run` answers once the run is registered in the journal,
 * so the window gets the recovery id it pauses, resumes and reports with.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import type {
  ComponentName,
  JobProgress,
  RecoveryEntry,
  ServiceRequestOf,
} from '../../shared/contract/index.js';
import type { ErrorBody } from '../../shared/errors.js';
import type { Catalog } from '../catalog/index.js';
import {
  RESTORE_ORDER,
  RecoveryErrors,
  discoverBackups,
  drill,
  listReports,
  loadReport,
  openBackup,
  openLocation,
  preflight,
  renderReportHtml,
  resumeRecovery,
  runRecovery,
  verifyForRecovery,
  type DecryptionKey,
  type OpenedBackup,
  type RackTarget,
  type RecoveryEvent,
  type RecoveryReport,
} from '../recovery/index.js';
import { startDrillRack, type LabRackOptions } from './default-setup.js';
import { IpcErrors } from './errors.js';
import type { HostJobs, JobControls } from './host-jobs.js';
import type { Handlers } from './services.js';

type RecoveryMethods =
  | 'recovery.discover'
  | 'recovery.open'
  | 'recovery.verify'
  | 'recovery.preflight'
  | 'recovery.run'
  | 'recovery.drill'
  | 'recovery.pause'
  | 'recovery.resume'
  | 'recovery.list'
  | 'recovery.report'
  | 'recovery.close';

type Storage = Awaited<ReturnType<typeof openLocation>>;
type Entry = z.input<typeof RecoveryEntry>;
type Progress = z.input<typeof JobProgress>;

interface Session {
  readonly storage: Storage;
  readonly location: string;
  opened: OpenedBackup | null;
  target: RackTarget | null;
}

export interface RecoveryHandlerDeps {
  readonly home: string;
  readonly catalog: () => Catalog;
  readonly jobs: HostJobs;
  /** How to run the lab-rack program for drills; null where it is not installed. */
  readonly labRackTool: Omit<LabRackOptions, 'home'> | null;
}

function sessionError(): never {
  throw IpcErrors.create('IPC_INVALID_REQUEST', 'This recovery session is closed or unknown.', {
    hint: 'Start again from the location step of the recovery wizard.',
  });
}

function toKey(decryption: ServiceRequestOf<'recovery.open'>['decryption']): DecryptionKey {
  return decryption.mode === 'key'
    ? { mode: 'key', key: Buffer.from(decryption.key) }
    : { mode: 'pfx', pfx: Buffer.from(decryption.pfx), password: Buffer.from(decryption.password) };
}

function wipeKey(key: DecryptionKey): void {
  if (key.mode === 'key') key.key.fill(0);
  else {
    key.pfx.fill(0);
    key.password.fill(0);
  }
}

const PHASE_STATUS = {
  pending: 'Queued',
  restoring: 'Running',
  committed: 'Succeeded',
  failed: 'Failed',
} as const;

/** The restore's progress in the contract's shape. */
function progressOf(event: Extract<RecoveryEvent, { type: 'progress' }>, phase: string): Progress {
  const rate = (r: number) => (r > 0 ? r : null);
  const { overall, components } = event.progress;
  return {
    phase,
    overall: {
      bytesDone: overall.bytesDone,
      bytesTotal: overall.bytesTotal,
      bytesPerSecond: rate(overall.rate),
      etaSeconds: overall.etaSeconds,
    },
    components: components.map((c) => ({
      component: c.component,
      status: PHASE_STATUS[c.phase],
      bytesDone: c.bytesDone,
      bytesTotal: c.bytesTotal,
      bytesPerSecond: rate(c.rate),
      etaSeconds: c.etaSeconds,
      reason: null,
    })),
  };
}

/** Feeds recovery events into a host job: phases to its log, progress to its progress. */
function relay(controls: JobControls): (event: RecoveryEvent) => void {
  let phase = 'preflight';
  return (event) => {
    if (event.type === 'phase') {
      phase = event.phase;
      controls.log('info', event.message);
    } else controls.progress(progressOf(event, phase));
  };
}

function seconds(from: string | null, to: string | null): number | null {
  if (from === null || to === null) return null;
  const span = (Date.parse(to) - Date.parse(from)) / 1000;
  return Number.isFinite(span) && span >= 0 ? span : null;
}

function reportBody(report: RecoveryReport) {
  return {
    recoveryId: report.recoveryId,
    backupId: report.backup.id,
    drill: report.kind === 'drill',
    rack: {
      url: report.rack.url,
      fingerprint: report.rack.fingerprint,
      version: report.rack.version,
    },
    operator: `${report.operator.user}@${report.operator.host}`,
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
    components: report.components.map((c) => ({
      component: c.component,
      backupDigest: c.digestAtBackup,
      restoredDigest: c.digestAfterRestore,
      match: c.match,
      bytes: c.bytes,
      seconds: seconds(c.startedAt, c.finishedAt),
    })),
    allDigestsMatch: report.result === 'proven',
    notRestored: report.notRestored,
    html: renderReportHtml(report),
  };
}

export function recoveryHandlers(deps: RecoveryHandlerDeps): Pick<Handlers, RecoveryMethods> & {
  closeAll(): Promise<void>;
} {
  const sessions = new Map<string, Session>();
  /** Host job of each recovery run started or resumed in this app, by recovery id. */
  const runJobs = new Map<string, { jobId: string; paused: boolean }>();

  const session = (id: string): Session => sessions.get(id) ?? sessionError();
  const opened = (s: Session): OpenedBackup => {
    if (s.opened === null) {
      throw IpcErrors.create('IPC_INVALID_REQUEST', 'No backup is open in this session.', {
        hint: 'Pick a backup and open it with its key first.',
      });
    }
    return s.opened;
  };
  const target = (s: Session): RackTarget => {
    if (s.target === null) {
      throw IpcErrors.create('IPC_INVALID_REQUEST', 'No target rack passed pre-flight yet.', {
        hint: 'Run the pre-flight of the target rack first.',
      });
    }
    return s.target;
  };

  async function closeSession(id: string): Promise<void> {
    const s = sessions.get(id);
    if (s === undefined) return;
    sessions.delete(id);
    s.target?.password.fill(0);
    await s.opened?.close();
  }

  /**
   * Starts a restore as a host job and resolves with its recovery id once the run is in the
   * journal; a refusal before that (pre-flight, wrong rack) rejects the call with its error.
   */
  function startRun(
    kind: 'recovery' | 'drill',
    backupId: string,
    work: (
      controls: JobControls,
      onEvent: (event: RecoveryEvent) => void,
    ) => Promise<RecoveryReport>,
    knownId: string | null,
  ): Promise<{ jobId: string; kind: 'recovery' | 'drill'; recoveryId: string }> {
    const catalog = deps.catalog();
    const before = new Set(catalog.journals.list().map((run) => run.id));
    return new Promise((resolve, reject) => {
      let settled = false;
      const registered = (jobId: string, recoveryId: string) => {
        if (settled) return;
        settled = true;
        runJobs.set(recoveryId, { jobId, paused: false });
        resolve({ jobId, kind, recoveryId });
      };
      // The job's id is known only once `start` returns; events before that wait for it.
      let jobId: string | null = null;
      const ref = deps.jobs.start(kind, backupId, async (controls) => {
        const forward = relay(controls);
        const onEvent = (event: RecoveryEvent) => {
          forward(event);
          if (jobId === null || knownId !== null || settled) return;
          const fresh = catalog.journals.list().find((run) => !before.has(run.id));
          if (fresh !== undefined) registered(jobId, fresh.id);
        };
        try {
          const report = await work(controls, onEvent);
          registered(ref.jobId, report.recoveryId);
          const proven = report.result === 'proven';
          return {
            result: { kind, recoveryId: report.recoveryId, allDigestsMatch: proven },
            status: proven ? 'succeeded' : 'failed',
          };
        } catch (error) {
          if (!settled) {
            settled = true;
            reject(error);
          }
          throw error;
        }
      });
      jobId = ref.jobId;
      if (knownId !== null) registered(ref.jobId, knownId);
    });
  }

  return {
    'recovery.discover': async ({ location, credentials }) => {
      let storage: Storage;
      try {
        storage = await openLocation(
          location.path,
          credentials === null
            ? undefined
            : {
                username: credentials.username,
                // A view, not a copy: wiping the message's bytes below wipes what was used.
                password: Buffer.from(
                  credentials.password.buffer,
                  credentials.password.byteOffset,
                  credentials.password.byteLength,
                ),
              },
        );
      } finally {
        credentials?.password.fill(0);
      }
      const backups = await discoverBackups(storage);
      const sessionId = `session-${randomUUID()}`;
      sessions.set(sessionId, { storage, location: location.path, opened: null, target: null });
      return {
        sessionId,
        location: location.path,
        backups: backups.map((b) => ({
          backupId: b.id,
          createdAt: b.createdAt,
          stampId: b.stampId,
          rackVersion: b.rackVersion,
          // The repository's label uses the contract's status names; the router checks it.
          status: b.status as 'Succeeded',
          components: Object.entries(b.components).map(([component, status]) => ({
            component: component as ComponentName,
            status: status as 'Succeeded',
          })),
          sizeBytes: b.sizeBytes,
          keyEpoch: b.keyEpoch,
          certificateThumbprint: b.certificateThumbprints[0] ?? null,
        })),
      };
    },
    'recovery.open': async ({ sessionId, backupId, decryption }) => {
      const s = session(sessionId);
      const key = toKey(decryption);
      try {
        const backup = await openBackup(s.storage, backupId, key);
        await s.opened?.close();
        s.opened = backup;
      } finally {
        wipeKey(key);
        if (decryption.mode === 'key') decryption.key.fill(0);
        else {
          decryption.pfx.fill(0);
          decryption.password.fill(0);
        }
      }
      const backup = opened(s);
      return {
        sessionId,
        backupId,
        components: backup.components.map((c) => ({
          component: c.component as ComponentName,
          sizeBytes: c.artifacts.reduce((sum, a) => sum + a.size, 0),
          digest: c.stateDigest ?? '',
        })),
      };
    },
    'recovery.verify': async ({ sessionId }) => {
      const backup = opened(session(sessionId));
      return deps.jobs.start('recovery-verify', backup.id, async (controls) => {
        const verify = {
          backupId: backup.id,
          ok: true,
          readData: true,
          damagedComponents: [] as ComponentName[],
          suggestedBackupId: null as string | null,
          problems: [] as ErrorBody[],
        };
        try {
          await verifyForRecovery(backup, { signal: controls.signal, onEvent: relay(controls) });
        } catch (error) {
          // A damaged backup is a finding, not a crash: the result names the damaged
          // components and the newest older backup that verifies, for the wizard to offer.
          if (!RecoveryErrors.is(error, 'RECOVERY_BACKUP_DAMAGED')) throw error;
          const damaged = String(error.details?.['damagedComponents'] ?? '');
          const alternative = error.details?.['alternative'];
          verify.ok = false;
          verify.damagedComponents = damaged
            .split(',')
            .filter((name): name is ComponentName =>
              (RESTORE_ORDER as readonly string[]).includes(name),
            );
          verify.suggestedBackupId = typeof alternative === 'string' ? alternative : null;
          verify.problems = [error.toBody()];
        }
        return {
          result: { kind: 'recovery-verify', verify },
          status: verify.ok ? 'succeeded' : 'failed',
        };
      });
    },
    'recovery.preflight': async ({ sessionId, target: input }, ctx) => {
      const s = session(sessionId);
      const backup = opened(s);
      const candidate: RackTarget = { ...input, password: Buffer.from(input.password) };
      input.password.fill(0);
      const result = await preflight(candidate, {
        backupVersion: backup.sourceVersion,
        components: RESTORE_ORDER,
        heal: false,
        signal: ctx.signal,
      });
      result.client?.close();
      s.target?.password.fill(0);
      s.target = candidate;
      return {
        sessionId,
        ok: result.ok,
        checks: result.checks.map((c) => ({
          check: c.check,
          ok: c.ok,
          message: c.message,
          hint: c.error?.hint ?? null,
        })),
        rackVersion: result.rackVersion,
        backupVersion: result.backupVersion,
      };
    },
    'recovery.run': async ({ sessionId, components }) => {
      const s = session(sessionId);
      const backup = opened(s);
      const rack = target(s);
      return startRun(
        'recovery',
        backup.id,
        (controls, onEvent) =>
          runRecovery({
            home: deps.home,
            catalog: deps.catalog(),
            backup,
            target: rack,
            components: components ?? undefined,
            kind: components === null ? 'recovery' : 'heal',
            signal: controls.signal,
            onEvent: onEvent,
          }),
        null,
      );
    },
    'recovery.drill': async ({ sessionId }) => {
      const backup = opened(session(sessionId));
      const tool = deps.labRackTool;
      if (tool === null) {
        throw IpcErrors.create('IPC_NOT_AVAILABLE', 'Recovery drills need the lab rack tool.', {
          hint: 'Run drills from a Lifeboat started with `npm start`, or with `lifeboat recovery drill`.',
        });
      }
      return startRun(
        'drill',
        backup.id,
        async (controls, onEvent) => {
          controls.log('info', 'Redeploying the drill lab rack empty, in recovery mode.');
          const rack = await startDrillRack({ ...tool, home: deps.home });
          const password = await readFile(rack.info.passwordFile);
          try {
            const { report } = await drill({
              home: deps.home,
              catalog: deps.catalog(),
              backup,
              target: {
                url: rack.info.url,
                fingerprint: rack.info.fingerprint,
                username: rack.info.username,
                password: Buffer.from(password.toString('utf8').trim(), 'utf8'),
              },
              signal: controls.signal,
              onEvent: onEvent,
            });
            return report;
          } finally {
            password.fill(0);
            await rack.stop();
          }
        },
        null,
      );
    },
    'recovery.pause': async ({ recoveryId }) => {
      const run = runJobs.get(recoveryId);
      if (run !== undefined) {
        run.paused = true;
        deps.jobs.stop(run.jobId, 'pause');
      }
      return await entryOf(recoveryId);
    },
    'recovery.resume': async ({ recoveryId, sessionId }) => {
      const s = session(sessionId);
      const backup = opened(s);
      const rack = target(s);
      return startRun(
        'recovery',
        backup.id,
        (controls, onEvent) =>
          resumeRecovery({
            home: deps.home,
            catalog: deps.catalog(),
            runId: recoveryId,
            backup,
            rackPassword: Buffer.from(rack.password),
            signal: controls.signal,
            onEvent: onEvent,
          }),
        recoveryId,
      );
    },
    'recovery.list': async () => {
      const ids = deps
        .catalog()
        .journals.list()
        .map((run) => run.id);
      return { recoveries: await Promise.all(ids.map(entryOf)) };
    },
    'recovery.report': async ({ recoveryId }) =>
      reportBody(await loadReport(deps.home, recoveryId)),
    'recovery.close': async ({ sessionId }) => {
      await closeSession(sessionId);
      return {};
    },
    async closeAll() {
      for (const id of [...sessions.keys()]) await closeSession(id);
    },
  };

  /** One run as the activity and recovery screens list it: journal state, report, live job. */
  async function entryOf(recoveryId: string): Promise<Entry> {
    const run = deps.catalog().journals.get(recoveryId);
    if (run === null) {
      throw IpcErrors.create('IPC_INVALID_REQUEST', `There is no recovery ${recoveryId}.`);
    }
    const reports = await listReports(deps.home);
    const report = reports.find((r) => r.recoveryId === recoveryId) ?? null;
    const live = runJobs.get(recoveryId);
    const job = live === undefined ? undefined : deps.jobs.get(live.jobId);
    const running = job !== undefined && job.job.finishedAt === null;
    const state: Entry['state'] =
      report !== null
        ? report.result === 'proven'
          ? 'completed'
          : 'failed'
        : running
          ? 'running'
          : live?.paused === true
            ? 'paused'
            : run.finished === null
              ? 'interrupted'
              : run.outcome === 'succeeded'
                ? 'completed'
                : 'failed';
    const matched = new Map(report?.components.map((c) => [c.component, c.match]) ?? []);
    return {
      recoveryId,
      backupId: run.backupId,
      rackUrl: report?.rack.url ?? run.targetRack,
      drill: report?.kind === 'drill',
      state,
      startedAt: run.started,
      finishedAt: run.finished,
      components: run.components.map((c) => {
        const match = matched.get(c.name as ComponentName);
        return {
          component: c.name as ComponentName,
          state: match === undefined ? c.state : match ? 'proven' : 'failed',
        };
      }),
    };
  }
}
