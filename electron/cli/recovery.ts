/**
 * `lifeboat recovery`: cloud recovery from the command line, over the same services the
 * recovery wizard calls (electron/recovery/). Thin: parse, read secrets from files or standard
 * input, call, print. Progress goes to standard error so `--json` output stays one document.
 */
import { writeFile } from 'node:fs/promises';
import { openCatalog, type Catalog } from '../catalog/index.js';
import {
  buildKitFromCatalog,
  discoverBackups,
  drillRecovery,
  loadReport,
  openBackup,
  openLocation,
  parseComponentId,
  renderKitHtml,
  RecoveryErrors,
  renderReportHtml,
  resumeRecovery,
  runRecovery,
  unfinishedRecoveries,
  verifyForRecovery,
  type DecryptionKey,
  type DiscoveredBackup,
  type OpenedBackup,
  type RackTarget,
  type RecoveryEvent,
  type RecoveryReport,
  type RunOptions,
} from '../recovery/index.js';
import { flagOption, stringOption, type CommandGroup, type ParsedArgs } from './command.js';
import {
  CliErrors,
  formatBytes,
  printResult,
  readSecret,
  STORAGE_CREDENTIAL_OPTIONS,
  storageCredentialsFromArgs,
  type CliContext,
} from './io.js';

const KEY_OPTIONS = {
  key: { type: 'string' },
  pfx: { type: 'string' },
  'pfx-password': { type: 'string' },
} as const;
/** A location, and the credentials of its share when it is a UNC path. */
const LOCATION_USAGE = '--location PATH [--storage-user NAME --storage-password FILE|-]';
const LOCATION_OPTION = { location: { type: 'string' }, ...STORAGE_CREDENTIAL_OPTIONS } as const;
const RACK_OPTIONS = {
  rack: { type: 'string' },
  fingerprint: { type: 'string' },
  username: { type: 'string' },
  'password-file': { type: 'string' },
  retries: { type: 'string' },
} as const;
const KEY_USAGE = '(--key FILE | --pfx FILE --pfx-password FILE)';
const RACK_USAGE = '--rack URL --fingerprint FP --username USER --password-file FILE [--retries N]';

function required(args: ParsedArgs, name: string): string {
  const value = stringOption(args, name);
  if (value === undefined || value === '') {
    throw CliErrors.create('CLI_USAGE', `--${name} is required.`);
  }
  return value;
}

function backupIdArgument(args: ParsedArgs): string {
  const [id, extra] = args.positionals;
  if (id === undefined || extra !== undefined) {
    throw CliErrors.create('CLI_USAGE', 'Give exactly one backup id.');
  }
  return id;
}

/** The decryption key: an operator key file, or a .pfx file and its password. */
async function decryptionKey(ctx: CliContext, args: ParsedArgs): Promise<DecryptionKey> {
  const keySource = stringOption(args, 'key');
  const pfxSource = stringOption(args, 'pfx');
  if ((keySource === undefined) === (pfxSource === undefined)) {
    throw CliErrors.create(
      'CLI_USAGE',
      'Give either --key FILE or --pfx FILE with --pfx-password FILE.',
    );
  }
  if (keySource !== undefined) {
    return { mode: 'key', key: await readSecret(ctx, keySource, 'operator key') };
  }
  return {
    mode: 'pfx',
    pfx: await readSecret(ctx, pfxSource, '.pfx file'),
    password: await readSecret(ctx, stringOption(args, 'pfx-password'), '.pfx password'),
  };
}

function rackTarget(args: ParsedArgs, password: Buffer): RackTarget {
  return {
    url: required(args, 'rack'),
    fingerprint: required(args, 'fingerprint'),
    username: required(args, 'username'),
    password,
  };
}

function retries(args: ParsedArgs): number | undefined {
  const text = stringOption(args, 'retries');
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 20) {
    throw CliErrors.create('CLI_USAGE', '--retries is a whole number from 0 to 20.');
  }
  return value;
}

function components(args: ParsedArgs) {
  const raw = args.values['component'];
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.length === 0 ? undefined : list.map((value) => parseComponentId(String(value)));
}

async function withCatalog<T>(ctx: CliContext, run: (catalog: Catalog) => Promise<T>): Promise<T> {
  const catalog = openCatalog({ home: ctx.home });
  try {
    return await run(catalog);
  } finally {
    catalog.close();
  }
}

/** Opens `--location`, connecting a UNC share with `--storage-user`/`--storage-password` if given. */
async function openLocationOf(ctx: CliContext, args: ParsedArgs, location: string) {
  const credentials = await storageCredentialsFromArgs(ctx, args);
  try {
    return await openLocation(location, credentials ?? undefined);
  } finally {
    credentials?.password.fill(0);
  }
}

async function withBackup<T>(
  ctx: CliContext,
  args: ParsedArgs,
  location: string,
  backupId: string,
  key: DecryptionKey,
  run: (backup: OpenedBackup) => Promise<T>,
): Promise<T> {
  const storage = await openLocationOf(ctx, args, location);
  const backup = await openBackup(storage, backupId, key);
  wipe(key);
  try {
    return await run(backup);
  } finally {
    await backup.close();
  }
}

/**
 * What `run` and `drill` share: the rack password read once and wiped whatever happens, the
 * catalog and the backup opened for the restore, progress on standard error, the whole backup
 * read before the rack is written, then the report printed and its exit code returned.
 */
async function restoreIntoRack(
  ctx: CliContext,
  args: ParsedArgs,
  backupId: string,
  key: DecryptionKey,
  restore: (options: Omit<RunOptions, 'kind' | 'components'>) => Promise<RecoveryReport>,
): Promise<number> {
  const password = await readSecret(ctx, stringOption(args, 'password-file'), 'rack password');
  const report = await withCatalog(ctx, (catalog) =>
    withBackup(ctx, args, required(args, 'location'), backupId, key, (backup) =>
      restore({
        home: ctx.home,
        catalog,
        backup,
        target: rackTarget(args, password),
        signal: ctx.signal,
        retries: retries(args),
        onEvent: progressPrinter(ctx),
        beforeRestore: () => verifyBeforeRestore(ctx, backup),
      }),
    ),
  ).finally(() => password.fill(0));
  printResult(ctx, report, () => describeReport(report));
  return exitFor(report);
}

function wipe(key: DecryptionKey): void {
  if (key.mode === 'key') key.key.fill(0);
  else {
    key.pfx.fill(0);
    key.password.fill(0);
  }
}

/** Human progress on standard error: phases, and one line per component as it advances. */
function progressPrinter(ctx: CliContext): (event: RecoveryEvent) => void {
  let lastLine = '';
  return (event) => {
    if (ctx.json) return;
    if (event.type === 'phase') {
      ctx.stderr.write(`${event.message}\n`);
      return;
    }
    const { overall, current } = event.progress;
    const component = event.progress.components.find((entry) => entry.component === current);
    const eta =
      overall.etaSeconds === null ? '' : `, about ${Math.ceil(overall.etaSeconds)} s left`;
    const line = component
      ? `  ${component.component}: ${formatBytes(component.bytesDone)} of ${formatBytes(component.bytesTotal)}; overall ${formatBytes(overall.bytesDone)} of ${formatBytes(overall.bytesTotal)} at ${formatBytes(overall.rate)}/s${eta}`
      : '';
    if (line !== '' && line !== lastLine) ctx.stderr.write(`${line}\n`);
    lastLine = line;
  };
}

/** A run verifies the backup once the rack passed pre-flight, before writing anything to it. */
async function verifyBeforeRestore(ctx: CliContext, backup: OpenedBackup): Promise<void> {
  await verifyForRecovery(backup, { signal: ctx.signal, onEvent: progressPrinter(ctx) });
}

function describeBackups(backups: readonly DiscoveredBackup[]): string {
  if (backups.length === 0) return 'No backups at this location.';
  return backups
    .map((backup) => {
      const failed = Object.entries(backup.components)
        .filter(([, status]) => status !== 'Succeeded')
        .map(([name, status]) => `${name} ${status}`);
      return [
        `${backup.id}  ${backup.createdAt}  ${backup.status}`,
        `    rack ${backup.stampId} version ${backup.rackVersion}, ${formatBytes(backup.sizeBytes)}, needs ${backup.keyReference}`,
        failed.length > 0 ? `    not succeeded: ${failed.join(', ')}` : '',
      ]
        .filter((line) => line !== '')
        .join('\n');
    })
    .join('\n');
}

function describeReport(report: RecoveryReport): string {
  const lines = [
    `Recovery ${report.recoveryId} (${report.kind}): ${report.result === 'proven' ? 'PROVEN, every digest matches' : 'NOT PROVEN, digests differ'}`,
    `  backup ${report.backup.id} (${report.backup.sourceId} ${report.backup.sourceVersion}) into ${report.rack.url} (${report.rack.stampId} ${report.rack.version})`,
  ];
  for (const entry of report.components) {
    lines.push(
      `  ${entry.match ? 'equal    ' : 'DIFFERENT'} ${entry.component.padEnd(10)} ${entry.digestAtBackup}${entry.match ? '' : ` != ${entry.digestAfterRestore ?? 'none'}`}`,
    );
  }
  lines.push(`  not restored, by design: ${report.notRestored.join('; ')}`);
  return lines.join('\n');
}

function exitFor(report: RecoveryReport): number {
  return report.result === 'proven' ? 0 : 3;
}

export const recoveryCommands: CommandGroup = {
  summary:
    'Cloud recovery: find a backup, verify it, restore it into a redeployed rack and prove it.',
  commands: {
    discover: {
      summary: 'List the backups at a location without any key.',
      usage: LOCATION_USAGE,
      options: { ...LOCATION_OPTION },
      async run(ctx, args) {
        const storage = await openLocationOf(ctx, args, required(args, 'location'));
        const backups = await discoverBackups(storage);
        printResult(ctx, { location: storage.location, backups }, () => describeBackups(backups));
        return 0;
      },
    },
    verify: {
      summary: 'Open a backup with its key and read everything it references.',
      usage: `ID ${LOCATION_USAGE} ${KEY_USAGE}`,
      options: { ...LOCATION_OPTION, ...KEY_OPTIONS },
      async run(ctx, args) {
        const id = backupIdArgument(args);
        const key = await decryptionKey(ctx, args);
        const result = await withBackup(ctx, args, required(args, 'location'), id, key, (backup) =>
          verifyForRecovery(backup, { signal: ctx.signal }),
        );
        printResult(ctx, result, () => `Backup ${id} verified: every component can be restored.`);
        return 0;
      },
    },
    run: {
      summary:
        'Restore a backup into a rack in recovery mode (or heal components with --heal) and prove it.',
      usage: `ID ${LOCATION_USAGE} ${KEY_USAGE} ${RACK_USAGE} [--component C]... [--heal]`,
      options: {
        ...LOCATION_OPTION,
        ...KEY_OPTIONS,
        ...RACK_OPTIONS,
        component: { type: 'string', multiple: true },
        heal: { type: 'boolean' },
      },
      async run(ctx, args) {
        const id = backupIdArgument(args);
        const only = components(args);
        if (flagOption(args, 'heal') && only === undefined) {
          throw CliErrors.create('CLI_USAGE', '--heal needs the --component(s) to heal.');
        }
        const key = await decryptionKey(ctx, args);
        return await restoreIntoRack(ctx, args, id, key, (options) =>
          runRecovery({
            ...options,
            components: only,
            kind: flagOption(args, 'heal') ? 'heal' : 'recovery',
          }),
        );
      },
    },
    resume: {
      summary: 'Continue the unfinished recovery of this profile from where it stopped.',
      usage: `[--id RECOVERY] ${KEY_USAGE} --password-file FILE [--retries N] [--storage-user NAME --storage-password FILE|-]`,
      options: {
        id: { type: 'string' },
        ...KEY_OPTIONS,
        ...STORAGE_CREDENTIAL_OPTIONS,
        'password-file': { type: 'string' },
        retries: { type: 'string' },
      },
      async run(ctx, args) {
        const report = await withCatalog(ctx, async (catalog) => {
          const unfinished = await unfinishedRecoveries(ctx.home, catalog);
          const wanted = stringOption(args, 'id');
          const chosen = unfinished.find(
            (entry) => wanted === undefined || entry.context.runId === wanted,
          );
          if (chosen === undefined) {
            throw RecoveryErrors.create(
              'RECOVERY_NOTHING_TO_RESUME',
              wanted === undefined
                ? 'There is no unfinished recovery in this profile.'
                : `Recovery ${wanted} is not an unfinished recovery of this profile.`,
            );
          }
          const key = await decryptionKey(ctx, args);
          const password = await readSecret(
            ctx,
            stringOption(args, 'password-file'),
            'rack password',
          );
          try {
            return await withBackup(
              ctx,
              args,
              chosen.context.location,
              chosen.context.backupId,
              key,
              (backup) =>
                resumeRecovery({
                  home: ctx.home,
                  catalog,
                  runId: chosen.context.runId,
                  backup,
                  rackPassword: password,
                  signal: ctx.signal,
                  retries: retries(args),
                  onEvent: progressPrinter(ctx),
                }),
            );
          } finally {
            password.fill(0);
          }
        });
        printResult(ctx, report, () => describeReport(report));
        return exitFor(report);
      },
    },
    report: {
      summary: 'Show the latest (or a given) recovery report; write it as printable HTML.',
      usage: '[--id RECOVERY] [--html FILE]',
      options: { id: { type: 'string' }, html: { type: 'string' } },
      async run(ctx, args) {
        const report = await loadReport(ctx.home, stringOption(args, 'id'));
        const htmlFile = stringOption(args, 'html');
        if (htmlFile !== undefined)
          await writeFile(htmlFile, renderReportHtml(report), { mode: 0o644 });
        printResult(
          ctx,
          report,
          () => `${describeReport(report)}${htmlFile ? `\nWrote ${htmlFile}` : ''}`,
        );
        return exitFor(report);
      },
    },
    drill: {
      summary:
        'Recovery drill: restore a backup into a lab rack, prove it, and mark the backup proven.',
      usage: `ID ${LOCATION_USAGE} ${KEY_USAGE} ${RACK_USAGE}`,
      options: { ...LOCATION_OPTION, ...KEY_OPTIONS, ...RACK_OPTIONS },
      async run(ctx, args) {
        const id = backupIdArgument(args);
        const key = await decryptionKey(ctx, args);
        return await restoreIntoRack(ctx, args, id, key, drillRecovery);
      },
    },
    kit: {
      summary: 'Write the printable recovery kit of the configured rack (no secrets in it).',
      usage: '--html FILE',
      options: { html: { type: 'string' } },
      async run(ctx, args) {
        const file = required(args, 'html');
        const kit = await withCatalog(ctx, async (catalog) => buildKitFromCatalog(catalog));
        await writeFile(file, renderKitHtml(kit), { mode: 0o644 });
        printResult(
          ctx,
          kit,
          () =>
            `Wrote the recovery kit of ${kit.rack.stampId} to ${file}. Print it and keep it with the offline key.`,
        );
        return 0;
      },
    },
  },
};
