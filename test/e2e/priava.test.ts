// Priava end to end: loopback capture without state, form POSTs with the
// TenantRegion header, BEARER normalised, rotation, the paste-free --code path.
import { beforeEach, describe, expect, it } from 'vitest';
import { CLIENTS } from '../../src/sandbox/index.js';
import { runCli } from '../helpers/cli.js';
import { useSandboxConfig } from '../helpers/sandbox-config.js';
import { loginPriava } from '../helpers/logins.js';
import { freePort } from '../helpers/real.js';

const { sb, cfg } = useSandboxConfig();
let redirectUri: string;
beforeEach(async () => {
  redirectUri = `http://127.0.0.1:${await freePort()}/oauth2callback`;
});

const tokenRequests = () => sb.requests.filter((r) => r.endpoint === 'priava-token');

describe('token login priava', () => {
  it('listens on the registered loopback redirect URI and POSTs the provider page’s form', async () => {
    const r = await loginPriava(sb, cfg.env, redirectUri);
    expect(r.code).toBe(0);
    const authorize = sb.requests.find((q) => q.endpoint === 'priava-authorize')!;
    expect(authorize.query.redirect_uri).toBe(redirectUri);
    // token builds this authorize URL (--authorize-url), so it sends state (SPEC); the sandbox echoes it.
    expect(authorize.query.state).toMatch(/^[\w-]{32}$/);
    expect(authorize.query.code_challenge).toBeUndefined(); // no --pkce: exactly the page's requests
    const [req] = tokenRequests();
    expect(req!.method).toBe('POST');
    expect(req!.path).toBe('/priava/api/rest/oauth/token');
    expect(req!.headers['content-type']).toBe('application/x-www-form-urlencoded;charset=utf-8');
    expect(req!.headers.tenantregion).toBe('APAC');
    expect(Object.keys(req!.form!)).toEqual(['grant_type', 'client_id', 'client_secret', 'code', 'redirect_uri']);
    expect(req!.form).toMatchObject({
      grant_type: 'authorization_code',
      client_id: CLIENTS.priava.clientId,
      client_secret: CLIENTS.priava.clientSecret,
      redirect_uri: redirectUri,
    });
    expect(cfg.profile('priava').token.tokenType).toBe('Bearer'); // "BEARER" on the wire
  });

  it('refresh POSTs grant_type=refresh_token with redirect_uri and TenantRegion, and stores the rotated token', async () => {
    expect((await loginPriava(sb, cfg.env, redirectUri, ['--region', 'EU', '--force'])).code).toBe(0);
    sb.requests.length = 0;
    const before = cfg.secret('priava', 'refresh_token');
    expect(before).toBeTruthy();
    expect((await runCli(['refresh', '-p', 'priava'], { env: cfg.env })).code).toBe(0);
    const [req] = tokenRequests();
    expect(req!.headers.tenantregion).toBe('EU');
    expect(Object.keys(req!.form!)).toEqual([
      'grant_type',
      'client_id',
      'client_secret',
      'refresh_token',
      'redirect_uri',
    ]);
    expect(req!.form).toMatchObject({ grant_type: 'refresh_token', refresh_token: before, redirect_uri: redirectUri });
    expect(cfg.secret('priava', 'refresh_token')).not.toBe(before);
  });

  it('--code with a non-loopback redirect URI exchanges directly', async () => {
    const uri = 'https://my.app.example/oauth2callback';
    const code = sb.state.issueCode({ provider: 'priava', clientId: CLIENTS.priava.clientId, redirectUri: uri });
    const r = await runCli(
      [
        'login',
        'priava',
        '--client-id',
        CLIENTS.priava.clientId,
        '--region',
        'us',
        '--api-url',
        sb.priavaApiUrl,
        '--redirect-uri',
        uri,
        '--code',
        code,
      ],
      {
        env: { ...cfg.env, TOKEN_CLIENT_SECRET: CLIENTS.priava.clientSecret },
      },
    );
    expect(r.code).toBe(0);
    expect(tokenRequests()[0]!.headers.tenantregion).toBe('US');
    expect(tokenRequests()[0]!.form!.code).toBe(code);
  });

  it.each([
    [['--region', 'MARS'], /^token: --region must be one of APAC, EU, US, got "MARS"$/m],
    [['--sandbox'], /^token: --sandbox and --api-url conflict/m],
    [['--code', 'has space'], /^token: --code "has space" is not an authorization code/m],
    [['--port', '-1'], /^token: --port must be a whole number from 0 to 65535, got "-1"$/m],
  ])('bad input %j is exit 2 naming the value', async (extra, message) => {
    const r = await loginPriava(sb, cfg.env, redirectUri, extra);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(cfg.names()).toEqual([]);
    expect(cfg.exists('config.json')).toBe(false);
    expect(sb.requests).toHaveLength(0);
  });
});
