/**
 * A small structured logger: one JSON object a line in `<home>/logs/lifeboat-YYYY-MM-DD.jsonl`.
 *
 * Why a guard and not only care: secrets pass through the controller (storage passwords, keys,
 * rack passwords), and one careless `{ ...options }` would put one on disk forever. So before a
 * line is written it is checked three ways: fields whose names denote a secret are replaced,
 * Buffers are never printed (only their length), and the final text is searched for every
 * secret registered with `guard()` in the encodings a leak would take (utf8, base64, hex). A
 * line that still contains one is replaced by a `log.redacted` line naming only the event.
 */
import { appendFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LifeboatError } from '../../shared/errors.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A logger adding `fields` to every line (e.g. the job id). */
  child(fields: LogFields): Logger;
  /**
   * Registers a secret that must never appear in a line. A private copy is kept, so the
   * caller may wipe its buffer; the copy lives as long as the process.
   */
  guard(secret: Buffer): void;
}

export interface LoggerOptions {
  /** The profile folder; lines go to `<home>/logs/`. */
  readonly home: string;
  /** Who writes: `app`, `cli`, … */
  readonly source: string;
  readonly now?: () => Date;
  /** Daily files older than this many days are removed when a logger opens (default 30). */
  readonly keepDays?: number;
}

const LOG_FILE = /^lifeboat-(\d{4}-\d{2}-\d{2})\.jsonl$/;

const SECRET_FIELD =
  /(password|passphrase|secret|token|authorization|privatekey|operatorkey|masterkey|pfx|credential)s?$/i;

/** Secrets shared by every logger of the process, so a child cannot forget one. */
const guarded = new Set<Buffer>();

export function openLogger(options: LoggerOptions): Logger {
  const dir = join(options.home, 'logs');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const now = options.now ?? (() => new Date());
  removeOldFiles(dir, now(), options.keepDays ?? 30);
  const write = (line: string, at: Date): void => {
    appendFileSync(join(dir, `lifeboat-${at.toISOString().slice(0, 10)}.jsonl`), `${line}\n`, {
      mode: 0o600,
    });
  };
  return makeLogger({ source: options.source }, now, write);
}

/** Keeps the logs folder bounded: one file a day, the oldest removed. */
function removeOldFiles(dir: string, today: Date, keepDays: number): void {
  const cutoff = new Date(today.getTime() - keepDays * 86_400_000).toISOString().slice(0, 10);
  for (const file of readdirSync(dir)) {
    const day = LOG_FILE.exec(file)?.[1];
    if (day !== undefined && day < cutoff) rmSync(join(dir, file), { force: true });
  }
}

function makeLogger(
  base: LogFields,
  now: () => Date,
  write: (line: string, at: Date) => void,
): Logger {
  const log = (level: LogLevel, event: string, fields: LogFields = {}): void => {
    const at = now();
    const record = { time: at.toISOString(), level, event, ...base, ...fields };
    write(renderLine(record, event, at), at);
  };
  return {
    debug: (event, fields) => log('debug', event, fields),
    info: (event, fields) => log('info', event, fields),
    warn: (event, fields) => log('warn', event, fields),
    error: (event, fields) => log('error', event, fields),
    child: (fields) => makeLogger({ ...base, ...fields }, now, write),
    guard: (secret) => {
      if (secret.length > 0 && !isGuarded(secret)) guarded.add(Buffer.from(secret));
    },
  };
}

function renderLine(record: LogFields, event: string, at: Date): string {
  const line = JSON.stringify(sanitize(record, 0));
  if (findGuardedSecret(line) === null) return line;
  return JSON.stringify({
    time: at.toISOString(),
    level: 'error',
    event: 'log.redacted',
    redactedEvent: /^[\w.:-]{1,80}$/.test(event) ? event : '(unnamed)',
  });
}

/** Copies a value for logging: secret-named fields and Buffers replaced, errors as bodies. */
export function sanitize(value: unknown, depth: number): unknown {
  if (depth > 6) return '[nested]';
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `[${value.length} bytes]`;
  if (value instanceof LifeboatError) return value.toBody();
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (Array.isArray(value)) return value.slice(0, 100).map((v) => sanitize(v, depth + 1));
  if (value !== null && typeof value === 'object') {
    const out: LogFields = {};
    for (const [key, field] of Object.entries(value)) {
      out[key] =
        SECRET_FIELD.test(key) && field !== null ? '[redacted]' : sanitize(field, depth + 1);
    }
    return out;
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}

function isGuarded(secret: Buffer): boolean {
  for (const known of guarded) if (known.equals(secret)) return true;
  return false;
}

/** Returns the encoding in which a guarded secret appears in `text`, or null. */
export function findGuardedSecret(text: string): string | null {
  for (const secret of guarded) {
    const found = findSecret(text, secret);
    if (found !== null) return found;
  }
  return null;
}

/**
 * Searches `text` for `secret` as utf8 text, base64, base64url and hex. Used by the guard and
 * by the secret-scan tests. Secrets shorter than 6 bytes are too short to search meaningfully.
 */
export function findSecret(text: string, secret: Buffer): string | null {
  if (secret.length < 6) return null;
  const forms: [string, string][] = [
    ['utf8', secret.toString('utf8')],
    ['base64', secret.toString('base64').replace(/=+$/, '')],
    ['base64url', secret.toString('base64url')],
    ['hex', secret.toString('hex')],
    ['HEX', secret.toString('hex').toUpperCase()],
  ];
  for (const [name, form] of forms) {
    if (form.length >= 6 && !form.includes('\uFFFD') && text.includes(form)) return name;
  }
  return null;
}
