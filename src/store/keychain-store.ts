// The only file that touches keytar (archived upstream since 2022), so it can be
// swapped. Imported lazily: a profile kept in the file store never loads it.
import { TokenError } from '../cli/errors.js';
import { account, SECRET_KINDS, WRITE_ORDER, type SecretChanges, type Secrets, type SecretStore } from './secrets.js';

export const SERVICE = 'token-cli';
/** SPEC: every keychain call has a 3 s timeout; a keyring that hangs is unavailable. */
export const KEYCHAIN_TIMEOUT_MS = 3000;

type Keytar = typeof import('keytar');

export class KeychainUnavailableError extends TokenError {
  constructor(readonly reason: string) {
    super('internal', `the OS keychain is not available: ${reason}`, 'set TOKEN_STORE=file to keep secrets in a 0600 file instead');
  }
}

async function loadKeytar(): Promise<Keytar> {
  try {
    const mod = (await import('keytar')) as Keytar & { default?: Keytar };
    return mod.default ?? mod;
  } catch (err) {
    throw new KeychainUnavailableError(`keytar could not be loaded (${firstLine(err)})`);
  }
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0] ?? 'unknown error';
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new KeychainUnavailableError(`no answer from the keyring within ${KEYCHAIN_TIMEOUT_MS / 1000} s (${what})`)),
      KEYCHAIN_TIMEOUT_MS,
    );
    timer.unref();
  });
  return Promise.race([
    promise.catch((err: unknown) => {
      throw err instanceof TokenError ? err : new KeychainUnavailableError(firstLine(err));
    }),
    timeout,
  ]).finally(() => clearTimeout(timer));
}

/** Loads keytar and asks the keyring one harmless question; throws KeychainUnavailableError. */
export async function openKeychainStore(): Promise<SecretStore> {
  const keytar = await loadKeytar();
  await withTimeout(keytar.getPassword(SERVICE, '.probe'), 'probe');
  return keychainStore(keytar);
}

/** For reads of a profile known to live in the keychain: no probe, one call per secret. */
export async function keychainStoreWithoutProbe(): Promise<SecretStore> {
  return keychainStore(await loadKeytar());
}

function keychainStore(keytar: Keytar): SecretStore {
  return {
    kind: 'keychain',
    location: 'the OS keychain',
    async read(profile) {
      const values = await Promise.all(
        SECRET_KINDS.map((kind) => withTimeout(keytar.getPassword(SERVICE, account(profile, kind)), 'read')),
      );
      const out: Secrets = {};
      SECRET_KINDS.forEach((kind, i) => {
        const value = values[i];
        if (value != null) out[kind] = value;
      });
      return out;
    },
    // Each secret is its own entry (Windows caps one near 2.5 KB); sequential, refresh token first.
    async write(profile, changes: SecretChanges) {
      for (const kind of WRITE_ORDER) {
        const value = changes[kind];
        if (value === undefined) continue;
        if (value === null) await withTimeout(keytar.deletePassword(SERVICE, account(profile, kind)), 'delete');
        else await withTimeout(keytar.setPassword(SERVICE, account(profile, kind), value), 'write');
      }
    },
    async remove(profile) {
      for (const kind of SECRET_KINDS) {
        await withTimeout(keytar.deletePassword(SERVICE, account(profile, kind)), 'delete');
      }
    },
  };
}
