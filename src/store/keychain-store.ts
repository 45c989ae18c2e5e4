// The only file that touches keytar (archived upstream since 2022), so it can be
// swapped. keytar runs in a child process: a keyring that never answers leaves
// keytar's native call blocked in a libuv pool thread, and Node joins those threads
// on exit, so an in-process timeout reports the failure and then hangs for ever in
// process.exit. A child can be killed. A profile kept in the file store never starts it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { TokenError } from '../cli/errors.js';
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

// The child: one JSON request per stdin line, one JSON reply per stdout line. Secrets
// travel over the pipe, never argv. argv[1] is keytar's resolved path.
const CHILD = String.raw`
let keytar, loadError;
try { keytar = require(process.argv[1]); } catch (e) { loadError = 'keytar could not be loaded (' + String((e && e.message) || e).split('\n')[0] + ')'; }
const reply = (m) => process.stdout.write(JSON.stringify(m) + '\n');
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const { id, method, args } = JSON.parse(line);
  if (loadError) return reply({ id, error: loadError });
  keytar[method](...args).then((value) => reply({ id, value }), (e) => reply({ id, error: String((e && e.message) || e) }));
});
`;

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0] || 'unknown error';
}

function resolveKeytar(): string {
  try {
    return createRequire(import.meta.url).resolve('keytar');
  } catch (err) {
    throw new KeychainUnavailableError(`keytar could not be loaded (${firstLine(err)})`);
  }
}

interface Keytar {
  call(method: Method, args: string[], what: string): Promise<unknown>;
}

/** An idle helper lets go after this long: `token exec` must not keep it for the command's lifetime. */
const IDLE_MS = 1000;

/** Started on demand and let go when idle; a call that times out kills it, and every later call fails at once. */
function keytarProcess(): Keytar {
  let child: ChildProcess | undefined;
  let failed: KeychainUnavailableError | undefined;
  let idle: NodeJS.Timeout | undefined;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;

  const fail = (err: KeychainUnavailableError) => {
    failed ??= err;
    for (const call of pending.values()) call.reject(failed);
    pending.clear();
    child?.kill('SIGKILL');
  };
  const release = () => {
    const c = child;
    child = undefined;
    c?.stdin!.end(); // the helper exits on end of input
  };

  const start = (): ChildProcess => {
    const c = spawn(process.execPath, ['-e', CHILD, resolveKeytar()], { stdio: ['pipe', 'pipe', 'pipe'], env: process.env, windowsHide: true });
    // It must not keep the CLI alive (a pending call's timer does that) nor outlive it.
    c.unref();
    for (const s of [c.stdin, c.stdout, c.stderr] as unknown as { unref?: () => void }[]) s.unref?.();
    const kill = () => c.kill('SIGKILL');
    process.once('exit', kill);
    let stderr = '';
    c.stderr!.on('data', (d) => (stderr += d));
    c.stdin!.on('error', () => {}); // a dead helper is reported by 'exit' below
    c.on('error', (err) => fail(new KeychainUnavailableError(`could not start the keychain helper (${firstLine(err)})`)));
    c.on('exit', (code, signal) => {
      process.removeListener('exit', kill);
      if (c === child) fail(new KeychainUnavailableError(`the keychain helper stopped (${signal ?? code}): ${firstLine(stderr)}`));
    });
    createInterface({ input: c.stdout! }).on('line', (line) => {
      let msg: { id: number; value?: unknown; error?: string };
      try {
        msg = JSON.parse(line);
      } catch {
        return; // not a reply (a library's chatter); the call's timeout still applies
      }
      const call = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error !== undefined) call?.reject(new KeychainUnavailableError(msg.error));
      else call?.resolve(msg.value ?? null);
    });
    return c;
  };

  return {
    call(method, args, what) {
      if (failed) return Promise.reject(failed);
      clearTimeout(idle);
      try {
        child ??= start();
      } catch (err) {
        return Promise.reject(err);
      }
      const id = nextId++;
      const answer = new Promise<unknown>((resolve, reject) => pending.set(id, { resolve, reject }));
      child.stdin!.write(`${JSON.stringify({ id, method, args })}\n`);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          fail(new KeychainUnavailableError(`no answer from the keyring within ${KEYCHAIN_TIMEOUT_MS / 1000} s (${what})`));
          reject(failed);
        }, KEYCHAIN_TIMEOUT_MS);
      });
      return Promise.race([answer, timeout]).finally(() => {
        clearTimeout(timer);
        if (pending.size === 0 && !failed) (idle = setTimeout(release, IDLE_MS)).unref();
      });
    },
  };
}

/** Starts keytar and asks the keyring one harmless question; throws KeychainUnavailableError. */
export async function openKeychainStore(): Promise<SecretStore> {
  const keytar = keytarProcess();
  await keytar.call('getPassword', [SERVICE, '.probe'], 'probe');
  return keychainStore(keytar);
}

/** For reads of a profile known to live in the keychain: no probe, one call per secret. */
export async function keychainStoreWithoutProbe(): Promise<SecretStore> {
  return keychainStore(keytarProcess());
}

function keychainStore(keytar: Keytar): SecretStore {
  return {
    kind: 'keychain',
    location: 'the OS keychain',
    async read(profile) {
      const values = await Promise.all(SECRET_KINDS.map((kind) => keytar.call('getPassword', [SERVICE, account(profile, kind)], 'read')));
      const out: Secrets = {};
      SECRET_KINDS.forEach((kind, i) => {
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
