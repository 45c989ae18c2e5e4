// The keychain SecretStore. keytar itself is used in one file only, keychain-agent.ts
// (archived upstream: swap it there), inside a per-user agent process that
// this client starts on demand and reaches over a unix socket in a 0700 directory
// (agent-client.ts). Secrets cross that socket and nothing else: never argv, logs or
// files. A Secret Service that never answers blocks keytar's native call in a thread
// Node would join at exit, so the CLI never calls keytar itself: on a timeout it kills
// the agent and removes its socket, and the next command starts a fresh one. A profile
// kept in the file store never starts or reaches the agent.
import { firstLine, TokenError } from '../errors.js';
import { AgentError, AgentGoneError, agentSocket, connectOrStart, ensureAgentDir, removeSocketFile, type AgentSocket, type Conn } from './agent-client.js';
import { configDir } from './paths.js';
import { account, SECRET_KINDS, WRITE_ORDER, type SecretChanges, type Secrets, type SecretStore } from './secrets.js';

export const SERVICE = 'token-cli';
/** SPEC: every keychain call has a 3 s timeout; a keyring that hangs is unavailable. */
export const KEYCHAIN_TIMEOUT_MS = 3000;

type Method = 'getPassword' | 'setPassword' | 'deletePassword';

export class KeychainUnavailableError extends TokenError {
  constructor(readonly reason: string) {
    // Exit 2 like TOKEN_STORE=keychain at login: the environment lacks what the profile needs.
    super('usage', `the OS keychain is not available: ${reason}`, 'start or unlock the OS keychain (on Linux a Secret Service such as gnome-keyring), or log in again with TOKEN_STORE=file');
  }
}


interface Keytar {
  call(method: Method, args: string[], what: string): Promise<unknown>;
}

/** One command's client: connects (starting the agent if need be) on the first call. */
function agentClient(): Keytar {
  let where: AgentSocket | undefined;
  let current: Conn | undefined;
  let opening: Promise<Conn> | undefined;
  let failed: KeychainUnavailableError | undefined;
  let nextId = 1;

  // Later calls of this command fail at once; a hung agent is killed and its socket removed.
  const fail = (err: KeychainUnavailableError, hung?: Conn) => {
    failed ??= err;
    if (hung && !hung.closed) {
      // Its socket first: a command starting meanwhile then starts a new agent, not this one.
      removeSocketFile(where!.path, hung.file);
      try {
        if (hung.pid !== undefined) process.kill(hung.pid, 'SIGKILL');
      } catch {
        // it exited meanwhile: the goal
      }
      hung.link.destroy();
    }
    for (const call of current?.pending.values() ?? []) call.reject(failed);
    current?.pending.clear();
  };

  const open = async (): Promise<Conn> => {
    try {
      where ??= agentSocket(configDir(process.env));
      ensureAgentDir(where);
      return (current = await connectOrStart(where.path));
    } catch (err) {
      const e = new KeychainUnavailableError(err instanceof AgentError ? err.message : `could not reach the keychain agent (${firstLine(err)})`);
      fail(e);
      throw e;
    }
  };

  const request = (conn: Conn, method: Method, args: string[], what: string) =>
    new Promise<unknown>((resolve, reject) => {
      if (conn.closed) return reject(new AgentGoneError('the keychain agent went away'));
      const id = nextId++;
      // This timer is what keeps the CLI waiting: the socket itself is unref'd.
      const timer = setTimeout(() => fail(new KeychainUnavailableError(`no answer from the keyring within ${KEYCHAIN_TIMEOUT_MS / 1000} s (${what})`), conn), KEYCHAIN_TIMEOUT_MS);
      const done = () => clearTimeout(timer);
      // An error reply (keytar could not load, the keyring said no) makes the keychain unavailable.
      const unavailable = (e: Error) => (e instanceof AgentError ? new KeychainUnavailableError(e.message) : e);
      conn.pending.set(id, { resolve: (v) => (done(), resolve(v)), reject: (e) => (done(), reject(unavailable(e))) });
      conn.link.write(`${JSON.stringify({ id, method, args })}\n`);
    });

  return {
    async call(method, args, what) {
      // get/set/delete are idempotent: one retry when the agent went away mid-call.
      for (let attempt = 0; ; attempt++) {
        if (failed) throw failed;
        const conn = current && !current.closed ? current : await (opening ??= open().finally(() => (opening = undefined)));
        try {
          return await request(conn, method, args, what);
        } catch (err) {
          if (!(err instanceof AgentGoneError)) throw err;
          if (attempt > 0) {
            const gone = new KeychainUnavailableError('the keychain agent stopped before answering');
            fail(gone);
            throw failed ?? gone;
          }
        }
      }
    },
  };
}

/** Reaches the agent and asks the keyring one harmless question; throws KeychainUnavailableError. */
export async function openKeychainStore(): Promise<SecretStore> {
  const keytar = agentClient();
  await keytar.call('getPassword', [SERVICE, '.probe'], 'probe');
  return keychainStore(keytar);
}

/** For reads of a profile known to live in the keychain: no probe, one call per secret. */
export async function keychainStoreWithoutProbe(): Promise<SecretStore> {
  return keychainStore(agentClient());
}

function keychainStore(keytar: Keytar): SecretStore {
  return {
    kind: 'keychain',
    location: 'the OS keychain',
    // One keychain call per kind, all at once: the agent answers them in parallel.
    async read(profile, kinds = SECRET_KINDS) {
      const values = await Promise.all(kinds.map((kind) => keytar.call('getPassword', [SERVICE, account(profile, kind)], 'read')));
      const out: Secrets = {};
      kinds.forEach((kind, i) => {
        const value = values[i];
        if (typeof value === 'string') out[kind] = value;
      });
      return out;
    },
    // Each secret is its own entry (Windows caps one near 2.5 KB); sequential, refresh token first.
    async write(profile, changes: SecretChanges) {
      for (const kind of WRITE_ORDER) {
        const value = changes[kind];
        if (value === undefined) continue;
        if (value === null) await keytar.call('deletePassword', [SERVICE, account(profile, kind)], 'delete');
        else await keytar.call('setPassword', [SERVICE, account(profile, kind), value], 'write');
      }
    },
    async remove(profile) {
      for (const kind of SECRET_KINDS) await keytar.call('deletePassword', [SERVICE, account(profile, kind)], 'delete');
    },
  };
}
