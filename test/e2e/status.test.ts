// token status: a live check of every profile (renewing when needed, PRISM's identity);
// and token list's "expired (renewable)". In-process (runFresh); one run with the built CLI.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cpSync } from 'node:fs';
import { runCli, tempConfig, type TempConfig } from '../helpers/cli.js';
import { useSandboxConfig } from '../helpers/sandbox-config.js';
import { loginBpInProcess as loginBp, loginPrismInProcess as loginPrism } from '../helpers/logins.js';
import { runFresh } from '../helpers/fake-deps.js';

const { sb, cfg } = useSandboxConfig();
// Two real logins once (prism first: the default), and a copy of that config dir for each
// test. No test here refreshes the copied prism profile: its refresh token is never rotated.
let logins: TempConfig;
beforeAll(async () => {
  logins = tempConfig();
  expect((await loginPrism(sb, logins.env)).code).toBe(0);
  expect((await loginBp(sb, logins.env)).code).toBe(0);
});
afterAll(() => logins.cleanup());
beforeEach(() => {
  sb.state.config.prismQuirks = [];
  cpSync(logins.env.TOKEN_CONFIG_DIR!, cfg.env.TOKEN_CONFIG_DIR!, { recursive: true });
});

function expire(name: string): void {
  const p = cfg.profile(name);
  p.token.expiresAt = Date.now() - 1000;
  p.token.obtainedAt = Date.now() - 3_601_000;
  cfg.writeProfile(name, p);
}

describe('token status', () => {
  it.each(['in-process', 'built CLI'])(
    'all usable: one line per profile with validity and PRISM’s identity, exit 0 (%s)',
    async (how) => {
      const r = how === 'built CLI' ? await runCli(['status'], { env: cfg.env }) : await runFresh(['status'], cfg.env);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(2);
      // In name order, as list shows them.
      expect(lines[0]).toMatch(/^brightpattern {2}brightpattern {2}ok {2}valid for (59m \d+s|1h)$/);
      expect(lines[1]).toMatch(/^prism {10}prism {10}ok {2}valid for (59m \d+s|1h) +admin \(Sandbox Admin\)$/);
      const user = sb.requests.filter((q) => q.endpoint === 'prism-user');
      expect(user).toHaveLength(1);
      expect(user[0]!.headers['x-prism-access-token']).toBe(cfg.secret('prism', 'access_token'));
      expect(sb.requests.filter((q) => q.endpoint.endsWith('-token'))).toHaveLength(0); // fresh: nothing renewed
    },
  );

  it('renews an expired token first (the same renewal as show), and says so in --json', async () => {
    expire('brightpattern');
    const r = await runFresh(['status', '--json'], cfg.env);
    expect(r.code).toBe(0);
    const [bp, prism] = JSON.parse(r.stdout);
    expect(prism).toMatchObject({
      profile: 'prism',
      provider: 'prism',
      ok: true,
      refreshed: false,
      user: 'admin (Sandbox Admin)',
    });
    expect(bp).toMatchObject({
      profile: 'brightpattern',
      provider: 'brightpattern',
      ok: true,
      refreshed: true,
      user: null,
      expires_in: 3600,
    });
    expect(sb.requests.filter((q) => q.endpoint === 'bp-token')).toHaveLength(1);
  });

  it('one good and one revoked profile: exit 3, the failure in its line, the good one still ok', async () => {
    expect((await loginPrism(sb, cfg.env, ['-p', 'revoked'])).code).toBe(0);
    sb.state.retireRefreshToken(cfg.secret('revoked', 'refresh_token')!);
    expire('revoked');
    const r = await runFresh(['status'], cfg.env);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^brightpattern +brightpattern +ok +valid for /);
    expect(lines[1]).toMatch(/^prism +prism +ok +valid for .* admin \(Sandbox Admin\)$/);
    expect(lines[2]).toBe(
      'revoked        prism          failed  PRISM refused: invalid_grant: the refresh token is invalid or expired',
    );
    // The refused refresh token is dead now (SPEC): never sent again, and list no longer calls it renewable.
    const json = await runFresh(['status', '--json'], cfg.env);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)[2]).toEqual({
      profile: 'revoked',
      provider: 'prism',
      ok: false,
      error: {
        code: 'provider_refused',
        message: 'PRISM refused the refresh token of profile revoked earlier (invalid_grant); it is not sent again',
        hint: 'run: token login -p revoked --force',
      },
    });
    expect((await runFresh(['list'], cfg.env)).stdout).toMatch(/^ +revoked +prism +expired +file$/m);
  });

  it('a token the PRISM user API refuses is a failure (exit 3), though it has not expired', async () => {
    sb.failNext('prism-user', {
      status: 401,
      body: '{"success":false,"errorCode":401,"errorName":"UNAUTHORIZED","message":"revoked","data":null}',
    });
    const r = await runFresh(['status', '-p', 'prism'], cfg.env);
    expect(r).toMatchObject({
      code: 3,
      stdout: 'prism  prism  failed  PRISM rejected the token: UNAUTHORIZED: revoked (HTTP 401)\n',
    });
  });

  it('the exit code is the first failure’s: an unreachable service is 4', async () => {
    expire('brightpattern');
    sb.failNext('bp-token', { status: 503, body: '' });
    const r = await runFresh(['status', '-p', 'brightpattern'], cfg.env);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('brightpattern  brightpattern  failed  Bright Pattern server error (HTTP 503)\n');
  });

  it('profiles are checked concurrently: three slow identity answers take about one', async () => {
    for (const r of await Promise.all(['p2', 'p3'].map((name) => loginPrism(sb, cfg.env, ['-p', name]))))
      expect(r.code, r.stderr).toBe(0);
    for (let i = 0; i < 3; i++) sb.failNext('prism-user', { hang: true });
    const started = Date.now();
    const r = await runFresh(['status', '--json'], { ...cfg.env, TOKEN_HTTP_TIMEOUT: '2' });
    const took = Date.now() - started;
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout).filter((l: { ok: boolean }) => !l.ok)).toHaveLength(3);
    expect(took).toBeLessThan(5000); // one after another: over 6 s
  });

  it('no profiles: exit 5 with the login hint', async () => {
    const empty = tempConfig();
    const r = await runFresh(['status'], empty.env);
    expect(r).toMatchObject({
      code: 5,
      stdout: '',
      stderr: 'token: not logged in\nrun: token login <prism|priava|brightpattern>\n',
    });
    empty.cleanup();
  });
});

describe('token list', () => {
  it('says "expired (renewable)" when a refresh token or Bright Pattern’s client secret is stored', async () => {
    sb.state.config.prismQuirks = ['no-refresh-token'];
    expect((await loginPrism(sb, cfg.env, ['-p', 'once'])).code).toBe(0);
    for (const name of ['prism', 'brightpattern', 'once']) expire(name);
    const r = await runFresh(['list'], cfg.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\* +prism +prism +expired \(renewable\) +file$/m);
    expect(r.stdout).toMatch(/^ +brightpattern +brightpattern +expired \(renewable\) +file$/m);
    expect(r.stdout).toMatch(/^ +once +prism +expired +file$/m);
  });
});
