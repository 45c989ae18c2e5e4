import { mkdirSync, writeFileSync, renameSync, chmodSync, openSync, fsyncSync, closeSync, rmSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';

/** Creates the config dir 0700 (SPEC "Profiles and storage"), whatever the umask. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

let tmpCounter = 0;

/**
 * Writes a file 0600 through a temp file + fsync + rename, so a reader (or a
 * process killed half-way) only ever sees the old or the new content.
 */
export function writeFileAtomic(path: string, data: string): void {
  const dir = dirname(path);
  ensurePrivateDir(dir);
  // pid + counter make the name unique among live processes; node:crypto would cost start-up.
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${++tmpCounter}.${Math.random().toString(36).slice(2, 8)}.tmp`);
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
    throw err;
  }
}
