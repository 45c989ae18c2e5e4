// `token login`, both halves (STYLE.md "Parse at the edge, run on a plain object"):
// toLoginOptions turns commander's flags into LoginOptions, naming every missing flag in
// one usage error when it may not prompt; login(opts, deps) does the work. In-process,
// with fake Deps (in-memory streams and keychain, a temp config dir) and the sandbox.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toLoginOptions, type LoginFlags } from '../../src/cli/commands/login.js';
import { login } from '../../src/cli/login-flow.js';
import type { Prompter } from '../../src/cli/deps.js';
import { CancelledError, EXIT_CODES, TokenError, UsageError } from '../../src/errors.js';
import { CLIENTS, startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import {
  fakeDeps,
  loginInProcess,
  outcome,
  sandboxLoginFlags,
  type FakeDeps,
  type FakeDepsOptions,
} from '../helpers/fake-deps.js';

let sb: Sandbox;
let deps: FakeDeps;
beforeAll(async () => (sb = await startSandbox()));
afterAll(() => sb.close());
beforeEach(() => void (sb.requests.length = 0));
afterEach(() => deps?.cleanup());

const make = (opts: FakeDepsOptions = {}) => (deps = fakeDeps(opts));

/** A prompter that answers from a script and records each question. */
function scripted(answers: Record<string, string | boolean>) {
  const asked: string[] = [];
  const answer = (message: string) => {
    asked.push(message);
    const key = Object.keys(answers).find((k) => message.includes(k));
    if (key === undefined) throw new Error(`unexpected prompt: ${message}`);
    return answers[key]!;
  };
  const prompter: Prompter = {
    input: async (m) => String(answer(m)),
    password: async (m) => String(answer(m)),
    confirm: async (m) => answer(m) === true,
    select: async (m) => String(answer(m)),
  };
  return { prompter, asked };
}

async function usageError(p: Promise<unknown>): Promise<UsageError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UsageError);
  expect(EXIT_CODES[(err as TokenError).code]).toBe(2);
  return err as UsageError;
}

describe('toLoginOptions', () => {
  it('turns the flags into options: the provider by alias, its flags, the secret from TOKEN_CLIENT_SECRET', async () => {
    make({ env: { TOKEN_CLIENT_SECRET: 's3cret' } });
    const o = await toLoginOptions(
      'bp',
      { browser: true, clientId: 'me', tenant: 't.example.com', port: '8080', timeout: '30', json: true },
      deps,
    );
    expect(o).toMatchObject({
      profile: 'brightpattern',
      clientId: 'me',
      clientSecret: 's3cret',
      port: 8080,
      timeoutS: 30,
      json: true,
      force: false,
      browser: true,
      reuseStoredSecret: false,
    });
    expect(o.provider.id).toBe('brightpattern');
    expect(o.providerFlags).toEqual({ allowHttp: false, tenant: 't.example.com', url: undefined });
  });

  it('without a terminal, names every missing value in one usage error', async () => {
    make();
    const err = await usageError(toLoginOptions('prism', { browser: true }, deps));
    expect(err.message).toBe('missing --client-id, --service-url, TOKEN_CLIENT_SECRET or --client-secret-stdin');
    expect(err.hint).toBe('not a terminal, so nothing is asked; see: token login prism --help');
  });

  it('without a terminal and without a provider or profile: a usage error, no prompt', async () => {
    make();
    const err = await usageError(toLoginOptions(undefined, { browser: true }, deps));
    expect(err.message).toBe('missing provider');
  });

  it('on a terminal, a missing provider is chosen from a list', async () => {
    const { prompter, asked } = scripted({ 'which provider': 'priava' });
    make({ tty: true, prompter });
    const o = await toLoginOptions(undefined, { browser: true }, deps);
    expect(asked).toEqual(['Log in to which provider?']);
    expect(o.provider.id).toBe('priava');
    expect(o.profile).toBe('priava');
  });

  it.each<[string, string, LoginFlags, RegExp]>([
    ['a flag of another provider', 'prism', { browser: true, region: 'APAC' }, /^--region does not apply to prism$/],
    [
      '--code with client credentials',
      'bp',
      { browser: true, code: 'abc' },
      /^--code does not apply to Bright Pattern \(client credentials\)$/,
    ],
    ['--pkce with --code', 'prism', { browser: true, pkce: true, code: 'abc' }, /^--pkce and --code conflict/],
    ['a code with a space', 'prism', { browser: true, code: 'a b' }, /is not an authorization code/],
    [
      'a port out of range',
      'prism',
      { browser: true, port: '70000' },
      /^--port must be a whole number from 0 to 65535, got "70000"$/,
    ],
    ['an empty --client-id', 'prism', { browser: true, clientId: ' ' }, /^--client-id is empty$/],
    ['a bad profile name', 'prism', { browser: true, profile: '../x' }, /profile name/],
    [
      '--refresh-token-stdin for client credentials',
      'bp',
      { browser: true, refreshTokenStdin: true },
      /^--refresh-token-stdin does not apply to Bright Pattern/,
    ],
  ])('refuses %s (exit 2)', async (_name, provider, flags, message) => {
    make({ env: { TOKEN_CLIENT_SECRET: 's' } });
    expect((await usageError(toLoginOptions(provider, flags, deps))).message).toMatch(message);
  });

  it('takes the profile from -p, else TOKEN_PROFILE, else the provider', async () => {
    make({ env: { TOKEN_CLIENT_SECRET: 's', TOKEN_PROFILE: 'from-env' } });
    const flags = sandboxLoginFlags(sb, 'brightpattern');
    expect((await toLoginOptions('bp', { ...flags, profile: 'work' }, deps)).profile).toBe('work');
    expect((await toLoginOptions('bp', flags, deps)).profile).toBe('from-env');
    deps.env.TOKEN_PROFILE = '';
    expect((await toLoginOptions('bp', flags, deps)).profile).toBe('brightpattern');
    deps.env.TOKEN_PROFILE = 'no/slash';
    expect((await usageError(toLoginOptions('bp', flags, deps))).message).toMatch(/TOKEN_PROFILE/);
  });

  it('reads the client secret from stdin, without its trailing line break', async () => {
    make({ stdin: 'piped-secret\n' });
    const o = await toLoginOptions('bp', { ...sandboxLoginFlags(sb, 'brightpattern'), clientSecretStdin: true }, deps);
    expect(o.clientSecret).toBe('piped-secret');
  });

  it('an empty stdin for --client-secret-stdin is a usage error', async () => {
    make({ stdin: '' });
    expect(
      (
        await usageError(
          toLoginOptions('bp', { ...sandboxLoginFlags(sb, 'brightpattern'), clientSecretStdin: true }, deps),
        )
      ).message,
    ).toBe('--client-secret-stdin: stdin was empty');
  });

  it('logging in again to a profile reuses its provider, flags, client id and (same endpoint) stored secret', async () => {
    make();
    expect((await loginInProcess(deps, sb, 'brightpattern')).code).toBe(0);
    const o = await toLoginOptions(undefined, { browser: true, profile: 'brightpattern', force: true }, deps);
    expect(o.provider.id).toBe('brightpattern');
    expect(o).toMatchObject({
      clientId: CLIENTS.brightpattern.clientId,
      clientSecret: undefined,
      reuseStoredSecret: true,
    });
    expect(o.providerFlags).toMatchObject({ tenant: CLIENTS.brightpattern.tenant, url: sb.bpUrl });
    // Another token endpoint: the stored secret is not for it.
    const elsewhere = await usageError(
      toLoginOptions(
        undefined,
        { browser: true, profile: 'brightpattern', force: true, url: 'http://127.0.0.1:9/bp' },
        deps,
      ),
    );
    expect(elsewhere.message).toMatch(
      /^missing TOKEN_CLIENT_SECRET or --client-secret-stdin \(the stored client secret is only sent/,
    );
  });
});

describe('login(opts, deps)', () => {
  const options = async (
    provider: 'brightpattern' | 'prism' | 'priava',
    extra: Partial<LoginFlags> = {},
    redirectUri?: string,
  ) => {
    deps.env.TOKEN_CLIENT_SECRET = CLIENTS[provider].clientSecret;
    return toLoginOptions(provider, { ...sandboxLoginFlags(sb, provider, redirectUri), ...extra }, deps);
  };

  /** A login that failed on the keychain may have its request still on the way: it lands in this test, not the next. */
  const dropped = async () => {
    for (let i = 0; i < 500 && !sb.requests.some((r) => r.endpoint === 'bp-token'); i++)
      await new Promise((r) => setTimeout(r, 10));
  };

  it('client credentials: one request, the profile stored as the default, one line on stderr, nothing on stdout', async () => {
    make();
    await login(await options('brightpattern'), deps);
    expect(sb.requests.map((r) => `${r.method} ${r.endpoint}`)).toEqual(['POST bp-token']);
    expect(deps.cfg.config().default).toBe('brightpattern');
    const p = deps.cfg.profile('brightpattern');
    expect(p).toMatchObject({
      provider: 'brightpattern',
      clientId: CLIENTS.brightpattern.clientId,
      store: 'file',
      options: { tenant: CLIENTS.brightpattern.tenant, url: sb.bpUrl },
    });
    expect(p.secrets.clientSecret).toBe(CLIENTS.brightpattern.clientSecret);
    expect(p.token.accessToken).toMatch(/\S/);
    expect(deps.stdout.text()).toBe('');
    expect(deps.stderr.text()).toMatch(
      /^✓ Logged in to Bright Pattern as profile brightpattern \(token valid for 1h; secrets in .*\/profiles\/brightpattern\.json\)\n$/,
    );
  });

  it.each(['auto', 'keychain'])(
    'TOKEN_STORE=%s: a client-credentials request goes out while the keychain answers, and its token goes to the keychain',
    async (store) => {
      let probed = false;
      make({ env: { TOKEN_STORE: store } });
      const probe = deps.keychain.store.probe.bind(deps.keychain.store);
      deps.keychain.store.probe = async () => {
        // The request is out before the keychain has answered.
        for (let i = 0; i < 200 && !sb.requests.some((r) => r.endpoint === 'bp-token'); i++)
          await new Promise((r) => setTimeout(r, 5));
        probed = sb.requests.some((r) => r.endpoint === 'bp-token');
        await probe();
      };
      await login(await options('brightpattern'), deps);
      expect(probed).toBe(true);
      const account = `${deps.cfg.config().storeId}/brightpattern`;
      expect(deps.keychain.calls).toEqual(['warm', 'probe', `write ${account}`]);
      expect(deps.cfg.profile('brightpattern').store).toBe('keychain');
    },
  );

  it('with the keychain: the secrets go to its entry, bound to the token endpoint, and the file holds none', async () => {
    make({ env: { TOKEN_STORE: 'keychain' } });
    await login(await options('brightpattern'), deps);
    const account = `${deps.cfg.config().storeId}/brightpattern`;
    // The helper is started as the login begins, then asked whether the keychain works, then written.
    expect(deps.keychain.calls).toEqual(['warm', 'probe', `write ${account}`]);
    expect(JSON.parse(deps.keychain.entries.get(account)!)).toEqual({
      origin: new URL(sb.bpUrl).origin,
      clientId: CLIENTS.brightpattern.clientId,
      clientSecret: CLIENTS.brightpattern.clientSecret,
    });
    expect(deps.cfg.profile('brightpattern')).toMatchObject({ store: 'keychain' });
    expect(deps.cfg.profile('brightpattern').secrets).toBeUndefined();
    expect(deps.stderr.text()).toMatch(/secrets in the OS keychain\)\n$/);
  });

  it('TOKEN_STORE=auto with no keychain: one warning, then the file store', async () => {
    make({ env: { TOKEN_STORE: 'auto' } });
    deps.keychain.fail(true);
    await login(await options('brightpattern'), deps);
    expect(deps.stderr.text().match(/^token: warning: the OS keychain is not available/gm)).toHaveLength(1);
    expect(deps.cfg.profile('brightpattern')).toMatchObject({ store: 'file' });
  });

  it('TOKEN_STORE=keychain with no keychain: exit 2, nothing stored', async () => {
    make({ env: { TOKEN_STORE: 'keychain' } });
    deps.keychain.fail(true);
    const r = await outcome(deps, async () => login(await options('brightpattern'), deps));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^token: TOKEN_STORE=keychain but the OS keychain is not available[^\n]*\n[^\n]+\n$/);
    expect(deps.cfg.names()).toEqual([]);
    expect(deps.cfg.exists('config.json')).toBe(false);
    await dropped();
  });

  it('TOKEN_STORE=keychain with no keychain behind a token endpoint that hangs: the keychain error, at once', async () => {
    make({ env: { TOKEN_STORE: 'keychain', TOKEN_HTTP_TIMEOUT: '20' } });
    deps.keychain.fail(true);
    sb.failNext('bp-token', { hang: true });
    const started = Date.now();
    const r = await outcome(deps, async () => login(await options('brightpattern'), deps));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^token: TOKEN_STORE=keychain but the OS keychain is not available/);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(deps.cfg.names()).toEqual([]);
    await dropped();
  });

  it('TOKEN_STORE=keychain with no keychain, browser login: exit 2 before the browser opens, nothing sent', async () => {
    make({ env: { TOKEN_STORE: 'keychain' } });
    deps.keychain.fail(true);
    const r = await outcome(deps, async () => login(await options('prism', { browser: true }), deps));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^token: TOKEN_STORE=keychain but the OS keychain is not available/);
    expect(deps.opened).toEqual([]);
    expect(sb.requests).toEqual([]);
    expect(deps.cfg.names()).toEqual([]);
  });

  it('--json prints the profile without its access token', async () => {
    make();
    await login(await options('brightpattern', { json: true }), deps);
    const json = JSON.parse(deps.stdout.text());
    expect(json).toMatchObject({ profile: 'brightpattern', provider: 'brightpattern', default: true });
    expect(json.access_token).toBeUndefined();
    expect(deps.stdout.text()).not.toContain(deps.cfg.secret('brightpattern', 'access_token'));
  });

  it('an existing profile without --force and without a terminal: exit 2, unchanged, nothing sent', async () => {
    make();
    await login(await options('brightpattern'), deps);
    const before = deps.cfg.text('profiles/brightpattern.json');
    sb.requests.length = 0;
    const r = await outcome(deps, async () => login(await options('brightpattern'), deps));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'token: profile brightpattern already exists\npass --force to log in to it again, or -p <name> for a new profile\n',
    );
    expect(sb.requests).toEqual([]);
    expect(deps.cfg.text('profiles/brightpattern.json')).toBe(before);
  });

  it('on a terminal, declining to overwrite is cancelled (exit 130), unchanged', async () => {
    const { prompter, asked } = scripted({ 'already exists': false });
    make({ tty: true, prompter });
    await login(await options('brightpattern'), deps);
    const before = deps.cfg.text('profiles/brightpattern.json');
    const err = await login(await options('brightpattern'), deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect(EXIT_CODES[(err as TokenError).code]).toBe(130);
    expect(asked).toEqual(['Profile brightpattern (brightpattern) already exists. Overwrite it?']);
    expect(deps.cfg.text('profiles/brightpattern.json')).toBe(before);
  });

  it('authorization code: opens the authorize URL with a state, takes the code on the loopback, stores the refresh token', async () => {
    make();
    await login(await options('prism'), deps);
    expect(deps.opened).toHaveLength(1);
    const authorize = new URL(deps.opened[0]!);
    expect(authorize.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(authorize.searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(sb.requests.map((r) => `${r.method} ${r.endpoint}`)).toEqual([
      'GET prism-authorize',
      'POST prism-authorize',
      'GET prism-token',
    ]);
    const exchange = sb.requests[2]!;
    expect(exchange.query).toMatchObject({
      grant_type: 'authorization_code',
      redirect_uri: authorize.searchParams.get('redirect_uri'),
    });
    const p = deps.cfg.profile('prism');
    expect(p.options.redirectUri).toBe(authorize.searchParams.get('redirect_uri'));
    expect(p.secrets.refreshToken).toMatch(/\S/);
    expect(p.hasRefreshToken).toBe(true);
  });

  it('a sign-in the user denies is the provider refusing (exit 3), nothing stored', async () => {
    make({ browser: 'deny' });
    const r = await outcome(deps, async () => login(await options('prism'), deps));
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^token: PRISM refused the sign-in: access_denied: The user denied the request$/m);
    expect(deps.cfg.names()).toEqual([]);
  });

  it('--code is exchanged with the --redirect-uri it was issued for, and no browser', async () => {
    make();
    const redirectUri = 'https://partner.example/cb';
    const code = sb.state.issueCode({ provider: 'prism', clientId: CLIENTS.prism.clientId, redirectUri });
    await login(await options('prism', { code, redirectUri }), deps);
    expect(deps.opened).toEqual([]);
    expect(sb.requests.map((r) => r.query)).toEqual([
      expect.objectContaining({ grant_type: 'authorization_code', code, redirect_uri: redirectUri }),
    ]);
    expect(deps.cfg.profile('prism').options.redirectUri).toBe(redirectUri);
  });

  it('--code without --redirect-uri: exit 2 before anything is sent', async () => {
    make();
    expect((await usageError(options('prism', { code: 'c0de' }).then((o) => login(o, deps)))).message).toBe(
      '--code needs --redirect-uri: the redirect URI the code was issued for',
    );
    expect(sb.requests).toEqual([]);
  });
});
