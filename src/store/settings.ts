// The on-disk model of storage version 2 (SPEC "Profiles and storage (version 2)"):
// config.json and one profiles/<name>.json per profile, each checked field by field
// when read, so a hand edit is one clear line naming the file and the field.
import { UsageError } from '../errors.js';
import type { ProviderId } from '../providers/types.js';

export type StoreKind = 'keychain' | 'file';

/** SPEC: profile names. */
export const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkProfileName(name: string, what = 'profile name'): string {
  if (!PROFILE_NAME.test(name)) {
    throw new UsageError(
      `invalid ${what} ${JSON.stringify(name)}`,
      'use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit',
    );
  }
  return name;
}

/** What `show` needs: the last token response, with the short-lived access token itself. */
export interface TokenMeta {
  tokenType: string;
  /** epoch ms, or null when the expiry is unknown */
  expiresAt: number | null;
  scope?: string;
  obtainedAt: number;
}

export interface CachedToken extends TokenMeta {
  accessToken: string;
}

/**
 * The long-lived secrets of a profile and what they are bound to: they are only ever
 * sent to `origin` (the token endpoint's) for `clientId` (SPEC "Secrets are bound").
 */
export interface LongSecrets {
  origin: string;
  clientId: string;
  clientSecret: string;
  refreshToken?: string;
}

export interface ProfileSettings {
  provider: ProviderId;
  clientId: string;
  /** Where this profile's long-lived secrets live; reads go there, whatever TOKEN_STORE says now. */
  store: StoreKind;
  /** Provider-specific, non-secret settings (service URL, region, tenant, ...). */
  options: Record<string, string | boolean | undefined>;
  /** The provider flags as given at login, so `token login -p <name>` can log in again without them. */
  loginFlags?: Record<string, string | boolean | undefined>;
  token?: CachedToken;
  /** Whether a refresh token is stored (list and show say so without a keychain call). */
  hasRefreshToken?: boolean;
  /** Set when the server answered invalid_grant to this refresh token: it is never sent again. */
  refreshRefused?: { at: number; error: string };
  /** The file store only: the long-lived secrets, in this 0600 file. */
  secrets?: LongSecrets;
}

export interface ConfigFile {
  version: 2;
  /** 128 random bits, hex: binds keychain entries to this config dir. */
  storeId: string;
  default?: string;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function damaged(path: string, field: string, want: string): UsageError {
  return new UsageError(
    `${path} is damaged: ${field} must be ${want}`,
    'fix the file by hand, or remove it and log in again',
  );
}

function parseJson(path: string, text: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(
      `${path} is damaged: it is not valid JSON`,
      'fix the file by hand, or remove it and log in again',
    );
  }
  if (!isObject(value)) throw damaged(path, 'the file', 'a JSON object');
  return value;
}

export function parseConfig(path: string, text: string): ConfigFile {
  const c = parseJson(path, text);
  if (c.version !== 2) throw damaged(path, 'version', '2');
  if (typeof c.storeId !== 'string' || !/^[0-9a-f]{32}$/.test(c.storeId))
    throw damaged(path, 'storeId', '32 hex digits');
  if (c.default !== undefined && (typeof c.default !== 'string' || !PROFILE_NAME.test(c.default)))
    throw damaged(path, 'default', 'a profile name');
  return { version: 2, storeId: c.storeId, ...(c.default !== undefined ? { default: c.default } : {}) };
}

const PROVIDERS: readonly string[] = ['prism', 'priava', 'brightpattern'];

function optionMap(path: string, field: string, v: unknown): Record<string, string | boolean | undefined> {
  if (!isObject(v)) throw damaged(path, field, 'an object');
  const out = Object.create(null) as Record<string, string | boolean | undefined>;
  for (const [k, x] of Object.entries(v)) {
    if (x !== null && typeof x !== 'string' && typeof x !== 'boolean')
      throw damaged(path, `${field}.${k}`, 'a string or a boolean');
    if (x !== null) out[k] = x;
  }
  return out;
}

function str(path: string, field: string, v: unknown): string {
  if (typeof v !== 'string' || v === '') throw damaged(path, field, 'a non-empty string');
  return v;
}

function time(path: string, field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw damaged(path, field, 'a number (epoch ms)');
  return v;
}

function parseToken(path: string, v: unknown): CachedToken {
  if (!isObject(v)) throw damaged(path, 'token', 'an object');
  const expiresAt = v.expiresAt === null ? null : time(path, 'token.expiresAt', v.expiresAt);
  if (v.scope !== undefined && typeof v.scope !== 'string') throw damaged(path, 'token.scope', 'a string');
  return {
    accessToken: str(path, 'token.accessToken', v.accessToken),
    tokenType: str(path, 'token.tokenType', v.tokenType),
    expiresAt,
    obtainedAt: time(path, 'token.obtainedAt', v.obtainedAt),
    ...(typeof v.scope === 'string' ? { scope: v.scope } : {}),
  };
}

export function parseSecrets(path: string, v: unknown, field = 'secrets'): LongSecrets {
  if (!isObject(v)) throw damaged(path, field, 'an object');
  if (v.refreshToken !== undefined && typeof v.refreshToken !== 'string')
    throw damaged(path, `${field}.refreshToken`, 'a string');
  return {
    origin: str(path, `${field}.origin`, v.origin),
    clientId: str(path, `${field}.clientId`, v.clientId),
    clientSecret: str(path, `${field}.clientSecret`, v.clientSecret),
    ...(typeof v.refreshToken === 'string' && v.refreshToken !== '' ? { refreshToken: v.refreshToken } : {}),
  };
}

export function parseProfile(path: string, text: string): ProfileSettings {
  const p = parseJson(path, text);
  if (p.version !== 2) throw damaged(path, 'version', '2');
  if (typeof p.provider !== 'string' || !PROVIDERS.includes(p.provider))
    throw damaged(path, 'provider', `one of ${PROVIDERS.join(', ')}`);
  if (p.store !== 'keychain' && p.store !== 'file') throw damaged(path, 'store', '"keychain" or "file"');
  const out: ProfileSettings = {
    provider: p.provider as ProviderId,
    clientId: str(path, 'clientId', p.clientId),
    store: p.store,
    options: optionMap(path, 'options', p.options),
  };
  if (p.loginFlags !== undefined) out.loginFlags = optionMap(path, 'loginFlags', p.loginFlags);
  if (p.token !== undefined) out.token = parseToken(path, p.token);
  if (p.hasRefreshToken !== undefined) {
    if (typeof p.hasRefreshToken !== 'boolean') throw damaged(path, 'hasRefreshToken', 'true or false');
    out.hasRefreshToken = p.hasRefreshToken;
  }
  if (p.refreshRefused !== undefined) {
    const r = p.refreshRefused;
    if (!isObject(r)) throw damaged(path, 'refreshRefused', 'an object');
    out.refreshRefused = {
      at: time(path, 'refreshRefused.at', r.at),
      error: str(path, 'refreshRefused.error', r.error),
    };
  }
  if (p.secrets !== undefined) out.secrets = parseSecrets(path, p.secrets);
  return out;
}

export function serializeProfile(p: ProfileSettings): string {
  return `${JSON.stringify({ version: 2, ...p }, null, 2)}\n`;
}

export function serializeConfig(c: ConfigFile): string {
  return `${JSON.stringify(c, null, 2)}\n`;
}
