// The wire's token response (snake_case) and its one conversion to the domain TokenSet.
import { NetworkError, ProviderError } from '../errors.js';
import { send, type HttpContext, type HttpRequest } from './http.js';
import { jwtExpiry } from './jwt.js';

/** RFC 6749 §5.1, as the three provider pages show it. */
export interface TokenResponse {
  access_token: string;
  token_type?: string;
  expires_in?: number | string;
  refresh_token?: string;
  scope?: string;
}

export interface TokenSet {
  accessToken: string;
  /** Normalised: any case of "bearer" becomes "Bearer" (SPEC "Responses from servers"). */
  tokenType: string;
  /** epoch ms; from expires_in, else a JWT access token's exp; null when neither says (unknown) */
  expiresAt: number | null;
  refreshToken?: string;
  scope?: string;
  /** epoch ms when the response arrived; expiresAt counts from here */
  obtainedAt: number;
}

/** Parses JSON, forgiving only a trailing comma before the closing brace (Bright Pattern's own example has one). */
export function parseJsonLenient(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (first) {
    const fixed = text.replace(/,\s*}\s*$/, '}');
    if (fixed === text) throw first;
    return JSON.parse(fixed);
  }
}

export function toTokenSet(body: unknown, now: number, provider: string): TokenSet {
  const bad = (what: string) => new NetworkError(`${provider} sent an invalid token response: ${what}`);
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw bad('not a JSON object');
  const r = body as Record<string, unknown>;
  if (typeof r.access_token !== 'string' || r.access_token === '') throw bad('no access_token');
  // It goes into header lines (show --header, curl, exec): printable ASCII without spaces
  // (RFC 6749 A.12 allows spaces; no provider here sends one, and a header could not hold it).
  if (!/^[\x21-\x7e]+$/.test(r.access_token))
    throw bad('access_token has a space, a line break or another character no token has');
  if (r.token_type !== undefined && typeof r.token_type !== 'string') throw bad('token_type is not a string');
  // RFC 6749 §7.1's type-name: it goes into the Authorization header.
  if (typeof r.token_type === 'string' && r.token_type !== '' && !/^[A-Za-z0-9._-]+$/.test(r.token_type))
    throw bad(`token_type is ${JSON.stringify(r.token_type)}`);
  if (r.refresh_token !== undefined && r.refresh_token !== null && typeof r.refresh_token !== 'string') {
    throw bad('refresh_token is not a string');
  }
  let expiresAt: number | null;
  if (r.expires_in !== undefined && r.expires_in !== null && r.expires_in !== '') {
    const seconds = typeof r.expires_in === 'string' ? Number(r.expires_in.trim()) : r.expires_in;
    // Some servers say "never" with 9999999999; past 1e11 s (3000 years) no Date holds the expiry.
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0 || seconds > 1e11) {
      throw bad(`expires_in is ${JSON.stringify(r.expires_in)}`);
    }
    expiresAt = now + seconds * 1000;
  } else {
    expiresAt = jwtExpiry(r.access_token) ?? null;
  }
  const type = r.token_type || 'Bearer';
  const set: TokenSet = {
    accessToken: r.access_token,
    tokenType: type.toLowerCase() === 'bearer' ? 'Bearer' : type,
    expiresAt,
    obtainedAt: now,
  };
  if (typeof r.refresh_token === 'string' && r.refresh_token !== '') set.refreshToken = r.refresh_token;
  if (typeof r.scope === 'string' && r.scope !== '') set.scope = r.scope;
  return set;
}

/** Sends a token request and reads the answer, mapping every failure to SPEC's exit codes. */
export async function requestToken(
  req: HttpRequest,
  provider: string,
  ctx: HttpContext,
  now: () => number,
): Promise<TokenSet> {
  const res = await send(req, ctx);
  const body = readJson(res.body);
  const isHtml = /html/i.test(res.headers.get('content-type') ?? '') || /^\s*</.test(res.body);

  if (res.status >= 300 && res.status < 400) {
    // Only where it points: a redirect's query may carry our own parameters back (a refresh token, for PRISM).
    const to = res.headers.get('location');
    const where = to ? safeLocation(to, req.url) : undefined;
    throw new NetworkError(
      `${provider}'s token endpoint redirected (HTTP ${res.status}${where ? ` to ${where}` : ''}); not following it`,
      'check the token URL',
    );
  }
  // 404/405 without an OAuth error: no token endpoint at that URL, whatever the body's
  // type (SPEC "Commands"). With one, the server spoke OAuth: a refusal, with the URL as hint.
  const error = oauthError(body);
  if ((res.status === 404 || res.status === 405) && !error) {
    throw new NetworkError(
      `${provider} has no token endpoint at that URL (HTTP ${res.status}${isHtml ? ', an HTML page' : ''})`,
      'check the token URL',
    );
  }
  if (res.status >= 400 && res.status < 500)
    throw refusal(provider, res.status, body, res.status === 404 || res.status === 405);
  if (res.status >= 500) {
    throw new NetworkError(
      `${provider} server error (HTTP ${res.status})${error ? `: ${error.text}` : ''}`,
      'try again later',
    );
  }
  if (isHtml)
    throw new NetworkError(
      `${provider} answered with an HTML page (HTTP ${res.status}), not a token response`,
      'check the token URL',
    );
  if (body === undefined)
    throw new NetworkError(`${provider} sent a response that is not valid JSON (HTTP ${res.status})`);
  if (error) throw new ProviderError(`${provider} refused: ${error.text}`, res.status, error.error, error.description);
  return toTokenSet(body, now(), provider);
}

function safeLocation(location: string, base: string): string | undefined {
  try {
    const u = new URL(location, base);
    return `${u.origin}${u.pathname}`;
  } catch {
    return undefined;
  }
}

function readJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return parseJsonLenient(text);
  } catch {
    return undefined;
  }
}

function oauthError(body: unknown): { error: string; description?: string; text: string } | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const { error, error_description: description } = body as Record<string, unknown>;
  if (typeof error !== 'string' || error === '') return undefined;
  const desc = typeof description === 'string' && description !== '' ? description : undefined;
  return { error, description: desc, text: desc ? `${error}: ${desc}` : error };
}

function refusal(provider: string, status: number, body: unknown, noEndpoint: boolean): ProviderError {
  const error = oauthError(body);
  // No token endpoint at that URL, whatever the body says: the URL is the likely fault.
  const hint = noEndpoint ? 'check the token URL' : undefined;
  if (error)
    return new ProviderError(`${provider} refused: ${error.text}`, status, error.error, error.description, hint);
  return new ProviderError(`${provider} refused the request (HTTP ${status})`, status, undefined, undefined, hint);
}
