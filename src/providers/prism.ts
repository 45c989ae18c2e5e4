// PRISM Live Studio (NAVER Cloud B2B): ../shared/providers/prism-oauth2-token.txt + NOTES.md.
// The customer's service is the OAuth server; the token endpoint is a GET with the
// parameters in the query string and the client credentials in x-prism-* headers.
import { UsageError } from '../errors.js';
import type { Provider } from './types.js';
import { baseUrl, parseUrlFlag } from './urls.js';

/** What a PRISM profile stores: resolveOptions' result (and --allow-http). */
export type PrismOptions = { serviceUrl: string; authorizeUrl: string; redirectUri?: string; scope?: string; allowHttp?: boolean };

export const prism: Provider<PrismOptions> = {
  id: 'prism',
  name: 'PRISM',
  flow: 'authorization_code',
  flags: [
    { key: 'serviceUrl', flag: '--service-url', required: true, description: 'the service API domain' },
    { key: 'authorizeUrl', flag: '--authorize-url', description: 'authorization page (default <service-url>/oauth/authorize)' },
    { key: 'redirectUri', flag: '--redirect-uri', description: 'redirect URI (default http://127.0.0.1:<port>/callback)' },
    { key: 'scope', flag: '--scope', description: 'scope to request' },
  ],
  // The page: state is sent to the authorize page and must come back with the code.
  usesState: true,
  registeredRedirectUri: 'https://global.apis.naver.com/prism/prism-auth-api/oauth/partner/{serviceId}',

  resolveOptions(flags) {
    if (typeof flags.serviceUrl !== 'string') throw new UsageError('missing --service-url');
    const serviceUrl = baseUrl(flags.serviceUrl, '--service-url');
    // NOTES.md: a service may register another authorize URL; it is used exactly as given.
    const authorizeUrl =
      typeof flags.authorizeUrl === 'string' ? parseUrlFlag(flags.authorizeUrl, '--authorize-url').toString() : `${serviceUrl}/oauth/authorize`;
    const redirectUri = typeof flags.redirectUri === 'string' ? flags.redirectUri : undefined;
    if (redirectUri !== undefined) parseUrlFlag(redirectUri, '--redirect-uri');
    return { serviceUrl, authorizeUrl, redirectUri, scope: typeof flags.scope === 'string' ? flags.scope : undefined };
  },

  endpoints: (o) => [o.serviceUrl, o.authorizeUrl],

  authorizePage(o) {
    const params: Record<string, string> = {};
    if (o.scope !== undefined) params.scope = o.scope;
    return { url: o.authorizeUrl, params };
  },

  // The page: grant_type, code and redirect_uri in the query; x-prism-client-* headers.
  codeRequest(o, client, code, redirectUri) {
    return {
      method: 'GET',
      url: tokenUrl(o),
      headers: clientHeaders(client),
      // Required with authorization_code (the page); the login flow makes sure there is one.
      query: { grant_type: 'authorization_code', code, ...(redirectUri ? { redirect_uri: redirectUri } : {}) },
    };
  },

  // The page's `_token` row is a typo for refresh_token (its own example uses refresh_token).
  renewRequest(o, client, refreshToken) {
    if (!refreshToken) throw new UsageError('this PRISM profile has no refresh token');
    return {
      method: 'GET',
      url: tokenUrl(o),
      headers: clientHeaders(client),
      query: { grant_type: 'refresh_token', refresh_token: refreshToken },
    };
  },

  // NOTES.md: PRISM service APIs take x-prism-access-token, not Authorization: Bearer.
  authHeader: (token, type, bearer) =>
    bearer ? { name: 'Authorization', value: `${type} ${token}` } : { name: 'x-prism-access-token', value: token },

  defaultApiUrl: (o) => `${o.serviceUrl}/prism/v1/service/user`,

  identity: {
    request: (o, token) => ({
      method: 'GET',
      url: `${o.serviceUrl}/prism/v1/service/user`,
      headers: { 'x-prism-access-token': token, accept: 'application/json' },
    }),
    read: readIdentity,
  },
};

/** PRISM's envelope: {success, data: {user}}; on failure {success: false, errorCode, errorName, message}. */
function readIdentity(body: unknown) {
  const e = (body ?? {}) as { success?: unknown; errorName?: unknown; message?: unknown; data?: { user?: { userId?: unknown; userName?: unknown } } };
  const detail = [e.errorName, e.message].filter((x) => typeof x === 'string' && x).join(': ');
  const user = e.data?.user;
  const id = user && typeof user.userId === 'string' ? user.userId : undefined;
  const name = id !== undefined && typeof user?.userName === 'string' && user.userName ? `${id} (${user.userName})` : id;
  return { user: name, refused: e.success === false, detail: detail || undefined };
}

function tokenUrl(o: PrismOptions): string {
  return `${o.serviceUrl}/prism/v1/service/oauth2/token`;
}

function clientHeaders(client: { clientId: string; clientSecret: string }): Record<string, string> {
  return { 'x-prism-client-id': client.clientId, 'x-prism-client-secret': client.clientSecret, accept: 'application/json' };
}
