/** Turning untrusted inputs and rows read back into typed values, or typed errors. */
import type { z } from 'zod';
import { canonicalJson } from './canonical.js';
import { CatalogErrors } from './errors.js';

/** Validates a caller's input; the message names the field, never echoes its value. */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.join('.') || what;
  throw CatalogErrors.create(
    'CATALOG_INVALID_INPUT',
    `Invalid ${what}: ${field}: ${issue?.message ?? 'invalid'}.`,
  );
}

/** Validates a row read back from SQLite; a bad row means someone edited the file. */
export function parseRow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  table: string,
  key: string,
): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const field = parsed.error.issues[0]?.path.join('.') ?? '';
  throw damagedRow(table, key, `field "${field}" is invalid`);
}

export function damagedRow(table: string, key: string, why: string) {
  return CatalogErrors.create(
    'CATALOG_DAMAGED',
    `The catalog row ${table}[${key}] is damaged: ${why}.`,
    {
      details: { table, key },
    },
  );
}

/** Parses JSON text stored by the catalog; damaged text is reported, not thrown as SyntaxError. */
export function parseStoredJson(text: string | null, table: string, key: string): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw damagedRow(table, key, 'its JSON does not parse');
  }
}

/** SQLite's 0/1 as a boolean; anything else is passed on for the row's schema to refuse. */
export function storedBoolean(value: unknown): unknown {
  return value === 1 ? true : value === 0 ? false : value;
}

/** Encodes caller data as canonical JSON within `limit` bytes, refusing non-JSON values. */
export function encodeJson(value: unknown, what: string, limit = 64 * 1024): string {
  let text: string;
  try {
    text = canonicalJson(value);
  } catch (error) {
    throw CatalogErrors.create(
      'CATALOG_INVALID_INPUT',
      `Invalid ${what}: only plain JSON data can be stored (found ${(error as Error).message}).`,
    );
  }
  if (Buffer.byteLength(text) > limit) {
    throw CatalogErrors.create(
      'CATALOG_INVALID_INPUT',
      `Invalid ${what}: larger than ${limit} bytes.`,
    );
  }
  return text;
}

/** Maps SQLite's failures to typed errors; trigger messages carry our code as their prefix. */
export function sqliteError(error: unknown, file: string): Error {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (message.startsWith('CATALOG_APPEND_ONLY')) {
    return CatalogErrors.create(
      'CATALOG_APPEND_ONLY',
      message.replace(/^CATALOG_APPEND_ONLY: /, 'Refused: '),
      { cause: error },
    );
  }
  if (message.startsWith('CATALOG_JOURNAL_CONFLICT')) {
    return CatalogErrors.create(
      'CATALOG_JOURNAL_CONFLICT',
      message.replace(/^CATALOG_JOURNAL_CONFLICT: /, 'Refused: '),
      { cause: error },
    );
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    return CatalogErrors.create(
      'CATALOG_INVALID_INPUT',
      'Refused: the record refers to a location, job or run the catalog does not list.',
      { cause: error },
    );
  }
  if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') {
    return CatalogErrors.create(
      'CATALOG_INVALID_INPUT',
      'Refused: a record with this id already exists.',
      { cause: error },
    );
  }
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return CatalogErrors.create('CATALOG_BUSY', `The catalog ${file} is busy.`, { cause: error });
  }
  if (/^no such (table|column)/.test(message)) {
    return CatalogErrors.create(
      'CATALOG_DAMAGED',
      `The catalog ${file} is missing part of its schema (${message}).`,
      {
        cause: error,
      },
    );
  }
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
    return CatalogErrors.create(
      'CATALOG_DAMAGED',
      `The catalog ${file} is not a readable SQLite database.`,
      { cause: error },
    );
  }
  return error instanceof Error ? error : new Error(message);
}

export function notFound(what: string, id: string) {
  return CatalogErrors.create('CATALOG_NOT_FOUND', `The catalog has no ${what} "${id}".`, {
    details: { [what]: id },
  });
}
