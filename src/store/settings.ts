// profiles.json: every non-secret setting and the token metadata of each profile.
import { join } from 'node:path';
import { TokenError } from '../errors.js';
import { openIndex, readIfExists, writeIndexed, type JsonIndex } from './json-index.js';
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
  return { version: 1, profiles: profileMap({}) };
}

/** Profiles by name with no Object.prototype behind them: "constructor" or "toString" is a name like any other. */
function profileMap(profiles: Record<string, ProfileSettings>): Record<string, ProfileSettings> {
  return Object.assign(Object.create(null) as Record<string, ProfileSettings>, profiles);
}

export function readSettings(dir: string): Settings {
  const path = join(dir, SETTINGS_FILE);
  return parseSettings(path, readIfExists(path));
}

/** profiles.json as the hot path reads it: its index when current, the whole file only when needed. */
export interface SettingsView {
  /** Its head is the profile chosen when none is asked (defaultProfileName), or null. */
  index: JsonIndex | undefined;
  parse(): Settings;
}

export function viewSettings(dir: string): SettingsView {
  const path = join(dir, SETTINGS_FILE);
  const text = readIfExists(path);
  return { index: openIndex(path, text), parse: () => parseSettings(path, text) };
}

/** The profile used when none is asked: the default (`token use`), else the only one. */
export function defaultProfileName(settings: Settings): string | undefined {
  if (settings.default && settings.profiles[settings.default]) return settings.default;
  const names = Object.keys(settings.profiles);
  return names.length === 1 ? names[0] : undefined;
}

export function writeSettings(dir: string, settings: Settings): void {
  writeIndexed(join(dir, SETTINGS_FILE), JSON.stringify(settings, null, 2) + '\n', (written: Settings) => ({
    head: defaultProfileName(written) ?? null,
    member: 'profiles',
  }));
}

function parseSettings(path: string, text: string | undefined): Settings {
  if (text === undefined) return emptySettings();
  try {
    const parsed = JSON.parse(text) as Settings;
    if (parsed && typeof parsed === 'object' && parsed.profiles && typeof parsed.profiles === 'object') {
      return { ...parsed, profiles: profileMap(parsed.profiles) };
    }
  } catch {
    // fall through to the error below: a broken file is reported, never overwritten
  }
  throw new TokenError('internal', `${path} is not a valid settings file`, 'fix or remove it, then log in again');
}
