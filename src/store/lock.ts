// Cross-process locks the kernel releases when their holder dies (SPEC "Locks").
//
// A lock is a listening local socket whose name is derived from the config dir and the
// lock's name: on Linux in the abstract namespace, on Windows a named pipe. Binding it
// succeeds for exactly one process; the kernel frees the name the moment that process
// exits, however it ends, so a dead holder's lock is free at once and a live holder's
// is never taken, however long it holds it (stopped, on a slow disk). No staleness by
// time, and no pid to reuse. Elsewhere (macOS, BSD) the socket is a file in locks/: a
// name that refuses connections belongs to a dead holder and is removed before binding.
//
// Beside it, `<name>.pid` says who holds it, for the message of a waiter that gives up.
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { TokenError, UsageError } from '../errors.js';
import { ensurePrivateDir } from './atomic.js';

export interface LockOptions {
  /** How long a waiter waits before giving up: TOKEN_LOCK_TIMEOUT seconds, default 60. */
  timeoutMs: number;
  /** Called once when the lock is found held (by another process, or another holder in this one), before waiting. */
  onWait?: () => void;
  platform?: NodeJS.Platform;
}

export function lockTimeoutMs(env: NodeJS.ProcessEnv): number {
  const raw = env.TOKEN_LOCK_TIMEOUT;
  if (raw === undefined || raw === '') return 60_000;
  const s = Number(raw);
  if (!Number.isFinite(s) || s < 0 || s > 86_400)
    throw new UsageError(`TOKEN_LOCK_TIMEOUT must be seconds between 0 and 86400, got ${JSON.stringify(raw)}`);
  return s * 1000;
}

/** The socket address of a lock: unique per user, config dir and lock name. */
export function lockAddress(dir: string, name: string, platform: NodeJS.Platform = process.platform): string {
  let real = dir;
  try {
    real = realpathSync.native(dir);
  } catch {
    // not there yet: the path as given names it
  }
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const hash = createHash('sha256').update(`${uid}\0${real}\0${name}`).digest('hex').slice(0, 40);
  if (platform === 'linux') return `\0token-cli/${hash}`;
  if (platform === 'win32') return `\\\\.\\pipe\\token-cli-${hash}`;
  return join(dir, 'locks', `${hash.slice(0, 16)}.sock`);
}

function listen(address: string): Promise<Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') resolve(undefined);
      else reject(err);
    });
    server.listen({ path: address, exclusive: true }, () => {
      server.unref(); // a lock never keeps the process alive by itself
      resolve(server);
    });
  });
}

/** For a socket file (not Linux or Windows): does anybody listen on it? */
function answers(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(address);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code !== 'ECONNREFUSED' && err.code !== 'ENOENT'));
  });
}

async function tryAcquire(address: string, fileSocket: boolean): Promise<Server | undefined> {
  const server = await listen(address);
  if (server || !fileSocket) return server;
  // A socket file left by a dead holder refuses connections: remove it, then bind.
  if (await answers(address)) return undefined;
  rmSync(address, { force: true });
  return listen(address);
}

function holderPid(pidFile: string): string {
  try {
    const pid = readFileSync(pidFile, 'utf8').trim();
    return /^\d+$/.test(pid) ? pid : 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Runs fn while holding the lock `name` of config dir `dir`. Waits for another holder,
 * up to opts.timeoutMs, then fails with exit 4 naming the holder's pid.
 */
export async function withLock<T>(dir: string, name: string, opts: LockOptions, fn: () => Promise<T>): Promise<T> {
  const platform = opts.platform ?? process.platform;
  const lockDir = join(dir, 'locks');
  ensurePrivateDir(lockDir);
  const address = lockAddress(dir, name, platform);
  const fileSocket = platform !== 'linux' && platform !== 'win32';
  const pidFile = join(lockDir, `${encodeURIComponent(name)}.pid`);
  const started = Date.now();
  let server: Server | undefined;
  let waited = false;
  for (let delay = 5; !(server = await tryAcquire(address, fileSocket)); delay = Math.min(delay * 2, 50)) {
    if (!waited) opts.onWait?.();
    waited = true;
    if (Date.now() - started >= opts.timeoutMs) {
      throw new TokenError(
        'network',
        `timed out after ${Math.round(opts.timeoutMs / 1000)} s waiting for the lock on ${name}, held by pid ${holderPid(pidFile)}`,
        'another token command is still running; set TOKEN_LOCK_TIMEOUT to wait longer',
      );
    }
    await new Promise((r) => setTimeout(r, delay + Math.random() * delay));
  }
  try {
    writeFileSync(pidFile, `${process.pid}\n`, { mode: 0o600 });
  } catch {
    // only the waiters' message uses it
  }
  try {
    return await fn();
  } finally {
    server.close();
  }
}
