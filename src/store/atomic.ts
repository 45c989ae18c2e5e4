import { mkdirSync, writeFileSync, renameSync, chmodSync, openSync, fsyncSync, closeSync, rmSync, readdirSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';

/** Creates the config dir 0700 (SPEC "Profiles and storage"), whatever the umask. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

let tmpCounter = 0;

/**
 * A process killed between writing its temp file and renaming it leaves the file
 * behind, secrets and all. Remove those of processes that no longer run.
 */
export function removeOrphans(dir: string, base: string): void {
  const prefix = `.${base}.`;
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = Number(name.slice(prefix.length).split('.')[0]);
    if (Number.isInteger(pid) && pid !== process.pid && !isRunning(pid)) rmSync(join(dir, name), { force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Writes a file 0600 through a temp file + fsync + rename, so a reader (or a
 * process killed half-way) only ever sees the old or the new content.
 */
export function writeFileAtomic(path: string, data: string): void {
  const dir = dirname(path);
  ensurePrivateDir(dir);
  removeOrphans(dir, basename(path));
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
