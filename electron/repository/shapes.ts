/**
 * Reading the small JSON objects the repository keeps (config, key files, locks, manifests) as
 * the shapes the format document gives them: a value is checked and rebuilt with only the keys
 * its shape names, or refused. Written here rather than taken from zod, which the IPC contract
 * uses: loading zod's hundred modules took 70-150 ms of every `lifeboat repo` command's start
 * (the CLI's imports went from about 140 to 70 ms without it). The hot records (index entries,
 * artifact lists) have their own checks (`records.ts`). Pure.
 */

const INVALID = Symbol('invalid');

/** Reads a value as a T, or answers INVALID. */
export type Shape<T> = (value: unknown) => T | typeof INVALID;
export type ShapeOf<S> = S extends Shape<infer T> ? T : never;

/** `value` read as `shape` says, or undefined if it is not of that shape. */
export function readShape<T>(shape: Shape<T>, value: unknown): T | undefined {
  const read = shape(value);
  return read === INVALID ? undefined : read;
}

const test =
  <T>(is: (value: unknown) => boolean): Shape<T> =>
  (value) =>
    is(value) ? (value as T) : INVALID;

export const string = (options: { readonly max?: number; readonly pattern?: RegExp } = {}) =>
  test<string>(
    (v) =>
      typeof v === 'string' &&
      v.length <= (options.max ?? Infinity) &&
      (options.pattern?.test(v) ?? true),
  );

/** A safe integer within [min, max]. */
export const integer = (min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) =>
  test<number>((v) => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max);

/** A finite number of at least `min`. */
export const number = (min = -Infinity) =>
  test<number>((v) => typeof v === 'number' && Number.isFinite(v) && v >= min);

export const boolean = test<boolean>((v) => typeof v === 'boolean');

/** One of the given values. */
export const oneOf = <const T extends readonly (string | number)[]>(...values: T) =>
  test<T[number]>((v) => values.includes(v as T[number]));

/** A value a type guard accepts, as it is. */
export const guarded = <T>(is: (value: unknown) => value is T): Shape<T> => test<T>(is);

/** Absent (undefined), or of `shape`. */
export const optional =
  <T>(shape: Shape<T>): Shape<T | undefined> =>
  (value) =>
    value === undefined ? undefined : shape(value);

export const arrayOf =
  <T>(shape: Shape<T>): Shape<T[]> =>
  (value) => {
    if (!Array.isArray(value)) return INVALID;
    const out: T[] = [];
    for (const item of value) {
      const read = shape(item);
      if (read === INVALID) return INVALID;
      out.push(read);
    }
    return out;
  };

/** An object of any keys `key` accepts, each value of `shape`. */
export const recordOf =
  <T>(key: Shape<string>, shape: Shape<T>): Shape<Record<string, T>> =>
  (value) => {
    if (!isObject(value)) return INVALID;
    const out: [string, T][] = [];
    for (const [name, item] of Object.entries(value)) {
      const read = shape(item);
      if (key(name) === INVALID || read === INVALID) return INVALID;
      out.push([name, read]);
    }
    return Object.fromEntries(out); // defines each key, `__proto__` included, as data
  };

type Fields = Record<string, Shape<unknown>>;
type OptionalKeys<F extends Fields> = {
  [K in keyof F]: undefined extends ShapeOf<F[K]> ? K : never;
}[keyof F];
type ObjectOf<F extends Fields> = {
  [K in Exclude<keyof F, OptionalKeys<F>>]: ShapeOf<F[K]>;
} & { [K in OptionalKeys<F>]?: Exclude<ShapeOf<F[K]>, undefined> };

/** An object with these fields (an optional one absent stays absent); other keys are dropped. */
export const object =
  <F extends Fields>(fields: F): Shape<ObjectOf<F>> =>
  (value) => {
    if (!isObject(value)) return INVALID;
    const out: Record<string, unknown> = {};
    for (const [name, shape] of Object.entries(fields)) {
      const read = shape(value[name]);
      if (read === INVALID) return INVALID;
      if (read !== undefined) out[name] = read;
    }
    return out as ObjectOf<F>;
  };

/** `shape`, further held to `holds`. */
export const refined =
  <T>(shape: Shape<T>, holds: (value: T) => boolean): Shape<T> =>
  (value) => {
    const read = shape(value);
    return read !== INVALID && holds(read) ? read : INVALID;
  };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
