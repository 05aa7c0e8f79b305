/**
 * The `lab-rack` command: a simulated rack to back up, recover, test, benchmark and train against.
 *
 *   lab-rack serve    --state DIR [--port N] [--host H] [--scale S] [--seed N] [--version V]
 *                     [--token-ttl SEC] [--exit-with-stdin]
 *   lab-rack mutate   --state DIR --percent P
 *   lab-rack disaster --state DIR
 *   lab-rack redeploy --state DIR [--recovery] [--version V]
 *   lab-rack break    --state DIR --component C
 *   lab-rack digest   --state DIR [--json]
 *   lab-rack openapi
 *
 * `serve` prints one JSON line {url, fingerprint, username, passwordFile} once it listens, then
 * serves until SIGINT/SIGTERM. The other subcommands work beside a running server (SQLite WAL).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ERROR_CATEGORIES, asLifeboatError } from '../shared/errors.js';
import { COMPONENT_IDS, ComponentId, SemVer } from '../shared/rack-api.js';
import { SCALES, type Scale } from './data.js';
import { LabErrors } from './errors.js';
import { openApiText } from './openapi.js';
import { fingerprintOf, makeTlsMaterial, type TlsMaterial } from './pki.js';
import { LabRackServer } from './server.js';
import { RackStore } from './store.js';

const DEFAULT_VERSION = '1.4.0';
const USERNAME = 'cloudadmin';

const USAGE = `lab-rack <subcommand> [options]

  serve    --state DIR [--port N] [--host 127.0.0.1] [--scale small|medium|large] [--seed N]
           [--version V] [--token-ttl SECONDS] [--exit-with-stdin]
  mutate   --state DIR --percent P        change P% of the data as a living rack does
  disaster --state DIR                    destroy all infrastructure data
  redeploy --state DIR [--recovery] [--version V]
                                          an empty rack in recovery mode (or a fresh one)
  break    --state DIR --component C      damage one component (healing drills)
  digest   --state DIR [--json]           every component's state digest
  openapi                                 print the rack API's OpenAPI document`;

const OPTIONS = {
  state: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  scale: { type: 'string' },
  seed: { type: 'string' },
  version: { type: 'string' },
  'token-ttl': { type: 'string' },
  'exit-with-stdin': { type: 'boolean' },
  percent: { type: 'string' },
  component: { type: 'string' },
  recovery: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

type Values = ReturnType<
  typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>
>['values'];

function usage(message: string): never {
  throw LabErrors.create('LAB_USAGE', message);
}

function stateDir(values: Values): string {
  if (values.state === undefined || values.state === '') usage('--state DIR is required.');
  return resolve(values.state);
}

function integer(
  value: string | undefined,
  name: string,
  min: number,
  max: number,
  fallback?: number,
): number {
  if (value === undefined) {
    if (fallback === undefined) usage(`--${name} is required.`);
    return fallback;
  }
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max)
    usage(`--${name} must be a whole number from ${min} to ${max}.`);
  return number;
}

function version(values: Values): string | undefined {
  if (values.version === undefined) return undefined;
  if (!SemVer.safeParse(values.version).success)
    usage('--version must be a semantic version such as 1.4.0.');
  return values.version;
}

/** The operator password handed to clients through a 0600 file (never printed). */
function operatorPassword(dir: string): { file: string; password: Buffer } {
  const file = join(dir, 'operator-password');
  if (!existsSync(file))
    writeFileSync(file, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
  const raw = readFileSync(file);
  let end = raw.length;
  while (end > 0 && (raw[end - 1] === 0x0a || raw[end - 1] === 0x0d)) end--;
  return { file, password: raw.subarray(0, end) };
}

/** The TLS certificate made on first start and kept (clients pin its fingerprint). */
function tlsMaterial(dir: string, host: string, store: RackStore): TlsMaterial {
  const tlsDir = join(dir, 'tls');
  const certFile = join(tlsDir, 'cert.pem');
  const keyFile = join(tlsDir, 'key.pem');
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
    const made = makeTlsMaterial(host, store.identity());
    writeFileSync(keyFile, made.key, { mode: 0o600 });
    writeFileSync(certFile, made.cert);
  }
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}

async function serve(values: Values): Promise<void> {
  const dir = stateDir(values);
  const scale = (values.scale ?? 'small') as Scale;
  if (!SCALES.includes(scale)) usage(`--scale must be one of ${SCALES.join(', ')}.`);
  const host = values.host ?? '127.0.0.1';
  const store = RackStore.open(dir, {
    seed: integer(values.seed, 'seed', 0, 2 ** 31, 1),
    scale,
    version: version(values) ?? DEFAULT_VERSION,
  });
  const tls = tlsMaterial(dir, host, store);
  const { file, password } = operatorPassword(dir);
  const server = new LabRackServer({
    store,
    tls,
    host,
    port: integer(values.port, 'port', 0, 65535, 0),
    username: USERNAME,
    password,
    tokenTtlSeconds: integer(values['token-ttl'], 'token-ttl', 1, 86_400, 900),
  });
  const running = await server.listen();
  process.stdout.write(
    `${JSON.stringify({ url: running.url, fingerprint: fingerprintOf(tls.cert), username: USERNAME, passwordFile: file })}\n`,
  );
  const stop = () => {
    void running.close().then(() => {
      store.close();
      process.exit(0);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (values['exit-with-stdin'] === true) {
    // A supervising program (a test, the desktop app) that dies without stopping us closes
    // our standard input: stop too rather than serve on as an orphan.
    process.stdin.once('end', stop).once('close', stop).resume();
  }
}

function withStore<T>(values: Values, act: (store: RackStore) => T): T {
  const store = RackStore.open(stateDir(values));
  try {
    return act(store);
  } finally {
    store.close();
  }
}

function component(values: Values): ComponentId {
  const parsed = ComponentId.safeParse(values.component);
  if (!parsed.success) usage(`--component must be one of ${COMPONENT_IDS.join(', ')}.`);
  return parsed.data;
}

const SUBCOMMANDS: Record<string, (values: Values) => Promise<void> | void> = {
  serve,
  mutate: (values) => {
    const percent = integer(values.percent, 'percent', 1, 100);
    const result = withStore(values, (store) => store.mutate(percent));
    console.log(JSON.stringify(result));
  },
  disaster: (values) => {
    withStore(values, (store) => store.disaster());
    console.log('All infrastructure data of the lab rack was destroyed; redeploy it to recover.');
  },
  redeploy: (values) => {
    const recovery = values.recovery === true;
    const target = version(values);
    withStore(values, (store) =>
      store.redeploy({ recovery, ...(target === undefined ? {} : { version: target }) }),
    );
    console.log(
      recovery
        ? 'Redeployed empty, in recovery mode.'
        : 'Redeployed with fresh data, in normal mode.',
    );
  },
  break: (values) => {
    const id = component(values);
    const { removed } = withStore(values, (store) => store.breakComponent(id));
    console.log(`Damaged ${id}: ${removed} records lost.`);
  },
  digest: (values) => {
    const digests = withStore(values, (store) => store.digests());
    if (values.json === true) console.log(JSON.stringify(digests));
    else
      for (const [id, digest] of Object.entries(digests)) console.log(`${id.padEnd(11)} ${digest}`);
  },
  openapi: () => {
    process.stdout.write(openApiText());
  },
};

async function main(argv: string[]): Promise<number> {
  try {
    const [name, ...rest] = argv;
    if (name === undefined || name === 'help' || name === '--help') {
      console.log(USAGE);
      return name === undefined ? 2 : 0;
    }
    const subcommand = SUBCOMMANDS[name];
    if (subcommand === undefined) usage(`Unknown subcommand "${name}".`);
    let values: Values;
    try {
      values = parseArgs({
        args: rest,
        options: OPTIONS,
        allowPositionals: false,
        strict: true,
      }).values;
    } catch (error) {
      usage((error as Error).message);
    }
    await subcommand(values);
    return 0;
  } catch (error) {
    const failure = asLifeboatError(error);
    process.stderr.write(`error ${failure.code}: ${failure.message}\nhint: ${failure.hint}\n`);
    return ERROR_CATEGORIES[failure.category];
  }
}

process.exitCode = await main(process.argv.slice(2));
