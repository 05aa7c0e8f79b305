/**
 * `lifeboat backup`: start a backup (in the background, or `--wait` in the foreground with
 * progress on standard error), list, show, verify and prune backups.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { BackupController, BackupRunResult, BackupSummary } from '../controller/index.js';
import { currentJob } from '../controller/index.js';
import { BackupErrors } from '../controller/index.js';
import { ERROR_CATEGORIES } from '../../shared/errors.js';
import { flagOption, stringOption, type CommandGroup } from './command.js';
import { withController } from './config.js';
import { CliErrors, formatBytes, printResult, type CliContext } from './io.js';

/** Documented exit code of a backup that finished PartialSucceeded (docs/cli.md). */
export const EXIT_PARTIAL = 10;

export function backupLine(b: BackupSummary): string {
  const failed = b.components.filter((c) => c.status === 'Failed').map((c) => c.component);
  return [
    b.backupId,
    b.createdAt,
    b.status.padEnd(16),
    formatBytes(b.sizeBytes ?? 0).padStart(10),
    `epoch ${b.keyEpoch ?? '-'}`,
    failed.length > 0 ? `failed: ${failed.join(',')}` : '',
  ]
    .join('  ')
    .trimEnd();
}

/** Runs the backup here, printing component results as they finish. */
async function runInForeground(ctx: CliContext, jobId: string | undefined): Promise<number> {
  return withController(ctx, async (controller) => {
    const off = followProgress(ctx, controller);
    let result: BackupRunResult;
    try {
      result = await controller.runBackup({
        signal: ctx.signal,
        trigger: 'on-demand',
        ...(jobId === undefined ? {} : { jobId }),
      });
    } finally {
      off();
    }
    const body = {
      jobId: result.jobId,
      backupId: result.backupId,
      status: result.status,
      components: result.components.map((c) => ({
        component: c.component,
        status: c.status,
        reason: c.reason,
        bytes: c.bytes,
        stateDigest: c.stateDigest,
      })),
      ...(result.error === null ? {} : { error: result.error.toBody() }),
    };
    printResult(ctx, body, () =>
      [
        `backup ${result.backupId ?? '(none)'}: ${result.status}`,
        ...(result.error === null
          ? []
          : [`error ${result.error.code}: ${result.error.message}`, `hint: ${result.error.hint}`]),
      ].join('\n'),
    );
    if (result.status === 'Succeeded') return 0;
    if (result.status === 'PartialSucceeded') return EXIT_PARTIAL;
    return result.error === null ? 1 : ERROR_CATEGORIES[result.error.category];
  });
}

function followProgress(ctx: CliContext, controller: BackupController): () => void {
  if (ctx.json) return () => undefined;
  return controller.on((event) => {
    if (event.type === 'job.log')
      ctx.stderr.write(`${event.entry.level === 'error' ? '!' : ' '} ${event.entry.message}\n`);
  });
}

/**
 * Starts the backup in a detached process of this same command (`--wait --job-id ID`) and
 * returns once that process holds the job lock, printing the job id.
 */
async function runInBackground(ctx: CliContext): Promise<number> {
  const running = currentJob(ctx.home);
  if (running !== null) {
    throw BackupErrors.create(
      'BACKUP_JOB_RUNNING',
      `Job ${running.jobId} (${running.kind}) is running.`,
      {
        details: { jobId: running.jobId },
      },
    );
  }
  const jobId = randomUUID();
  const script = process.argv[1];
  if (script === undefined)
    throw CliErrors.create(
      'CLI_USAGE',
      'Cannot locate the lifeboat program to start it in the background.',
    );
  const child = spawn(
    process.execPath,
    [
      ...process.execArgv,
      script,
      '--home',
      ctx.home,
      'backup',
      'start',
      '--wait',
      '--job-id',
      jobId,
    ],
    { detached: true, stdio: 'ignore', env: process.env },
  );
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? 1));
  child.unref();
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (currentJob(ctx.home)?.jobId === jobId) {
      printResult(
        ctx,
        { jobId, started: true },
        () => `backup job ${jobId} started; follow it with \`lifeboat backup list\`.`,
      );
      return 0;
    }
    if (exited !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw BackupErrors.create(
    'BACKUP_FAILED',
    `The backup process for job ${jobId} did not start (exit ${exited ?? 'none'}).`,
    {
      hint: 'Run `lifeboat backup start --wait` to see the error, and read the log in <home>/logs/.',
    },
  );
}

export const backupCommands: CommandGroup = {
  summary: 'run, list, show, verify and prune backups',
  commands: {
    start: {
      summary:
        'Start a backup now (refused, naming the running job, if one runs). --wait runs it here.',
      usage: '[--wait]',
      options: { wait: { type: 'boolean' }, 'job-id': { type: 'string' } },
      run: async (ctx, args) =>
        flagOption(args, 'wait')
          ? runInForeground(ctx, stringOption(args, 'job-id'))
          : runInBackground(ctx),
    },
    list: {
      summary: 'List the backups of every location, newest first.',
      usage: '[--status STATUS]',
      options: { status: { type: 'string', multiple: true } },
      run: async (ctx, args) =>
        withController(ctx, async (controller) => {
          const statuses = args.values['status'];
          const backups = controller.listBackups(
            Array.isArray(statuses) ? { statuses: statuses.map(String) } : {},
          );
          printResult(ctx, backups, () =>
            backups.length === 0 ? 'No backups.' : backups.map(backupLine).join('\n'),
          );
          return 0;
        }),
    },
    show: {
      summary: 'Show one backup: per-component status, reason, size and state digest.',
      usage: 'ID',
      options: {},
      run: async (ctx, args) => {
        const id = args.positionals[0];
        if (id === undefined) throw CliErrors.create('CLI_USAGE', 'Give the backup id.');
        return withController(ctx, async (controller) => {
          const detail = await controller.getBackup(id);
          printResult(ctx, detail, () =>
            [
              backupLine(detail.summary),
              `rack ${detail.rack.url ?? '?'} stamp ${detail.rack.stampId ?? '?'} version ${detail.rack.version ?? '?'}`,
              ...detail.components.map(
                (c) =>
                  `  ${c.component.padEnd(11)} ${c.status.padEnd(10)} ${formatBytes(c.sizeBytes ?? 0).padStart(10)}  ${c.digest ?? ''}${c.reason ? `  ${c.reason}` : ''}`,
              ),
              ...detail.problems.map((p) => `problem ${p.code}: ${p.message}`),
            ].join('\n'),
          );
          return 0;
        });
      },
    },
    verify: {
      summary: 'Verify a backup: structure, or every byte with --read-data.',
      usage: 'ID [--read-data]',
      options: { 'read-data': { type: 'boolean' } },
      run: async (ctx, args) => {
        const id = args.positionals[0];
        if (id === undefined) throw CliErrors.create('CLI_USAGE', 'Give the backup id.');
        return withController(ctx, async (controller) => {
          const result = await controller.verifyBackup(id, {
            readData: flagOption(args, 'read-data'),
            signal: ctx.signal,
          });
          printResult(ctx, result, () =>
            result.ok
              ? `backup ${id} verified${result.readData ? ' (every byte read)' : ''}.`
              : [
                  `backup ${id} is DAMAGED: ${result.damagedComponents.join(', ')}`,
                  ...result.problems.map((p) => `  ${p.message}`),
                  result.suggestedBackupId === null
                    ? ''
                    : `newest older backup that verifies: ${result.suggestedBackupId}`,
                ].join('\n'),
          );
          return result.ok ? 0 : ERROR_CATEGORIES.damaged;
        });
      },
    },
    prune: {
      summary:
        'Delete backups older than the retention (never the newest Succeeded). Asks for --yes.',
      usage: '[--dry-run] [--yes]',
      options: { 'dry-run': { type: 'boolean' }, yes: { type: 'boolean' } },
      run: async (ctx, args) =>
        withController(ctx, async (controller) => {
          const preview = controller.previewPrune();
          const ids = preview.wouldDelete.map((b) => b.backupId);
          const dryRun = flagOption(args, 'dry-run');
          if (!dryRun && ids.length > 0 && !flagOption(args, 'yes')) {
            printResult(
              ctx,
              { dryRun: true, wouldDelete: ids, keptNewestSucceeded: preview.keptNewestSucceeded },
              () =>
                [
                  `Retention of ${preview.retentionDays} days would delete:`,
                  ...preview.wouldDelete.map(backupLine),
                  'Run again with --yes to delete them.',
                ].join('\n'),
            );
            return ERROR_CATEGORIES.refused;
          }
          const outcome = await controller.prune({ confirmBackupIds: ids, dryRun });
          printResult(ctx, { ...outcome, keptNewestSucceeded: preview.keptNewestSucceeded }, () =>
            outcome.deleted.length === 0
              ? 'Nothing to delete.'
              : `${dryRun ? 'Would delete' : 'Deleted'} ${outcome.deleted.length} backup(s): ${outcome.deleted.join(', ')}${dryRun ? '' : `; ${formatBytes(outcome.bytesFreed)} freed`}`,
          );
          return 0;
        }),
    },
  },
};
