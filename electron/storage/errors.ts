/** Typed errors of the storage layer: what an operator can do about a location that misbehaves. */
import { defineErrors } from '../../shared/errors.js';

export const StorageErrors = defineErrors({
  STORAGE_FULL: {
    category: 'storage',
    hint: 'The storage location is full. Free space on it (or let retention remove old backups) and run again; existing backups are intact.',
  },
  STORAGE_ACCESS_DENIED: {
    category: 'storage',
    hint: 'The account Lifeboat uses cannot read or write the location. Check the share permissions and the credentials.',
  },
  STORAGE_NOT_FOUND: {
    category: 'storage',
    hint: 'The object or folder does not exist at the storage location. Check the path; if a backup file vanished, run `lifeboat repo check`.',
  },
  STORAGE_UNREACHABLE: {
    category: 'storage',
    hint: 'The storage location cannot be reached. Check the network, that the share is mounted, and try again.',
  },
  STORAGE_WRITE_UNVERIFIED: {
    category: 'storage',
    hint: 'The storage acknowledged a write but reading it back gave other bytes. The share may be unreliable; check it and run again.',
  },
  STORAGE_INVALID_NAME: {
    category: 'internal',
    hint: 'An object name was refused before touching the storage. This is a defect; report it.',
  },
  STORAGE_CREDENTIAL_CONFLICT: {
    category: 'auth',
    hint: 'Windows allows one user name per server and session. Disconnect the existing connection (`net use \\\\server\\share /delete`, or close Explorer windows on it) or give the same user name, then try again.',
  },
  STORAGE_UNC_UNSUPPORTED: {
    category: 'refused',
    hint: 'Mount the share first (Linux: `mount -t cifs //server/share /mnt/backup -o credentials=FILE`; macOS: Finder, Connect to Server) and choose the mount point as a mounted share.',
  },
  STORAGE_IO: {
    category: 'storage',
    hint: 'The storage location reported an unexpected failure. Check the location and its logs, then try again.',
  },
});

const FULL = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);
const DENIED = new Set(['EACCES', 'EPERM', 'EROFS']);
const MISSING = new Set(['ENOENT', 'ENOTDIR']);
const UNREACHABLE = new Set([
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTCONN',
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESTALE',
  'EIO',
  'ENXIO',
  'ENODEV',
]);

/** Maps a Node system error on `what` (an object name or the location) to a typed storage error. */
export function storageError(error: unknown, what: string, location: string) {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  const details = { object: what, location, errno: code };
  if (FULL.has(code)) {
    return StorageErrors.create('STORAGE_FULL', `The location ${location} is full.`, {
      cause: error,
      details,
    });
  }
  if (DENIED.has(code)) {
    return StorageErrors.create(
      'STORAGE_ACCESS_DENIED',
      `Access to ${what} at ${location} was denied.`,
      {
        cause: error,
        details,
      },
    );
  }
  if (MISSING.has(code)) {
    return StorageErrors.create('STORAGE_NOT_FOUND', `${what} does not exist at ${location}.`, {
      cause: error,
      details,
    });
  }
  if (UNREACHABLE.has(code)) {
    return StorageErrors.create(
      'STORAGE_UNREACHABLE',
      `The location ${location} cannot be reached (${code}).`,
      {
        cause: error,
        details,
      },
    );
  }
  return StorageErrors.create(
    'STORAGE_IO',
    `Storage failure on ${what} at ${location}${code ? ` (${code})` : ''}.`,
    {
      cause: error,
      details,
    },
  );
}
