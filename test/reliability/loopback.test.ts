// The loopback listener under hostile input (RFC 8252 §7.3, §8.3; RFC 6749 §10.12):
// 127.0.0.1 only, state checked, one code, Host checked, closes when done. In-process
// (runFresh: the listener is the same code on the same real sockets, in this process), but
// the first test, which runs the built CLI and its $BROWSER.
import { beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { CLIENTS } from '../../src/sandbox/index.js';
import { ROOT } from '../helpers/cli.js';
import { useSandboxConfig } from '../helpers/sandbox-config.js';
import { loginPrism, loginPrismInProcess } from '../helpers/logins.js';
import { runFresh, type Outcome } from '../helpers/fake-deps.js';
import { freePort } from '../helpers/real.js';

const { sb, cfg } = useSandboxConfig();
let handoff: string;
beforeEach(() => {
  handoff = join(cfg.dir, 'url');
  cfg.env.BROWSER = `${process.execPath} ${join(ROOT, 'test', 'helpers', 'browser-handoff.mjs')}`;
  cfg.env.BROWSER_HANDOFF_FILE = handoff;
});

async function authorizeUrl(): Promise<URL> {
  for (let i = 0; i < 200 && !existsSync(handoff); i++) await new Promise((r) => setTimeout(r, 25));
  return new URL(readFileSync(handoff, 'utf8'));
}

function get(
  url: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * A login started in-process whose browser only hands over the authorize URL it was asked
 * to open; `url` fails if the login ends before it opens one.
 */
function withBrowser(start: (browser: (url: string) => Promise<void>) => Promise<Outcome>) {
  let give!: (url: URL) => void;
  const opened = new Promise<URL>((resolve) => (give = resolve));
  const login = start(async (url) => give(new URL(url)));
  const ended = login.then((r) => {
    throw new Error(`the login ended (exit ${r.code}) before it opened a browser: ${r.stderr}`);
  });
  return { login, url: Promise.race([opened, ended]) };
}

/** What the consent page would redirect to, without following it. */
async function approve(url: URL): Promise<string> {
  const form = new URLSearchParams(url.searchParams);
  form.set('decision', 'approve');
  const res = await fetch(url, { method: 'POST', body: form, redirect: 'manual' });
  return res.headers.get('location')!;
}

describe('the loopback listener', () => {
  it('refuses forged, misdirected and foreign-host callbacks, takes one code, then closes', async () => {
    const login = loginPrism(sb, cfg.env, ['--timeout', '20']);
    const url = await authorizeUrl();
    const redirect = new URL(url.searchParams.get('redirect_uri')!);
    const state = url.searchParams.get('state')!;
    const port = redirect.port;
    const cb = (q: string) => `http://127.0.0.1:${port}/callback?${q}`;

    expect(await get(cb('code=forged'))).toMatchObject({
      status: 400,
      body: expect.stringContaining('did not carry the state'),
    });
    expect((await get(cb(`code=forged&state=${state}x`))).status).toBe(400);
    expect((await get(`http://127.0.0.1:${port}/other?code=forged&state=${state}`)).status).toBe(404);
    expect((await get(cb(`code=forged&state=${state}`), {}, 'POST')).status).toBe(404);
    // DNS rebinding: a page on evil.example that resolves to 127.0.0.1 sends its own Host.
    expect((await get(cb(`code=forged&state=${state}`), { Host: `evil.example:${port}` })).status).toBe(421);
    // Bound to 127.0.0.1 only: another loopback address is not answered.
    await expect(
      new Promise((resolve, reject) => connect(Number(port), '127.0.0.2').on('connect', resolve).on('error', reject)),
    ).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });

    const location = await approve(url);
    expect(location).toContain(`state=${encodeURIComponent(state)}`);
    const landed = await get(location);
    expect(landed.status).toBe(200);
    expect(landed.body).toContain('Signed in');
    // A replayed callback changes nothing: the listener has closed (or says it is done).
    const replay = await get(location).catch((err: NodeJS.ErrnoException) => ({ status: err.code, body: '' }));
    expect([410, 'ECONNREFUSED', 'ECONNRESET']).toContain(replay.status);

    const r = await login;
    expect(r.code).toBe(0);
    const exchanges = sb.requests.filter((q) => q.endpoint === 'prism-token');
    expect(exchanges).toHaveLength(1);
    expect(exchanges[0]!.query.code).toBe(new URL(location).searchParams.get('code'));
    expect(exchanges[0]!.query.code).not.toBe('forged');
  });

  it.each(['127.0.0.2', '[::1]'])(
    'listens on a loopback redirect URI on %s, and sends our parameters over the authorize URL’s own',
    async (host) => {
      const port = await freePort();
      const redirect = `http://${host}:${port}/cb`;
      const { login, url: opened } = withBrowser((browser) =>
        loginPrismInProcess(
          sb,
          cfg.env,
          [
            '--redirect-uri',
            redirect,
            '--authorize-url',
            `${sb.url}/oauth/authorize?redirect_uri=https%3A%2F%2Fstale.example%2F&client_id=old&prompt=login`,
          ],
          { browser },
        ),
      );
      const url = await opened;
      expect(url.searchParams.get('redirect_uri')).toBe(redirect);
      expect(url.searchParams.get('client_id')).toBe(CLIENTS.prism.clientId);
      expect(url.searchParams.get('prompt')).toBe('login'); // the configured URL's own parameters stay
      const location = await approve(url);
      expect((await get(location, { Host: `${host}:${port}` })).status).toBe(200);
      expect((await login).code).toBe(0);
      expect(sb.requests.find((q) => q.endpoint === 'prism-token')!.query.redirect_uri).toBe(redirect);
    },
  );

  it('a port already in use is a clear exit 2', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as { port: number }).port;
    const r = await loginPrismInProcess(sb, cfg.env, ['--port', String(port)]);
    blocker.close();
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `token: port ${port} on 127.0.0.1 is already in use\npass --port <n> with a free port (or 0 for any), or free that one\n`,
    );
  });

  it('--port and a redirect URI on the same port agree; the URI is sent as given', async () => {
    const port = await freePort();
    const { login, url: opened } = withBrowser((browser) =>
      loginPrismInProcess(sb, cfg.env, ['--port', String(port), '--redirect-uri', `http://localhost:${port}/cb`], {
        browser,
      }),
    );
    const url = await opened;
    expect(url.searchParams.get('redirect_uri')).toBe(`http://localhost:${port}/cb`);
    const landed = await get((await approve(url)).replace('localhost', '127.0.0.1'), { Host: `localhost:${port}` });
    expect(landed.status).toBe(200);
    expect((await login).code).toBe(0);
    expect(sb.requests.find((q) => q.endpoint === 'prism-token')!.query.redirect_uri).toBe(
      `http://localhost:${port}/cb`,
    );
    expect(CLIENTS.prism.clientId).toBe(url.searchParams.get('client_id'));
  });
});

describe('the loopback listener for Priava', () => {
  const priavaArgs = (redirectUri: string, extra: string[] = []) => [
    'login',
    'priava',
    '--client-id',
    CLIENTS.priava.clientId,
    '--region',
    'APAC',
    '--api-url',
    sb.priavaApiUrl,
    '--redirect-uri',
    redirectUri,
    '--timeout',
    '20',
    ...extra,
  ];
  const secretEnv = () => ({ ...cfg.env, TOKEN_CLIENT_SECRET: CLIENTS.priava.clientSecret });

  it('with --authorize-url: sends a random state and refuses a callback without it or with another one; the wait goes on', async () => {
    const redirect = `http://127.0.0.1:${await freePort()}/priava/cb`;
    const { login, url: opened } = withBrowser((browser) =>
      runFresh(priavaArgs(redirect, ['--authorize-url', sb.priavaAuthorizeUrl]), secretEnv(), { browser }),
    );
    const url = await opened;
    const state = url.searchParams.get('state')!;
    expect(Buffer.from(state, 'base64url').length).toBeGreaterThanOrEqual(16); // >= 128 bits
    const forged = sb.state.issueCode({ provider: 'priava', clientId: CLIENTS.priava.clientId, redirectUri: redirect });
    expect(await get(`${redirect}?code=${forged}`)).toMatchObject({
      status: 400,
      body: expect.stringContaining('did not carry the state'),
    });
    expect((await get(`${redirect}?code=${forged}&state=${state.slice(1)}x`)).status).toBe(400);
    const location = await approve(url);
    expect(new URL(location).searchParams.get('state')).toBe(state);
    expect((await get(location)).status).toBe(200);
    const r = await login;
    expect(r.code).toBe(0);
    const exchange = sb.requests.filter((q) => q.endpoint === 'priava-token');
    expect(exchange).toHaveLength(1);
    expect(exchange[0]!.form!.code).toBe(new URL(location).searchParams.get('code'));
  });

  it('--no-state sends none and takes a callback without one (for a server that drops it)', async () => {
    const redirect = `http://127.0.0.1:${await freePort()}/priava/cb`;
    const { login, url: opened } = withBrowser((browser) =>
      runFresh(priavaArgs(redirect, ['--authorize-url', sb.priavaAuthorizeUrl, '--no-state']), secretEnv(), {
        browser,
      }),
    );
    const url = await opened;
    expect(url.searchParams.has('state')).toBe(false);
    const code = sb.state.issueCode({ provider: 'priava', clientId: CLIENTS.priava.clientId, redirectUri: redirect });
    expect((await get(`${redirect}?code=${code}`)).status).toBe(200);
    expect((await login).code).toBe(0);
  });

  it('without --authorize-url (an admin-made code, no state): takes exactly one code, and only while the login waits', async () => {
    const port = await freePort();
    const redirect = `http://127.0.0.1:${port}/priava/cb`;
    const login = runFresh(priavaArgs(redirect), secretEnv());
    const issue = () =>
      sb.state.issueCode({ provider: 'priava', clientId: CLIENTS.priava.clientId, redirectUri: redirect });
    const first = issue();
    let landed = await get(`${redirect}?code=${first}`).catch(() => undefined);
    for (let i = 0; i < 200 && !landed; i++) {
      await new Promise((r) => setTimeout(r, 25));
      landed = await get(`${redirect}?code=${first}`).catch(() => undefined);
    }
    expect(landed!.status).toBe(200);
    const second = await get(`${redirect}?code=${issue()}`).catch((err: NodeJS.ErrnoException) => ({
      status: err.code,
      body: '',
    }));
    expect([410, 'ECONNREFUSED', 'ECONNRESET']).toContain(second.status);
    const r = await login;
    expect(r.code).toBe(0);
    expect(sb.requests.filter((q) => q.endpoint === 'priava-token').map((q) => q.form!.code)).toEqual([first]);
    // The login is over: nothing listens on the redirect URI any more.
    await expect(get(`${redirect}?code=${issue()}`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('a busy port that comes from --redirect-uri: the hint says to free it or register another redirect URI, not --port', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as { port: number }).port;
    const r = await runFresh(priavaArgs(`http://127.0.0.1:${port}/cb`), secretEnv());
    blocker.close();
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `token: port ${port} on 127.0.0.1 is already in use\nthe port comes from --redirect-uri: free that port, or register another redirect URI with the provider and pass it as --redirect-uri\n`,
    );
  });
});
