/**
 * How records sit in an artifact, and the small parsers an import needs (docs/rack-api.md §10).
 * "lines": a fixed header, then one record per line. "blocks": a fixed header, then records
 * separated by one empty line. "document": the whole artifact is one record.
 */

export type Framing = 'lines' | 'blocks' | 'document';

/** A reason an artifact is malformed; the import reports it with the artifact and line. */
export class Malformed extends Error {
  /** The artifact being read, set by whoever knows it. */
  artifact: string | undefined;

  constructor(
    reason: string,
    readonly line?: number,
  ) {
    super(reason);
    this.name = 'Malformed';
  }
}

/** The separator written after each record (documents have none). */
export function separatorOf(framing: Framing): string {
  return framing === 'lines' ? '\n' : framing === 'blocks' ? '\n\n' : '';
}

/** Whether a record value can be framed without breaking the framing. */
export function frameable(framing: Framing, value: string): boolean {
  if (framing === 'lines') return value !== '' && !value.includes('\n');
  if (framing === 'blocks')
    return (
      value !== '' && !value.includes('\n\n') && !value.startsWith('\n') && !value.endsWith('\n')
    );
  return true;
}

// ---------------------------------------------------------------------------------------------
// SQL dump lines: INSERT INTO "table" VALUES ('text', 12, NULL);

export type SqlValue = string | number | null;

export function sqlLine(table: string, values: readonly SqlValue[]): string {
  const rendered = values.map((value) =>
    value === null
      ? 'NULL'
      : typeof value === 'number'
        ? String(value)
        : `'${value.replaceAll("'", "''")}'`,
  );
  return `INSERT INTO "${table}" VALUES (${rendered.join(', ')});`;
}

/** Parses a line written by sqlLine; the table must be the expected one. */
export function parseSqlLine(line: string, table: string): SqlValue[] {
  const prefix = `INSERT INTO "${table}" VALUES (`;
  if (!line.startsWith(prefix) || !line.endsWith(');'))
    throw new Malformed(`not an INSERT INTO "${table}" statement`);
  const body = line.slice(prefix.length, -2);
  const values: SqlValue[] = [];
  let at = 0;
  while (at < body.length) {
    if (body[at] === "'") {
      let text = '';
      at++;
      for (;;) {
        const quote = body.indexOf("'", at);
        if (quote < 0) throw new Malformed('unterminated string');
        text += body.slice(at, quote);
        if (body[quote + 1] === "'") {
          text += "'";
          at = quote + 2;
        } else {
          at = quote + 1;
          break;
        }
      }
      values.push(text);
    } else {
      const end = body.indexOf(',', at);
      const token = body.slice(at, end < 0 ? body.length : end).trim();
      if (token === 'NULL') values.push(null);
      else if (/^-?\d+(\.\d+)?$/.test(token)) values.push(Number(token));
      else throw new Malformed(`unexpected token ${token.slice(0, 20)}`);
      at = end < 0 ? body.length : end;
    }
    if (at < body.length) {
      if (body.slice(at, at + 2) !== ', ') throw new Malformed('values must be separated by ", "');
      at += 2;
    }
  }
  return values;
}

export function sqlText(values: readonly SqlValue[], index: number): string {
  const value = values[index];
  if (typeof value !== 'string' || value === '')
    throw new Malformed(`column ${index + 1} must be text`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// JSON lines

export function parseJsonLine(line: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Malformed('not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Malformed('not a JSON object');
  return value as Record<string, unknown>;
}

export function jsonText(record: Record<string, unknown>, field: string): string {
  const value = record[field];
  if (typeof value !== 'string' || value === '')
    throw new Malformed(`"${field}" must be a non-empty string`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// LDIF entries

export function ldifEntry(attributes: ReadonlyArray<readonly [string, string]>): string {
  return attributes.map(([name, value]) => `${name}: ${value}`).join('\n');
}

export function ldifValues(entry: string, attribute: string): string[] {
  const prefix = `${attribute}: `;
  return entry
    .split('\n')
    .filter((line) => line.startsWith(prefix))
    .map((line) => line.slice(prefix.length));
}

export function ldifSingle(entry: string, attribute: string): string {
  if (!entry.startsWith('dn: ')) throw new Malformed('an LDIF entry must start with "dn: "');
  const values = ldifValues(entry, attribute);
  if (values.length !== 1 || values[0] === '')
    throw new Malformed(`an entry needs exactly one ${attribute}`);
  return values[0] as string;
}
