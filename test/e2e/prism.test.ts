// PRISM end to end: loopback capture with state, the GET token endpoint with
// x-prism-* headers, --code, paste, refresh rotation, invalid_grant, verify.
// In-process (runFresh, with its in-process browser); the provider's main flows, a browser
// login through the loopback capture and a refresh, run as the built CLI.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLIENTS } from '../../src/sandbox/index.js';
import { runCli, tempConfig, type TempConfig } from '../helpers/cli.js';
import { useSandboxConfig } from '../helpers/sandbox-config.js';
import { copyLogin, loginPrism as loginPrismCli, loginPrismInProcess as loginPrism } from '../helpers/logins.js';
import { runFresh } from '../helpers/fake-deps.js';
import { freePort } from '../helpers/real.js';

const { sb, cfg } = useSandboxConfig();
beforeEach(() => {
  sb.state.config.rotateRefreshTokens = true;
  sb.state.config.accessTokenTtl = 3600;
});

const tokenRequests = () => sb.requests.filter((r) => r.endpoint === 'prism-token');

describe('token login prism', () => {
  it('authorizes with state and exchanges the code with GET, query parameters and x-prism-* headers', async () => {
    const r = await loginPrismCli(sb, cfg.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const authorize = sb.requests.find((q) => q.endpoint === 'prism-authorize' && q.method === 'GET')!;
    expect(Object.keys(authorize.query).sort()).toEqual(['client_id', 'redirect_uri', 'response_type', 'state']);
    expect(authorize.query.response_type).toBe('code');
    expect(authorize.query.client_id).toBe(CLIENTS.prism.clientId);
    expect(authorize.query.redirect_uri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(Buffer.from(authorize.query.state!, 'base64url').length).toBeGreaterThanOrEqual(16); // >= 128 bits
    expect(r.stderr).toContain(authorize.query.state); // the URL is always printed to stderr

    const [exchange] = tokenRequests();
    expect(tokenRequests()).toHaveLength(1);
    expect(exchange!.method).toBe('GET');
    expect(exchange!.path).toBe('/prism/v1/service/oauth2/token');
    expect(exchange!.body).toBe('');
    expect(exchange!.headers['x-prism-client-id']).toBe(CLIENTS.prism.clientId);
    expect(exchange!.headers['x-prism-client-secret']).toBe(CLIENTS.prism.clientSecret);
    expect(exchange!.headers.authorization).toBeUndefined();
    expect(Object.keys(exchange!.query).sort()).toEqual(['code', 'grant_type', 'redirect_uri']);
    expect(exchange!.query.grant_type).toBe('authorization_code');
    expect(exchange!.query.redirect_uri).toBe(authorize.query.redirect_uri);
    const p = cfg.profile('prism');
    expect(p.token.tokenType).toBe('Bearer'); // "bearer" on the wire
    expect(p.hasRefreshToken).toBe(true);
    expect(p.secrets).toEqual({
      origin: new URL(sb.prismServiceUrl).origin,
      clientId: CLIENTS.prism.clientId,
      clientSecret: CLIENTS.prism.clientSecret,
      refreshToken: expect.any(String),
    });
  });

  it('sends a localhost redirect URI exactly as given, while listening on 127.0.0.1', async () => {
    const port = await freePort();
    const r = await loginPrism(sb, cfg.env, ['--redirect-uri', `http://localhost:${port}/cb`]);
    expect(r.code).toBe(0);
    const authorize = sb.requests.find((q) => q.endpoint === 'prism-authorize')!;
    expect(authorize.query.redirect_uri).toBe(`http://localhost:${port}/cb`);
    expect(tokenRequests()[0]!.query.redirect_uri).toBe(`http://localhost:${port}/cb`);
  });

  it('--code skips the browser and exchanges that code', async () => {
    const code = sb.state.issueCode({
      provider: 'prism',
      clientId: CLIENTS.prism.clientId,
      redirectUri: 'https://global.apis.naver.com/prism/prism-auth-api/oauth/partner/svc1',
    });
    const r = await loginPrism(
      sb,
      cfg.env,
      ['--code', code, '--redirect-uri', 'https://global.apis.naver.com/prism/prism-auth-api/oauth/partner/svc1'],
      { browser: () => Promise.reject(new Error('the browser was opened')) },
    );
    expect(r.code).toBe(0);
    expect(r.opened).toEqual([]);
    expect(sb.requests.filter((q) => q.endpoint === 'prism-authorize')).toHaveLength(0);
    expect(tokenRequests()[0]!.query).toEqual({
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'https://global.apis.naver.com/prism/prism-auth-api/oauth/partner/svc1',
    });
  });

  it('a reused code is refused with exit 3 and nothing stored', async () => {
    const code = sb.state.issueCode({
      provider: 'prism',
      clientId: CLIENTS.prism.clientId,
      redirectUri: 'https://app.example.test/cb',
    });
    expect(
      (await loginPrism(sb, cfg.env, ['--code', code, '--redirect-uri', 'https://app.example.test/cb'])).code,
    ).toBe(0);
    const other = tempConfig();
    const r = await loginPrism(sb, other.env, ['--code', code, '--redirect-uri', 'https://app.example.test/cb']);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('token: PRISM refused: invalid_grant: the code is invalid, expired or already used\n');
    expect(other.names()).toEqual([]);
    other.cleanup();
  });

  it('a non-loopback redirect URI without a TTY needs --code (exit 2)', async () => {
    const r = await loginPrism(sb, cfg.env, ['--redirect-uri', 'https://app.example.test/cb']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^token: --redirect-uri https:\/\/app\.example\.test\/cb is not a loopback address/);
  });

  it('access_denied at the consent page ends the login with exit 3 and the provider’s text', async () => {
    const r = await loginPrism(sb, cfg.env, [], { browser: 'deny' });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^token: PRISM refused the sign-in: access_denied: The user denied the request$/m);
    expect(cfg.names()).toEqual([]);
  });

  it('no callback before --timeout is exit 5 with a hint', async () => {
    const r = await loginPrism(sb, cfg.env, ['--timeout', '1'], { browser: async () => undefined });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^token: no sign-in arrived within 1 s\nrun the login again/m);
  });
});

describe('refresh and verify', () => {
  // One real login, copied into each test's config dir with a token pair of its own.
  let login: TempConfig;
  beforeAll(async () => {
    login = tempConfig();
    expect((await loginPrism(sb, login.env)).code).toBe(0);
  });
  afterAll(() => login.cleanup());
  beforeEach(() => copyLogin(sb, login, cfg));
  const secrets = () => ({
    refresh: cfg.secret('prism', 'refresh_token'),
    access: cfg.secret('prism', 'access_token'),
  });

  it('refresh is a GET with grant_type=refresh_token and the rotated refresh token replaces the stored one', async () => {
    const before = secrets();
    const r = await runCli(['refresh'], { env: cfg.env });
    expect(r.code).toBe(0);
    const [req] = tokenRequests();
    expect(req!.method).toBe('GET');
    expect(req!.query).toEqual({ grant_type: 'refresh_token', refresh_token: before.refresh });
    expect(req!.headers['x-prism-client-secret']).toBe(CLIENTS.prism.clientSecret);
    const after = secrets();
    expect(after.refresh).not.toBe(before.refresh);
    expect(after.access).not.toBe(before.access);
  });

  it('show reports the stored refresh token (summary, --json, and refresh --json)', async () => {
    const summary = await runFresh(['show'], cfg.env);
    expect(summary.stdout).toMatch(/^refresh token +yes$/m);
    expect(JSON.parse((await runFresh(['show', '--json'], cfg.env)).stdout)).toMatchObject({
      has_refresh_token: true,
      refreshed: false,
    });
    expect(JSON.parse((await runFresh(['refresh', '--json'], cfg.env)).stdout)).toMatchObject({
      has_refresh_token: true,
      refreshed: true,
    });
  });

  it('keeps the old refresh token when the response has none', async () => {
    sb.state.config.rotateRefreshTokens = false;
    const before = secrets();
    expect((await runFresh(['refresh'], cfg.env)).code).toBe(0);
    expect(secrets().refresh).toBe(before.refresh);
    expect(secrets().access).not.toBe(before.access);
    expect((await runFresh(['refresh'], cfg.env)).code).toBe(0); // and it still works
  });

  it('invalid_grant is exit 3 with a hint to log in again, and the stored tokens stay as they were', async () => {
    sb.state.retireRefreshToken(secrets().refresh!);
    const before = cfg.profile('prism');
    const config = cfg.text('config.json');
    const r = await runFresh(['refresh'], cfg.env);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'token: PRISM refused: invalid_grant: the refresh token is invalid or expired\nthe login has expired or was revoked; run: token login -p prism --force\n',
    );
    // The one change a failed request makes (SPEC): the refresh token is marked dead.
    expect(cfg.profile('prism')).toEqual({
      ...before,
      refreshRefused: { at: expect.any(Number), error: 'invalid_grant' },
    });
    expect(cfg.text('config.json')).toBe(config);
  });

  it('`token login -p prism --force` logs in again with the stored settings and client secret', async () => {
    const r = await runFresh(['login', '-p', 'prism', '--force'], cfg.env);
    expect(r.code).toBe(0);
    const [exchange] = tokenRequests();
    expect(exchange!.headers['x-prism-client-id']).toBe(CLIENTS.prism.clientId);
    expect(exchange!.headers['x-prism-client-secret']).toBe(CLIENTS.prism.clientSecret);
    expect(exchange!.query.grant_type).toBe('authorization_code');
  });

  it('show refreshes a token within 60 s of expiry first; --no-refresh gives it out until it expires, then exits 5', async () => {
    const setExpiry = (at: number) => {
      const p = cfg.profile('prism');
      p.token.expiresAt = at; // of a token that lived an hour
      p.token.obtainedAt = at - 3_600_000;
      cfg.writeProfile('prism', p);
    };
    setExpiry(Date.now() + 30_000);
    const stillValid = await runFresh(['show', '--raw', '--no-refresh'], cfg.env);
    expect(stillValid).toMatchObject({ code: 0, stdout: `${secrets().access}\n` });
    setExpiry(Date.now() - 1000);
    const stale = await runFresh(['show', '--raw', '--no-refresh'], cfg.env);
    expect(stale.code).toBe(5);
    expect(stale.stdout).toBe('');
    expect(stale.stderr).toBe('token: the token of profile prism has expired\nrun: token refresh -p prism\n');
    expect(tokenRequests()).toHaveLength(0);
    setExpiry(Date.now() + 30_000);
    const fresh = await runFresh(['show', '--raw'], cfg.env);
    expect(fresh.code).toBe(0);
    expect(tokenRequests()).toHaveLength(1);
    expect(fresh.stdout).toBe(`${secrets().access}\n`);
  });

  it('show --verify asks /prism/v1/service/user with x-prism-access-token', async () => {
    const r = await runFresh(['show', '--verify', '--json'], cfg.env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).user).toBe('admin (Sandbox Admin)');
    const [req] = sb.requests.filter((q) => q.endpoint === 'prism-user');
    expect(req!.method).toBe('GET');
    expect(req!.headers['x-prism-access-token']).toBe(secrets().access);
  });

  it('show --verify reports PRISM’s own failure envelope as a refusal (exit 3)', async () => {
    sb.failNext('prism-user', {
      status: 200,
      body: '{"success":false,"errorCode":1001,"errorName":"INVALID_TOKEN","message":"token expired","data":null}',
    });
    const r = await runFresh(['show', '--verify'], cfg.env);
    expect(r).toMatchObject({
      code: 3,
      stdout: '',
      stderr: 'token: PRISM rejected the token: INVALID_TOKEN: token expired (HTTP 200)\nrun: token refresh -p prism\n',
    });
  });

  it('curl uses x-prism-access-token, or Authorization: Bearer with --bearer', async () => {
    const t = secrets().access;
    const [plain, bearer] = await Promise.all([runFresh(['curl'], cfg.env), runFresh(['curl', '--bearer'], cfg.env)]);
    expect(plain.stdout).toBe(`curl -H 'x-prism-access-token: ${t}' ${sb.url}/prism/v1/service/user\n`);
    expect(bearer.stdout).toBe(`curl -H 'Authorization: Bearer ${t}' ${sb.url}/prism/v1/service/user\n`);
  });
});
