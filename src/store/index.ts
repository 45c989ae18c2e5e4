// The storage facade: profiles.json for settings, a SecretStore per profile.
import { TokenError, UsageError } from '../errors.js';
import { createFileStore } from './file-store.js';
// Static, not lazy: the client is small and keytar itself lives in the agent process, and
// a lazy ES chunk would cost every keychain read Node's ESM loader at start-up.
import { KeychainUnavailableError, keychainStoreWithoutProbe, openKeychainStore } from './keychain-store.js';
import { withLock } from './lock.js';
import { configDir } from './paths.js';
import type { SecretStore } from './secrets.js';
import { readSettings, viewSettings, writeSettings, type ProfileSettings, type Settings, type SettingsView, type StoreKind } from './settings.js';

export interface Storage {
  dir: string;
  read(): Settings;
  /** profiles.json for picking one profile fast (selectFromView). */
  view(): SettingsView;
  /** Read-modify-write of profiles.json under a lock, so concurrent processes never lose an update. */
  update(change: (settings: Settings) => void): Promise<Settings>;
  /** The store a profile's secrets live in (recorded at login). */
  secretsOf(profile: Pick<ProfileSettings, 'store'>): Promise<SecretStore>;
  /** Where a new login's secrets go: TOKEN_STORE=keychain|file|auto (default auto). */
  storeForLogin(warn: (line: string) => void): Promise<SecretStore>;
}

export function openStorage(env: NodeJS.ProcessEnv): Storage {
  const dir = configDir(env);
  // One keychain agent connection per command, however many reads and writes it makes.
  let keychain: Promise<SecretStore> | undefined;
  return {
    dir,
    read: () => readSettings(dir),
    view: () => viewSettings(dir),
    update: (change) =>
      withLock(dir, 'profiles', async () => {
        const settings = readSettings(dir);
        change(settings);
        writeSettings(dir, settings);
        return settings;
      }),
    async secretsOf(profile) {
      if (profile.store === 'file') return createFileStore(dir);
      keychain ??= keychainStoreWithoutProbe();
      return keychain;
    },
    storeForLogin: (warn) => storeForLogin(env, dir, warn),
  };
}

async function storeForLogin(env: NodeJS.ProcessEnv, dir: string, warn: (line: string) => void): Promise<SecretStore> {
  const wanted = (env.TOKEN_STORE || 'auto').toLowerCase() as StoreKind | 'auto';
  if (wanted === 'file') return createFileStore(dir);
  if (wanted !== 'keychain' && wanted !== 'auto') {
    throw new UsageError(`TOKEN_STORE must be keychain, file or auto, got ${JSON.stringify(env.TOKEN_STORE)}`);
  }
  try {
    return await openKeychainStore();
  } catch (err) {
    if (!(err instanceof KeychainUnavailableError)) throw err;
    if (wanted === 'keychain') {
      // Forced and unavailable: an error, never a silent fallback (SPEC).
      throw new TokenError('usage', `TOKEN_STORE=keychain but ${err.message}`, 'start a Secret Service (e.g. gnome-keyring) or set TOKEN_STORE=file');
    }
    const file = createFileStore(dir);
    warn(`warning: ${err.message}; secrets stored in ${file.location} (mode 0600)`);
    return file;
  }
}
