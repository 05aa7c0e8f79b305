/**
 * Benchmark section "repository": Lifeboat's repository engine against restic and BorgBackup on
 * the same deterministic mixed dataset, in the same run. Phases: first backup, unchanged
 * re-backup, re-backup after ~5% changed, restore, check with full read. Prints wall time, MB/s,
 * bytes written to the repository, peak RSS, the ratios to each peer and the targets.
 *
 *     npm run bench -- --only repository --size 256MiB
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { generateDataset, mutateDataset } from './dataset.js';
import { compiledBuild, folderBytes, measure, mib, MiB, table } from './framework.js';
import { ENGINE_V8_FLAGS } from '../electron/repository/heap.js';

const PHASES = [
  'first backup',
  'unchanged re-backup',
  're-backup after 5% change',
  'restore',
  'check (full read)',
] as const;
type Phase = (typeof PHASES)[number];

interface Result {
  readonly seconds: number;
  readonly written: number;
  readonly maxRss: number;
}

interface Tool {
  readonly name: string;
  init(): Promise<void>;
  backup(label: string): Promise<Result>;
  restore(to: string): Promise<Result>;
  check(): Promise<Result>;
}

export interface RepositoryBenchOptions {
  /** Dataset size in bytes (default 2 GiB). */
  readonly size?: number;
}

const ROOT = new URL('..', import.meta.url).pathname;
const PASSWORD = 'lifeboat benchmark password';

function available(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

async function written(
  repo: string,
  run: () => Promise<{ seconds: number; maxRss: number }>,
): Promise<Result> {
  const before = await folderBytes(repo);
  const measured = await run();
  return {
    seconds: measured.seconds,
    maxRss: measured.maxRss,
    written: (await folderBytes(repo)) - before,
  };
}

/**
 * The compiled CLI (see compiledBuild), or the sources through tsx, under the heap settings its
 * launcher (bin/lifeboat.js) gives node.
 */
function compiledCli(): string[] {
  const build = compiledBuild();
  return build === undefined
    ? [...ENGINE_V8_FLAGS, '--import', 'tsx', join(ROOT, 'electron/cli/bin.ts')]
    : [...ENGINE_V8_FLAGS, join(build, 'electron/cli/bin.js')];
}

function lifeboat(work: string, data: string): Tool {
  const repo = join(work, 'lifeboat-repo');
  const key = join(work, 'lifeboat.key');
  const entry = compiledCli();
  const cli = (...args: string[]) =>
    measure(process.execPath, [...entry, '--home', join(work, 'lifeboat-home'), ...args], {
      cwd: ROOT,
    });
  let latest = '';
  return {
    name: 'lifeboat',
    async init() {
      await cli('repo', 'init', '--repo', repo, '--generate-key', key);
    },
    async backup() {
      return written(repo, async () => {
        const result = await cli('repo', 'backup', '--repo', repo, '--key-file', key, data);
        latest = result.stdout.trim();
        return result;
      });
    },
    async restore(to) {
      const result = await cli(
        'repo',
        'restore',
        latest,
        '--repo',
        repo,
        '--key-file',
        key,
        '--to',
        to,
      );
      return { ...result, written: 0 };
    },
    async check() {
      return {
        ...(await cli('repo', 'check', '--repo', repo, '--key-file', key, '--read-data')),
        written: 0,
      };
    },
  };
}

function restic(work: string, data: string): Tool {
  const repo = join(work, 'restic-repo');
  const env = {
    RESTIC_PASSWORD: PASSWORD,
    RESTIC_CACHE_DIR: join(work, 'restic-cache'),
    RESTIC_REPOSITORY: repo,
  };
  const run = (...args: string[]) => measure('restic', ['--quiet', ...args], { env });
  return {
    name: 'restic',
    async init() {
      await run('init', '--repository-version', '2');
    },
    backup: () => written(repo, () => run('backup', data)),
    restore: async (to) => ({ ...(await run('restore', 'latest', '--target', to)), written: 0 }),
    check: async () => ({ ...(await run('check', '--read-data')), written: 0 }),
  };
}

function borg(work: string, data: string): Tool {
  const repo = join(work, 'borg-repo');
  const env = {
    BORG_PASSPHRASE: PASSWORD,
    BORG_BASE_DIR: join(work, 'borg-base'),
    BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes',
  };
  const run = (args: string[], cwd?: string) =>
    measure('borg', args, { env, ...(cwd ? { cwd } : {}) });
  let n = 0;
  return {
    name: 'borg',
    async init() {
      await run(['init', '--encryption', 'repokey-blake2', repo]);
    },
    backup: () =>
      written(repo, () =>
        run(['create', '--compression', 'zstd,3', `${repo}::b${++n}`, '.'], data),
      ),
    async restore(to) {
      await mkdir(to, { recursive: true });
      return { ...(await run(['extract', `${repo}::b${n}`], to)), written: 0 };
    },
    check: async () => ({ ...(await run(['check', '--verify-data', repo])), written: 0 }),
  };
}

export async function run(
  options: RepositoryBenchOptions = {},
): Promise<Record<string, Record<Phase, Result>>> {
  const size = options.size ?? 2 * 1024 * MiB;
  const work = join(ROOT, '.bench', 'repository');
  await rm(work, { recursive: true, force: true });
  const data = join(work, 'data');
  await mkdir(data, { recursive: true });
  console.log(
    `\n## repository (dataset ${mib(size)} MiB; Lifeboat vs restic and borg, same data, same run)\n`,
  );
  const started = performance.now();
  const files = await generateDataset(data, size);
  console.log(
    `generated ${files.length} files in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );

  const tools: Tool[] = [lifeboat(work, data)];
  if (available('restic')) tools.push(restic(work, data));
  else console.log('restic is missing: install it with `apt-get install restic` to compare.');
  if (available('borg')) tools.push(borg(work, data));
  else console.log('borg is missing: install it with `apt-get install borgbackup` to compare.');

  const results: Record<string, Partial<Record<Phase, Result>>> = {};
  const record = (tool: Tool, phase: Phase, result: Result) => {
    (results[tool.name] ??= {})[phase] = result;
    console.log(
      `  ${tool.name}: ${phase}: ${result.seconds.toFixed(2)} s, wrote ${mib(result.written)} MiB, peak RSS ${mib(result.maxRss)} MiB`,
    );
  };
  for (const tool of tools) await tool.init();
  for (const tool of tools) record(tool, 'first backup', await tool.backup('first'));
  for (const tool of tools) record(tool, 'unchanged re-backup', await tool.backup('unchanged'));
  const changed = await mutateDataset(data, files);
  console.log(`changed ${mib(changed)} MiB (${((changed / size) * 100).toFixed(1)}%)`);
  for (const tool of tools) record(tool, 're-backup after 5% change', await tool.backup('changed'));
  for (const tool of tools) {
    const to = join(work, `restore-${tool.name}`);
    record(tool, 'restore', await tool.restore(to));
    await rm(to, { recursive: true, force: true });
  }
  for (const tool of tools) record(tool, 'check (full read)', await tool.check());

  const complete = results as Record<string, Record<Phase, Result>>;
  printReport(
    size,
    tools.map((t) => t.name),
    complete,
  );
  await writeFile(join(work, 'results.json'), JSON.stringify({ size, results: complete }, null, 2));
  await rm(data, { recursive: true, force: true });
  return complete;
}

function printReport(
  size: number,
  names: readonly string[],
  results: Record<string, Record<Phase, Result>>,
): void {
  const rate = (r: Result) => (size / 1e6 / r.seconds).toFixed(0);
  const header = [
    'phase',
    ...names.flatMap((n) => [`${n} s`, `${n} MB/s`, `${n} written MiB`, `${n} peak RSS MiB`]),
  ];
  const rows = PHASES.map((phase) => [
    phase,
    ...names.flatMap((n) => {
      const r = results[n]?.[phase];
      return r
        ? [r.seconds.toFixed(2), rate(r), mib(r.written), mib(r.maxRss)]
        : ['-', '-', '-', '-'];
    }),
  ]);
  console.log(`\n${table(header, rows)}\n`);
  const lb = results['lifeboat'];
  if (lb === undefined) return;
  for (const peer of names.filter((n) => n !== 'lifeboat')) {
    const other = results[peer];
    if (other === undefined) continue;
    const speed = PHASES.map(
      (phase) => `${phase} ${(other[phase].seconds / lb[phase].seconds).toFixed(2)}x`,
    ).join(', ');
    const stored = (lb['first backup'].written / other['first backup'].written).toFixed(2);
    console.log(`lifeboat speed vs ${peer} (>1 is faster): ${speed}; stored size ratio ${stored}`);
  }
  const first = lb['first backup'];
  const restic = results['restic'];
  const targets: [string, boolean | undefined][] = [
    [
      'first backup at least as fast as restic',
      restic && first.seconds <= restic['first backup'].seconds,
    ],
    ['restore at least as fast as restic', restic && lb.restore.seconds <= restic.restore.seconds],
    [
      'unchanged re-backup >= 10x faster than the first',
      lb['unchanged re-backup'].seconds * 10 <= first.seconds,
    ],
    ['unchanged re-backup writes < 1 MB', lb['unchanged re-backup'].written < 1e6],
    [
      '5% change writes < 10% of the first backup',
      lb['re-backup after 5% change'].written < first.written * 0.1,
    ],
    [
      'stored size <= restic + 10%',
      restic && first.written <= restic['first backup'].written * 1.1,
    ],
    ['peak RSS < 300 MiB in every phase', PHASES.every((phase) => lb[phase].maxRss < 300 * MiB)],
  ];
  console.log('\ntargets (issue 2):');
  for (const [label, met] of targets)
    console.log(`  ${met === undefined ? 'n/a ' : met ? 'met ' : 'MISS'}  ${label}`);
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  run().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
