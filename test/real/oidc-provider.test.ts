// Priava-shaped flows against a real, certified OAuth server: panva's oidc-provider on
// 127.0.0.1, signed in to with headless Debian Chromium (playwright-core) as a user would.
// Priava's page sends client_id and client_secret in the form body: oidc-provider's
// client_secret_post. The server requires PKCE, so login uses --pkce; state goes out and
// comes back because token builds the authorize URL (--authorize-url).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ROOT, runCli, tempConfig, type RunResult, type TempConfig } from '../helpers/cli.js';
import { profileNames } from '../helpers/stored.js';
import { freePort, missingParts } from '../helpers/real.js';
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.js';

const skip = missingParts(['chromium', 'curl'], 'the oidc-provider flows');
const HANDOFF = join(ROOT, 'test', 'helpers', 'browser-handoff.mjs');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];
const SECRET = 'oidc-test-client-secret-0123456789';

let browser: Browser;
let server: OidcServer;
let redirectUri: string;
let noRefreshRedirect: string;
let context: BrowserContext;
let page: Page;
let cfg: TempConfig;
let handoff: string;

beforeAll(async () => {
  if (skip) return;
  redirectUri = `http://127.0.0.1:${await freePort()}/priava/callback`;
  noRefreshRedirect = `http://127.0.0.1:${await freePort()}/priava/callback`;
  server = await startOidcServer([
    {
      client_id: 'priava-app',
      client_secret: SECRET,
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
    },
    {
      client_id: 'priava-no-refresh',
      client_secret: SECRET,
      redirect_uris: [noRefreshRedirect],
      grant_types: ['authorization_code'],
    },
  ]);
  const { chromium } = await import('playwright-core');
  const executablePath = execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  // One context and page for the file (a new page is a new renderer process); each test
  // starts without the cookies (oidc-provider's session) of the one before.
  context = await browser.newContext();
  // Only 127.0.0.1: the dev pages' web font (fonts.googleapis.com) is never fetched.
  await context.route(/.*/, (route) =>
    new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort(),
  );
  page = await context.newPage();
}, 30_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});
beforeEach(async () => {
  if (skip) return;
  cfg = tempConfig();
  handoff = join(cfg.dir, 'browser-url');
  cfg.env.BROWSER = HANDOFF;
  cfg.env.BROWSER_HANDOFF_FILE = handoff;
});
afterEach(async () => {
  await context?.clearCookies();
  cfg?.cleanup();
});

function login(
  extra: string[] = [],
  opts: { clientId?: string; redirect?: string; secret?: string } = {},
): Promise<RunResult> {
  const args = ['login', 'priava', '--client-id', opts.clientId ?? 'priava-app', '--region', 'APAC'];
  args.push(
    '--api-url',
    server.issuer,
    '--token-url',
    `${server.issuer}/token`,
    '--authorize-url',
    `${server.issuer}/auth`,
  );
  args.push('--redirect-uri', opts.redirect ?? redirectUri, '--scope', 'openid', '--timeout', '30', ...extra);
  return runCli(args, { env: { ...cfg.env, TOKEN_CLIENT_SECRET: opts.secret ?? SECRET } });
}

/** The URL the CLI gave $BROWSER (fails with the CLI's output if it never comes). */
async function handedOffUrl(run: Promise<RunResult>): Promise<URL> {
  let finished: RunResult | undefined;
  void run.then((r) => (finished = r));
  for (const deadline = Date.now() + 15_000; !existsSync(handoff);) {
    if (finished) throw new Error(`the CLI exited ${finished.code} before opening a browser:\n${finished.stderr}`);
    if (Date.now() > deadline) throw new Error('the CLI did not open a browser within 15 s');
    await new Promise((r) => setTimeout(r, 25));
  }
  const url = new URL(readFileSync(handoff, 'utf8'));
  rmSync(handoff);
  return url;
}

/** Signs in on oidc-provider's login page and approves its consent page, landing on the CLI's loopback page. */
async function signIn(url: URL, redirect = redirectUri): Promise<URL> {
  await page.goto(url.href);
  await page.fill('input[name=login]', 'alice');
  await page.fill('input[name=password]', 'any');
  await page.click('button[type=submit]');
  await page.waitForSelector('input[name=prompt][value=consent]', { state: 'attached' });
  await page.click('button[type=submit]');
  await page.waitForURL((u) => u.href.startsWith(`${redirect}?`));
  return new URL(page.url());
}

/** Runs a printed curl line as a user would (async: the server answering it lives in this process). */
async function runCurlLine(line: string): Promise<unknown> {
  const { stdout } = await promisify(execFile)('bash', ['-c', line], { encoding: 'utf8', timeout: 10_000 });
  return JSON.parse(stdout);
}

const tokenCalls = () => server.requests.filter((q) => q.path === '/token').length;

describe.skipIf(skip)('Priava-shaped flows against oidc-provider', () => {
  it('login with state and --pkce, Bearer use through curl and exec, refresh, and invalid_grant once the grant is revoked', async () => {
    const run = login(['--pkce']);
    const url = await handedOffUrl(run);
    const state = url.searchParams.get('state')!;
    expect(state).toMatch(/^[\w-]{32}$/);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    const landed = await signIn(url);
    expect(landed.searchParams.get('state')).toBe(state);
    expect(await page.locator('h1#result').innerText()).toBe('Signed in');
    const r = await run;
    expect(r.stderr).toContain('Logged in to Priava as profile priava');
    expect(r.stderr).not.toContain('refresh token');
    expect(r.code).toBe(0);

    // Bearer use: the printed curl line, run as a user would, and exec's environment.
    const curl = await runCli(['curl', `${server.issuer}/me`], { env: cfg.env });
    expect(curl.code).toBe(0);
    expect(await runCurlLine(curl.stdout)).toEqual({ sub: 'alice' });
    const script = `fetch(process.argv[1], { headers: { authorization: process.env.TOKEN_AUTH_HEADER.replace(/^Authorization: /, '') } }).then((r) => r.text()).then((t) => process.stdout.write(t))`;
    const exec = await runCli(['exec', '--', process.execPath, '-e', script, `${server.issuer}/me`], { env: cfg.env });
    expect(exec.stderr).toBe('');
    expect(JSON.parse(exec.stdout)).toEqual({ sub: 'alice' });

    const refreshed = await runCli(['refresh'], { env: cfg.env });
    expect(refreshed.stderr).toMatch(/^Refreshed profile priava \(valid for /);
    expect(refreshed.code).toBe(0);
    const renewed = await runCli(['curl', `${server.issuer}/me`], { env: cfg.env });
    expect(renewed.stdout).not.toBe(curl.stdout); // a new access token
    expect(await runCurlLine(renewed.stdout)).toEqual({ sub: 'alice' });

    await server.revokeGrants();
    const refused = await runCli(['refresh'], { env: cfg.env });
    expect(refused.code).toBe(3);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^token: .*invalid_grant/m);
    expect(refused.stderr).toMatch(/token login -p priava --force/);
  });

  it('a server that requires PKCE refuses a login without --pkce: exit 3 with its words', async () => {
    const run = login();
    const url = await handedOffUrl(run);
    expect(url.searchParams.has('code_challenge')).toBe(false);
    await page.goto(url.href);
    await page.waitForSelector('h1#result');
    expect(await page.locator('h1#result').innerText()).toBe('Sign-in failed');
    const r = await run;
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^token: Priava refused the sign-in: invalid_request: .*PKCE/m);
    expect(await profileNames(cfg.env)).toEqual([]);
  });

  it('a wrong client secret is refused at the code exchange: exit 3, nothing stored', async () => {
    const before = tokenCalls();
    const run = login(['--pkce'], { secret: 'not-the-secret' });
    await signIn(await handedOffUrl(run));
    const r = await run;
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^token: .*invalid_client/m);
    expect(r.stderr).not.toContain('not-the-secret');
    expect(tokenCalls()).toBe(before + 1);
    expect(await profileNames(cfg.env)).toEqual([]);
  });

  it('a client without the refresh grant: login says no refresh token came, refresh says exactly that (exit 5)', async () => {
    const run = login(['--pkce'], { clientId: 'priava-no-refresh', redirect: noRefreshRedirect });
    await signIn(await handedOffUrl(run), noRefreshRedirect);
    const r = await run;
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'token: Priava sent no refresh token: this login cannot be renewed; when the token expires, run: token login -p priava --force\n',
    );
    const before = tokenCalls();
    const refresh = await runCli(['refresh'], { env: cfg.env });
    expect(refresh.code).toBe(5);
    expect(refresh.stderr).toBe(
      'token: profile priava has no refresh token, so its token cannot be renewed\nlog in again when it expires: token login -p priava --force\n',
    );
    expect(tokenCalls()).toBe(before);
  });
});
