// profiles.json: every non-secret setting and the token metadata of each profile.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TokenError } from '../cli/errors.js';
import { writeFileAtomic } from './atomic.js';
import { SETTINGS_FILE } from './paths.js';
import type { ProviderId } from '../providers/types.js';

export type StoreKind = 'keychain' | 'file';

/** What `show` needs without touching a secret: from the last token response. */
export interface TokenMeta {
  tokenType: string;
  /** epoch ms, or null when the server sent no expires_in */
  expiresAt: number | null;
  scope?: string;
  obtainedAt: number;
}

export interface ProfileSettings {
  provider: ProviderId;
  clientId: string;
  /** Where this profile's secrets live; reads go there, whatever TOKEN_STORE says now. */
  store: StoreKind;
  /** Provider-specific, non-secret settings (service URL, region, tenant, ...). */
  options: Record<string, string | boolean | undefined>;
  /** The provider flags as given at login, so `token login -p <name>` can log in again without them. */
  loginFlags?: Record<string, string | boolean | undefined>;
  token?: TokenMeta;
}

export interface Settings {
  version: 1;
  default?: string;
  profiles: Record<string, ProfileSettings>;
}

export function emptySettings(): Settings {
  return { version: 1, profiles: {} };
}

export function readSettings(dir: string): Settings {
  const path = join(dir, SETTINGS_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptySettings();
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as Settings;
    if (parsed && typeof parsed === 'object' && parsed.profiles && typeof parsed.profiles === 'object') {
      return parsed;
    }
  } catch {
    // fall through to the error below: a broken file is reported, never overwritten
  }
  throw new TokenError('internal', `${path} is not a valid settings file`, 'fix or remove it, then log in again');
}

export function writeSettings(dir: string, settings: Settings): void {
  writeFileAtomic(join(dir, SETTINGS_FILE), JSON.stringify(settings, null, 2) + '\n');
}
