// The storage facade (SPEC "Profiles and storage (version 2)"): config.json, one
// profiles/<name>.json per profile, the long-lived secrets in the keychain (one entry per
// profile) or in the profile file, one lock per profile and one for config.json.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TokenError, UsageError } from '../errors.js';
import { readIfExists, removeLeftovers, reserve, storeIoError, writeFileAtomic, type Reservation } from './atomic.js';
import { helperCaller, keychainStore, KeychainUnavailableError, type KeychainStore } from './keychain-store.js';
import { builtin } from './builtin.js';
import { CONFIG_FILE, configDir, PROFILES_DIR, V1_SETTINGS_FILE, within } from './paths.js';
import {
  checkProfileName,
  parseConfig,
  parseProfile,
  PROFILE_NAME,
  serializeConfig,
  serializeProfile,
  type ConfigFile,
  type LongSecrets,
  type ProfileSettings,
  type StoreKind,
} from './settings.js';

export type { ConfigFile, LongSecrets, ProfileSettings, StoreKind } from './settings.js';

export interface Storage {
  dir: string;
  /** config.json (a version 1 dir is migrated first); undefined before the first login. */
  config(): Promise<ConfigFile | undefined>;
  /** Every profile's name, from the file names: no profile file is read. */
  names(): string[];
  /** One profile, reading its file and no other; undefined when there is none. */
  profile(name: string): ProfileSettings | undefined;
  /** The long-lived secrets of a profile: from its file, or its keychain entry. */
  secrets(name: string, profile: ProfileSettings): Promise<LongSecrets | undefined>;
  /**
   * Writes a profile as one atomic replacement of its file. With the keychain, `secrets`
   * (when given) are written to its entry first. The caller holds the profile's lock.
   */
  save(name: string, profile: ProfileSettings, secrets?: LongSecrets, reserved?: Reservation): Promise<void>;
  /** Disk space for the profile's next version, taken before a request whose answer must be stored. */
  reserve(name: string): Reservation;
  /** Deletes a profile: its secrets first, then its file. The caller holds its lock. */
  remove(name: string, profile: ProfileSettings): Promise<void>;
  /** Deletes a profile whose file is damaged, and its keychain entry when it may have one. */
  removeDamaged(name: string): Promise<void>;
  /** Deletes the keychain entry of a profile whose secrets moved to its file. */
  forgetKeychainSecrets(name: string): Promise<void>;
  /**
   * Runs fn holding the profile's lock: every change of one profile happens under it.
   * onWait is called once if the lock is held, before waiting for it.
   */
  withProfileLock<T>(name: string, fn: () => Promise<T>, onWait?: () => void): Promise<T>;
  /** Read-modify-write of config.json under its lock; creates it (and the storeId) if need be. */
  updateConfig(change: (config: ConfigFile) => void): Promise<ConfigFile>;
  /** Where a new login's secrets go: TOKEN_STORE=keychain|file|auto (default auto). */
  storeForLogin(warn: (line: string) => void): Promise<StoreKind>;
  /** A login is starting: unless TOKEN_STORE=file, the keychain's helper starts now, ahead of storeForLogin's probe. */
  warmForLogin(): void;
  /**
   * Where a profile keeps its secrets (unnamed: the default), for starting the keychain's helper
   * before the command tree loads: undefined when that is not known at once. Never migrates,
   * writes or throws: the command itself reports what is wrong.
   */
  peekStore(name: string | undefined): StoreKind | undefined;
  /** The keychain store of this command (its helper starts on first use). */
  keychain(): KeychainStore;
  /** Ends what the command started (the keychain helper). */
  close(): void;
}

export interface StorageOptions {
  /** A keychain other than the OS one: tests pass an in-memory one. */
  keychain?: () => KeychainStore;
}

export function openStorage(env: NodeJS.ProcessEnv, opts: StorageOptions = {}): Storage {
  const dir = configDir(env);
  const profilesDir = within(dir, PROFILES_DIR);
  const configPath = within(dir, CONFIG_FILE);
  const profilePath = (name: string) => within(profilesDir, `${checkProfileName(name)}.json`);
  // The lock module (node:net, node:crypto) loads only when a command locks: never for a fresh token.
  const withLock = async <T>(name: string, fn: () => Promise<T>, onWait?: () => void): Promise<T> => {
    const lock = await import('./lock.js');
    return lock.withLock(dir, name, { timeoutMs: lock.lockTimeoutMs(env), onWait }, fn);
  };
  let keychain: KeychainStore | undefined;
  let storeId: string | undefined;

  const readConfig = (): ConfigFile | undefined => {
    const text = readIfExists(configPath);
    return text === undefined ? undefined : parseConfig(configPath, text);
  };

  const storage: Storage = {
    dir,
    async config() {
      const config = readConfig();
      // A version 1 dir: migrated once, by the first command that finds it; its leftovers
      // (when a migration was killed after writing config.json) are removed the same way.
      if (existsSync(within(dir, V1_SETTINGS_FILE))) {
        const { migrate } = await import('./migrate.js');
        await withLock('config', () => migrate(storage, dir));
        return readConfig();
      }
      return config;
    },
    names() {
      let files: string[];
      try {
        files = readdirSync(profilesDir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw storeIoError(err, profilesDir, 'read');
      }
      return files
        .filter((f) => f.endsWith('.json') && PROFILE_NAME.test(f.slice(0, -5)))
        .map((f) => f.slice(0, -5))
        .sort();
    },
    profile(name) {
      const path = profilePath(name);
      const text = readIfExists(path);
      return text === undefined ? undefined : parseProfile(path, text);
    },
    async secrets(name, profile) {
      if (profile.store === 'file') return profile.secrets;
      return storage.keychain().read(await account(name));
    },
    async save(name, profile, secrets, reserved) {
      const file: ProfileSettings = { ...profile };
      delete file.secrets;
      if (profile.store === 'file') {
        const kept = secrets ?? profile.secrets;
        if (kept) file.secrets = kept;
      } else if (secrets) {
        try {
          await storage.keychain().write(await account(name), secrets);
        } catch (err) {
          reserved?.release();
          throw err;
        }
      }
      if (reserved) reserved.commit(serializeProfile(file));
      else writeFileAtomic(profilePath(name), serializeProfile(file));
      await sweepLeftovers(name);
    },
    reserve(name) {
      const path = profilePath(name);
      const size = readIfExists(path)?.length ?? 0;
      // Room for rotated tokens however long: a token response is at most 1 MiB, real ones a few KiB.
      return reserve(path, 2 * size + 64 * 1024);
    },
    async remove(name, profile) {
      // Secrets first: a crash after this leaves a profile that says "log in again", never
      // a secret nobody can find. A keychain that cannot be reached fails the logout.
      if (profile.store === 'keychain') await storage.keychain().remove(await account(name));
      const path = profilePath(name);
      removeLeftovers(path);
      try {
        rmSync(path, { force: true });
      } catch (err) {
        throw storeIoError(err, path, 'write');
      }
    },
    async removeDamaged(name) {
      const path = profilePath(name);
      const text = readIfExists(path) ?? '';
      if (!/"store"\s*:\s*"file"/.test(text)) {
        await storage
          .keychain()
          .remove(await account(name))
          .catch((err: unknown) => {
            // The file does not say it used the keychain: one that cannot be reached held nothing of it.
            if (!(err instanceof KeychainUnavailableError) || /"store"\s*:\s*"keychain"/.test(text)) throw err;
          });
      }
      removeLeftovers(path);
      rmSync(path, { force: true });
    },
    forgetKeychainSecrets: async (name) => storage.keychain().remove(await account(name)),
    withProfileLock: (name, fn, onWait) => withLock(`profile-${checkProfileName(name)}`, fn, onWait),
    updateConfig: (change) =>
      withLock('config', async () => {
        const config = readConfig() ?? { version: 2 as const, storeId: await newStoreId() };
        change(config);
        writeFileAtomic(configPath, serializeConfig(config));
        storeId = config.storeId;
        return config;
      }),
    storeForLogin: (warn) => storeForLogin(env, storage, warn),
    peekStore: (name) => {
      try {
        const wanted = name ?? readConfig()?.default;
        return wanted !== undefined && PROFILE_NAME.test(wanted) ? storage.profile(wanted)?.store : undefined;
      } catch {
        return undefined;
      }
    },
    warmForLogin: () => {
      if (wantedStore(env) !== 'file') storage.keychain().warm?.();
    },
    keychain: () => (keychain ??= opts.keychain ? opts.keychain() : keychainStore(helperCaller(env))),
    close: () => keychain?.close(),
  };

  /**
   * Temp files other profiles' killed writers left (they hold secrets): each is removed
   * under its profile's lock, taken only if free at once, so a live writer keeps its own.
   */
  const sweepLeftovers = async (except: string) => {
    let files: string[];
    try {
      files = readdirSync(profilesDir);
    } catch {
      return;
    }
    const names = new Set(
      files
        .flatMap((f) => /^\.(.+)\.json\..*\.tmp$/.exec(f)?.[1] ?? [])
        .filter((n) => n !== except && PROFILE_NAME.test(n)),
    );
    if (names.size === 0) return;
    const lock = await import('./lock.js');
    for (const name of names) {
      await lock
        .withLock(dir, `profile-${name}`, { timeoutMs: 0 }, async () => removeLeftovers(profilePath(name)))
        .catch((err: unknown) => {
          if (!(err instanceof TokenError && err.code === 'network')) throw err; // held: its writer is alive
        });
    }
  };

  /** The keychain account of a profile: `<storeId>/<profile>` (SPEC). */
  const account = async (name: string): Promise<string> => {
    storeId ??= readConfig()?.storeId ?? (await storage.updateConfig(() => undefined)).storeId;
    return `${storeId}/${name}`;
  };

  return storage;
}

async function newStoreId(): Promise<string> {
  return builtin<typeof import('node:crypto')>('node:crypto').randomBytes(16).toString('hex');
}

/** TOKEN_STORE as asked for (checked by storeForLogin). */
function wantedStore(env: NodeJS.ProcessEnv): string {
  return (env.TOKEN_STORE || 'auto').toLowerCase();
}

async function storeForLogin(
  env: NodeJS.ProcessEnv,
  storage: Storage,
  warn: (line: string) => void,
): Promise<StoreKind> {
  const wanted = wantedStore(env);
  if (wanted === 'file') return 'file';
  if (wanted !== 'keychain' && wanted !== 'auto') {
    throw new UsageError(`TOKEN_STORE must be keychain, file or auto, got ${JSON.stringify(env.TOKEN_STORE)}`);
  }
  try {
    await storage.keychain().probe();
    return 'keychain';
  } catch (err) {
    if (!(err instanceof KeychainUnavailableError)) throw err;
    if (wanted === 'keychain') {
      // Forced and unavailable: an error, never a silent fallback (SPEC).
      throw new TokenError('usage', `TOKEN_STORE=keychain but ${err.message}`, err.hint);
    }
    // One warning (SPEC), its second line the fix and how to silence it.
    warn(`warning: ${err.message}; secrets stored in ${join(storage.dir, PROFILES_DIR)} (mode 0600)
  ${err.hint}`);
    return 'file';
  }
}
