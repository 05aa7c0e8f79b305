/**
 * The `Storage` interface: an object store, the only thing the repository format relies on.
 *
 * Objects are named with `/`-separated names, written whole and atomically, read whole or by
 * range, listed by prefix and deleted. There is no rename, no append and no directory semantics,
 * so an S3-compatible backend can implement it without a format change.
 */

export interface ObjectInfo {
  readonly name: string;
  readonly size: number;
  /** Last modification time in milliseconds since the epoch. */
  readonly modified: number;
}

export interface SpaceInfo {
  readonly available: number;
  readonly total: number;
}

export interface ProbeResult {
  readonly writable: boolean;
  readonly readBack: boolean;
  readonly deleted: boolean;
  readonly space: SpaceInfo | undefined;
  readonly elapsedMs: number;
}

/** An object opened once for many ranged reads (see `Storage.openReader`). */
export interface ObjectReader {
  /**
   * `length` bytes from `offset` (fewer at the end of the object). With `into` (at least
   * `length` bytes) they are read into it and a view of it is returned: a caller that reads many
   * large ranges reuses its buffers instead of leaving one to the collector per read.
   */
  read(offset: number, length: number, into?: Buffer): Promise<Buffer>;
  close(): Promise<void>;
}

export interface Storage {
  /** What the operator named (a path or URL), for messages. Never contains a credential. */
  readonly location: string;
  /** Every object whose name starts with `prefix`, with size and modification time. */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** The object's bytes, or `length` bytes from `offset`. Throws STORAGE_NOT_FOUND if absent. */
  get(name: string, range?: { offset: number; length: number }): Promise<Buffer>;
  /** Writes the object atomically (readers see the old object or the whole new one) and durably. */
  put(name: string, data: Buffer | readonly Buffer[]): Promise<void>;
  /** Removes the object; removing an absent object is not an error. */
  delete(name: string): Promise<void>;
  /** Size and time of one object, or undefined if absent. */
  stat(name: string): Promise<ObjectInfo | undefined>;
  /** Free and total bytes at the location, when the backend can tell. */
  freeSpace(): Promise<SpaceInfo | undefined>;
  /** Validates a location: writes a small object, reads it back, deletes it. Throws typed errors. */
  probe(): Promise<ProbeResult>;
  /**
   * Optional: opens an object for many ranged reads, saving an open per read (restores read
   * many small blobs from one pack). Throws STORAGE_NOT_FOUND if absent.
   */
  openReader?(name: string): Promise<ObjectReader>;
  /** Removes leftovers of interrupted writes older than `olderThanMs`; returns how many. */
  sweepTemporaries(olderThanMs: number): Promise<number>;
}

const NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;

/** Object names are plain relative paths: no `..`, no leading dot, no empty segments. */
export function isValidObjectName(name: string): boolean {
  return name.length > 0 && name.length <= 512 && NAME.test(name);
}
