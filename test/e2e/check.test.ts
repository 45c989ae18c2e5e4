// token check prism against the sandbox's PRISM service: strict (every check passes) and
// with each --prism-quirk (its check fails, or warns where SPEC says so). Nothing is stored.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CLIENTS, type PrismQuirk } from '../../src/sandbox/index.js';
import { BIN, runCli, type RunResult } from '../helpers/cli.js';
import { useSandboxConfig } from '../helpers/sandbox-config.js';
import { runFresh } from '../helpers/fake-deps.js';
import { freePort } from '../helpers/real.js';

const { sb, cfg } = useSandboxConfig();
beforeEach(() => {
  sb.state.config.prismQuirks = [];
});
// Stores nothing: not even the config dir is created.
afterEach(() => expect(existsSync(cfg.env.TOKEN_CONFIG_DIR!)).toBe(false));

interface Report {
  provider: string;
  checks: { id: string; name: string; status: string; detail: string }[];
  passed: number;
  failed: number;
  warnings: number;
  skipped: number;
}

/**
 * `token check prism` against serviceUrl: in-process (runFresh, whose browser signs in as
 * scripts/scripted-browser.cjs does), or as the built CLI with that script as $BROWSER.
 */
async function check(
  args: string[] = [],
  serviceUrl = sb.prismServiceUrl,
  browser: 'approve' | 'deny' | 'none' = 'approve',
  how: 'in-process' | 'built CLI' = 'in-process',
): Promise<Omit<RunResult, 'signal'> & { opened?: string[] }> {
  const argv = ['check', 'prism', '--client-id', CLIENTS.prism.clientId, '--service-url', serviceUrl, ...args];
  const env = { ...cfg.env, TOKEN_CLIENT_SECRET: CLIENTS.prism.clientSecret };
  if (how === 'built CLI') return runCli(argv, { env });
  return runFresh(argv, env, { browser: browser === 'none' ? async () => undefined : browser });
}

const byId = (r: Report) => Object.fromEntries(r.checks.map((c) => [c.id, c]));

/** Every code, token and state the sandbox saw: none may reach the CLI's output. */
function secretsSeen(): string[] {
  const values = new Set<string>([CLIENTS.prism.clientSecret]);
  for (const r of sb.requests) {
    for (const k of ['code', 'refresh_token'] as const) if (r.query[k]) values.add(r.query[k]);
    if (r.headers['x-prism-access-token']) values.add(r.headers['x-prism-access-token']);
  }
  return [...values];
}

describe('token check prism', () => {
  it.each(['in-process', 'built CLI'] as const)(
    'a service that follows the pages: every check passes, exit 0, the table ends with the summary (%s)',
    async (how) => {
      const r = await check([], undefined, 'approve', how);
      expect(r.code).toBe(0);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^STATUS {2}CHECK +DETAIL$/);
      expect(lines.slice(1, 16).every((l) => l.startsWith('pass '))).toBe(true);
      expect(lines.at(-1)).toBe('15 checks: 15 passed, 0 failed, 0 warnings, 0 skipped');
      expect(r.stdout).toMatch(/^pass +refresh grant +.*refresh token rotated$/m);
      // Two authorizations: the second gives the fresh code sent with a wrong redirect_uri.
      const authorizations = sb.requests.filter((q) => q.endpoint === 'prism-authorize' && q.method === 'GET');
      expect(authorizations).toHaveLength(2);
      const exchange = sb.requests.find((q) => q.endpoint === 'prism-token' && q.status === 200)!;
      expect(exchange.method).toBe('GET');
      expect(exchange.query).toEqual({
        grant_type: 'authorization_code',
        code: exchange.query.code,
        redirect_uri: authorizations[0]!.query.redirect_uri,
      });
      expect(exchange.headers['x-prism-client-secret']).toBe(CLIENTS.prism.clientSecret);
      for (const secret of secretsSeen()) expect(r.stdout + r.stderr).not.toContain(secret);
    },
  );

  it('--json: the SPEC shape, and -v traces every exchange with every secret redacted', async () => {
    const r = await check(['--json', '-v']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report).toMatchObject({ provider: 'prism', passed: 15, failed: 0, warnings: 0, skipped: 0 });
    expect(Object.keys(report.checks[0]!)).toEqual(['id', 'name', 'status', 'detail']);
    const traced = r.stderr.match(/^> GET /gm)!.length;
    expect(traced).toBe(sb.requests.filter((q) => q.endpoint !== 'prism-authorize').length);
    expect(r.stderr).toContain('> x-prism-client-secret: [redacted]');
    for (const secret of secretsSeen()) expect(r.stdout + r.stderr).not.toContain(secret);
  });

  // quirk, the check it breaks, its status, what the detail says came back, exit code
  it.each<[PrismQuirk, string, string, RegExp, number]>([
    ['drops-state', 'authorize', 'fail', /without the state that was sent/, 3],
    ['post-only', 'token-exchange', 'fail', /→ HTTP 405 invalid_request/, 3],
    [
      'accepts-wrong-secret',
      'client-secret-wrong',
      'fail',
      /wrong x-prism-client-secret → HTTP 200 with a token: not refused/,
      3,
    ],
    [
      'ignores-client-header',
      'client-id-missing',
      'fail',
      /no x-prism-client-id → HTTP 200 with a token: not refused/,
      3,
    ],
    ['reusable-code', 'code-reuse', 'fail', /again, all else right → HTTP 200 with a token: not refused/, 3],
    [
      'ignores-redirect-uri',
      'redirect-uri-wrong',
      'fail',
      /redirect_uri http:\/\/127\.0\.0\.1:\d+\/callback-wrong → HTTP 200 with a token: not refused/,
      3,
    ],
    ['token-type-missing', 'token-type', 'fail', /^no token_type in the response/, 3],
    ['string-expires-in', 'expires-in', 'warn', /^"3600" is a string; the page says Number$/, 0],
    ['no-refresh-token', 'refresh-token', 'warn', /^no refresh_token: .*the refresh checks are skipped$/, 0],
    ['no-rotation', 'refresh', 'pass', /HTTP 200 with a new access token; refresh token not rotated \(kept\)$/, 0],
    ['accepts-bogus-refresh', 'refresh-bogus', 'fail', /made-up refresh token → HTTP 200 with a token: not refused/, 3],
    ['html-errors', 'code-reuse', 'fail', /refused, but HTTP 400 \(text\/html, \d+ bytes\) is not a JSON error$/, 3],
    [
      'user-no-envelope',
      'user',
      'fail',
      /not the documented envelope: success is missing, errorCode is missing, no data\.user\.userId string$/,
      3,
    ],
    [
      'user-accepts-invalid-token',
      'user-invalid-token',
      'fail',
      /made-up x-prism-access-token → HTTP 200 JSON .* with success: true$/,
      3,
    ],
  ])('--prism-quirk %s: %s is %s', async (quirk, id, status, detail, exit) => {
    sb.state.config.prismQuirks = [quirk];
    const r = await check(['--json']);
    expect(r.code).toBe(exit);
    const report = JSON.parse(r.stdout) as Report;
    expect(byId(report)[id]).toMatchObject({ status });
    expect(byId(report)[id]!.detail).toMatch(detail);
    // The quirk breaks its own check; the others keep their verdicts (or skip, with the reason).
    const others = report.checks.filter((c) => c.id !== id && c.status !== 'pass' && c.status !== 'skip');
    if (quirk === 'html-errors')
      expect(others.every((c) => c.status === 'fail' && /is not a JSON error$/.test(c.detail))).toBe(true);
    else expect(others).toEqual([]);
    for (const secret of secretsSeen()) expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it('no refresh token: the refresh checks skip, saying why', async () => {
    sb.state.config.prismQuirks = ['no-refresh-token'];
    const report = JSON.parse((await check(['--json'])).stdout) as Report;
    for (const id of ['client-secret-wrong', 'client-id-missing', 'refresh', 'refresh-bogus']) {
      expect(byId(report)[id]).toMatchObject({ status: 'skip', detail: 'no refresh_token was issued to test with' });
    }
    expect(report).toMatchObject({ passed: 10, failed: 0, warnings: 1, skipped: 4 });
  });

  it('--code with --redirect-uri: no browser; the authorize and wrong-redirect checks skip, saying why', async () => {
    const redirectUri = 'https://global.apis.naver.com/prism/prism-auth-api/oauth/partner/svc1';
    const code = sb.state.issueCode({ provider: 'prism', clientId: CLIENTS.prism.clientId, redirectUri });
    const r = await check(['--code', code, '--redirect-uri', redirectUri, '--json'], undefined, 'none');
    expect(r.code).toBe(0);
    expect(r.opened).toEqual([]);
    const report = byId(JSON.parse(r.stdout) as Report);
    expect(report.authorize).toMatchObject({ status: 'skip', detail: '--code given: no authorization was made here' });
    expect(report['redirect-uri-wrong']).toMatchObject({ status: 'skip' });
    expect(report['redirect-uri-wrong']!.detail).toMatch(/run without --code/);
    expect(report['code-reuse']).toMatchObject({ status: 'pass' });
    expect(sb.requests.filter((q) => q.endpoint === 'prism-authorize')).toHaveLength(0);
    expect(r.stderr).not.toContain(code);
  });

  it.each([
    ['deny', [], 'PRISM refused the sign-in: access_denied: The user denied the request'],
    ['none', ['--timeout', '1'], 'no sign-in arrived within 1 s'],
  ] as const)(
    'an authorization that gives no code (browser: %s) fails the authorize check; what needs the code skips',
    async (browser, args, detail) => {
      const r = await check(['--json', ...args], undefined, browser);
      expect(r.code).toBe(3);
      const report = JSON.parse(r.stdout) as Report;
      expect(byId(report).authorize).toEqual({ id: 'authorize', name: 'authorize redirect', status: 'fail', detail });
      expect(byId(report)['token-exchange']).toMatchObject({
        status: 'skip',
        detail: 'no authorization code (see the authorize check)',
      });
      expect(report).toMatchObject({ failed: 1, passed: 2, skipped: 12 }); // https, and the user API refusing a made-up token
    },
  );

  it('a service nobody answers at: exit 4 before any browser opens, nothing on stdout', async () => {
    const port = await freePort();
    const r = await check([], `http://127.0.0.1:${port}`);
    expect(r).toMatchObject({
      code: 4,
      stdout: '',
      stderr: `token: cannot reach 127.0.0.1:${port}: connection refused\n`,
    });
    expect(r.opened).toEqual([]);
  });

  it('plain http to another host: the https check fails and nothing is sent (exit 3)', async () => {
    const r = await check(['--json'], 'http://prism.example.test');
    expect(r.code).toBe(3);
    const report = JSON.parse(r.stdout) as Report;
    expect(byId(report).https).toMatchObject({
      status: 'fail',
      detail: 'plain http:// to prism.example.test: the client secret and tokens would cross the network unencrypted',
    });
    expect(
      report.checks.slice(1).every((c) => c.status === 'skip' && c.detail.startsWith('not sent: plain http://')),
    ).toBe(true);
    expect(r.opened).toEqual([]);
  });

  it.each([
    [['check', 'priava'], /^token: token check knows prism only, not "priava"\n/],
    [
      ['check', 'prism'],
      /^token: missing --client-id, --service-url, TOKEN_CLIENT_SECRET or --client-secret-stdin\nnot a terminal, so nothing is asked; see: token check prism --help\n$/,
    ],
    [
      ['check', 'prism', '--client-id', 'c', '--service-url', 'SANDBOX', '--code', 'abc'],
      /^token: --code needs --redirect-uri/,
    ],
  ])('usage: %j is exit 2 with one line, nothing sent', async (args, stderr) => {
    const r = await runFresh(
      args.map((a) => (a === 'SANDBOX' ? sb.prismServiceUrl : a)),
      { ...cfg.env, ...(args.includes('--code') ? { TOKEN_CLIENT_SECRET: 's' } : {}) },
    );
    expect(sb.requests).toEqual([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(stderr);
  });
});

describe('token sandbox --prism-quirk (a real process)', () => {
  it('starts with the quirks given, and check reports them', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'sandbox', '--port', '0', '--prism-quirk', 'reusable-code', '--prism-quirk', 'string-expires-in'],
      { env: cfg.env },
    );
    try {
      const url = await new Promise<string>((resolve) => child.stdout.once('data', (d) => resolve(String(d).trim())));
      const r = await check([], url);
      expect(r.code).toBe(3);
      expect(r.stdout).toMatch(
        /^fail +reused code refused +the exchanged code again, all else right → HTTP 200 with a token: not refused$/m,
      );
      expect(r.stdout).toMatch(/^warn +expires_in +"3600" is a string; the page says Number$/m);
      expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('15 checks: 13 passed, 1 failed, 1 warning, 0 skipped');
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });

  it('lists the quirks in --help and refuses an unknown one (exit 2)', async () => {
    const help = await runCli(['sandbox', '--help'], { env: cfg.env });
    expect(help.stdout).toMatch(/^ {2}reusable-code +a code can be exchanged more than once$/m);
    const r = await runCli(['sandbox', '--prism-quirk', 'nope'], { env: cfg.env });
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/^token: unknown --prism-quirk nope\nquirks: drops-state, /);
  });
});
