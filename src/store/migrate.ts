// Storage version 1 → 2 (SPEC "Migration"), run under the config lock by the first
// command that finds profiles.json. Version 1 kept every profile in profiles.json, the
// file store's secrets in credentials.json (`<profile>:<kind>` keys) and the keychain's
// as one entry per secret (account `<profile>:<kind>`).
//
// Order, so that a migration killed at any point loses nothing: every new keychain entry
// and profile file first; then config.json, the point from which version 2 is in force;
// only then the old keychain entries, credentials.json and last profiles.json. A command
// that finds config.json beside profiles.json finishes that clean-up: every new entry
// was written before config.json was.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { providerById, tokenEndpointOrigin } from '../providers/index.js';
import { readIfExists, storeIoError, writeFileAtomic } from './atomic.js';
import { CONFIG_FILE, MIGRATION_STORE_ID_FILE, PROFILES_DIR, V1_CREDENTIALS_FILE, V1_SETTINGS_FILE } from './paths.js';
import {
  parseConfig,
  PROFILE_NAME,
  serializeConfig,
  serializeProfile,
  type ConfigFile,
  type LongSecrets,
  type ProfileSettings,
} from './settings.js';
import type { Storage } from './index.js';

const KINDS = ['client_secret', 'refresh_token', 'access_token'] as const;
type Kind = (typeof KINDS)[number];

interface V1Profile {
  provider: string;
  clientId: string;
  store: 'keychain' | 'file';
  options: Record<string, string | boolean | undefined>;
  loginFlags?: Record<string, string | boolean | undefined>;
  token?: { tokenType: string; expiresAt: number | null; scope?: string; obtainedAt: number };
}

function readJson(path: string): Record<string, unknown> | undefined {
  const text = readIfExists(path);
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new UsageError(
    `${path} (storage version 1) is not valid JSON, so it cannot be migrated`,
    'fix the file by hand, or move it away and log in again',
  );
}

export async function migrate(storage: Storage, dir: string): Promise<void> {
  const settingsPath = join(dir, V1_SETTINGS_FILE);
  const credentialsPath = join(dir, V1_CREDENTIALS_FILE);
  const v1 = readJson(settingsPath);
  if (!v1) return; // another command finished it meanwhile
  const profiles = (v1.profiles && typeof v1.profiles === 'object' ? v1.profiles : {}) as Record<string, V1Profile>;
  const names = Object.keys(profiles);
  const bad = names.filter((n) => !PROFILE_NAME.test(n));
  if (bad.length) {
    throw new UsageError(
      `cannot migrate ${settingsPath} to storage version 2: profile name${bad.length > 1 ? 's' : ''} ${bad.map((n) => JSON.stringify(n)).join(', ')} not allowed (1-64 letters, digits, ".", "_" or "-", starting with a letter or digit)`,
      `rename ${bad.length > 1 ? 'them' : 'it'} under "profiles" in ${settingsPath} (and the "<name>:..." keys in ${credentialsPath}), then run the command again; nothing has been changed`,
    );
  }
  const fileSecrets = (readJson(credentialsPath)?.secrets ?? {}) as Record<string, unknown>;
  const existingText = readIfExists(join(dir, CONFIG_FILE));
  const keychainNames = names.filter((n) => profiles[n]!.store === 'keychain');
  // The storeId names the new keychain entries: chosen once, and kept before the first entry
  // is written, so a migration killed before config.json leaves no entry under an id that
  // the next one would not use (a secret no logout could find).
  const storeIdPath = join(dir, MIGRATION_STORE_ID_FILE);
  let storeId = readIfExists(storeIdPath)?.trim();
  if (!/^[0-9a-f]{32}$/.test(storeId ?? '')) {
    storeId = randomBytes(16).toString('hex');
    if (!existingText && keychainNames.length) writeFileAtomic(storeIdPath, `${storeId}\n`);
  }
  const config: ConfigFile = existingText
    ? parseConfig(join(dir, CONFIG_FILE), existingText)
    : { version: 2, storeId: storeId! };
  if (!existingText && typeof v1.default === 'string' && Object.hasOwn(profiles, v1.default))
    config.default = v1.default;

  const keychain = keychainNames.length ? storage.keychain() : undefined;
  const secretOf = async (name: string, store: string, kind: Kind): Promise<string | undefined> => {
    const value = store === 'keychain' ? await keychain!.readV1(`${name}:${kind}`) : fileSecrets[`${name}:${kind}`];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };

  if (!existingText) {
    for (const name of names) {
      const old = profiles[name]!;
      const provider = providerById(old.provider);
      const [clientSecret, refreshToken, accessToken] = await Promise.all(
        KINDS.map((k) => secretOf(name, old.store, k)),
      );
      const profile: ProfileSettings = {
        provider: provider.id,
        clientId: old.clientId,
        store: old.store === 'keychain' ? 'keychain' : 'file',
        options: old.options ?? {},
        ...(old.loginFlags ? { loginFlags: old.loginFlags } : {}),
        ...(old.token && accessToken ? { token: { ...old.token, accessToken } } : {}),
        hasRefreshToken: !!refreshToken,
      };
      const secrets: LongSecrets | undefined = clientSecret
        ? {
            origin: tokenEndpointOrigin(provider, profile.options),
            clientId: old.clientId,
            clientSecret,
            ...(refreshToken ? { refreshToken } : {}),
          }
        : undefined;
      if (profile.store === 'keychain' && secrets) await keychain!.write(`${config.storeId}/${name}`, secrets);
      if (profile.store === 'file' && secrets) profile.secrets = secrets;
      writeFileAtomic(join(dir, PROFILES_DIR, `${name}.json`), serializeProfile(profile));
    }
    writeFileAtomic(join(dir, CONFIG_FILE), serializeConfig(config));
  }
  // Version 2 is in force: remove version 1's entries and files.
  for (const name of keychainNames) for (const kind of KINDS) await keychain!.remove(`${name}:${kind}`);
  for (const path of [storeIdPath, credentialsPath, settingsPath]) {
    try {
      rmSync(path, { force: true });
    } catch (err) {
      throw storeIoError(err, path, 'write');
    }
  }
}
