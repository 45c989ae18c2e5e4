// --min-ttl and the expiry a token carries, against the sandbox (in-process; exec, whose
// child writes to token's own stdout, as the built CLI):
// show (its fast path and commander's), curl and exec renew when less is left; a provider
// that issues shorter tokens gets one warning; a JWT's exp is the expiry when expires_in is
// absent, and without either the expiry is unknown and renewed only when asked.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { runCli, tempConfig, type TempConfig } from '../helpers/cli.js';
import { useSandboxConfig } from '../helpers/sandbox-config.js';
import { copyLogin, loginBpInProcess as loginBp } from '../helpers/logins.js';
import { runFresh } from '../helpers/fake-deps.js';

const { sb, cfg } = useSandboxConfig();
beforeEach(() => {
  sb.state.config.accessTokenTtl = 3600;
});

/** In-process (runFresh), but exec, whose child writes to token's own stdout: it runs as the built CLI. */
const run = (args: string[], env: NodeJS.ProcessEnv = cfg.env) =>
  args.includes('exec') ? runCli(args, { env }) : runFresh(args, env);

const renewals = () => sb.requests.filter((q) => q.endpoint === 'bp-token').length;
const stored = () => cfg.profile('brightpattern').token;
/** What `show --raw` gives out while the stored token is fresh: the file's cached one. */
const storedToken = () => stored().accessToken as string;
const age = (ms: number) => cfg.age('brightpattern', ms);

// One real login, copied into a test's config dir with a token of the lifetime it needs.
let logins: TempConfig;
beforeAll(async () => {
  logins = tempConfig();
  expect((await loginBp(sb, logins.env)).code).toBe(0);
});
afterAll(() => logins.cleanup());

/** A Bright Pattern login whose token (and every one the sandbox issues next) lives ttl seconds. */
function login(ttl: number): string {
  sb.state.config.accessTokenTtl = ttl;
  copyLogin(sb, logins, cfg, 'brightpattern');
  return storedToken();
}

describe('--min-ttl', () => {
  // Each shape of command that takes it; the token it gave out is on stdout or in the child's.
  const shapes: [string, string[]][] = [
    ['show --raw (the fast path)', ['show', '--raw']],
    ['show --header (the fast path)', ['show', '--header']],
    ['show --json (commander)', ['show', '--json']],
    ['curl', ['curl']],
    ['exec', ['exec', '--', 'sh', '-c', 'printf "%s\\n" "$TOKEN_ACCESS_TOKEN"']],
  ];

  it.each(shapes)(
    '%s: renews a token with less than the minimum left, and gives out the new one',
    async (_name, args) => {
      const before = login(100);
      age(1100); // 98.9 s left of 100: less than 99 s
      const r = await run([...args.slice(0, 1), '--min-ttl', '99', ...args.slice(1)]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(renewals()).toBe(1);
      const token = storedToken();
      expect(token).not.toBe(before);
      expect(r.stdout).toContain(token);
    },
  );

  it.each(shapes)('%s: keeps a token with more than the minimum left', async (_name, args) => {
    const before = login(100);
    const r = await run([...args.slice(0, 1), '--min-ttl', '30s', ...args.slice(1)]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain(before);
    expect(renewals()).toBe(0);
  });

  it('TOKEN_MIN_TTL does the same; the flag wins over it', async () => {
    login(100);
    age(1100);
    expect((await run(['show', '--raw', '--min-ttl', '30s'], { ...cfg.env, TOKEN_MIN_TTL: '99' })).code).toBe(0);
    expect(renewals()).toBe(0);
    expect((await run(['show', '--raw'], { ...cfg.env, TOKEN_MIN_TTL: '99' })).code).toBe(0);
    expect(renewals()).toBe(1);
  });

  it.each([
    [
      ['show', '--raw', '--min-ttl', '5x'],
      {},
      /^token: --min-ttl must be a duration like 90s, 30m, 2h or a number of seconds, got "5x"\n$/,
    ],
    [['show', '--min-ttl=1.5h'], {}, /^token: --min-ttl must be/],
    [['curl', '--min-ttl', '-3'], {}, /^token: --min-ttl must be/],
    [['exec', '--min-ttl', '2d', '--', 'true'], {}, /^token: --min-ttl must be/],
    [['show', '--raw'], { TOKEN_MIN_TTL: 'soon' }, /^token: TOKEN_MIN_TTL must be a duration/],
    [['show', '--raw', '--no-refresh', '--min-ttl', '5m'], {}, /^token: --min-ttl and --no-refresh conflict/],
  ])('%j %j is exit 2, one line, nothing on stdout, nothing sent or stored', async (args, env, message) => {
    login(3600);
    const before = stored();
    const r = await run(args, { ...cfg.env, ...env });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trimEnd().split('\n').length).toBeLessThanOrEqual(2);
    expect(sb.requests).toHaveLength(0);
    expect(stored()).toEqual(before);
  });

  it('a provider that issues shorter tokens: the token is given out with one warning naming their lifetime, and not renewed again and again', async () => {
    const before = login(600);
    const runs = [['show', '--raw'], ['show', '--raw'], ['show', '--json'], ['curl']].map((args) =>
      run([...args, '--min-ttl', '30m']),
    );
    for (const r of await Promise.all(runs)) {
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(before);
      expect(r.stderr).toMatch(
        /^token: warning: Bright Pattern issues tokens valid for 10m, less than --min-ttl 30m; this one is valid for (10m|9m 5\ds)\n$/,
      );
    }
    expect(renewals()).toBe(0);
  });

  it('an expiring token is renewed, and a fresh one that still has less is given out with the warning', async () => {
    sb.state.config.accessTokenTtl = 1;
    expect((await loginBp(sb, cfg.env)).code).toBe(0);
    age(1100);
    sb.requests.length = 0;
    sb.state.config.accessTokenTtl = 300;
    const r = await run(['exec', '--min-ttl', '1h', '--', 'sh', '-c', 'printf "%s" "$TOKEN_ACCESS_TOKEN"']);
    expect(r.code).toBe(0);
    expect(renewals()).toBe(1);
    expect(r.stdout).toBe(storedToken());
    expect(r.stderr).toMatch(
      /^token: warning: Bright Pattern issues tokens valid for 5m, less than --min-ttl 1h; this one is valid for 5m\n$/,
    );
  });
});

const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const jwt = (exp?: number) =>
  `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ sub: 'demo.user', ...(exp ? { exp } : {}) })}.${randomBytes(16).toString('base64url')}`;
/** The next token response is this body: a token without expires_in. */
const answerOnce = (body: object) => sb.failNext('bp-token', { status: 200, body: JSON.stringify(body) });

describe('expiry from the token itself', () => {
  it('a JWT access token without expires_in expires at its exp claim: stored, shown, listed', async () => {
    const exp = Math.floor(Date.now() / 1000) + 1800;
    answerOnce({ access_token: jwt(exp), token_type: 'Bearer' });
    expect((await loginBp(sb, cfg.env)).code).toBe(0);
    expect(stored().expiresAt).toBe(exp * 1000);
    const [show, list] = await Promise.all([run(['show', '--json']), run(['list'])]);
    const json = JSON.parse(show.stdout);
    expect(json.expires_at).toBe(new Date(exp * 1000).toISOString());
    expect(json.expires_in).toBeGreaterThan(1790);
    expect(list.stdout).toMatch(/valid for (29m 5\ds|30m)/);
  });

  it('a JWT whose exp has passed is renewed by show like any expired token', async () => {
    answerOnce({ access_token: jwt(Math.floor(Date.now() / 1000) - 10), token_type: 'Bearer' });
    expect((await loginBp(sb, cfg.env)).code).toBe(0);
    sb.requests.length = 0;
    expect((await run(['show', '--raw'])).code).toBe(0);
    expect(renewals()).toBe(1);
  });

  describe('without expires_in or a JWT exp', () => {
    let token: string;
    beforeEach(async () => {
      token = `opaque-${randomBytes(12).toString('hex')}`;
      answerOnce({ access_token: token, token_type: 'Bearer' });
      const r = await loginBp(sb, cfg.env);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain('expiry unknown');
      sb.requests.length = 0;
    });

    it('show and list say "expiry unknown", and --json gives null', async () => {
      expect(stored().expiresAt).toBeNull();
      const [show, list, json] = await Promise.all([['show'], ['list'], ['show', '--json']].map((args) => run(args)));
      expect(show!.stdout).toMatch(/^expires +expiry unknown$/m);
      expect(list!.stdout).toMatch(/^\* +brightpattern +brightpattern +valid, expiry unknown +file$/m);
      expect(JSON.parse(json!.stdout)).toMatchObject({ expires_at: null, expires_in: null, expired: false });
      expect(sb.requests).toHaveLength(0);
    });

    it('is not renewed by show, curl or exec', async () => {
      const shapes = [['show', '--raw'], ['show', '--json'], ['curl'], ['exec', '--', 'true']];
      const results = await Promise.all(shapes.map((args) => run(args)));
      for (const [i, args] of shapes.entries()) {
        const r = results[i]!;
        expect(r.code).toBe(0);
        if (args[0] !== 'exec') expect(r.stdout).toContain(token);
      }
      expect(sb.requests).toHaveLength(0);
    });

    it('is renewed when asked: refresh, or --min-ttl (a fresh one with no expiry gets the warning)', async () => {
      answerOnce({ access_token: 'opaque-refreshed', token_type: 'Bearer' });
      expect((await run(['refresh'])).code).toBe(0);
      expect(renewals()).toBe(1);
      expect(storedToken()).toBe('opaque-refreshed');
      answerOnce({ access_token: 'opaque-again', token_type: 'Bearer' });
      const r = await run(['show', '--raw', '--min-ttl', '1m']);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('opaque-again\n');
      expect(renewals()).toBe(2);
      expect(r.stderr).toBe(
        'token: warning: Bright Pattern gave no expiry for this token, so --min-ttl 1m cannot be checked\n',
      );
    });
  });
});
