import { mkdirSync, writeFileSync, renameSync, chmodSync, openSync, fsyncSync, closeSync, rmSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { TokenError } from '../cli/errors.js';

/**
 * A file-system failure as one clear line naming the file: a full disk is exit 4 (the
 * machine, not the user), a path that is a directory or not writable is exit 2.
 */
export function storeIoError(err: unknown, path: string, doing: 'read' | 'write' | 'create'): Error {
  const e = err as NodeJS.ErrnoException;
  if (err instanceof TokenError || typeof e?.code !== 'string') return err as Error;
  const why: Record<string, [TokenError['code'], string]> = {
    ENOSPC: ['network', 'no space left on the device'],
    EDQUOT: ['network', 'the disk quota is exceeded'],
    EIO: ['network', 'an I/O error'],
    EROFS: ['usage', 'the file system is read-only'],
    EISDIR: ['usage', 'it is a directory'],
    ENOTDIR: ['usage', 'a part of its path is not a directory'],
    EACCES: ['usage', 'permission denied'],
    EPERM: ['usage', 'permission denied'],
    EEXIST: ['usage', 'something else is in the way'],
  };
  const [code, words] = why[e.code] ?? ['internal', e.code];
  return new TokenError(code, `cannot ${doing} ${path}: ${words}`, code === 'usage' ? 'fix the path, or set TOKEN_CONFIG_DIR to another directory' : 'free some space, then run the command again', { cause: err });
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

/**
 * Writes a file 0600 through a temp file + fsync + rename, so a reader (or a process
 * killed half-way) only ever sees the old or the new content. The caller holds the
 * file's lock.
 */
export function writeFileAtomic(path: string, data: string): void {
  const dir = dirname(path);
  ensurePrivateDir(dir);
  removeLeftovers(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${++tmpCounter}${TMP_SUFFIX}`);
  try {
    writeFileSync(tmp, data, { mode: 0o600 });
    chmodSync(tmp, 0o600); // the umask may have narrowed or widened it
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw storeIoError(err, path, 'write');
  }
  fsyncDir(dir);
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
