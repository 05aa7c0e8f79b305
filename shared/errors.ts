/**
 * Typed errors shared by every part of Lifeboat.
 *
 * Every failure an operator can meet carries a stable `code` they can look up in
 * docs/error-codes.md, a `message` saying what happened, and a `hint` saying what to do.
 * Messages and hints never contain secrets: callers pass names, paths and ids, never keys
 * or passwords. This file is imported by both the main process and the renderer, so it
 * must stay free of Node and DOM APIs.
 */

/** Broad families of failure; each maps to a documented command-line exit code. */
export const ERROR_CATEGORIES = {
  usage: 2,
  damaged: 3,
  busy: 4,
  auth: 5,
  storage: 6,
  rack: 7,
  refused: 8,
  cancelled: 9,
  internal: 1,
} as const;

export type ErrorCategory = keyof typeof ERROR_CATEGORIES;

export interface ErrorSpec {
  readonly category: ErrorCategory;
  /** What to do about it, phrased for an operator. */
  readonly hint: string;
}

/** The serialisable shape of an error as it crosses IPC, the console host, or `--json` output. */
export interface ErrorBody {
  code: string;
  message: string;
  hint: string;
  category: ErrorCategory;
  details?: Record<string, string | number | boolean | null>;
}

export class LifeboatError extends Error {
  readonly code: string;
  readonly hint: string;
  readonly category: ErrorCategory;
  readonly details: Record<string, string | number | boolean | null> | undefined;

  constructor(
    code: string,
    spec: ErrorSpec,
    message: string,
    options: { cause?: unknown; details?: ErrorBody['details']; hint?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LifeboatError';
    this.code = code;
    this.hint = options.hint ?? spec.hint;
    this.category = spec.category;
    this.details = options.details;
  }

  toBody(): ErrorBody {
    const body: ErrorBody = {
      code: this.code,
      message: this.message,
      hint: this.hint,
      category: this.category,
    };
    if (this.details !== undefined) body.details = this.details;
    return body;
  }
}

/**
 * Declares a family of error codes once, and returns a typed factory for them.
 *
 *     const RepoErrors = defineErrors({ REPO_WRONG_KEY: { category: 'auth', hint: '…' } });
 *     throw RepoErrors.create('REPO_WRONG_KEY', 'This backup needs key epoch 3.');
 *
 * Every family registers itself so docs/error-codes.md can be checked against the code.
 */
export function defineErrors<const T extends Record<string, ErrorSpec>>(specs: T) {
  for (const [code, spec] of Object.entries(specs)) registerErrorCode(code, spec);
  return {
    specs,
    create(
      code: keyof T & string,
      message: string,
      options: { cause?: unknown; details?: ErrorBody['details']; hint?: string } = {},
    ): LifeboatError {
      return new LifeboatError(code, specs[code] as ErrorSpec, message, options);
    },
    is(error: unknown, code?: keyof T & string): error is LifeboatError {
      return (
        error instanceof LifeboatError &&
        (code === undefined ? error.code in specs : error.code === code)
      );
    },
  };
}

const registry = new Map<string, ErrorSpec>();

function registerErrorCode(code: string, spec: ErrorSpec): void {
  const existing = registry.get(code);
  if (existing !== undefined && existing !== spec) {
    throw new Error(`error code ${code} is declared twice`);
  }
  registry.set(code, spec);
}

/** Every error code declared so far, for documentation checks. */
export function registeredErrorCodes(): ReadonlyMap<string, ErrorSpec> {
  return registry;
}

export const CommonErrors = defineErrors({
  INTERNAL: {
    category: 'internal',
    hint: 'This is a defect in Lifeboat. Keep the log and report it; no data was changed.',
  },
  CANCELLED: {
    category: 'cancelled',
    hint: 'The operation was cancelled. Nothing was committed; run it again when ready.',
  },
  INVALID_INPUT: {
    category: 'usage',
    hint: 'Correct the value named in the message and try again.',
  },
});

/** Turns anything thrown into a LifeboatError without leaking unknown text into hints. */
export function asLifeboatError(error: unknown): LifeboatError {
  if (error instanceof LifeboatError) return error;
  if (isAbortError(error)) return CommonErrors.create('CANCELLED', 'The operation was cancelled.');
  const message = error instanceof Error ? error.message : String(error);
  return CommonErrors.create('INTERNAL', `Unexpected failure: ${message}`, { cause: error });
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}
