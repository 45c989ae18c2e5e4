// The keychain SecretStore: ONE entry per profile (SPEC "Profiles and storage (version 2)"),
// service `token-cli`, account `<storeId>/<profile>`, its value the JSON of LongSecrets
// (client secret, refresh token, and the token endpoint origin and client id they are
// bound to). keytar runs in a short-lived child (keychain-helper.ts), started on the
// first keychain call of a command (or ahead of it, warm()) and killed when a call
// outlives the 3 s timeout, when the command waits for a lock instead (idle()), or when
// the command ends. Only login, refresh and logout get here: the access token is cached
// in the profile file, so `show` on a fresh token never starts it.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { firstLine, TokenError } from '../errors.js';
import { builtin, codeDir } from './builtin.js';
import { parseSecrets, type LongSecrets } from './settings.js';
import { diagnoseKeychain } from './keychain-diagnosis.js';

export const SERVICE = 'token-cli';
/** SPEC: every keychain call has a 3 s timeout; a keyring that hangs is unavailable. */
export const KEYCHAIN_TIMEOUT_MS = 3000;

type Method = 'getPassword' | 'setPassword' | 'deletePassword';

export class KeychainUnavailableError extends TokenError {
  constructor(readonly reason: string) {
    // Exit 2 like TOKEN_STORE=keychain at login: the environment lacks what the profile needs.
    const { words, hint } = diagnoseKeychain(reason);
    super('usage', `the OS keychain is not available: ${words}`, hint);
  }
}

export interface KeychainCaller {
  call(method: Method, args: string[], what: string): Promise<unknown>;
  /** Starts the helper ahead of the first call, so its start-up overlaps the command's own work. */
  warm(): void;
  /** Ends a helper that has no call in flight; the next call starts another. */
  idle(): void;
  /** Ends the helper (stdin closed); called when the command is done with the keychain. */
  close(): void;
}

/**
 * The helper of one command: started by warm() or the first call, reused for the next ones. `env`
 * is the command's (openStorage's), never read from process.env here.
 */
export function helperCaller(
  env: NodeJS.ProcessEnv,
  helperPath = join(codeDir(), 'keychain-helper.cjs'),
  timeoutMs = KEYCHAIN_TIMEOUT_MS,
): KeychainCaller {
  let child: ChildProcess | undefined;
  let failed: KeychainUnavailableError | undefined;
  let buffer = '';
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  const fail = (err: KeychainUnavailableError) => {
    failed ??= err;
    child?.kill('SIGKILL');
    for (const p of pending.values()) p.reject(failed);
    pending.clear();
  };

  const start = (): ChildProcess => {
    const { spawn } = builtin<typeof import('node:child_process')>('node:child_process');
    // Its environment without TOKEN_*: it needs only what reaches the keyring (D-Bus, HOME).
    const helperEnv = Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('TOKEN_')));
    const c = spawn(process.execPath, [helperPath], {
      stdio: ['pipe', 'pipe', 'ignore'],
      env: helperEnv,
      windowsHide: true,
    });
    c.stdout.setEncoding('utf8');
    c.stdout.on('data', (chunk: string) => {
      buffer += chunk;
      for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        let reply: { id?: number; value?: unknown; error?: string };
        try {
          reply = JSON.parse(line) as typeof reply;
        } catch {
          continue;
        }
        const p = pending.get(reply.id ?? -1);
        if (!p) continue;
        pending.delete(reply.id!);
        if (reply.error !== undefined) p.reject(new KeychainUnavailableError(reply.error));
        else p.resolve(reply.value);
      }
    });
    c.on('error', (err) =>
      fail(new KeychainUnavailableError(`the keychain helper could not start (${firstLine(err)})`)),
    );
    c.on('exit', () => fail(new KeychainUnavailableError('the keychain helper stopped before answering')));
    c.stdin.on('error', () => undefined); // EPIPE after it died: reported through 'exit'
    // Its pipes never keep this process alive; a call waiting for an answer does (its timer).
    c.unref();
    (c.stdout as unknown as { unref?: () => void }).unref?.();
    (c.stdin as unknown as { unref?: () => void }).unref?.();
    return c;
  };

  return {
    call(method, args, what) {
      if (failed) return Promise.reject(failed);
      child ??= start();
      return new Promise((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(
          () => fail(new KeychainUnavailableError(`no answer from the keyring within ${timeoutMs / 1000} s (${what})`)),
          timeoutMs,
        );
        const done = () => clearTimeout(timer);
        pending.set(id, { resolve: (v) => (done(), resolve(v)), reject: (e) => (done(), reject(e)) });
        child!.stdin!.write(`${JSON.stringify({ id, method, args })}\n`);
      });
    },
    warm() {
      if (!failed) child ??= start();
    },
    idle() {
      if (!child || pending.size > 0) return;
      const idled = child;
      child = undefined;
      buffer = '';
      idled
        .removeAllListeners('exit')
        .removeAllListeners('error')
        .on('error', () => undefined);
      idled.kill('SIGKILL');
    },
    close() {
      failed ??= new KeychainUnavailableError('closed');
      child?.stdin?.end();
    },
  };
}

export interface KeychainStore {
  read(account: string): Promise<LongSecrets | undefined>;
  write(account: string, secrets: LongSecrets): Promise<void>;
  remove(account: string): Promise<void>;
  /** One harmless question, to learn whether the keychain works at all (login). */
  probe(): Promise<void>;
  /** A version 1 entry (`<profile>:<kind>`, the secret itself), for the migration. */
  readV1(account: string): Promise<string | undefined>;
  /** Gets ready for a call soon (starts the helper); nothing to do for a keychain without one. */
  warm?(): void;
  /** The call expected after warm() may not come soon after all: free what warm() started. */
  idle?(): void;
  close(): void;
}

export function keychainStore(caller: KeychainCaller): KeychainStore {
  return {
    async read(account) {
      const value = await caller.call('getPassword', [SERVICE, account], 'read');
      if (typeof value !== 'string') return undefined;
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        parsed = undefined;
      }
      return parseSecrets(`the keychain entry ${SERVICE}/${account}`, parsed, 'its value');
    },
    async write(account, secrets) {
      await caller.call('setPassword', [SERVICE, account, JSON.stringify(secrets)], 'write');
    },
    async remove(account) {
      await caller.call('deletePassword', [SERVICE, account], 'delete');
    },
    async readV1(account) {
      const value = await caller.call('getPassword', [SERVICE, account], 'read');
      return typeof value === 'string' ? value : undefined;
    },
    async probe() {
      await caller.call('getPassword', [SERVICE, '.probe'], 'probe');
    },
    warm: () => caller.warm(),
    idle: () => caller.idle(),
    close: () => caller.close(),
  };
}
