/**
 * What benchmark sections share: running a program while measuring its wall time and peak RSS,
 * folder sizes, and printing markdown tables.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export const MiB = 1024 * 1024;

const ROOT = new URL('..', import.meta.url).pathname;
let build: string | undefined | null = null;

/**
 * The project compiled into .bench/dist, once per run, so Lifeboat is measured as it ships: tsx
 * would add its compiler to every thread's time and memory (each crypto worker loads it too).
 * undefined when compiling failed; callers then fall back to tsx and say so.
 */
export function compiledBuild(): string | undefined {
  if (build !== null) return build;
  const outDir = join(ROOT, '.bench', 'dist');
  const started = performance.now();
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', outDir], {
    stdio: 'ignore',
  });
  build = existsSync(join(outDir, 'electron/cli/bin.js')) ? outDir : undefined;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    build === undefined
      ? 'compiling Lifeboat failed: measuring it through tsx instead (slower, more memory)'
      : `compiled Lifeboat in ${seconds} s`,
  );
  return build;
}

export interface Measured {
  readonly seconds: number;
  /** Peak resident set size of the program and its children, bytes. */
  readonly maxRss: number;
  readonly stdout: string;
}

/**
 * Runs a program to completion, measuring wall time and peak RSS (via python3's
 * getrusage(RUSAGE_CHILDREN), which covers every tool the same way). Throws on a non-zero exit.
 * The time is taken by the wrapper around the program alone: python's own start (0.3 s where
 * `python3` is a pyenv shim) is not the tool's, and would flatten the ratios of short phases.
 */
export async function measure(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<Measured> {
  const wrapper = [
    'import resource,subprocess,sys,time',
    'started=time.monotonic()',
    'r=subprocess.run(sys.argv[1:])',
    'seconds=time.monotonic()-started',
    'sys.stderr.write("\\nMAXRSS %d SECONDS %.6f\\n" % (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, seconds))',
    'sys.exit(r.returncode)',
  ].join('\n');
  const child = spawn('python3', ['-c', wrapper, command, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end(options.input ?? '');
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0)
    throw new Error(`${command} ${args.join(' ')} exited with ${code}:\n${stderr.slice(-2000)}`);
  const measured = /MAXRSS (\d+) SECONDS ([\d.]+)/.exec(stderr);
  if (measured === null) throw new Error(`${command}: the measuring wrapper reported nothing`);
  return { seconds: Number(measured[2]), maxRss: Number(measured[1]) * 1024, stdout };
}

/** Total bytes of the files under a folder. */
export async function folderBytes(path: string): Promise<number> {
  let total = 0;
  const entries = await readdir(path, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) total += await folderBytes(child);
    else if (entry.isFile()) total += (await stat(child)).size;
  }
  return total;
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [
    line(header),
    line(header.map((_, i) => (i === 0 ? '---' : '---:'))),
    ...rows.map(line),
  ].join('\n');
}

export const mib = (bytes: number) => (bytes / MiB).toFixed(1);

/** Parses "256MiB", "2GiB", "500MB" or a plain byte count. */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|KB|MB|GB)?$/i.exec(text.trim());
  if (match === null) throw new Error(`cannot read size ${text}`);
  const units: Record<string, number> = {
    b: 1,
    kib: 1024,
    mib: MiB,
    gib: 1024 * MiB,
    kb: 1e3,
    mb: 1e6,
    gb: 1e9,
  };
  return Math.round(Number(match[1]) * (units[(match[2] ?? 'b').toLowerCase()] ?? 1));
}
