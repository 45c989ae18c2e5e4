// Bright Pattern configapi: ../shared/providers/brightpattern-request-access-token.txt + NOTES.md.
// Client-credentials only; no refresh token, so renewing is asking again.
import { UsageError } from '../errors.js';
import type { Provider } from './types.js';
import { baseUrl } from './urls.js';

/** What a Bright Pattern profile stores: resolveOptions' result (login adds allowHttp). */
export type BrightPatternOptions = { tenant: string; url: string; allowHttp?: boolean };

/** A tenant is a host name, with a port at most: never a URL. */
const TENANT = /^[A-Za-z0-9.-]+(:\d+)?$/;

export const brightpattern: Provider<BrightPatternOptions> = {
  id: 'brightpattern',
  name: 'Bright Pattern',
  flow: 'client_credentials',
  flags: [
    {
      key: 'tenant',
      flag: '--tenant',
      required: true,
      description: 'tenant host, e.g. example.brightpattern.com',
      check: (v) => TENANT.test(v) || 'a host name, e.g. example.brightpattern.com',
    },
    { key: 'url', flag: '--url', description: 'API base URL (default https://<tenant>)' },
  ],

  resolveOptions(flags) {
    const tenant = typeof flags.tenant === 'string' ? flags.tenant.trim() : '';
    if (!tenant) throw new UsageError('missing --tenant');
    if (!TENANT.test(tenant)) {
      throw new UsageError(
        `--tenant must be a host name like example.brightpattern.com, got ${JSON.stringify(flags.tenant)}`,
      );
    }
    const url = typeof flags.url === 'string' ? baseUrl(flags.url, '--url') : `https://${tenant}`;
    return { tenant, url };
  },

  endpoints: (o) => [o.url],

  // NOTES.md: older pages name the tenant `tenant`, newer ones `scope`: send both.
  renewRequest(o, client) {
    return {
      method: 'POST',
      url: `${o.url}/configapi/v2/oauth/token`,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      form: {
        grant_type: 'client_credentials',
        client_id: client.clientId,
        client_secret: client.clientSecret,
        tenant: o.tenant,
        scope: o.tenant,
      },
    };
  },

  defaultApiUrl: (o) => `${o.url}/configapi/v2`,
  apiBase: (o) => o.url,
};
