// Priava: ../shared/providers/priava-access-and-refresh-token.txt + NOTES.md.
// Form POSTs with client_id, client_secret and redirect_uri in the body and the
// TenantRegion header on every token request; no state round trip.
import { UsageError } from '../errors.js';
import type { AuthorizePage, Provider } from './types.js';
import { baseUrl, parseUrlFlag } from './urls.js';

export const REGIONS = ['APAC', 'EU', 'US'] as const;
export const PRIAVA_API_URL = 'https://api.priava.com/api';
export const PRIAVA_SANDBOX_API_URL = 'https://api-sandbox.priava.com/api';

const FORM_TYPE = 'application/x-www-form-urlencoded;charset=utf-8';

/** What a Priava profile stores: resolveOptions' result (login adds allowHttp). */
export type PriavaOptions = {
  region: string;
  redirectUri: string;
  apiUrl: string;
  tokenUrl: string;
  authorizeUrl?: string;
  scope?: string;
  allowHttp?: boolean;
};

export const priava: Provider<PriavaOptions> = {
  id: 'priava',
  name: 'Priava',
  flow: 'authorization_code',
  flags: [
    { key: 'region', flag: '--region', required: true, values: REGIONS, description: 'TenantRegion: APAC, EU or US' },
    {
      key: 'redirectUri',
      flag: '--redirect-uri',
      required: true,
      description: 'the Redirect URI registered in Priava',
    },
    { key: 'sandbox', flag: '--sandbox', description: `use Priava's sandbox API (${PRIAVA_SANDBOX_API_URL})` },
    { key: 'apiUrl', flag: '--api-url', description: `API base URL (default ${PRIAVA_API_URL})` },
    { key: 'tokenUrl', flag: '--token-url', description: 'token URL (default <api-url>/rest/oauth/token)' },
    {
      key: 'authorizeUrl',
      flag: '--authorize-url',
      description: 'an OAuth authorize URL: token adds the request parameters and state, and opens it (optional)',
    },
    { key: 'scope', flag: '--scope', description: 'scope to request (sent to --authorize-url)' },
  ],

  resolveOptions(flags) {
    const region = typeof flags.region === 'string' ? flags.region.trim().toUpperCase() : undefined;
    if (!region) throw new UsageError('missing --region');
    if (!(REGIONS as readonly string[]).includes(region)) {
      throw new UsageError(`--region must be one of ${REGIONS.join(', ')}, got ${JSON.stringify(flags.region)}`);
    }
    if (typeof flags.redirectUri !== 'string') throw new UsageError('missing --redirect-uri');
    parseUrlFlag(flags.redirectUri, '--redirect-uri');
    if (flags.sandbox && typeof flags.apiUrl === 'string')
      throw new UsageError('--sandbox and --api-url conflict: give one');
    const apiUrl =
      typeof flags.apiUrl === 'string'
        ? baseUrl(flags.apiUrl, '--api-url')
        : flags.sandbox
          ? PRIAVA_SANDBOX_API_URL
          : PRIAVA_API_URL;
    // NOTES.md: the full token URL is uncertain, hence --token-url.
    const tokenUrl =
      typeof flags.tokenUrl === 'string'
        ? parseUrlFlag(flags.tokenUrl, '--token-url').toString()
        : `${apiUrl}/rest/oauth/token`;
    const authorizeUrl =
      typeof flags.authorizeUrl === 'string'
        ? parseUrlFlag(flags.authorizeUrl, '--authorize-url').toString()
        : undefined;
    if (typeof flags.scope === 'string' && !authorizeUrl)
      throw new UsageError('--scope needs --authorize-url: the scope goes on the authorize URL token builds');
    return {
      region,
      redirectUri: flags.redirectUri,
      apiUrl,
      tokenUrl,
      authorizeUrl,
      scope: typeof flags.scope === 'string' ? flags.scope : undefined,
    };
  },

  endpoints: (o) => [o.tokenUrl, o.apiUrl, ...(o.authorizeUrl ? [o.authorizeUrl] : [])],

  // Only with --authorize-url: otherwise an admin makes the code in Priava (NOTES.md).
  authorizePage: (o): AuthorizePage | undefined =>
    o.authorizeUrl === undefined
      ? undefined
      : { url: o.authorizeUrl, params: o.scope !== undefined ? { scope: o.scope } : {} },

  codeRequest(o, client, code, redirectUri) {
    return tokenPost(o, {
      grant_type: 'authorization_code',
      client_id: client.clientId,
      client_secret: client.clientSecret,
      code,
      redirect_uri: redirectUri ?? o.redirectUri,
    });
  },

  renewRequest(o, client, refreshToken) {
    if (!refreshToken) throw new UsageError('this Priava profile has no refresh token');
    return tokenPost(o, {
      grant_type: 'refresh_token',
      client_id: client.clientId,
      client_secret: client.clientSecret,
      refresh_token: refreshToken,
      redirect_uri: o.redirectUri,
    });
  },

  defaultApiUrl: (o) => `${o.apiUrl}/rest`,
  apiBase: (o) => o.apiUrl,
};

function tokenPost(o: PriavaOptions, form: Record<string, string>) {
  return {
    method: 'POST' as const,
    url: o.tokenUrl,
    headers: { 'Content-Type': FORM_TYPE, TenantRegion: o.region, accept: 'application/json' },
    form,
  };
}
