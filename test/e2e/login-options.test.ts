// login's OAuth options against the sandbox: --pkce (RFC 7636 S256), --scope for Priava,
// TOKEN_PROFILE, and a login that gets no refresh token. In-process (runFresh, its browser
// in-process); the --json stdout/stderr split with the built CLI.
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { CLIENTS } from '../../src/sandbox/index.js';
import { useSandboxConfig } from '../helpers/sandbox-config.js';
import {
  loginBpInProcess as loginBp,
  loginPriavaInProcess as loginPriava,
  loginPrismInProcess as loginPrism,
  loginPrism as loginPrismBuilt,
} from '../helpers/logins.js';
import { runFresh } from '../helpers/fake-deps.js';
import { freePort } from '../helpers/real.js';

const { sb, cfg } = useSandboxConfig();

/** The names `token list --json` gives (in-process). */
async function profileNames(env: NodeJS.ProcessEnv): Promise<string[]> {
  const r = await runFresh(['list', '--json'], env);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { name: string }[]).map((p) => p.name).sort();
}

const authorizeQuery = (endpoint: 'prism-authorize' | 'priava-authorize') =>
  sb.requests.find((q) => q.endpoint === endpoint && q.method === 'GET')!.query;
const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

describe('--pkce', () => {
  it('PRISM: an S256 code_challenge on the authorize URL, its code_verifier in the code exchange', async () => {
    const r = await loginPrism(sb, cfg.env, ['--pkce']);
    expect(r.code).toBe(0);
    const authorize = authorizeQuery('prism-authorize');
    expect(authorize.code_challenge_method).toBe('S256');
    const exchange = sb.requests.find((q) => q.endpoint === 'prism-token')!;
    const verifier = exchange.query.code_verifier!;
    // RFC 7636 §4.1: 43-128 characters of [A-Za-z0-9-._~].
    expect(verifier).toMatch(/^[A-Za-z0-9\-._~]{43,128}$/);
    expect(authorize.code_challenge).toBe(s256(verifier));
    expect(Object.keys(exchange.query)).toEqual(['grant_type', 'code', 'redirect_uri', 'code_verifier']);
    expect(exchange.headers['x-prism-client-secret']).toBe(CLIENTS.prism.clientSecret);
  });

  it('Priava: the verifier goes in the form body, after the page’s fields; every login a new one', async () => {
    const redirect = `http://127.0.0.1:${await freePort()}/cb`;
    expect((await loginPriava(sb, cfg.env, redirect, ['--pkce'])).code).toBe(0);
    expect((await loginPriava(sb, cfg.env, redirect, ['--pkce', '--force'])).code).toBe(0);
    const exchanges = sb.requests.filter((q) => q.endpoint === 'priava-token');
    const challenges = sb.requests
      .filter((q) => q.endpoint === 'priava-authorize' && q.method === 'GET')
      .map((q) => q.query.code_challenge);
    expect(exchanges.map((q) => Object.keys(q.form!))).toEqual(
      Array(2).fill(['grant_type', 'client_id', 'client_secret', 'code', 'redirect_uri', 'code_verifier']),
    );
    expect(challenges).toEqual(exchanges.map((q) => s256(q.form!.code_verifier!)));
    expect(challenges[0]).not.toBe(challenges[1]);
  });

  it('without it the requests are exactly the provider page’s', async () => {
    expect((await loginPrism(sb, cfg.env)).code).toBe(0);
    expect(Object.keys(authorizeQuery('prism-authorize')).sort()).toEqual([
      'client_id',
      'redirect_uri',
      'response_type',
      'state',
    ]);
    expect(Object.keys(sb.requests.find((q) => q.endpoint === 'prism-token')!.query)).toEqual([
      'grant_type',
      'code',
      'redirect_uri',
    ]);
  });

  it.each([
    [
      'priava without --authorize-url',
      ['login', 'priava', '--region', 'EU', '--redirect-uri', 'http://127.0.0.1:9/cb', '--pkce'],
      /^token: --pkce needs --authorize-url/,
    ],
    [
      'with --code',
      [
        'login',
        'prism',
        '--service-url',
        'http://127.0.0.1:9',
        '--redirect-uri',
        'https://x.example/cb',
        '--code',
        'c',
        '--pkce',
      ],
      /^token: --pkce and --code conflict/,
    ],
    [
      'for Bright Pattern',
      ['login', 'bp', '--tenant', 't.example', '--pkce', '--no-state'],
      /^token: --pkce, --no-state does not apply to Bright Pattern/,
    ],
  ])('%s is exit 2', async (_what, args, message) => {
    const r = await runFresh([...args, '--client-id', 'c'], { ...cfg.env, TOKEN_CLIENT_SECRET: 's' });
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(await profileNames(cfg.env)).toEqual([]);
  });
});

describe('--scope for Priava', () => {
  it('goes on the authorize URL token builds', async () => {
    const redirect = `http://127.0.0.1:${await freePort()}/cb`;
    expect((await loginPriava(sb, cfg.env, redirect, ['--scope', 'events:read offline_access'])).code).toBe(0);
    expect(authorizeQuery('priava-authorize').scope).toBe('events:read offline_access');
    expect(Object.keys(sb.requests.find((q) => q.endpoint === 'priava-token')!.form!)).not.toContain('scope');
  });

  it('without --authorize-url is exit 2 (there is no URL to put it on)', async () => {
    const r = await runFresh(
      [
        'login',
        'priava',
        '--client-id',
        'c',
        '--region',
        'EU',
        '--redirect-uri',
        'http://127.0.0.1:9/cb',
        '--scope',
        'x',
      ],
      { ...cfg.env, TOKEN_CLIENT_SECRET: 's' },
    );
    expect(r.stderr).toBe('token: --scope needs --authorize-url: the scope goes on the authorize URL token builds\n');
    expect(r.code).toBe(2);
  });
});

describe('TOKEN_PROFILE', () => {
  it('names the profile login creates; -p wins over it', async () => {
    expect((await loginBp(sb, { ...cfg.env, TOKEN_PROFILE: 'work' })).code).toBe(0);
    expect((await loginBp(sb, { ...cfg.env, TOKEN_PROFILE: 'work' }, ['-p', 'home'])).code).toBe(0);
    expect(await profileNames(cfg.env)).toEqual(['home', 'work']);
  });

  it('a name it may not carry is exit 2 saying where it came from', async () => {
    const r = await loginBp(sb, { ...cfg.env, TOKEN_PROFILE: '../x' });
    expect(r.stderr).toMatch(/^token: invalid profile name \(from TOKEN_PROFILE\) "\.\.\/x"\n/);
    expect(r.code).toBe(2);
  });
});

describe('a login that gets no refresh token', () => {
  const noRefresh = () =>
    sb.failNext('prism-token', {
      body: JSON.stringify({ access_token: 'at-no-refresh', token_type: 'bearer', expires_in: 3600 }),
    });

  it('says so at login, and refresh says exactly that (not "expired"): exit 5 with the re-login hint', async () => {
    noRefresh();
    const login = await loginPrism(sb, cfg.env);
    expect(login.code).toBe(0);
    expect(login.stderr).toContain(
      'token: PRISM sent no refresh token: this login cannot be renewed; when the token expires, run: token login -p prism --force\n',
    );
    sb.requests.length = 0;
    const r = await runFresh(['refresh', '-p', 'prism'], cfg.env);
    expect(r.code).toBe(5);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'token: profile prism has no refresh token, so its token cannot be renewed\nlog in again when it expires: token login -p prism --force\n',
    );
    expect(sb.requests).toHaveLength(0);
    // The token itself is still given out.
    expect((await runFresh(['show', '--raw', '-p', 'prism'], cfg.env)).stdout).toBe('at-no-refresh\n');
  });

  // The built CLI: stdout and stderr as a shell sees them.
  it('with --json the warning stays on stderr and stdout is the JSON alone', async () => {
    noRefresh();
    const login = await loginPrismBuilt(sb, cfg.env, ['--json']);
    expect(login.code).toBe(0);
    expect(JSON.parse(login.stdout)).toMatchObject({ profile: 'prism', has_refresh_token: false });
    expect(login.stderr).toContain('sent no refresh token');
  });

  it('a login that gets one says nothing of the kind', async () => {
    const login = await loginPrism(sb, cfg.env);
    expect(login.stderr).not.toContain('refresh token');
  });
});
