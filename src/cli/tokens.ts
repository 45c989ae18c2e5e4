// Getting a usable access token: read the store, renew when expired (or within 60 s
// of it), single-flight across processes, persist before anything is printed.
import type { ProfileSettings, TokenMeta } from '../store/settings.js';
import type { Storage } from '../store/index.js';
import { SECRET_KINDS, type SecretKind, type Secrets } from '../store/secrets.js';
import { providerById } from '../providers/index.js';
import { checkTransport } from '../providers/urls.js';
import type { TokenSet } from '../oauth/token-response.js';
import type { Deps } from './deps.js';
import type { Selected } from './profile.js';
import { NotLoggedInError, ProviderError, TokenError } from '../errors.js';

/** SPEC `token show`: a token within 60 s of expiry counts as expired. */
export const EXPIRY_MARGIN_MS = 60_000;

export interface Current {
  name: string;
  profile: ProfileSettings;
  accessToken: string;
  meta: TokenMeta;
  /** Known when asked for (`show` reports it); undefined otherwise. */
  hasRefreshToken?: boolean;
  refreshed: boolean;
}

/** A Current that knows whether a refresh token is stored: what summaries and JSON report. */
export type Reported = Current & { hasRefreshToken: boolean };

export interface TokenContext {
  deps: Deps;
  storage: Storage;
  verbose: boolean;
}

/** Fresh enough not to renew: more than 60 s left (half the lifetime for tokens that live under 2 min). */
export function isFresh(meta: TokenMeta | undefined, now: number): boolean {
  if (!meta) return false;
  if (meta.expiresAt === null) return true;
  const margin = Math.min(EXPIRY_MARGIN_MS, (meta.expiresAt - meta.obtainedAt) / 2);
  return meta.expiresAt - now > margin;
}

/**
 * A valid token for the selected profile (as just read), renewing it first unless noRefresh.
 * Reads only the access token unless the caller wants to know about the refresh token:
 * each secret is a keychain call, and a fresh token needs no other.
 */
export async function currentToken(ctx: TokenContext, selected: Selected, noRefresh: boolean, askRefreshToken: true): Promise<Reported>;
export async function currentToken(ctx: TokenContext, selected: Selected, noRefresh: boolean): Promise<Current>;
export async function currentToken(ctx: TokenContext, { name, profile }: Selected, noRefresh: boolean, askRefreshToken = false): Promise<Current> {
  const kinds: readonly SecretKind[] = askRefreshToken ? ['access_token', 'refresh_token'] : ['access_token'];
  const secrets = await (await ctx.storage.secretsOf(profile)).read(name, kinds);
  const now = ctx.deps.now();
  if (secrets.access_token && profile.token && isFresh(profile.token, now)) {
    return current(name, profile, secrets, false, kinds);
  }
  // --no-refresh: the margin is for renewing early; a token not yet expired is still given out.
  const expiresAt = profile.token?.expiresAt;
  if (noRefresh && secrets.access_token && profile.token && expiresAt != null && expiresAt > now) {
    return current(name, profile, secrets, false, kinds);
  }
  if (noRefresh) {
    throw new NotLoggedInError(
      secrets.access_token ? `the token of profile ${name} has expired` : `profile ${name} has no access token`,
      `run: token refresh -p ${name}`,
    );
  }
  return renew(ctx, name, { force: false, since: ctx.deps.startedAt ?? now });
}

/**
 * Renews under the profile's lock. After taking it, re-reads: if another process
 * renewed meanwhile (or the token is fresh and this is not a forced refresh), that
 * token is used and no request is sent.
 */
export async function renew(ctx: TokenContext, name: string, opts: { force: boolean; since: number }): Promise<Reported> {
  const { withLock } = await import('../store/lock.js');
  return withLock(ctx.storage.dir, `refresh-${name}`, async () => {
    const read = async () => {
      const profile = ctx.storage.read().profiles[name];
      if (!profile) throw new NotLoggedInError(`profile ${name} was logged out`, `run: token login`);
      return { profile, secrets: await (await ctx.storage.secretsOf(profile)).read(name) };
    };
    const before = await read();
    const renewedMeanwhile = (p: ProfileSettings) => (p.token?.obtainedAt ?? -Infinity) >= opts.since;
    if (before.secrets.access_token && (renewedMeanwhile(before.profile) || (!opts.force && isFresh(before.profile.token, ctx.deps.now())))) {
      return reported(name, before.profile, before.secrets);
    }
    let set: TokenSet;
    try {
      set = await requestRenewal(ctx, name, before.profile, before.secrets);
    } catch (err) {
      // A rejected refresh token may already have been rotated by someone else: look once more.
      if (err instanceof ProviderError && err.error === 'invalid_grant') {
        const after = await read();
        if (after.secrets.refresh_token !== before.secrets.refresh_token && after.secrets.access_token && isFresh(after.profile.token, ctx.deps.now())) {
          return reported(name, after.profile, after.secrets);
        }
        throw new ProviderError(err.message, err.status, err.error, err.errorDescription, `the login has expired or was revoked; run: token login -p ${name} --force`);
      }
      throw err;
    }
    const meta = await persist(ctx.storage, name, before.profile, set);
    const secrets: Secrets = { ...before.secrets, access_token: set.accessToken, refresh_token: set.refreshToken ?? before.secrets.refresh_token };
    return reported(name, { ...before.profile, token: meta }, secrets);
  });
}

async function requestRenewal(ctx: TokenContext, name: string, profile: ProfileSettings, secrets: Secrets): Promise<TokenSet> {
  const provider = providerById(profile.provider);
  // Only a hand edit leaves these out; say which, rather than fail on it as a bug.
  const missing = [typeof profile.clientId !== 'string' && 'clientId', (!profile.options || typeof profile.options !== 'object') && 'options'].filter(Boolean);
  if (missing.length) {
    throw new TokenError('internal', `profile ${name} in profiles.json has no ${missing.join(' or ')}`, `run: token login -p ${name} --force`);
  }
  if (provider.flow === 'authorization_code' && !secrets.refresh_token) {
    throw new NotLoggedInError(`the token of profile ${name} has expired and there is no refresh token`, `run: token login -p ${name} --force`);
  }
  if (!secrets.client_secret) {
    throw new NotLoggedInError(`profile ${name} has no client secret stored`, `run: token login -p ${name} --force`);
  }
  checkTransport(provider.endpoints(profile.options), profile.options.allowHttp === true);
  const req = provider.renewRequest(profile.options, { clientId: profile.clientId, clientSecret: secrets.client_secret }, secrets.refresh_token);
  const { requestToken } = await import('../oauth/token-response.js');
  return requestToken(req, provider.name, httpContext(ctx), () => ctx.deps.now());
}

export function httpContext(ctx: { deps: Deps; verbose: boolean }) {
  const { stderr } = ctx.deps;
  return { env: ctx.deps.env, trace: ctx.verbose ? (line: string) => void stderr.write(`${line}\n`) : undefined };
}

/**
 * Secrets first (refresh token before anything else), then the metadata. A refresh
 * response without refresh_token keeps the stored one (SPEC "Profiles and storage").
 */
export async function persist(storage: Storage, name: string, profile: ProfileSettings, set: TokenSet): Promise<TokenMeta> {
  const store = await storage.secretsOf(profile);
  await store.write(name, set.refreshToken ? { refresh_token: set.refreshToken, access_token: set.accessToken } : { access_token: set.accessToken });
  const meta = tokenMeta(set);
  await storage.update((s) => {
    const p = s.profiles[name];
    if (!p) throw new TokenError('internal', `profile ${name} disappeared while refreshing`);
    p.token = meta;
  });
  return meta;
}

/** The non-secret half of a token response, as profiles.json keeps it. */
export function tokenMeta(set: TokenSet): TokenMeta {
  return { tokenType: set.tokenType, expiresAt: set.expiresAt, obtainedAt: set.obtainedAt, ...(set.scope ? { scope: set.scope } : {}) };
}

/** After a read of every kind: whether there is a refresh token is known. */
function reported(name: string, profile: ProfileSettings, secrets: Secrets): Reported {
  return { ...current(name, profile, secrets, true, SECRET_KINDS), hasRefreshToken: !!secrets.refresh_token };
}

/** `read`: the kinds `secrets` was read with; what was not read is not reported on. */
function current(name: string, profile: ProfileSettings, secrets: Secrets, refreshed: boolean, read: readonly SecretKind[]): Current {
  if (!secrets.access_token || !profile.token) throw new NotLoggedInError(`profile ${name} has no access token`, `run: token login -p ${name} --force`);
  return { name, profile, accessToken: secrets.access_token, meta: profile.token, hasRefreshToken: read.includes('refresh_token') ? !!secrets.refresh_token : undefined, refreshed };
}
