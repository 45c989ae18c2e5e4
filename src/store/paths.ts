import { join, resolve, sep } from 'node:path';
import { builtin } from './builtin.js';

/** SPEC: TOKEN_CONFIG_DIR, else $XDG_CONFIG_HOME/token-cli, else the platform's config dir. */
export function configDir(env: NodeJS.ProcessEnv, platform = process.platform): string {
  if (env.TOKEN_CONFIG_DIR) return resolve(env.TOKEN_CONFIG_DIR);
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, 'token-cli');
  // node:os only when HOME is unset: it costs start-up time.
  const home = env.HOME || env.USERPROFILE || builtin<typeof import('node:os')>('node:os').homedir() || '.';
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'token-cli');
  if (platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'token-cli');
  return join(home, '.config', 'token-cli');
}

export const CONFIG_FILE = 'config.json';
export const PROFILES_DIR = 'profiles';
/** Version 1's files, read only by the migration. */
export const V1_SETTINGS_FILE = 'profiles.json';
export const V1_CREDENTIALS_FILE = 'credentials.json';
/** The storeId a migration in progress writes its keychain entries under, until config.json holds it. */
export const MIGRATION_STORE_ID_FILE = '.migration-store-id';

/**
 * `name` (one path segment, no separators) inside `dir` (normalized once, by configDir),
 * without path.join's pass over the whole path: on the hot path that per-character loop
 * is what gets V8 to compile it at every start (docs/performance.md, "Peak RSS").
 */
export function within(dir: string, name: string): string {
  return dir.endsWith(sep) || dir.endsWith('/') ? dir + name : dir + sep + name;
}
