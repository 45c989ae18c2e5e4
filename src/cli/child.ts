// Waiting for a child that token runs (exec, curl --run) and passing its exit status through.
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';

/**
 * The child's exit code; killed by a signal: 128 + its number, as shells report it. The
 * child gets Ctrl-C from the terminal itself; we only wait for it, so main's "cancelled"
 * handler is set aside meanwhile. A SIGTERM sent to token alone is passed on to the child.
 */
export async function waitForChild(
  child: ChildProcess,
  spawnError: (err: NodeJS.ErrnoException) => Error,
): Promise<number> {
  const ignore = () => undefined;
  const forward = () => void child.kill('SIGTERM');
  const onInterrupt = process.rawListeners('SIGINT') as (() => void)[];
  process.removeAllListeners('SIGINT');
  process.on('SIGINT', ignore);
  process.on('SIGTERM', forward);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', (err: NodeJS.ErrnoException) => reject(spawnError(err)));
      child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)));
    });
  } finally {
    process.off('SIGINT', ignore);
    process.off('SIGTERM', forward);
    for (const listener of onInterrupt) process.on('SIGINT', listener);
  }
}
