// A newcomer's first minutes on a real terminal (tmux): `token login` with nothing asks
// which provider, a URL prompt refuses a non-URL as it is typed, a code the provider
// refuses can be pasted again, and `token logout` asks first. Without a terminal: the
// timeout hint names what --code needs.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLIENTS, startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { runCli, tempConfig, type TempConfig } from '../helpers/cli.js';
import { loginPrism } from '../helpers/logins.js';
import { missingParts } from '../helpers/real.js';
import { runInTerminal, type Terminal } from '../helpers/tmux.js';

const skip = missingParts(['tmux', 'bash'], 'the real-terminal tests');

let sb: Sandbox;
let cfg: TempConfig;
let term: Terminal | undefined;

beforeAll(async () => {
  sb = await startSandbox();
});
afterAll(() => sb?.close());
beforeEach(() => {
  sb.requests.length = 0;
  cfg = tempConfig();
});
afterEach(async () => {
  await term?.kill();
  term = undefined;
  cfg?.cleanup();
});

const tokenRequests = () => sb.requests.filter((q) => q.endpoint === 'prism-token');

/** The Location the scripted browser logged (it runs detached, so it may still be busy). */
async function redirectIn(log: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const m = /^redirect 302 (\S+)$/m.exec(existsSync(log) ? readFileSync(log, 'utf8') : '');
    if (m) return m[1]!;
    if (Date.now() > deadline) throw new Error(`the scripted browser logged no redirect in ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(skip)('prompts on a real terminal (tmux)', () => {
  it('token login alone asks which provider, then refuses "not a url" for the service URL as it is typed', async () => {
    term = await runInTerminal(['login'], { env: cfg.env });
    await term.waitFor(/^\? Log in to which provider\?/m);
    await term.waitFor(/^❯ PRISM \(prism\)\n {2}Priava \(priava\)\n {2}Bright Pattern \(brightpattern\)$/m);
    await term.press('Enter'); // the first: PRISM
    await term.waitFor(/^\? PRISM service URL \(the service API domain\):/m);
    await term.type('not a url');
    await term.press('Enter');
    await term.waitFor(/an http\(s\) URL, e\.g\. https:\/\/api\.example\.com/);
    // Still at the URL prompt: no client ID asked, nothing sent or stored.
    expect(await term.screen()).not.toMatch(/client ID/);
    await term.press('C-c');
    expect(await term.exitCode()).toBe(130);
    expect(sb.requests).toHaveLength(0);
    expect(cfg.names()).toEqual([]);
  });

  it('Priava’s region is a choice of the three, then the redirect URI is checked as typed', async () => {
    term = await runInTerminal(['login', 'priava'], { env: cfg.env });
    await term.waitFor(/^\? Priava region \(TenantRegion: APAC, EU or US\):\n❯ APAC\n {2}EU\n {2}US$/m);
    await term.press('Down');
    await term.press('Enter');
    await term.waitFor(/^✔ Priava region \(TenantRegion: APAC, EU or US\): EU$/m);
    await term.waitFor(/^\? Priava redirect URI/m);
    await term.type('127.0.0.1:8765/callback');
    await term.press('Enter');
    await term.waitFor(/an http\(s\) URL/);
    await term.press('C-c');
    expect(await term.exitCode()).toBe(130);
    expect(cfg.names()).toEqual([]);
  });

  it('a pasted code the provider refuses asks for the code again, and the right one signs in', async () => {
    const log = join(cfg.dir, 'browser.log');
    const redirectUri = 'https://app.example.test/cb'; // never contacted: the browser does not follow
    const env = {
      ...cfg.env,
      TOKEN_CLIENT_SECRET: CLIENTS.prism.clientSecret,
      SCRIPTED_BROWSER_FOLLOW: '0',
      SCRIPTED_BROWSER_LOG: log,
    };
    term = await runInTerminal(
      [
        'login',
        'prism',
        '--client-id',
        CLIENTS.prism.clientId,
        '--service-url',
        sb.prismServiceUrl,
        '--redirect-uri',
        redirectUri,
      ],
      { env },
    );
    await term.waitFor(/^\? Paste the redirected URL or the code:/m);
    const location = await redirectIn(log);
    await term.type('code-mistyped');
    await term.press('Enter');
    await term.waitFor(/^token: .*invalid_grant.*$/m);
    await term.waitFor(/^\? Paste the redirected URL or the code again \(Ctrl-C to stop\):/m);
    expect(tokenRequests()).toHaveLength(1);
    await term.type(location);
    await term.press('Enter');
    expect(await term.exitCode()).toBe(0);
    expect(await term.screen()).toMatch(/^✓ Logged in to PRISM as profile prism/m);
    expect(tokenRequests().map((q) => q.query.code)).toEqual([
      'code-mistyped',
      new URL(location).searchParams.get('code'),
    ]);
  });

  it('token sandbox on a terminal: no bare URL after its banner, a log line per request, Ctrl-C stops it', async () => {
    term = await runInTerminal(['sandbox'], { env: cfg.env, cols: 200 });
    const [, url] = await term.waitFor(
      /^token sandbox listening on (http:\/\/127\.0\.0\.1:\d+) \(Ctrl-C to stop\); scripts get this base URL alone on stdout when it is piped$/m,
    );
    await term.waitFor(/^Requests are logged below/m);
    await fetch(`${url}/prism/v1/service/user`, { headers: { 'x-prism-access-token': 'at-secret-value' } });
    await term.waitFor(/^\d\d:\d\d:\d\d GET \/prism\/v1\/service\/user → 401 \(prism-user\)$/m);
    const screen = await term.screen();
    expect(screen.split('\n')).not.toContain(url);
    expect(screen).not.toContain('at-secret-value');
    await term.press('C-c');
    expect(await term.exitCode()).toBe(0);
  });

  it('token logout asks first: No keeps the profile (130), Yes logs out; --yes does not ask', async () => {
    expect((await loginPrism(sb, cfg.env)).code).toBe(0);
    expect((await loginPrism(sb, cfg.env, ['-p', 'other'])).code).toBe(0);
    const question = /^\? Log out of profile prism \(prism\)\? Its secrets and settings are deleted\. \(y\/N\)/m;

    term = await runInTerminal(['logout', '-p', 'prism'], { env: cfg.env });
    await term.waitFor(question);
    await term.type('n');
    await term.press('Enter');
    expect(await term.exitCode()).toBe(130);
    expect(cfg.names()).toEqual(['other', 'prism']);
    await term.kill();

    term = await runInTerminal(['logout', '-p', 'prism'], { env: cfg.env });
    await term.waitFor(question);
    await term.type('y');
    await term.press('Enter');
    expect(await term.exitCode()).toBe(0);
    expect(await term.screen()).toMatch(/^Logged out of prism$/m);
    expect(cfg.names()).toEqual(['other']);
    await term.kill();

    term = await runInTerminal(['logout', '-p', 'other', '--yes'], { env: cfg.env });
    expect(await term.exitCode()).toBe(0);
    expect(await term.screen()).not.toMatch(/\? Log out/);
    expect(cfg.names()).toEqual([]);
  });
});

describe('without a terminal', () => {
  it('logout does not ask, as before', async () => {
    expect((await loginPrism(sb, cfg.env)).code).toBe(0);
    expect(await runCli(['logout'], { env: cfg.env })).toMatchObject({
      code: 0,
      stdout: '',
      stderr: 'Logged out of prism\n',
    });
  });

  it('login without a provider is exit 2 naming the usage, nothing asked', async () => {
    const r = await runCli(['login'], { env: cfg.env });
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/^token: missing provider\nusage: token login <prism\|priava\|brightpattern>/);
  });

  it('the timeout hint says that PRISM with --code also needs --redirect-uri', async () => {
    const r = await runCli(
      [
        'login',
        'prism',
        '--client-id',
        CLIENTS.prism.clientId,
        '--service-url',
        sb.prismServiceUrl,
        '--no-browser',
        '--timeout',
        '1',
      ],
      {
        env: { ...cfg.env, TOKEN_CLIENT_SECRET: CLIENTS.prism.clientSecret },
      },
    );
    expect(r.code).toBe(5);
    expect(r.stderr.trimEnd().split('\n').slice(-2)).toEqual([
      'token: no sign-in arrived within 1 s',
      'run the login again (--timeout <s> waits longer; --code <code> --redirect-uri <the URI it was issued for> skips the browser)',
    ]);
  });
});
