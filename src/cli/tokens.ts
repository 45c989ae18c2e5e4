// Getting a usable access token: read the profile file, renew when expired (or within
// 60 s of it), single-flight across processes, persist before anything is printed.
import { join } from 'node:path';
import type { CachedToken, LongSecrets, ProfileSettings, TokenMeta } from '../store/settings.js';
import type { Storage } from '../store/index.js';
import { readIfExists, writeFileAtomic } from '../store/atomic.js';
import { providerById } from '../providers/index.js';
import { checkTransport } from '../providers/urls.js';
import type { TokenSet } from '../oauth/token-response.js';
import type { Deps } from './deps.js';
import type { Selected } from './profile.js';
import { NotLoggedInError, ProviderError, TokenError, type ErrorCode } from '../errors.js';
import { isFresh } from './min-ttl.js';

export interface Current {
  name: string;
  profile: ProfileSettings;
  accessToken: string;
  meta: TokenMeta;
  hasRefreshToken: boolean;
  refreshed: boolean;
}

export interface TokenContext {
  deps: Deps;
  storage: Storage;
  verbose: boolean;
  /** --min-ttl: renew when less than this is left (an unknown expiry is renewed too). */
  minTtlMs?: number;
}

function relogin(name: string): string {
  return `run: token login -p ${name} --force`;
}

/** A valid token for the selected profile (as just read), renewing it first unless noRefresh. */
export async function currentToken(
  ctx: TokenContext,
  { name, profile }: Selected,
  noRefresh: boolean,
): Promise<Current> {
  const now = ctx.deps.now();
  const token = profile.token;
  if (token && isFresh(token, now, ctx.minTtlMs)) return current(name, profile, false);
  const unexpired = token && token.expiresAt !== null && token.expiresAt > now;
  // A refused refresh token cannot help: the access token serves until it expires (SPEC).
  if (unexpired && profile.refreshRefused) {
    ctx.deps.stderr.write(
      `token: warning: ${providerById(profile.provider).name} refused the login of profile ${name} (${profile.refreshRefused.error}); this token stops working ${new Date(token.expiresAt!).toLocaleString()}; ${relogin(name)}\n`,
    );
    return current(name, profile, false);
  }
  // --no-refresh: the margin is for renewing early; a token not yet expired is still given out.
  if (noRefresh && unexpired) return current(name, profile, false);
  if (noRefresh) {
    throw new NotLoggedInError(
      token ? `the token of profile ${name} has expired` : `profile ${name} has no access token`,
      `run: token refresh -p ${name}`,
    );
  }
  return renew(ctx, name, { force: false, since: ctx.deps.startedAt ?? now, store: profile.store });
}

/**
 * Renews under the profile's lock. After taking it, re-reads: if another process renewed
 * meanwhile (or the token is fresh and this is not a forced refresh), that token is used
 * and no request is sent; if the request of the process this one queued behind failed,
 * this one fails the same way (SPEC "Locks").
 */
export async function renew(ctx: TokenContext, name: string, opts: RenewOptions): Promise<Current> {
  // A keychain profile's helper (a process of its own) and the request's code start now, while
  // the lock is taken. A command that finds the lock held ends its helper at once: the holder's
  // new token likely serves it too, and waiters keep no helpers alive while they wait.
  const keychain = opts.store === 'keychain' ? ctx.storage.keychain() : undefined;
  if (keychain) {
    keychain.warm?.();
    void import('../oauth/token-response.js').catch(() => undefined);
  }
  return ctx.storage.withProfileLock(
    name,
    () => renewHoldingLock(ctx, name, opts),
    () => keychain?.idle?.(),
  );
}

interface RenewOptions {
  /** A refresh asked for: renew even a fresh token, unless renewed since `since`. */
  force: boolean;
  /** When this command started: a token obtained since then is another process's renewal to use. */
  since: number;
  /** Where the profile (as the caller read it) keeps its secrets: the keychain's helper starts early. */
  store?: ProfileSettings['store'];
}

async function renewHoldingLock(ctx: TokenContext, name: string, opts: RenewOptions): Promise<Current> {
  const { storage } = ctx;
  const profile = storage.profile(name);
  if (!profile) throw new NotLoggedInError(`profile ${name} was logged out`, 'run: token login');
  const token = profile.token;
  if (token && (token.obtainedAt >= opts.since || (!opts.force && isFresh(token, ctx.deps.now(), ctx.minTtlMs)))) {
    return current(name, profile, false);
  }
  const earlier = readFailure(storage.dir, name, opts.since);
  if (earlier) throw earlier;
  const provider = providerById(profile.provider);
  if (profile.refreshRefused && provider.flow === 'authorization_code') {
    throw new ProviderError(
      `${provider.name} refused the refresh token of profile ${name} earlier (${profile.refreshRefused.error}); it is not sent again`,
      400,
      profile.refreshRefused.error,
      undefined,
      relogin(name),
    );
  }
  const secrets = await storage.secrets(name, profile);
  // The disk space for the answer first: a full disk stops the refresh before the server rotates.
  const reserved = storage.reserve(name);
  // Ctrl-C while the request is out leaves nothing behind (SPEC): the reservation goes.
  const unregister = ctx.deps.onInterrupt?.(() => reserved.release()) ?? (() => undefined);
  let set: TokenSet;
  try {
    set = await requestRenewal(ctx, name, profile, secrets);
  } catch (err) {
    unregister();
    reserved.release();
    if (err instanceof ProviderError && err.error === 'invalid_grant' && provider.flow === 'authorization_code') {
      // A newer refresh token stored meanwhile (by a writer that did not hold our lock) wins.
      const after = storage.profile(name);
      const kept = after && (await storage.secrets(name, after));
      if (after && kept?.refreshToken !== secrets?.refreshToken) {
        if (isFresh(after.token, ctx.deps.now())) return current(name, after, false);
      } else if (after) {
        await storage.save(name, { ...after, refreshRefused: { at: Date.now(), error: 'invalid_grant' } });
      }
      const refused = new ProviderError(
        err.message,
        err.status,
        err.error,
        err.errorDescription,
        `the login has expired or was revoked; ${relogin(name)}`,
      );
      recordFailure(storage.dir, name, refused);
      throw refused;
    }
    if (err instanceof TokenError && (err.code === 'network' || err.code === 'provider_refused'))
      recordFailure(storage.dir, name, err);
    throw err;
  }
  // A refresh response without refresh_token keeps the stored one (SPEC).
  const rotated = set.refreshToken !== undefined && set.refreshToken !== secrets!.refreshToken;
  const next: ProfileSettings = {
    ...profile,
    token: cachedToken(set),
    hasRefreshToken: !!(set.refreshToken ?? secrets!.refreshToken),
  };
  delete next.refreshRefused;
  unregister();
  await storage.save(name, next, rotated ? { ...secrets!, refreshToken: set.refreshToken } : undefined, reserved);
  return current(name, next, true);
}

async function requestRenewal(
  ctx: TokenContext,
  name: string,
  profile: ProfileSettings,
  secrets: LongSecrets | undefined,
): Promise<TokenSet> {
  const provider = providerById(profile.provider);
  if (!secrets) throw new NotLoggedInError(`profile ${name} has no client secret stored`, relogin(name));
  if (provider.flow === 'authorization_code' && !secrets.refreshToken) {
    // `refresh` of a token that is still valid: say what is missing, not that it expired.
    const expiresAt = profile.token?.expiresAt;
    const valid = !!profile.token && (expiresAt === null || (expiresAt !== undefined && expiresAt > ctx.deps.now()));
    throw new NotLoggedInError(
      valid
        ? `profile ${name} has no refresh token, so its token cannot be renewed`
        : `the token of profile ${name} has expired and there is no refresh token`,
      valid ? `log in again when it expires: token login -p ${name} --force` : relogin(name),
    );
  }
  checkTransport(provider.endpoints(profile.options), profile.options.allowHttp === true);
  ctx.deps.secrets?.add(secrets.clientSecret, secrets.refreshToken, profile.token?.accessToken);
  const req = provider.renewRequest(
    profile.options,
    { clientId: profile.clientId, clientSecret: secrets.clientSecret },
    secrets.refreshToken,
  );
  // Secrets go only to the server they were issued for (SPEC "Secrets are bound").
  const origin = new URL(req.url).origin;
  if (origin !== secrets.origin || secrets.clientId !== profile.clientId) {
    throw new NotLoggedInError(
      `the stored secrets of profile ${name} belong to ${secrets.origin} (client ${secrets.clientId}), not to ${origin} (client ${profile.clientId}); nothing was sent`,
      relogin(name),
    );
  }
  const { requestToken } = await import('../oauth/token-response.js');
  return requestToken(req, provider.name, httpContext(ctx), ctx.deps.now);
}

export function httpContext(ctx: { deps: Deps; verbose: boolean }) {
  const { stderr } = ctx.deps;
  return {
    env: ctx.deps.env,
    secrets: ctx.deps.secrets,
    fetch: ctx.deps.fetch,
    trace: ctx.verbose ? (line: string) => void stderr.write(`${line}\n`) : undefined,
  };
}

/** The non-secret half of a token response. */
export function tokenMeta(set: TokenSet): TokenMeta {
  return {
    tokenType: set.tokenType,
    expiresAt: set.expiresAt,
    obtainedAt: set.obtainedAt,
    ...(set.scope ? { scope: set.scope } : {}),
  };
}

/** What the profile file caches: the metadata and the short-lived access token. */
export function cachedToken(set: TokenSet): CachedToken {
  return { accessToken: set.accessToken, ...tokenMeta(set) };
}

function current(name: string, profile: ProfileSettings, refreshed: boolean): Current {
  const token = profile.token;
  if (!token) throw new NotLoggedInError(`profile ${name} has no access token`, relogin(name));
  const { accessToken, ...meta } = token;
  return {
    name,
    profile,
    accessToken,
    meta,
    hasRefreshToken: !!profile.hasRefreshToken && !profile.refreshRefused,
    refreshed,
  };
}

// The outcome of a failed renewal, for the processes queued behind it on the lock.
interface FailureRecord {
  at: number;
  code: ErrorCode;
  message: string;
  hint?: string;
  status?: number;
  error?: string;
  errorDescription?: string;
}

function failurePath(dir: string, name: string): string {
  return join(dir, 'locks', `profile-${name}.failed.json`);
}

function recordFailure(dir: string, name: string, err: TokenError): void {
  const rec: FailureRecord = { at: Date.now(), code: err.code, message: err.message, hint: err.hint };
  if (err instanceof ProviderError)
    Object.assign(rec, { status: err.status, error: err.error, errorDescription: err.errorDescription });
  try {
    writeFileAtomic(failurePath(dir, name), JSON.stringify(rec));
  } catch {
    // without it the waiters send their own request: slower, still correct
  }
}

/** The failure of a renewal that ended after `since` (while this process waited), as the same error. */
function readFailure(dir: string, name: string, since: number): TokenError | undefined {
  let rec: FailureRecord;
  try {
    rec = JSON.parse(readIfExists(failurePath(dir, name)) ?? 'null') as FailureRecord;
  } catch {
    return undefined;
  }
  if (!rec || typeof rec.at !== 'number' || rec.at < since || typeof rec.message !== 'string') return undefined;
  if (rec.code === 'provider_refused')
    return new ProviderError(rec.message, rec.status ?? 0, rec.error, rec.errorDescription, rec.hint);
  return new TokenError(rec.code, rec.message, rec.hint);
}
