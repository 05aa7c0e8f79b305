/**
 * The filesystem backend: a local folder, a mounted SMB/NFS share or a Windows UNC path.
 *
 * Atomic writes follow restic's local backend: a temporary file in the same folder, fsync,
 * rename over the final name, fsync the folder. Then the size is read back, because network
 * shares are known to acknowledge writes that later turn out truncated.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import {
  mkdir,
  open,
  readdir,
  rename,
  rm,
  stat,
  statfs,
  unlink,
  type FileHandle,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { StorageErrors, storageError } from './errors.js';
import {
  isValidObjectName,
  type ObjectInfo,
  type ObjectReader,
  type ProbeResult,
  type SpaceInfo,
  type Storage,
} from './storage.js';

const TEMP_MARK = '.lbtmp-';

export interface FileStorageOptions {
  /** Create the folder if it does not exist (for `init`); otherwise a missing folder is refused. */
  readonly create?: boolean;
}

/** Opens a folder as storage. Throws STORAGE_NOT_FOUND / ACCESS_DENIED / UNREACHABLE. */
export async function openFileStorage(
  root: string,
  options: FileStorageOptions = {},
): Promise<Storage> {
  try {
    if (options.create === true) await mkdir(root, { recursive: true });
    const info = await stat(root);
    if (!info.isDirectory()) {
      throw StorageErrors.create('STORAGE_NOT_FOUND', `${root} is not a folder.`);
    }
  } catch (error) {
    if (StorageErrors.is(error)) throw error;
    throw storageError(error, root, root);
  }
  return new FileStorage(root);
}

class FileStorage implements Storage {
  constructor(readonly location: string) {}

  private path(name: string): string {
    if (!isValidObjectName(name)) {
      throw StorageErrors.create(
        'STORAGE_INVALID_NAME',
        `Refused object name ${JSON.stringify(name)}.`,
      );
    }
    return join(this.location, ...name.split('/'));
  }

  private fail(error: unknown, name: string): never {
    if (StorageErrors.is(error)) throw error;
    throw storageError(error, name, this.location);
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const slash = prefix.lastIndexOf('/');
    const folder = slash < 0 ? '' : prefix.slice(0, slash);
    const out: ObjectInfo[] = [];
    await this.walk(folder, prefix, out);
    out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return out;
  }

  private async walk(folder: string, prefix: string, out: ObjectInfo[]): Promise<void> {
    const dir = folder === '' ? this.location : this.path(folder);
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      this.fail(error, folder || '.');
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue; // temporaries and foreign hidden files
      const name = folder === '' ? entry.name : `${folder}/${entry.name}`;
      if (!name.startsWith(prefix) && !prefix.startsWith(`${name}/`)) continue;
      if (entry.isDirectory()) await this.walk(name, prefix, out);
      else if (entry.isFile()) {
        const info = await this.stat(name);
        if (info !== undefined) out.push(info);
      }
    }
  }

  async get(name: string, range?: { offset: number; length: number }): Promise<Buffer> {
    const path = this.path(name);
    try {
      const handle = await open(path, constants.O_RDONLY);
      try {
        if (range === undefined) return await handle.readFile();
        return await readRange(handle, range.offset, range.length);
      } finally {
        await handle.close();
      }
    } catch (error) {
      this.fail(error, name);
    }
  }

  async openReader(name: string): Promise<ObjectReader> {
    const handle = await open(this.path(name), constants.O_RDONLY).catch((error: unknown) =>
      this.fail(error, name),
    );
    return {
      read: (offset, length, into) =>
        readRange(handle, offset, length, into).catch((error: unknown) => this.fail(error, name)),
      close: () => handle.close(),
    };
  }

  async put(name: string, data: Buffer | readonly Buffer[]): Promise<void> {
    const path = this.path(name);
    const parts = Buffer.isBuffer(data) ? [data] : data;
    const size = parts.reduce((sum, part) => sum + part.length, 0);
    const folder = dirname(path);
    const temp = join(folder, `${TEMP_MARK}${randomBytes(8).toString('hex')}`);
    try {
      await mkdir(folder, { recursive: true });
      const handle = await open(temp, 'wx');
      try {
        await writeFully(handle, parts);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, path);
      await syncFolder(folder);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => undefined);
      this.fail(error, name);
    }
    const written = await this.stat(name);
    if (written?.size !== size) {
      throw StorageErrors.create(
        'STORAGE_WRITE_UNVERIFIED',
        `${name} at ${this.location} reads back as ${written?.size ?? 'absent'} bytes, not ${size}.`,
      );
    }
  }

  async delete(name: string): Promise<void> {
    try {
      await unlink(this.path(name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      this.fail(error, name);
    }
  }

  async stat(name: string): Promise<ObjectInfo | undefined> {
    try {
      const info = await stat(this.path(name));
      return info.isFile() ? { name, size: info.size, modified: info.mtimeMs } : undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      this.fail(error, name);
    }
  }

  async freeSpace(): Promise<SpaceInfo | undefined> {
    try {
      const info = await statfs(this.location);
      return { available: info.bavail * info.bsize, total: info.blocks * info.bsize };
    } catch {
      return undefined; // some network filesystems cannot tell; callers treat it as unknown
    }
  }

  async probe(): Promise<ProbeResult> {
    const started = Date.now();
    const name = `lifeboat-probe-${randomBytes(8).toString('hex')}`;
    const content = randomBytes(4096);
    await this.put(name, content);
    const back = await this.get(name);
    const readBack = back.equals(content);
    await this.delete(name);
    const deleted = (await this.stat(name)) === undefined;
    if (!readBack) {
      throw StorageErrors.create(
        'STORAGE_WRITE_UNVERIFIED',
        `A test object at ${this.location} read back wrong.`,
      );
    }
    return {
      writable: true,
      readBack,
      deleted,
      space: await this.freeSpace(),
      elapsedMs: Date.now() - started,
    };
  }

  async sweepTemporaries(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    const visit = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory() && !entry.name.startsWith('.')) await visit(path);
        else if (entry.isFile() && entry.name.startsWith(TEMP_MARK)) {
          const info = await stat(path).catch(() => undefined);
          if (info !== undefined && info.mtimeMs < cutoff) {
            await unlink(path).catch(() => undefined);
            removed++;
          }
        }
      }
    };
    await visit(this.location);
    return removed;
  }
}

/** `length` bytes from `offset` (into `into` when given), fewer only at the end of the file. */
async function readRange(
  handle: FileHandle,
  offset: number,
  length: number,
  into?: Buffer,
): Promise<Buffer> {
  if (into !== undefined && into.length < length) throw new RangeError('read beyond the buffer');
  const buffer = into ?? Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, offset + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === buffer.length ? buffer : buffer.subarray(0, done);
}

/** Buffers per writev call (POSIX guarantees at least 1024; a pack holds thousands of small blobs). */
const WRITEV_PARTS = 1024;

/**
 * Writes every byte. A write may be short when the disk fills (tmpfs, some network
 * filesystems); retrying the rest makes the system raise the real ENOSPC instead.
 */
async function writeFully(handle: FileHandle, parts: readonly Buffer[]): Promise<void> {
  let pending = parts.filter((part) => part.length > 0);
  while (pending.length > 0) {
    const batch = pending.slice(0, WRITEV_PARTS);
    let { bytesWritten } = await handle.writev(batch);
    if (bytesWritten === 0) throw Object.assign(new Error('short write'), { code: 'ENOSPC' });
    // A short write leaves the rest of the batch, the first part possibly cut, for the next call.
    let done = 0;
    while (done < batch.length && bytesWritten >= (batch[done] as Buffer).length) {
      bytesWritten -= (batch[done] as Buffer).length;
      done++;
    }
    const cut = done < batch.length ? [(batch[done] as Buffer).subarray(bytesWritten)] : [];
    pending = [...cut, ...pending.slice(done + cut.length)];
  }
}

/** Makes a rename durable; filesystems that cannot fsync a folder (SMB, Windows) are tolerated. */
async function syncFolder(folder: string): Promise<void> {
  let handle;
  try {
    handle = await open(folder, constants.O_RDONLY);
    await handle.sync();
  } catch {
    // EISDIR/EINVAL/EPERM on filesystems without folder fsync: the rename is as durable as they allow.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
