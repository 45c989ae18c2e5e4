// token login prism|priava --refresh-token-stdin: a refresh token issued elsewhere (the
// sandbox issues it here, as another machine's login would have) is read from stdin,
// proved with one refresh exactly as the provider pages describe, and stored like a login.
// No browser opens: $BROWSER is a script that would leave a mark (end to end), and the
// in-process browser is asked for nothing. In-process (runFresh, stdin in memory) but one
// import through the built CLI.
import { beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { CLIENTS } from '../../src/sandbox/index.js';
import { runCli } from '../helpers/cli.js';
import { runFresh } from '../helpers/fake-deps.js';
import { useSandboxConfig } from '../helpers/sandbox-config.js';

const REDIRECT = 'http://127.0.0.1:8765/callback';

const { sb, cfg } = useSandboxConfig();
let browserMark: string;
beforeEach(() => {
  browserMark = join(cfg.dir, 'browser-opened');
  const browser = join(cfg.dir, 'browser.sh');
  writeFileSync(browser, `#!/bin/sh\ntouch '${browserMark}'\n`);
  chmodSync(browser, 0o755);
  cfg.env.BROWSER = browser;
  sb.state.config.rotateRefreshTokens = true;
});

const issue = (provider: 'prism' | 'priava') =>
  provider === 'prism'
    ? sb.state.issueTokens({ provider, clientId: CLIENTS.prism.clientId, redirectUri: REDIRECT }, true).refreshToken!
    : sb.state.issueTokens({ provider, clientId: CLIENTS.priava.clientId, redirectUri: REDIRECT, region: 'APAC' }, true)
        .refreshToken!;

const FLAGS = {
  prism: () => ['--client-id', CLIENTS.prism.clientId, '--service-url', sb.prismServiceUrl],
  priava: () => [
    '--client-id',
    CLIENTS.priava.clientId,
    '--region',
    'APAC',
    '--api-url',
    sb.priavaApiUrl,
    '--redirect-uri',
    REDIRECT,
  ],
};

/** What a run gives back; `opened` (the in-process browser's URLs) only in-process. */
interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  opened?: string[];
}

/** The import in-process (runFresh), or with `e2e` through the built CLI (runCli). */
function importRt(
  provider: 'prism' | 'priava',
  input: string,
  env: NodeJS.ProcessEnv = {},
  extra: string[] = [],
  e2e = false,
): Promise<Run> {
  const args = ['login', provider, ...FLAGS[provider](), '--refresh-token-stdin', ...extra];
  const runEnv = { ...cfg.env, TOKEN_CLIENT_SECRET: CLIENTS[provider].clientSecret, ...env };
  return e2e ? runCli(args, { input, env: runEnv }) : runFresh(args, runEnv, { stdin: input });
}

describe.each(['prism', 'priava'] as const)('%s', (provider) => {
  // PRISM's import runs through the built CLI: the real process, its stdin and $BROWSER.
  it('proves the token with one refresh as the page describes, stores the result, and opens no browser', async () => {
    const rt = issue(provider);
    const r = await importRt(provider, `${rt}\n`, {}, [], provider === 'prism');
    expect(r.stderr).toMatch(
      new RegExp(
        `Logged in to ${provider === 'prism' ? 'PRISM' : 'Priava'} as profile ${provider} \\(token valid for 1h;`,
      ),
    );
    expect(r).toMatchObject({ code: 0, stdout: '' });
    expect(sb.requests).toHaveLength(1);
    const q = sb.requests[0]!;
    if (provider === 'prism') {
      expect(q).toMatchObject({
        method: 'GET',
        path: '/prism/v1/service/oauth2/token',
        query: { grant_type: 'refresh_token', refresh_token: rt },
      });
      expect(q.headers).toMatchObject({
        'x-prism-client-id': CLIENTS.prism.clientId,
        'x-prism-client-secret': CLIENTS.prism.clientSecret,
      });
    } else {
      expect(q).toMatchObject({
        method: 'POST',
        path: '/priava/api/rest/oauth/token',
        headers: { tenantregion: 'APAC' },
      });
      expect(q.form).toEqual({
        grant_type: 'refresh_token',
        client_id: CLIENTS.priava.clientId,
        client_secret: CLIENTS.priava.clientSecret,
        refresh_token: rt,
        redirect_uri: REDIRECT,
      });
    }
    expect(existsSync(browserMark)).toBe(false);
    expect(r.opened ?? []).toEqual([]);

    // Stored like a login: the rotated refresh token and the new access token, usable at once.
    expect(cfg.secret(provider, 'refresh_token')).toMatch(new RegExp(`^rt-${provider}-`));
    expect(cfg.secret(provider, 'refresh_token')).not.toBe(rt);
    expect(cfg.secret(provider, 'client_secret')).toBe(CLIENTS[provider].clientSecret);
    expect(cfg.config()).toMatchObject({ default: provider });
    expect(cfg.profile(provider)).toMatchObject({ provider, clientId: CLIENTS[provider].clientId, store: 'file' });
    sb.requests.length = 0;
    const show = await runFresh(['show', '--raw'], cfg.env);
    expect(show.stdout).toBe(`${cfg.secret(provider, 'access_token')}\n`);
    expect(sb.requests).toHaveLength(0);
    const stored = cfg.secret(provider, 'refresh_token');
    expect((await runFresh(['refresh'], cfg.env)).code).toBe(0);
    expect(sb.requests[0]!.query.refresh_token ?? sb.requests[0]!.form?.refresh_token).toBe(stored);
  });

  it('a refused refresh token is exit 3 with the provider’s words, and nothing is stored', async () => {
    const r = await importRt(provider, 'rt-made-up\n');
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `token: ${provider === 'prism' ? 'PRISM' : 'Priava'} refused: invalid_grant: the refresh token is invalid or expired\nthe refresh token (or the client) was not accepted; nothing was stored\n`,
    );
    expect(sb.requests).toHaveLength(1);
    expect(cfg.exists('profiles.json')).toBe(false);
    expect(cfg.exists('credentials.json')).toBe(false);
  });
});

it('a server that does not rotate keeps the imported refresh token', async () => {
  sb.state.config.rotateRefreshTokens = false;
  const rt = issue('prism');
  expect((await importRt('prism', rt)).code).toBe(0);
  expect(cfg.secret('prism', 'refresh_token')).toBe(rt);
});

it('only one trailing line break is dropped', async () => {
  const rt = issue('prism');
  expect((await importRt('prism', `${rt}\r\n`)).code).toBe(0);
  expect(sb.requests[0]!.query.refresh_token).toBe(rt);
});

describe('usage errors: exit 2, one line and a hint, nothing sent or stored', () => {
  it.each([
    ['an empty stdin', 'prism', '', {}, [], /^token: --refresh-token-stdin: stdin was empty\n/],
    ['just a line break', 'prism', '\n', {}, [], /^token: --refresh-token-stdin: stdin was empty\n/],
    ['two lines', 'prism', 'rt-a\nrt-b\n', {}, [], /more than one line/],
    [
      'no client secret (stdin is taken)',
      'prism',
      'rt-x',
      { TOKEN_CLIENT_SECRET: '' },
      [],
      /^token: missing TOKEN_CLIENT_SECRET \(stdin carries the refresh token\)\n/,
    ],
    [
      '--client-secret-stdin as well',
      'priava',
      'rt-x',
      {},
      ['--client-secret-stdin'],
      /^token: --refresh-token-stdin and --client-secret-stdin cannot both read stdin\n/,
    ],
    ['--code as well', 'prism', 'rt-x', {}, ['--code', 'abc'], /^token: --refresh-token-stdin and --code conflict/],
  ] as const)('%s', async (_what, provider, input, env, extra, message) => {
    const r = await importRt(provider, input, env, [...extra]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trimEnd().split('\n').length).toBeLessThanOrEqual(2);
    expect(sb.requests).toHaveLength(0);
    expect(readdirSync(cfg.dir)).not.toContain('config');
  });

  it('Bright Pattern issues no refresh tokens', async () => {
    const r = await runFresh(
      [
        'login',
        'bp',
        '--client-id',
        'x',
        '--tenant',
        CLIENTS.brightpattern.tenant,
        '--url',
        sb.bpUrl,
        '--refresh-token-stdin',
      ],
      { ...cfg.env, TOKEN_CLIENT_SECRET: 'y' },
      { stdin: 'rt-x' },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^token: --refresh-token-stdin does not apply to Bright Pattern: it issues no refresh tokens\n/,
    );
    expect(sb.requests).toHaveLength(0);
  });
});
