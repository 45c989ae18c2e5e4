// The keychain agent, built to dist/keychain-agent.js and run as its own process:
// the ONLY file that touches keytar (archived upstream: swap it here),
// loaded lazily on the first request. One agent per user and keyring session, like
// ssh-agent or git-credential-cache, so `token show --raw` does not pay a second Node
// start-up and a fresh D-Bus connection on every run.
//
// Why a process at all: a Secret Service that never answers leaves keytar's native
// call blocked in a libuv pool thread, and Node joins those threads at exit, so a
// CLI that called keytar itself could report the timeout and then never exit. The
// client (keychain-store.ts) kills a hung agent instead (SPEC: 3 s keychain timeout).
//
// Protocol, newline-delimited JSON over the socket given as argv[2]: on connect the
// agent sends {"hello":{pid, socket, v}} (socket: dev:ino of its socket file, so a
// client that kills it removes that file and no other); then each request
// {id, method, args} gets {id, value} or {id, error}. Each request is exactly one
// keytar call: the agent never caches a secret.
//
// Security: secrets travel only over this socket, which lives in a 0700 directory
// only the user can enter (agent-client.ts); never in argv (only the socket path is
// there), logs or files; stdio is /dev/null and TOKEN_* is not in its environment.
//
// Lifetime: exits after IDLE_MS without a request, as soon as its socket file is
// removed or replaced (the config dir went away, or another agent took over), and on
// SIGTERM. A call stuck far past the client's timeout (its client died before killing
// us) ends it too.
import { statSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect, createServer, type Server, type Socket } from 'node:net';

/** Bumped with the socket name (agent-client.ts) whenever the protocol changes. */
const PROTOCOL = 1;
/**
 * 60 s: scripts that call `token` in a loop reuse one agent, and a minute after the
 * last call no process lingers (it holds no secret, only a keyring connection).
 * TOKEN_KEYCHAIN_AGENT_IDLE_MS overrides it, for the tests only
 * (test/real/keychain-agent.test.ts); the client passes it through.
 */
const IDLE_MS = Number(process.env.TOKEN_KEYCHAIN_AGENT_IDLE_MS) > 0 ? Number(process.env.TOKEN_KEYCHAIN_AGENT_IDLE_MS) : 60_000;
/** How often the socket file and the idle time are checked. */
const POLL_MS = Math.max(50, Math.min(1000, IDLE_MS / 4));
/** Ten times the client's timeout: nobody is waiting for this call any more. */
const WEDGED_MS = 30_000;
/** Secrets are a few KB; a longer line is not ours. */
const MAX_LINE = 1 << 20;
const METHODS = new Set(['getPassword', 'setPassword', 'deletePassword']);
const WINDOWS_PIPE = /^\\\\[.?]\\pipe\\/;

type Keytar = Record<string, (...args: string[]) => Promise<unknown>>;

/** As errors.ts's firstLine: a copy, since importing it would split this one-file agent into chunks. */
function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0] || 'unknown error';
}

let keytar: Keytar | undefined;
let loadError: string | undefined;

function loadKeytar(): Keytar {
  if (keytar) return keytar;
  if (loadError === undefined) {
    try {
      return (keytar = createRequire(import.meta.url)('keytar') as Keytar);
    } catch (err) {
      loadError = `keytar could not be loaded (${firstLine(err)})`;
    }
  }
  throw new Error(loadError);
}

async function keytarCall(method: unknown, args: unknown): Promise<unknown> {
  if (typeof method !== 'string' || !METHODS.has(method) || !Array.isArray(args) || !args.every((a) => typeof a === 'string')) {
    throw new Error('bad request to the keychain agent');
  }
  return (await loadKeytar()[method]!(...args)) ?? null;
}

function serveAgent(path: string): void {
  const isPipe = WINDOWS_PIPE.test(path);
  const inflight = new Map<number, number>(); // call number → started at
  const sockets = new Set<Socket>();
  let calls = 0;
  let lastActivity = Date.now();
  let identity: string | undefined; // dev:ino of the socket file we bound
  let stopping = false;
  let poll: NodeJS.Timeout | undefined;

  const currentIdentity = (): string | undefined => {
    try {
      const st = statSync(path, { bigint: true });
      return `${st.dev}:${st.ino}`;
    } catch {
      return undefined;
    }
  };
  const ownsSocket = () => isPipe || (identity !== undefined && currentIdentity() === identity);
  const removeOwnSocket = () => {
    if (isPipe || !ownsSocket()) return;
    try {
      unlinkSync(path);
    } catch {
      // already gone: the goal
    }
  };
  const hardExit = (): never => {
    // A keytar call may be blocked in a pool thread: exit without joining it.
    process.kill(process.pid, 'SIGKILL');
    throw new Error('unreachable');
  };
  const finish = () => {
    const exitWhenClosed = () => sockets.size === 0 && process.exit(0);
    for (const s of sockets) s.end().once('close', exitWhenClosed);
    exitWhenClosed();
    // Clients close their side at once; a frozen one must not keep us.
    setTimeout(() => process.exit(0), 1000).unref();
  };
  // Never server.close(): libuv then unlinks the path, which may by now be another
  // agent's socket. Exiting leaves the path alone; ours was removed first if still ours.
  const stop = (unlink: boolean) => {
    if (stopping) return;
    stopping = true;
    clearInterval(poll);
    if (unlink) removeOwnSocket();
    if (inflight.size === 0) finish(); // else the last answer calls it
  };
  const tick = () => {
    if (!ownsSocket()) return stop(false);
    const now = Date.now();
    if (inflight.size === 0 && now - lastActivity >= IDLE_MS) return stop(true);
    for (const started of inflight.values()) {
      if (now - started > WEDGED_MS) {
        removeOwnSocket();
        hardExit();
      }
    }
  };

  const answer = async (sock: Socket, line: string) => {
    let req: { id?: unknown; method?: unknown; args?: unknown };
    try {
      req = JSON.parse(line) as typeof req;
    } catch {
      sock.destroy(); // not our client
      return;
    }
    const call = ++calls;
    inflight.set(call, Date.now());
    lastActivity = Date.now();
    let reply: object;
    try {
      reply = { id: req.id, value: await keytarCall(req.method, req.args) };
    } catch (err) {
      reply = { id: req.id, error: firstLine(err) };
    }
    inflight.delete(call);
    lastActivity = Date.now();
    if (!sock.destroyed) sock.write(`${JSON.stringify(reply)}\n`);
    if (stopping && inflight.size === 0) finish();
  };

  const server: Server = createServer((sock) => {
    if (stopping) return void sock.destroy();
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {}); // a client that went away: nobody to tell
    sock.setEncoding('utf8');
    sock.write(`${JSON.stringify({ hello: { pid: process.pid, socket: identity ?? null, v: PROTOCOL } })}\n`);
    let buffer = '';
    sock.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line) void answer(sock, line);
      }
      if (buffer.length > MAX_LINE) sock.destroy();
    });
  });

  let attempts = 0;
  server.on('error', (err: NodeJS.ErrnoException) => {
    // Another agent holds the name, or a dead one left its socket file behind.
    if (err.code !== 'EADDRINUSE' || isPipe || ++attempts > 3) process.exit(isPipe && err.code === 'EADDRINUSE' ? 0 : 1);
    void isLive(path).then((live) => {
      if (live) process.exit(0); // a racing agent won: our client connects to it
      try {
        unlinkSync(path); // stale
      } catch {
        // gone already
      }
      server.listen(path);
    });
  });
  server.listen(path, () => {
    identity = currentIdentity();
    poll = setInterval(tick, POLL_MS);
  });
  process.on('SIGTERM', () => {
    removeOwnSocket();
    // The default action, not process.exit: that would join a pool thread stuck in keytar.
    process.removeAllListeners('SIGTERM');
    process.kill(process.pid, 'SIGTERM');
  });
}

/** Whether an agent answers on this socket; a refused connection means a stale file. */
function isLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code !== 'ECONNREFUSED' && err.code !== 'ENOENT'));
  });
}

const socketPath = process.argv[2];
if (socketPath) {
  process.umask(0o077); // the directory already keeps others out; belt and braces
  serveAgent(socketPath);
} else {
  process.stderr.write('usage: keychain-agent <socket path>\n');
  process.exitCode = 2;
}
