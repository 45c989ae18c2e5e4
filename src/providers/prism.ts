// PRISM Live Studio (NAVER Cloud B2B): ../shared/providers/prism-oauth2-token.txt + NOTES.md.
// The customer's service is the OAuth server; the token endpoint is a GET with the
// parameters in the query string and the client credentials in x-prism-* headers.
import { UsageError } from '../errors.js';
import { headerValueProblem } from '../oauth/header-value.js';
import type { AuthorizePage, Provider } from './types.js';
import { baseUrl, parseUrlFlag } from './urls.js';

/** What a PRISM profile stores: resolveOptions' result (login adds allowHttp, and the redirect URI used). */
export type PrismOptions = {
  serviceUrl: string;
  authorizeUrl: string;
  redirectUri?: string;
  scope?: string;
  allowHttp?: boolean;
};

export const prism: Provider<PrismOptions> = {
  id: 'prism',
  name: 'PRISM',
  flow: 'authorization_code',
  flags: [
    { key: 'serviceUrl', flag: '--service-url', required: true, description: 'the service API domain' },
    {
      key: 'authorizeUrl',
      flag: '--authorize-url',
      description: 'authorization page (default <service-url>/oauth/authorize)',
    },
    {
      key: 'redirectUri',
      flag: '--redirect-uri',
      description: 'redirect URI (default http://127.0.0.1:<port>/callback)',
    },
    { key: 'scope', flag: '--scope', description: 'scope to request' },
  ],
  // The page's redirect_uri row: in B2B PRISM Live Studio the code is issued for this URI.
  registeredRedirectUri: 'https://global.apis.naver.com/prism/prism-auth-api/oauth/partner/{serviceId}',

  resolveOptions(flags) {
    if (typeof flags.serviceUrl !== 'string') throw new UsageError('missing --service-url');
    const serviceUrl = baseUrl(flags.serviceUrl, '--service-url');
    // NOTES.md: a service may register another authorize URL; it is used exactly as given.
    const authorizeUrl =
      typeof flags.authorizeUrl === 'string'
        ? parseUrlFlag(flags.authorizeUrl, '--authorize-url').toString()
        : `${serviceUrl}/oauth/authorize`;
    const redirectUri = typeof flags.redirectUri === 'string' ? flags.redirectUri : undefined;
    if (redirectUri !== undefined) parseUrlFlag(redirectUri, '--redirect-uri');
    return { serviceUrl, authorizeUrl, redirectUri, scope: typeof flags.scope === 'string' ? flags.scope : undefined };
  },

  endpoints: (o) => [o.serviceUrl, o.authorizeUrl],

  authorizePage: (o): AuthorizePage => ({
    url: o.authorizeUrl,
    params: o.scope !== undefined ? { scope: o.scope } : {},
  }),

  // The page sends both in x-prism-client-* headers, which cannot carry every character.
  checkClient(client) {
    const values: [string, string, string][] = [
      ['--client-id', client.clientId, 'x-prism-client-id'],
      ['the client secret', client.clientSecret, 'x-prism-client-secret'],
    ];
    for (const [what, value, header] of values) {
      const problem = headerValueProblem(value);
      if (problem)
        throw new UsageError(
          `${what} ${problem}, which PRISM cannot receive: it goes in the ${header} header`,
          'check the value given; it is sent exactly as given',
        );
    }
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

  defaultApiUrl: (o) => `${o.serviceUrl}/prism/v1/service/user`,
  apiBase: (o) => o.serviceUrl,

  verifyRequest: (o, token) => ({
    method: 'GET',
    url: `${o.serviceUrl}/prism/v1/service/user`,
    headers: { 'x-prism-access-token': token, accept: 'application/json' },
  }),

  // NOTES.md: {"success":true,"errorCode":0,...,"data":{"user":{"userId":"admin","userName":"..."}}};
  // on failure the same envelope with success false, errorName and message.
  readIdentity(status, text) {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const e = (body ?? {}) as {
      success?: unknown;
      errorName?: unknown;
      message?: unknown;
      data?: { user?: { userId?: unknown; userName?: unknown } };
    };
    if (status === 401 || status === 403 || e.success === false) {
      return { refused: [e.errorName, e.message].filter((x) => typeof x === 'string' && x).join(': ') };
    }
    const user = status < 300 ? e.data?.user : undefined;
    if (!user || typeof user.userId !== 'string') return {};
    return {
      user: typeof user.userName === 'string' && user.userName ? `${user.userId} (${user.userName})` : user.userId,
    };
  },
};

/** The page's token endpoint on the service. */
export function tokenUrl(o: Pick<PrismOptions, 'serviceUrl'>): string {
  return `${o.serviceUrl}/prism/v1/service/oauth2/token`;
}

function clientHeaders(client: { clientId: string; clientSecret: string }): Record<string, string> {
  return {
    'x-prism-client-id': client.clientId,
    'x-prism-client-secret': client.clientSecret,
    accept: 'application/json',
  };
}
