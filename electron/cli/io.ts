/**
 * What every `lifeboat` subcommand shares: reading secrets safely, printing results as text
 * or JSON, and turning errors into a documented exit code.
 *
 * Secrets come only from a file or standard input, never from argv or the environment, so
 * they do not land in shell history or `ps` output.
 */
import { readFile } from 'node:fs/promises';
import { stringOption, type ParsedArgs } from './command.js';
import {
  ERROR_CATEGORIES,
  asLifeboatError,
  defineErrors,
  type LifeboatError,
} from '../../shared/errors.js';

export const CliErrors = defineErrors({
  CLI_USAGE: {
    category: 'usage',
    hint: 'Run `lifeboat help` or `lifeboat <group> help` for the commands and their options.',
  },
  CLI_SECRET_SOURCE: {
    category: 'usage',
    hint: 'Give the secret as a file path, or "-" to read it from standard input.',
  },
});

export interface CliContext {
  /** Whether the operator asked for machine-readable output. */
  readonly json: boolean;
  /** The profile folder (`--home`, or LIFEBOAT_HOME, or the platform default). */
  readonly home: string;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream;
  /** Aborted on SIGINT/SIGTERM so long operations stop cleanly. */
  readonly signal: AbortSignal;
}

let stdinConsumed = false;

/**
 * Reads a secret from a file, or from standard input when `source` is "-".
 * Standard input can be read once per process; a second "-" is refused rather than
 * silently returning an empty secret.
 */
export async function readSecret(
  ctx: CliContext,
  source: string | undefined,
  what: string,
): Promise<Buffer> {
  if (source === undefined || source === '') {
    throw CliErrors.create('CLI_SECRET_SOURCE', `No ${what} was given.`);
  }
  let raw: Buffer;
  if (source === '-') {
    if (stdinConsumed) {
      throw CliErrors.create(
        'CLI_SECRET_SOURCE',
        `Standard input was already used for another secret; give the ${what} as a file.`,
      );
    }
    stdinConsumed = true;
    raw = await readAll(ctx.stdin);
  } else {
    try {
      raw = await readFile(source);
    } catch (error) {
      throw CliErrors.create('CLI_SECRET_SOURCE', `The ${what} file ${source} cannot be read.`, {
        cause: error,
      });
    }
  }
  return stripTrailingNewline(raw);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(typeof part === 'string' ? Buffer.from(part) : part);
  return Buffer.concat(parts);
}

function stripTrailingNewline(raw: Buffer): Buffer {
  let end = raw.length;
  while (end > 0 && (raw[end - 1] === 0x0a || raw[end - 1] === 0x0d)) end--;
  return raw.subarray(0, end);
}

/** Prints a result: the JSON value under `--json`, otherwise the human text. */
export function printResult(ctx: CliContext, value: unknown, human: () => string): void {
  if (ctx.json) ctx.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else {
    const text = human();
    if (text !== '') ctx.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }
}

/** Prints an error (as JSON under `--json`) and returns the exit code for its category. */
export function reportError(ctx: CliContext, error: unknown): number {
  const failure: LifeboatError = asLifeboatError(error);
  if (ctx.json) {
    ctx.stdout.write(`${JSON.stringify({ error: failure.toBody() }, null, 2)}\n`);
  } else {
    ctx.stderr.write(`error ${failure.code}: ${failure.message}\nhint: ${failure.hint}\n`);
  }
  return ERROR_CATEGORIES[failure.category];
}

export { formatBytes } from '../../shared/format.js';

/** The storage credentials options, for a location that needs them (a UNC share). */
export const STORAGE_CREDENTIAL_OPTIONS = {
  'storage-user': { type: 'string' },
  'storage-password': { type: 'string' },
} as const;

/** `--storage-user NAME --storage-password FILE|-`, both or neither; the caller wipes the password. */
export async function storageCredentialsFromArgs(
  ctx: CliContext,
  args: ParsedArgs,
): Promise<{ username: string; password: Buffer } | null> {
  const username = stringOption(args, 'storage-user');
  const passwordSource = stringOption(args, 'storage-password');
  if (username === undefined && passwordSource === undefined) return null;
  if (username === undefined || passwordSource === undefined) {
    throw CliErrors.create('CLI_USAGE', '--storage-user and --storage-password go together.');
  }
  return { username, password: await readSecret(ctx, passwordSource, 'storage password') };
}
