// Bright Pattern end to end: the CLI against the sandbox, every request recorded.
// In-process (runFresh); the provider's main flows, a login and a refresh, and show --raw's
// stdout (the token and a newline) and empty stderr, run as the built CLI.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cpSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CLIENTS } from '../../src/sandbox/index.js';
import { runCli, tempConfig, type TempConfig } from '../helpers/cli.js';
import { useSandboxConfig } from '../helpers/sandbox-config.js';
import { loginBp as loginBpCli, loginBpInProcess as loginBp } from '../helpers/logins.js';
import { runFresh } from '../helpers/fake-deps.js';

const { sb, cfg } = useSandboxConfig();
const PACKAGE_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

describe('token login brightpattern', () => {
  it('sends exactly the provider page’s form POST, with tenant and scope both set', async () => {
    const r = await loginBpCli(sb, cfg.env);
    expect(r.stderr).toContain('Logged in to Bright Pattern');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(sb.requests).toHaveLength(1);
    const req = sb.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/bp/configapi/v2/oauth/token');
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    // Who is asking: token, in the version package.json gives.
    expect(req.headers['user-agent']).toBe(`token-cli/${PACKAGE_VERSION}`);
    expect(req.query).toEqual({});
    expect(req.form).toEqual({
      grant_type: 'client_credentials',
      client_id: CLIENTS.brightpattern.clientId,
      client_secret: CLIENTS.brightpattern.clientSecret,
      tenant: CLIENTS.brightpattern.tenant,
      scope: CLIENTS.brightpattern.tenant,
    });
  });

  it('stores settings 0600 in a 0700 dir and reads expires_in given as a string', async () => {
    expect((await loginBp(sb, { ...cfg.env })).code).toBe(0);
    const dir = cfg.env.TOKEN_CONFIG_DIR!;
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'profiles')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'config.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'profiles', 'brightpattern.json')).mode & 0o777).toBe(0o600);
    const p = cfg.profile('brightpattern');
    expect(p.token.expiresAt - p.token.obtainedAt).toBe(3600 * 1000);
    expect(cfg.config()).toEqual({
      version: 2,
      storeId: expect.stringMatching(/^[0-9a-f]{32}$/),
      default: 'brightpattern',
    });
    // The file store: the secret lives in the profile's own 0600 file, bound to its token endpoint.
    expect(p.secrets).toEqual({
      origin: new URL(sb.bpUrl).origin,
      clientId: CLIENTS.brightpattern.clientId,
      clientSecret: CLIENTS.brightpattern.clientSecret,
    });
    expect(cfg.text('config.json')).not.toContain(CLIENTS.brightpattern.clientSecret);
  });

  it('takes the secret from --client-secret-stdin', async () => {
    const r = await runFresh(
      [
        'login',
        'bp',
        '--client-id',
        CLIENTS.brightpattern.clientId,
        '--tenant',
        CLIENTS.brightpattern.tenant,
        '--url',
        sb.bpUrl,
        '--client-secret-stdin',
      ],
      cfg.env,
      { stdin: `${CLIENTS.brightpattern.clientSecret}\n` },
    );
    expect(r.code).toBe(0);
    expect(sb.requests[0]!.form!.client_secret).toBe(CLIENTS.brightpattern.clientSecret);
  });

  it('without a TTY names every missing flag and exits 2', async () => {
    const r = await runFresh(['login', 'brightpattern'], cfg.env);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^token: missing --client-id, --tenant, TOKEN_CLIENT_SECRET or --client-secret-stdin\n/);
    expect(sb.requests).toHaveLength(0);
    expect(cfg.names()).toEqual([]);
    expect(cfg.exists('config.json')).toBe(false);
  });

  it('a wrong secret is exit 3 with the provider’s words, and nothing is stored', async () => {
    const r = await runFresh(
      ['login', 'bp', '--client-id', 'demo.user', '--tenant', CLIENTS.brightpattern.tenant, '--url', sb.bpUrl],
      // Not 'wrong': a secret is hidden wherever it appears, also inside the provider's words.
      { ...cfg.env, TOKEN_CLIENT_SECRET: 'not-the-api-secret' },
    );
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('token: Bright Pattern refused: invalid_client: wrong login ID or API secret\n');
    expect(cfg.names()).toEqual([]);
    expect(cfg.exists('config.json')).toBe(false);
  });

  it('logging in again to a profile reuses its settings and stored secret, as the hints suggest', async () => {
    expect((await loginBp(sb, cfg.env, ['-p', 'work'])).code).toBe(0);
    sb.requests.length = 0;
    const again = await runFresh(['login', '-p', 'work', '--force'], cfg.env); // no TOKEN_CLIENT_SECRET
    expect(again.stderr).toContain('Logged in to Bright Pattern as profile work');
    expect(again.code).toBe(0);
    expect(sb.requests[0]!.form).toMatchObject({
      client_id: CLIENTS.brightpattern.clientId,
      client_secret: CLIENTS.brightpattern.clientSecret,
      tenant: CLIENTS.brightpattern.tenant,
    });
    const none = await runFresh(['login', '-p', 'nobody', '--force'], cfg.env);
    expect(none).toMatchObject({ code: 2, stdout: '' });
    expect(none.stderr).toMatch(/^token: missing provider\n/);
  });

  it('an existing profile needs --force without a TTY', async () => {
    expect((await loginBp(sb, cfg.env)).code).toBe(0);
    const again = await loginBp(sb, cfg.env);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^token: profile brightpattern already exists\npass --force/);
    expect((await loginBp(sb, cfg.env, ['--force'])).code).toBe(0);
  });
});

describe('show, refresh, curl, list, use, logout', () => {
  // One real login, its config dir copied into each test's (client credentials: nothing to rotate).
  let login: TempConfig;
  beforeAll(async () => {
    login = tempConfig();
    expect((await loginBp(sb, login.env)).code).toBe(0);
  });
  afterAll(() => login.cleanup());
  beforeEach(() => cpSync(login.env.TOKEN_CONFIG_DIR!, cfg.env.TOKEN_CONFIG_DIR!, { recursive: true }));

  it('show --raw prints the token and a newline, nothing else', async () => {
    const r = await runCli(['show', '--raw'], { env: cfg.env });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(sb.requests).toHaveLength(0);
  });

  it('show decodes the JWT and shortens the token', async () => {
    const [shown, r] = await Promise.all([runFresh(['show', '--raw'], cfg.env), runFresh(['show'], cfg.env)]);
    const raw = shown.stdout.trim();
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(raw);
    expect(r.stdout).toMatch(/^profile +brightpattern \(default\)$/m);
    expect(r.stdout).toMatch(/^expires +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d \(in (1h|59m \d+s)\)$/m);
    expect(r.stdout).toMatch(/^jwt sub +demo\.user$/m);
    expect(r.stdout).toMatch(/^jwt exp +\d+ \(\d{4}-/m);
    expect(r.stdout).toMatch(/^refresh token +no$/m);
    expect(r.stdout).toMatch(/^store +file \(profiles\/brightpattern\.json\)$/m);
  });

  it('show --json has the documented fields', async () => {
    const r = await runFresh(['show', '--json'], cfg.env);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      profile: 'brightpattern',
      provider: 'brightpattern',
      token_type: 'Bearer',
      expired: false,
      has_refresh_token: false,
      store: 'file',
    });
    expect(j.expires_in).toBeGreaterThan(3500);
    expect(new Date(j.expires_at).getTime()).toBeGreaterThan(Date.now());
    expect(j.jwt.claims.sub).toBe('demo.user');
  });

  it('show --header prints the Authorization line', async () => {
    const [raw, header] = await Promise.all([
      runFresh(['show', '--raw'], cfg.env),
      runFresh(['show', '--header'], cfg.env),
    ]);
    expect(header.stdout).toBe(`Authorization: Bearer ${raw.stdout.trim()}\n`);
  });

  it('refresh asks again with the stored secret and replaces the token', async () => {
    const before = cfg.secret('brightpattern', 'access_token');
    const r = await runCli(['refresh'], { env: cfg.env });
    expect(r.code).toBe(0);
    expect(sb.requests).toHaveLength(1);
    expect(sb.requests[0]!.form!.grant_type).toBe('client_credentials');
    expect(cfg.secret('brightpattern', 'access_token')).not.toBe(before);
  });

  it('curl prints a shell-quoted line that works against the sandbox', async () => {
    const r = await runFresh(
      ['curl', '-X', 'GET', '-H', "X-Note: it's me", `${sb.bpUrl}/configapi/v2/phone/user`],
      cfg.env,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^curl -H 'Authorization: Bearer [\w.-]+' -X GET -H 'X-Note: it'\\''s me' http:\/\/127\.0\.0\.1:\d+\/bp\/configapi\/v2\/phone\/user\n$/,
    );
  });

  it('list, use and logout', async () => {
    const l = await runFresh(['list', '--json'], cfg.env);
    expect(JSON.parse(l.stdout)).toEqual([
      expect.objectContaining({
        name: 'brightpattern',
        provider: 'brightpattern',
        status: 'valid',
        store: 'file',
        default: true,
      }),
    ]);
    expect((await runFresh(['use', 'nope'], cfg.env)).code).toBe(2);
    expect((await runFresh(['logout'], cfg.env)).code).toBe(0);
    expect(cfg.names()).toEqual([]);
    expect(cfg.config().default).toBeUndefined();
    const after = await runFresh(['show', '--raw'], cfg.env);
    expect(after.code).toBe(5);
    expect(after.stdout).toBe('');
  });
});
