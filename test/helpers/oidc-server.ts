// panva's oidc-provider (OpenID Certified) as a real OAuth 2.0 server on 127.0.0.1, for
// Priava-shaped flows: clients authenticate with client_secret_post (client_id and
// client_secret in the form body, as Priava's page sends them), PKCE is required, and the
// development login and consent pages stand in for a user's sign-in.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OidcClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
  grant_types: string[];
}

export interface OidcServer {
  issuer: string;
  /** Every request the server got: method, path and form keys (never values). */
  requests: { method: string; path: string }[];
  /** Ends every grant given so far: its refresh tokens then get invalid_grant. */
  revokeGrants(): Promise<void>;
  close(): Promise<void>;
}

export async function startOidcServer(clients: OidcClient[]): Promise<OidcServer> {
  const { default: Provider } = await import('oidc-provider');
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const grantIds = new Set<string>();
  const provider = new Provider(issuer, {
    clients: clients.map((c) => ({ ...c, response_types: ['code'], token_endpoint_auth_method: 'client_secret_post' })),
    // RFC 9700 §2.1.1 / OAuth 2.1: a server may require PKCE of every client.
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    // Priava issues a refresh token with every login; a client allowed the grant gets one here.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    cookies: { keys: ['token-cli-test-cookie-key'] },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 3600, RefreshToken: 86400, IdToken: 3600 },
  });
  provider.on(
    'access_token.saved',
    (token: { grantId?: string }) => void (token.grantId && grantIds.add(token.grantId)),
  );
  const requests: OidcServer['requests'] = [];
  const callback = provider.callback();
  server.on('request', (req, res) => {
    requests.push({ method: req.method ?? '', path: (req.url ?? '').split('?')[0]! });
    void callback(req, res);
  });
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    issuer,
    requests,
    async revokeGrants() {
      for (const id of grantIds) await (await provider.Grant.find(id))?.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
