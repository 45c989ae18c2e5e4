// How a command reaches the keychain agent (keychain-agent.ts): where its socket is,
// starting it, connecting. The socket carries secrets, so its directory is the access
// control: 0700, owned by us, not a symlink — checked before every connect, since a
// fallback directory in a shared /tmp could be someone else's. The socket's name is a
// hash of what decides which keyring keytar reaches, so another D-Bus session (or
// HOME, or runtime dir) gets its own agent. Requests, timeouts and the store itself
// are keychain-store.ts's.
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { join, parse, resolve } from 'node:path';
import { openLink, type Link } from './agent-link.js';
import { ensurePrivateDir } from './atomic.js';
import { builtin, codeDir } from './builtin.js';

/** Part of the name: a CLI never talks to an agent of another protocol version. */
const PROTOCOL = 'kc1';
/** sun_path holds 104 bytes on macOS, 108 on Linux, the NUL included. */
const MAX_SOCKET_PATH = 103;
/** How long a command waits for a newly started agent to accept connections. */
const AGENT_START_MS = 2000;

/** A failure with a complete message for the user (the rest get "could not reach ..."). */
export class AgentError extends Error {}
/** The connection closed before the answer came: the agent went idle or was replaced. */
export class AgentGoneError extends Error {}

export interface AgentSocket {
  /** The unix socket path, or the named pipe on Windows. */
  path: string;
  /** Its directory (none for a named pipe), and whether that is the config dir's own. */
  dir?: string;
  inConfigDir?: boolean;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/** One connection to an agent; pid and file come with its hello. */
export interface Conn {
  link: Link;
  pid: number | undefined;
  /** dev:ino of the agent's socket file, so a client that kills it removes that file and no other. */
  file: string | null;
  pending: Map<number, Pending>;
  closed: boolean;
}

/** FNV-1a, 64 bits: a stable short name without loading node:crypto (start-up time). */
export function fnv1a64(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text, 'utf8')) h = ((h ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}

/** `<config dir>/agent/kc1-<hash>.sock`, else in $XDG_RUNTIME_DIR or a per-uid temp dir when that path is too long. */
export function agentSocket(configDir: string, env: NodeJS.ProcessEnv = process.env, platform = process.platform): AgentSocket {
  const config = resolve(configDir); // the agent runs in /: a relative path would move
  const key = [config, env.DBUS_SESSION_BUS_ADDRESS ?? '', env.XDG_RUNTIME_DIR ?? '', env.HOME ?? ''].join('\0');
  const name = `${PROTOCOL}-${fnv1a64(key)}`;
  // Named pipes share one machine-wide namespace; the config dir in the key keeps users apart.
  if (platform === 'win32') return { path: `\\\\.\\pipe\\token-cli-${name}` };
  const file = `${name}.sock`;
  const fits = (dir: string) => Buffer.byteLength(join(dir, file)) <= MAX_SOCKET_PATH;
  const preferred = join(config, 'agent');
  if (fits(preferred)) return { path: join(preferred, file), dir: preferred, inConfigDir: true };
  const uid = process.getuid?.() ?? 0;
  for (const dir of [env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'token-cli') : '', join(builtin<typeof import('node:os')>('node:os').tmpdir(), `token-cli-${uid}`), `/tmp/token-cli-${uid}`]) {
    if (dir && fits(dir)) return { path: join(dir, file), dir };
  }
  throw new AgentError(`no directory for the keychain agent's socket fits the ${MAX_SOCKET_PATH}-byte limit (config dir ${config})`);
}

/** Creates the socket's directory when missing and refuses one that others could enter or own. */
export function ensureAgentDir(where: AgentSocket): void {
  const { dir } = where;
  if (!dir) return;
  let st = lstatOrUndefined(dir);
  if (!st) {
    if (where.inConfigDir) ensurePrivateDir(dir);
    else {
      try {
        mkdirSync(dir, { mode: 0o700 }); // not recursive: its parent is a runtime or temp dir
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    st = lstatSync(dir);
  }
  if (!st.isDirectory()) throw new AgentError(`${dir} is a symlink or not a directory: no socket for secrets there`);
  if (st.uid !== process.getuid?.()) throw new AgentError(`${dir} belongs to another user: no socket for secrets there`);
  if (st.mode & 0o077) chmodSync(dir, 0o700); // ours and a real directory: safe to tighten
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Connects to the agent, starting one when there is none (or only a stale socket). */
export async function connectOrStart(path: string): Promise<Conn> {
  const deadline = Date.now() + AGENT_START_MS;
  let agent: ChildProcess | undefined;
  let agentFailed: string | undefined;
  // A fresh agent listens once its Node has started: poll often, connecting is one syscall.
  for (let delay = 2; ; delay = Math.min(delay * 2, 10)) {
    try {
      return await connectOnce(path, deadline);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ECONNREFUSED' && code !== 'EAGAIN') throw err;
      if (agentFailed) throw new AgentError(`the keychain agent could not start (${agentFailed})`);
      if (!agent) {
        // Two commands may both start one: the loser sees EADDRINUSE and exits 0, and both connect to the winner.
        agent = await startAgent(path);
        agent.once('error', (e) => (agentFailed = String(e.message)));
        agent.once('exit', (status, signal) => {
          if (status !== 0) agentFailed = `exit ${signal ?? status}`;
        });
      }
      if (Date.now() + delay > deadline) throw new AgentError(`the keychain agent did not start within ${AGENT_START_MS / 1000} s`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/**
 * Resolves once connected: requests go out at once, without waiting for the hello (a
 * round trip saved on every command); the agent sends its hello before reading
 * anything, so it is always the first line. Rejects with the connect error (ENOENT, ...).
 */
function connectOnce(path: string, deadline: number): Promise<Conn> {
  return new Promise((resolve, reject) => {
    // A line is decoded once complete (a newline byte never occurs inside a UTF-8 character).
    let partial = Buffer.alloc(0);
    const timer = setTimeout(() => {
      link.destroy();
      reject(new AgentError(`the keychain agent did not accept a connection within ${AGENT_START_MS / 1000} s`));
    }, Math.max(0, deadline - Date.now()));
    const link = openLink(path, {
      connect() {
        clearTimeout(timer);
        resolve(conn);
      },
      error(err) {
        clearTimeout(timer);
        reject(err);
      },
      data(bytes) {
        let data = partial.length ? Buffer.concat([partial, bytes]) : bytes;
        for (let nl; (nl = data.indexOf(10)) !== -1; data = data.subarray(nl + 1)) onLine(data.toString('utf8', 0, nl));
        partial = Buffer.from(data); // a copy: `bytes` may be reused by the next read
      },
      close() {
        conn.closed = true;
        for (const call of conn.pending.values()) call.reject(new AgentGoneError('the keychain agent went away'));
        conn.pending.clear();
      },
    });
    const conn: Conn = { link, pid: undefined, file: null, pending: new Map(), closed: false };
    function onLine(line: string) {
      let msg: { id?: number; value?: unknown; error?: string; hello?: { pid?: unknown; socket?: unknown } };
      try {
        msg = JSON.parse(line) as typeof msg;
      } catch {
        return; // not a reply; the call's timeout still applies
      }
      if (msg.hello) {
        if (typeof msg.hello.pid === 'number') conn.pid = msg.hello.pid;
        if (typeof msg.hello.socket === 'string') conn.file = msg.hello.socket;
        return;
      }
      const call = conn.pending.get(msg.id!);
      conn.pending.delete(msg.id!);
      if (msg.error !== undefined) call?.reject(new AgentError(msg.error));
      else call?.resolve(msg.value ?? null);
    }
  });
}

/** dist/keychain-agent.js, its own esbuild entry, beside dist/main.cjs where this module is bundled. */
function agentScript(): string {
  for (const rel of ['keychain-agent.js', '../keychain-agent.js']) {
    const file = resolve(codeDir(), rel);
    if (existsSync(file)) return file;
  }
  throw new AgentError('the keychain agent is missing (dist/keychain-agent.js; run npm run build)');
}

async function startAgent(path: string): Promise<ChildProcess> {
  const { spawn } = builtin<typeof import('node:child_process')>('node:child_process'); // only on a cold start
  // Detached with stdio on /dev/null: it must not hold the CLI's stdout (`$(token show
  // --raw)` would wait for it) nor die with the CLI's process group. Secrets never on argv.
  const child = spawn(process.execPath, [agentScript(), path], { detached: true, stdio: 'ignore', env: agentEnv(process.env), cwd: parse(process.execPath).root, windowsHide: true });
  child.unref();
  return child;
}

/** The CLI's environment minus TOKEN_* (TOKEN_CLIENT_SECRET among them): the agent outlives the command. */
function agentEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (!k.startsWith('TOKEN_') || k === 'TOKEN_KEYCHAIN_AGENT_IDLE_MS') out[k] = v;
  return out;
}

/** Removes the socket file of an agent about to be killed, and not a newer agent's. */
export function removeSocketFile(path: string, file: string | null): void {
  try {
    const st = lstatSync(path, { bigint: true });
    if (file && `${st.dev}:${st.ino}` === file) unlinkSync(path);
  } catch {
    // gone already, or a named pipe: nothing to remove
  }
}
