// Cross-process locks (proper-lockfile: mkdir-based, stale detection by mtime, so
// a process killed while holding one blocks others only until it goes stale).
import { join } from 'node:path';
import { TokenError } from '../errors.js';
import { ensurePrivateDir } from './atomic.js';

const STALE_MS = 5000;

/** Starts loading the lock library now, for a command that knows it will lock soon (login). */
export function warmLocks(): void {
  import('proper-lockfile').catch(() => undefined); // a failure surfaces in withLock
}

/** Runs fn while holding `<dir>/locks/<name>.lock`; waits (up to waitMs) for another holder. */
export async function withLock<T>(dir: string, name: string, fn: () => Promise<T>, waitMs = 60_000): Promise<T> {
  const { default: lockfile } = await import('proper-lockfile');
  const lockDir = join(dir, 'locks');
  ensurePrivateDir(lockDir);
  const target = join(lockDir, encodeURIComponent(name));
  const started = Date.now();
  let release: (() => Promise<void>) | undefined;
  while (!release) {
    try {
      release = await lockfile.lock(target, {
        realpath: false,
        stale: STALE_MS,
        lockfilePath: `${target}.lock`,
        retries: 0,
        // The default throws from a timer and kills the process; the refresh it guards
        // re-reads the store after every wait, so a lost lock costs a wait, not a login.
        onCompromised: () => undefined,
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
      if (Date.now() - started > waitMs) {
        throw new TokenError('internal', `timed out waiting for the lock on ${name}`, `another token process holds ${target}.lock`);
      }
      await new Promise((r) => setTimeout(r, 15 + Math.random() * 35));
    }
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => {
      // The lock was compromised (went stale while we worked); our write is already done.
    });
  }
}
