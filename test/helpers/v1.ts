// A config dir as storage version 1 wrote it, for the migration tests.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLIENTS, type Sandbox } from '../../src/sandbox/index.js';

export interface V1Dir {
  profiles: Record<string, unknown>;
  /** credentials.json's secrets: `<profile>:<kind>` → value. */
  secrets: Record<string, string>;
  prism: { access: string; refresh: string };
  bp: { access: string };
}

/**
 * A config dir exactly as version 1 wrote it (src/store/settings.ts and file-store.ts of
 * version 1): profiles.json {version: 1, default, profiles}, credentials.json {version: 1,
 * secrets} with `<profile>:<kind>` keys, both 0600 in a 0700 dir.
 */
export function writeV1(
  dir: string,
  sandbox: Sandbox,
  names = { prism: 'prism', bp: 'work.bp' },
  store: 'file' | 'keychain' = 'file',
): V1Dir {
  const now = Date.now();
  const p = sandbox.state.issueTokens({ provider: 'prism', clientId: CLIENTS.prism.clientId }, true);
  const b = sandbox.state.issueTokens({ provider: 'brightpattern', clientId: CLIENTS.brightpattern.clientId }, false);
  const token = { tokenType: 'Bearer', expiresAt: now + 3600_000, obtainedAt: now };
  const profiles = {
    [names.prism]: {
      provider: 'prism',
      clientId: CLIENTS.prism.clientId,
      store,
      options: { serviceUrl: sandbox.prismServiceUrl, authorizeUrl: `${sandbox.prismServiceUrl}/oauth/authorize` },
      loginFlags: { allowHttp: false, serviceUrl: sandbox.prismServiceUrl },
      token,
    },
    [names.bp]: {
      provider: 'brightpattern',
      clientId: CLIENTS.brightpattern.clientId,
      store,
      options: { tenant: CLIENTS.brightpattern.tenant, url: sandbox.bpUrl },
      loginFlags: { allowHttp: false, tenant: CLIENTS.brightpattern.tenant, url: sandbox.bpUrl },
      token,
    },
  };
  const secrets: Record<string, string> = {
    [`${names.prism}:client_secret`]: CLIENTS.prism.clientSecret,
    [`${names.prism}:refresh_token`]: p.refreshToken!,
    [`${names.prism}:access_token`]: p.accessToken,
    [`${names.bp}:client_secret`]: CLIENTS.brightpattern.clientSecret,
    [`${names.bp}:access_token`]: b.accessToken,
  };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(
    join(dir, 'profiles.json'),
    `${JSON.stringify({ version: 1, default: names.prism, profiles }, null, 2)}\n`,
    { mode: 0o600 },
  );
  if (store === 'file')
    writeFileSync(join(dir, 'credentials.json'), `${JSON.stringify({ version: 1, secrets }, null, 2)}\n`, {
      mode: 0o600,
    });
  return {
    profiles,
    secrets,
    prism: { access: p.accessToken, refresh: p.refreshToken! },
    bp: { access: b.accessToken },
  };
}
