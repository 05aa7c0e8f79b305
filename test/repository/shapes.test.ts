import { describe, expect, it } from 'vitest';
import {
  arrayOf,
  boolean,
  integer,
  number,
  object,
  oneOf,
  optional,
  readShape,
  recordOf,
  refined,
  string,
} from '../../electron/repository/shapes.js';

describe('shapes of the repository metadata (pure)', () => {
  const lock = object({
    kind: oneOf('shared', 'exclusive'),
    pid: integer(1),
    host: string({ max: 8 }),
    note: optional(string()),
    alive: boolean,
  });

  it('reads an object of its fields, dropping any other key and leaving an absent one absent', () => {
    const read = readShape(lock, { kind: 'shared', pid: 7, host: 'lab', alive: true, extra: 1 });
    expect(read).toEqual({ kind: 'shared', pid: 7, host: 'lab', alive: true });
    expect(read !== undefined && 'note' in read).toBe(false);
    expect(
      readShape(lock, { kind: 'shared', pid: 7, host: 'lab', alive: true, note: 'n' }),
    ).toEqual({ kind: 'shared', pid: 7, host: 'lab', alive: true, note: 'n' });
  });

  it('refuses a wrong type, a value out of range and anything not an object', () => {
    const good = { kind: 'shared', pid: 7, host: 'lab', alive: true };
    for (const bad of [
      { ...good, kind: 'other' },
      { ...good, pid: 0 },
      { ...good, pid: 1.5 },
      { ...good, pid: 2 ** 53 },
      { ...good, host: 'a much longer host' },
      { ...good, alive: 'yes' },
      { ...good, note: 3 },
      { kind: 'shared', pid: 7, host: 'lab' },
      [good],
      null,
      'text',
    ]) {
      expect(readShape(lock, bad), JSON.stringify(bad)).toBeUndefined();
    }
  });

  it('reads numbers, patterns, arrays, records and refinements', () => {
    expect(readShape(number(0), 0.5)).toBe(0.5);
    expect(readShape(number(0), Infinity)).toBeUndefined();
    expect(readShape(number(0), -1)).toBeUndefined();
    expect(readShape(string({ pattern: /^[0-9a-f]+$/ }), 'c0ffee')).toBe('c0ffee');
    expect(readShape(string({ pattern: /^[0-9a-f]+$/ }), 'C0FFEE')).toBeUndefined();
    expect(readShape(arrayOf(integer()), [1, 2])).toEqual([1, 2]);
    expect(readShape(arrayOf(integer()), [1, '2'])).toBeUndefined();
    const labels = recordOf(string({ max: 4 }), string());
    expect(readShape(labels, { a: 'x' })).toEqual({ a: 'x' });
    expect(readShape(labels, { toolong: 'x' })).toBeUndefined();
    // A `__proto__` key is read as a key like any other, never as the object's prototype.
    const proto = readShape(recordOf(string(), string()), JSON.parse('{"__proto__":"x"}'));
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.keys(proto ?? {})).toEqual(['__proto__']);
    const ordered = refined(object({ low: integer(), high: integer() }), (r) => r.low <= r.high);
    expect(readShape(ordered, { low: 1, high: 2 })).toEqual({ low: 1, high: 2 });
    expect(readShape(ordered, { low: 3, high: 2 })).toBeUndefined();
  });
});
