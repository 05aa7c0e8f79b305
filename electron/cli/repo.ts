/**
 * `lifeboat repo …`: the repository engine for field engineers and scripts. Keys and passwords
 * come only from files or standard input ("-"); results print as text or, with --json, as JSON.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  backupDirectory,
  encodeOperatorKey,
  generateOperatorKey,
  initRepository,
  isInsideRepository,
  listBackupsWithoutKey,
  openRepository,
  parseOperatorKey,
  restoreBackup,
  type BackupSummary,
  type InitResult,
  type KeyMaterial,
  type KeyWrapping,
  type Repository,
} from '../repository/index.js';
import { openFileStorage, type Storage } from '../storage/index.js';
import {
  flagOption,
  stringOption,
  type Command,
  type CommandGroup,
  type OptionSpec,
  type ParsedArgs,
} from './command.js';
import { CliErrors, formatBytes, printResult, readSecret, type CliContext } from './io.js';

const REPO: OptionSpec = { repo: { type: 'string' } };
const KEYS: OptionSpec = {
  'key-file': { type: 'string' },
  pfx: { type: 'string' },
  'password-file': { type: 'string' },
  'master-key-file': { type: 'string' },
};
const NEW_KEY: OptionSpec = {
  'generate-key': { type: 'string' },
  'new-key-file': { type: 'string' },
  cert: { type: 'string' },
  'save-master-key': { type: 'string' },
};

function repoPath(args: ParsedArgs): string {
  const path = stringOption(args, 'repo');
  if (path === undefined) throw CliErrors.create('CLI_USAGE', '--repo PATH is required.');
  return resolve(path);
}

async function storageOf(args: ParsedArgs, create = false): Promise<Storage> {
  return openFileStorage(repoPath(args), { create });
}

/** The key material given on the command line (one or more of: operator key, pfx, master key). */
async function keyMaterials(ctx: CliContext, args: ParsedArgs): Promise<KeyMaterial[]> {
  const materials: KeyMaterial[] = [];
  const keyFile = stringOption(args, 'key-file');
  if (keyFile !== undefined)
    materials.push({
      operatorKey: parseOperatorKey(await readSecret(ctx, keyFile, 'operator key')),
    });
  const pfx = stringOption(args, 'pfx');
  if (pfx !== undefined) {
    const password = await readSecret(ctx, stringOption(args, 'password-file'), '.pfx password');
    materials.push({ pfx: await readFile(pfx).catch(() => failRead(pfx)), password });
  }
  const masterFile = stringOption(args, 'master-key-file');
  if (masterFile !== undefined)
    materials.push(parseMasterKeyFile(await readSecret(ctx, masterFile, 'master key file')));
  if (materials.length === 0) {
    throw CliErrors.create(
      'CLI_USAGE',
      'A key is needed: --key-file FILE, --pfx FILE --password-file FILE, or --master-key-file FILE.',
    );
  }
  return materials;
}

function failRead(path: string): never {
  throw CliErrors.create('CLI_SECRET_SOURCE', `${path} cannot be read.`);
}

/** The file certificate mode keeps so this workstation can keep writing: epoch and master key. */
function parseMasterKeyFile(raw: Buffer): KeyMaterial {
  try {
    const parsed = JSON.parse(raw.toString('utf8')) as { epoch?: unknown; masterKey?: unknown };
    const masterKey = Buffer.from(String(parsed.masterKey), 'base64');
    if (Number.isSafeInteger(parsed.epoch) && masterKey.length === 32)
      return { epoch: parsed.epoch as number, masterKey };
  } catch {
    // fall through to the typed error
  }
  throw CliErrors.create(
    'CLI_SECRET_SOURCE',
    'The master key file is not one Lifeboat wrote (epoch and masterKey).',
  );
}

async function writeSecretFile(path: string, content: Buffer): Promise<void> {
  await mkdir(dirname(resolve(path)), { recursive: true });
  await writeFile(path, content, { mode: 0o600, flag: 'wx' }).catch((error: unknown) => {
    const exists = (error as NodeJS.ErrnoException).code === 'EEXIST';
    throw CliErrors.create(
      'CLI_SECRET_SOURCE',
      exists
        ? `${path} already exists; refusing to overwrite a key.`
        : `${path} cannot be written.`,
    );
  });
  await chmod(path, 0o600);
}

/** A new epoch's wrapping from --generate-key / --new-key-file / --cert (generating keys as asked). */
async function newWrapping(
  ctx: CliContext,
  args: ParsedArgs,
  keyFileOption: string,
): Promise<KeyWrapping> {
  const generate = stringOption(args, 'generate-key');
  const given = stringOption(args, keyFileOption);
  const cert = stringOption(args, 'cert');
  let operatorKey: Buffer | undefined;
  if (generate !== undefined) {
    operatorKey = generateOperatorKey();
    await writeSecretFile(generate, encodeOperatorKey(operatorKey));
  } else if (given !== undefined) {
    operatorKey = parseOperatorKey(await readSecret(ctx, given, 'operator key'));
  }
  const certificate =
    cert === undefined ? undefined : await readFile(cert).catch(() => failRead(cert));
  if (operatorKey === undefined && certificate === undefined) {
    throw CliErrors.create(
      'CLI_USAGE',
      `Give --generate-key FILE, --${keyFileOption} FILE or --cert FILE.cer.`,
    );
  }
  return { ...(operatorKey ? { operatorKey } : {}), ...(certificate ? { certificate } : {}) };
}

/** In certificate mode the master key must be kept, or this workstation cannot write again. */
async function saveMasterKey(
  args: ParsedArgs,
  result: InitResult,
  wrapping: KeyWrapping,
): Promise<string | undefined> {
  const path = stringOption(args, 'save-master-key');
  if (path === undefined) {
    if (wrapping.operatorKey === undefined) {
      throw CliErrors.create(
        'CLI_USAGE',
        'With only --cert, give --save-master-key FILE: writing backups needs the epoch master key.',
      );
    }
    return undefined;
  }
  const body = {
    repository: result.repositoryId,
    epoch: result.epoch,
    masterKey: result.masterKey.toString('base64'),
  };
  await writeSecretFile(path, Buffer.from(`${JSON.stringify(body)}\n`));
  return path;
}

async function withRepository<T>(
  ctx: CliContext,
  args: ParsedArgs,
  run: (repo: Repository) => Promise<T>,
): Promise<T> {
  const repo = await openRepository(await storageOf(args), await keyMaterials(ctx, args), {
    cacheFolder: join(ctx.home, 'cache'),
  });
  try {
    return await run(repo);
  } finally {
    await repo.close();
  }
}

function summaryLine(b: BackupSummary): string {
  const failed = Object.entries(b.components)
    .filter(([, status]) => status !== 'Succeeded')
    .map(([name, status]) => `${name}=${status}`);
  return `${b.id}  ${b.created}  ${b.status.padEnd(16)} ${b.source.id} ${b.source.version}  ${formatBytes(b.size)}  epoch ${b.epoch}${failed.length ? `  (${failed.join(', ')})` : ''}`;
}

function numberOption(args: ParsedArgs, name: string): number | undefined {
  const raw = stringOption(args, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw CliErrors.create('CLI_USAGE', `--${name} needs a number of 0 or more.`);
  return value;
}

const init: Command = {
  summary:
    'Create a repository at an empty location, encrypted with a new operator key or a certificate.',
  usage:
    '--repo PATH (--generate-key FILE | --key-file FILE | --cert FILE.cer --save-master-key FILE)',
  options: { ...REPO, ...NEW_KEY, 'key-file': { type: 'string' } },
  async run(ctx, args) {
    const path = repoPath(args);
    const outer = await isInsideRepository(dirname(path));
    if (outer !== undefined)
      throw CliErrors.create('CLI_USAGE', `${path} lies inside the repository at ${outer}.`);
    const wrapping = await newWrapping(ctx, args, 'key-file');
    const result = await initRepository(await storageOf(args, true), { wrapping });
    const saved = await saveMasterKey(args, result, wrapping);
    printResult(
      ctx,
      { repository: result.repositoryId, epoch: result.epoch, path, masterKeyFile: saved ?? null },
      () =>
        [
          `Created repository ${result.repositoryId} at ${path} (key epoch 1).`,
          stringOption(args, 'generate-key')
            ? `Operator key written to ${stringOption(args, 'generate-key')}: keep it safe and offline; without it no backup can be read.`
            : '',
        ]
          .filter(Boolean)
          .join('\n'),
    );
    return 0;
  },
};

const backup: Command = {
  summary: 'Back up a folder (one component of files); prints the backup id.',
  usage: '--repo PATH KEY DIR [--component NAME] [--wait SECONDS]',
  options: { ...REPO, ...KEYS, component: { type: 'string' }, wait: { type: 'string' } },
  async run(ctx, args) {
    const dir = args.positionals[0];
    if (dir === undefined) throw CliErrors.create('CLI_USAGE', 'Name the folder to back up.');
    const wait = numberOption(args, 'wait');
    const component = stringOption(args, 'component');
    const manifest = await withRepository(ctx, args, (repo) =>
      backupDirectory(repo, dir, {
        signal: ctx.signal,
        ...(component ? { component } : {}),
        ...(wait !== undefined ? { lockWaitMs: wait * 1000 } : {}),
      }),
    );
    const { id, status, size, storedBytes, durationMs } = manifest;
    printResult(
      ctx,
      {
        id,
        status,
        size,
        storedBytes,
        durationMs,
        components: manifest.components.map((c) => ({
          name: c.name,
          status: c.status,
          reason: c.reason ?? null,
        })),
      },
      () => id,
    );
    return status === 'Succeeded' ? 0 : 3;
  },
};

const list: Command = {
  summary: 'List backups; without a key shows the plaintext labels, with one verifies them.',
  usage: '--repo PATH [KEY]',
  options: { ...REPO, ...KEYS },
  async run(ctx, args) {
    const hasKey = ['key-file', 'pfx', 'master-key-file'].some(
      (name) => stringOption(args, name) !== undefined,
    );
    const backups = hasKey
      ? await withRepository(ctx, args, (repo) => repo.listBackups())
      : await listBackupsWithoutKey(await storageOf(args));
    printResult(ctx, backups, () =>
      backups.length === 0 ? 'No backups.' : backups.map(summaryLine).join('\n'),
    );
    return 0;
  },
};

const restore: Command = {
  summary: 'Restore a backup into an empty folder, verifying every chunk and file.',
  usage: 'ID --repo PATH KEY --to DIR [--component NAME]',
  options: { ...REPO, ...KEYS, to: { type: 'string' }, component: { type: 'string' } },
  async run(ctx, args) {
    const id = args.positionals[0];
    const to = stringOption(args, 'to');
    if (id === undefined || to === undefined)
      throw CliErrors.create('CLI_USAGE', 'Give the backup id and --to DIR.');
    const component = stringOption(args, 'component');
    const restored = await withRepository(ctx, args, (repo) =>
      restoreBackup(repo, id, to, { signal: ctx.signal, ...(component ? { component } : {}) }),
    );
    printResult(
      ctx,
      { id, to: resolve(to), files: restored.files, size: restored.bytes },
      () =>
        `Restored ${id} (${restored.files} files, ${formatBytes(restored.bytes)}) to ${resolve(to)}.`,
    );
    return 0;
  },
};

async function cursorFile(ctx: CliContext, repo: Repository): Promise<string> {
  const folder = join(ctx.home, 'check-cursors');
  await mkdir(folder, { recursive: true });
  return join(folder, repo.id);
}

const check: Command = {
  summary:
    'Check the repository; --read-data verifies every blob, --read-data-subset a rolling fraction.',
  usage: '--repo PATH KEY [--read-data | --read-data-subset FRACTION]',
  options: {
    ...REPO,
    ...KEYS,
    'read-data': { type: 'boolean' },
    'read-data-subset': { type: 'string' },
  },
  async run(ctx, args) {
    const fraction = numberOption(args, 'read-data-subset');
    const report = await withRepository(ctx, args, async (repo) => {
      if (fraction === undefined)
        return repo.check({ readData: flagOption(args, 'read-data'), signal: ctx.signal });
      const file = await cursorFile(ctx, repo);
      const cursor = (await readFile(file, 'utf8').catch(() => '')).trim();
      const result = await repo.check({
        readData: { fraction, ...(cursor ? { cursor } : {}) },
        signal: ctx.signal,
      });
      if (result.nextCursor !== undefined) await writeFile(file, `${result.nextCursor}\n`);
      return result;
    });
    printResult(ctx, report, () => {
      const lines = [
        `${report.ok ? 'No damage found' : `DAMAGED: ${report.damagedBackups.length} backup(s)`}; ${report.backupsChecked} backup(s) checked, ${report.packsRead} pack(s) and ${report.blobsRead} blob(s) read.`,
      ];
      for (const d of report.damage)
        lines.push(
          `  ${d.object}: ${d.problem}: ${d.detail} (backups: ${d.backups.join(', ') || 'none'})`,
        );
      if (report.unindexedPacks > 0)
        lines.push(
          `  ${report.unindexedPacks} unindexed pack(s) from interrupted backups; prune reclaims them.`,
        );
      for (const warning of report.warnings) lines.push(`  warning: ${warning}`);
      return lines.join('\n');
    });
    return report.ok ? 0 : 3;
  },
};

const forget: Command = {
  summary: 'Remove backups outside retention (never the newest good one); --prune reclaims space.',
  usage: '--repo PATH KEY [--keep-last N] [--keep-within-days N] [--dry-run] [--prune]',
  options: {
    ...REPO,
    ...KEYS,
    'keep-last': { type: 'string' },
    'keep-within-days': { type: 'string' },
    'dry-run': { type: 'boolean' },
    prune: { type: 'boolean' },
  },
  async run(ctx, args) {
    const keepLast = numberOption(args, 'keep-last');
    const keepWithinDays = numberOption(args, 'keep-within-days');
    const dryRun = flagOption(args, 'dry-run');
    const result = await withRepository(ctx, args, async (repo) => {
      const forgotten = await repo.forget(
        {
          ...(keepLast !== undefined ? { keepLast } : {}),
          ...(keepWithinDays !== undefined ? { keepWithinDays } : {}),
        },
        { dryRun },
      );
      const pruned = flagOption(args, 'prune') ? await repo.prune({ dryRun }) : undefined;
      return { ...forgotten, prune: pruned ?? null };
    });
    printResult(ctx, result, () =>
      [
        `${dryRun ? 'Would remove' : 'Removed'} ${result.removed.length} backup(s), keeping ${result.kept.length}.`,
        ...result.removed.map((b) => `  - ${summaryLine(b)}`),
        result.prune
          ? `${dryRun ? 'Would free' : 'Freed'} ${formatBytes(result.prune.bytesFreed)} (${result.prune.packsDeleted} pack(s)).`
          : '',
      ]
        .filter(Boolean)
        .join('\n'),
    );
    return 0;
  },
};

const prune: Command = {
  summary:
    'Delete data no backup references (exclusive lock); --dry-run reports the bytes it would free.',
  usage: '--repo PATH KEY [--dry-run]',
  options: { ...REPO, ...KEYS, 'dry-run': { type: 'boolean' } },
  async run(ctx, args) {
    const dryRun = flagOption(args, 'dry-run');
    const result = await withRepository(ctx, args, (repo) => repo.prune({ dryRun }));
    printResult(
      ctx,
      result,
      () =>
        `${dryRun ? 'Would delete' : 'Deleted'} ${result.packsDeleted} pack(s), ${dryRun ? 'freeing' : 'freed'} ${formatBytes(result.bytesFreed)}; ${result.packsKept} pack(s) (${formatBytes(result.bytesKept)}) kept.`,
    );
    return 0;
  },
};

const key: Command = {
  summary:
    'Key epochs: `key list`, `key add` (another key for the current epoch), `key rotate` (a new epoch).',
  usage:
    '(list | add | rotate) --repo PATH KEY [--generate-key FILE | --new-key-file FILE | --cert FILE.cer] [--save-master-key FILE]',
  options: { ...REPO, ...KEYS, ...NEW_KEY },
  async run(ctx, args) {
    const action = args.positionals[0];
    if (action === 'list') {
      const usage = await withRepository(ctx, args, (repo) => repo.keyUsage());
      printResult(ctx, usage, () =>
        usage
          .map(
            (e) =>
              `epoch ${e.epoch}${e.current ? ' (current)' : ''}: ${e.backups.length} backup(s); keys: ${e.keys.map((k) => `${k.kind} ${k.keyId}`).join(', ')}`,
          )
          .join('\n'),
      );
      return 0;
    }
    if (action !== 'add' && action !== 'rotate')
      throw CliErrors.create('CLI_USAGE', 'Use `key list`, `key add` or `key rotate`.');
    const result = await withRepository(ctx, args, async (repo) => {
      const wrapping = await newWrapping(ctx, args, 'new-key-file');
      if (action === 'add')
        return {
          epoch: repo.currentEpoch,
          added: await repo.addKey(wrapping),
          masterKeyFile: null,
        };
      const rotated = await repo.rotateKey(wrapping);
      return {
        epoch: rotated.epoch,
        added: [],
        masterKeyFile: (await saveMasterKey(args, rotated, wrapping)) ?? null,
      };
    });
    printResult(ctx, result, () =>
      action === 'add'
        ? `Added ${result.added.length} key(s) to epoch ${result.epoch}.`
        : `Started key epoch ${result.epoch}; new backups use it, older ones keep their key.`,
    );
    return 0;
  },
};

export const repoCommands: CommandGroup = {
  summary: 'the encrypted backup repository at a storage location',
  commands: { init, backup, list, restore, check, forget, prune, key },
};
