import {
  chmodSync,
  closeSync,
  fchmodSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { TokenError } from '../errors.js';

/**
 * A file-system failure as one clear line naming the file: a full disk is exit 4 (the
 * machine, not the user), a path that is a directory or not writable is exit 2.
 */
export function storeIoError(err: unknown, path: string, doing: 'read' | 'write' | 'create'): Error {
  const e = err as NodeJS.ErrnoException;
  if (err instanceof TokenError || typeof e?.code !== 'string') return err as Error;
  const space = 'free some space, then run the command again';
  const why: Record<string, [TokenError['code'], string, string | undefined]> = {
    ENOSPC: ['network', 'no space left on the device', space],
    EDQUOT: ['network', 'the disk quota is exceeded', space],
    EIO: ['network', 'an I/O error', 'check the disk, then run the command again'],
    EROFS: ['usage', 'the file system is read-only', undefined],
    EISDIR: ['usage', 'it is a directory', undefined],
    ENOTDIR: ['usage', 'a part of its path is not a directory', undefined],
    EACCES: ['usage', 'permission denied', undefined],
    EPERM: ['usage', 'permission denied', undefined],
    EEXIST: ['usage', 'something else is in the way', undefined],
  };
  const [code, words, hint] = why[e.code] ?? ['internal', e.code, undefined];
  return new TokenError(
    code,
    `cannot ${doing} ${path}: ${words}`,
    code === 'usage' ? 'fix the path, or set TOKEN_CONFIG_DIR to another directory' : hint,
    { cause: err },
  );
}

/** Creates a config dir 0700 (SPEC "Profiles and storage"), whatever the umask. */
export function ensurePrivateDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  } catch (err) {
    throw storeIoError(err, dir, 'create');
  }
}

/** A file's text, or undefined when it does not exist. */
export function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw storeIoError(err, path, 'read');
  }
}

const TMP_SUFFIX = '.tmp';

/**
 * Removes what killed writers of `path` left behind (temp files hold secrets). Called
 * only under the lock that every writer of `path` holds, so any temp file of it that
 * exists now belongs to a writer that is gone, whatever pid it had.
 */
export function removeLeftovers(path: string): void {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return; // no dir: nothing left over
  }
  for (const name of names) {
    if (name.startsWith(prefix) && name.endsWith(TMP_SUFFIX)) rmSync(join(dir, name), { force: true });
  }
}

let tmpCounter = 0;

/** A temp file of a path, its space already taken, to be filled and renamed over the path. */
export interface Reservation {
  /** Writes data over the reserved bytes, syncs, and renames it over the path. */
  commit(data: string): void;
  /** Removes the temp file (nothing was committed). */
  release(): void;
}

/**
 * Takes `bytes` of disk space for the next version of `path` now: a temp file of that
 * size, synced. A refresh reserves before it sends its request, so a full disk stops it
 * before the server rotates the refresh token, never after (the rotated one would be
 * lost). Writing over bytes already allocated needs no new space. The caller holds the
 * file's lock.
 */
export function reserve(path: string, bytes: number): Reservation {
  const dir = dirname(path);
  ensurePrivateDir(dir);
  removeLeftovers(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${++tmpCounter}${TMP_SUFFIX}`);
  let fd: number | undefined;
  const fail = (err: unknown): never => {
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
    rmSync(tmp, { force: true });
    throw storeIoError(err, path, 'write');
  };
  try {
    fd = openSync(tmp, 'wx', 0o600);
    fchmodSync(fd, 0o600); // the umask may have narrowed or widened it
    if (bytes > 0) writeSync(fd, Buffer.alloc(bytes, 0x20), 0, bytes, 0);
    fsyncSync(fd);
  } catch (err) {
    fail(err);
  }
  return {
    commit(data) {
      try {
        const bytes = Buffer.from(data);
        writeSync(fd!, bytes, 0, bytes.length, 0);
        ftruncateSync(fd!, bytes.length);
        fsyncSync(fd!);
        closeSync(fd!);
        fd = undefined;
        renameSync(tmp, path);
      } catch (err) {
        fail(err);
      }
      fsyncDir(dir);
    },
    release() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      rmSync(tmp, { force: true });
    },
  };
}

/**
 * Writes a file 0600 through a temp file + fsync + rename, so a reader (or a process
 * killed half-way) only ever sees the old or the new content. The caller holds the
 * file's lock.
 */
export function writeFileAtomic(path: string, data: string): void {
  reserve(path, 0).commit(data);
}

/** The rename itself survives a power cut only once the directory is synced (POSIX). */
function fsyncDir(dir: string): void {
  if (process.platform === 'win32') return;
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // some file systems refuse fsync on a directory; the rename is done either way
  }
}
