// A real browser: headless Debian Chromium (driven by playwright-core, never a
// downloaded browser) opens the URL the CLI hands to $BROWSER, clicks the sandbox's
// consent page and lands on the CLI's loopback page, as a user would.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CLIENTS, startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { ROOT, tempConfig, type RunResult, type TempConfig } from '../helpers/cli.js';
import { loginPriava, loginPrism } from '../helpers/logins.js';
import { freePort, missingParts } from '../helpers/real.js';

const skip = missingParts(['chromium'], 'the real-browser login');
const HANDOFF = join(ROOT, 'test', 'helpers', 'browser-handoff.mjs');
// We run as root with the network closed: no sandbox, no GPU, nothing phoning home.
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

let browser: Browser;
let context: BrowserContext;
let page: Page;
let sb: Sandbox;
let cfg: TempConfig;
let handoff: string;

beforeAll(async () => {
  if (skip) return;
  const { chromium } = await import('playwright-core');
  const executablePath = execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  // playwright gives every launch a fresh temporary --user-data-dir of its own.
  browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  // One context and page for the file (a new page is a new renderer process); each test
  // starts without the cookies of the one before and navigates the page itself.
  context = await browser.newContext();
  page = await context.newPage();
  sb = await startSandbox();
});
afterAll(async () => {
  await browser?.close();
  await sb?.close();
});
beforeEach(async () => {
  if (skip) return;
  sb.requests.length = 0;
  cfg = tempConfig();
  handoff = join(cfg.dir, 'browser-url');
  cfg.env.BROWSER = HANDOFF;
  cfg.env.BROWSER_HANDOFF_FILE = handoff;
});
afterEach(async () => {
  await context?.clearCookies();
  cfg?.cleanup();
});

/** The URL the CLI gave $BROWSER; fails with the CLI's output if it never comes. */
async function handedOffUrl(run: Promise<RunResult>): Promise<string> {
  let finished: RunResult | undefined;
  void run.then((r) => (finished = r));
  const deadline = Date.now() + 15_000;
  while (!existsSync(handoff)) {
    if (finished) throw new Error(`the CLI exited ${finished.code} before opening a browser:\n${finished.stderr}`);
    if (Date.now() > deadline) throw new Error('the CLI did not open a browser within 15 s');
    await new Promise((r) => setTimeout(r, 25));
  }
  return readFileSync(handoff, 'utf8');
}

async function result(): Promise<{ ok: string | null; title: string; text: string }> {
  const h1 = page.locator('h1#result');
  return {
    ok: await h1.getAttribute('data-ok'),
    title: await h1.innerText(),
    text: await page.locator('body').innerText(),
  };
}

/** TOKEN_TEST_SCREENSHOTS=<dir> keeps the pages for a human to look at. */
async function screenshot(name: string): Promise<void> {
  const png = await page.screenshot({ fullPage: true });
  expect(png.subarray(1, 4).toString()).toBe('PNG');
  const dir = process.env.TOKEN_TEST_SCREENSHOTS;
  if (dir) {
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
  }
}

describe.skipIf(skip)('login with headless Chromium as the browser', () => {
  it('PRISM: approving on the consent page lands on “Signed in”, and the code the browser carried is exchanged', async () => {
    const run = loginPrism(sb, cfg.env, ['--timeout', '30']);
    const url = new URL(await handedOffUrl(run));
    expect(url.origin + url.pathname).toBe(`${sb.url}/oauth/authorize`);
    const redirectUri = url.searchParams.get('redirect_uri')!;
    expect(redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);

    await page.goto(url.href);
    await expect(page.locator('h1').innerText()).resolves.toBe('PRISM sandbox');
    await screenshot('prism-consent');
    await page.click('#approve');
    await page.waitForURL((u) => u.href.startsWith(`${redirectUri}?`));
    const landed = new URL(page.url());
    expect(landed.searchParams.get('state')).toBe(url.searchParams.get('state'));
    expect(await result()).toEqual({
      ok: 'true',
      title: 'Signed in',
      text: expect.stringContaining('You are signed in to token.'),
    });
    // The page's CSP (default-src 'none') still lets its inline style through.
    await expect(page.locator('h1#result').evaluate((h) => getComputedStyle(h).color)).resolves.toBe(
      'rgb(26, 127, 55)',
    );
    await screenshot('prism-signed-in');

    const r = await run;
    expect(r.stderr).toMatch(/✓ Logged in to PRISM as profile prism/);
    expect(r.code).toBe(0);
    const profile = cfg.profile('prism');
    expect(profile).toMatchObject({ provider: 'prism', clientId: CLIENTS.prism.clientId, options: { redirectUri } });
    expect(cfg.secret('prism', 'refresh_token')).toMatch(/^rt-prism-/);
    const exchange = sb.requests.filter((q) => q.endpoint === 'prism-token');
    expect(exchange).toHaveLength(1);
    expect(exchange[0]!.query).toEqual({
      grant_type: 'authorization_code',
      code: landed.searchParams.get('code'),
      redirect_uri: redirectUri,
    });
    // A real browser also asks for /favicon.ico; everything else is the OAuth round trip.
    const oauth = sb.requests.filter((q) => q.path !== '/favicon.ico');
    expect(oauth.map((q) => `${q.method} ${q.endpoint}`)).toEqual([
      'GET prism-authorize',
      'POST prism-authorize',
      'GET prism-token',
    ]);
  });

  it('PRISM: denying lands on the error page naming access_denied; the CLI exits 3 and stores nothing', async () => {
    const run = loginPrism(sb, cfg.env, ['--timeout', '30']);
    await page.goto(await handedOffUrl(run));
    await page.click('#deny');
    await page.waitForSelector('h1#result');
    const shown = await result();
    expect(shown).toMatchObject({ ok: 'false', title: 'Sign-in failed' });
    expect(shown.text).toContain('PRISM said: access_denied — The user denied the request.');
    await screenshot('prism-denied');

    const r = await run;
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^token: PRISM refused the sign-in: access_denied: The user denied the request$/m);
    expect(sb.requests.some((q) => q.endpoint === 'prism-token')).toBe(false);
    expect(cfg.names()).toEqual([]);
    expect(cfg.exists('config.json')).toBe(false);
  });

  it('PRISM: a callback with the wrong state gets the error page and the login still completes', async () => {
    const run = loginPrism(sb, cfg.env, ['--timeout', '30']);
    const url = new URL(await handedOffUrl(run));
    const forged = new URL(url.searchParams.get('redirect_uri')!);
    forged.search = new URLSearchParams({ code: 'code-forged', state: 'not-the-state' }).toString();
    const refused = await page.goto(forged.href);
    expect(refused!.status()).toBe(400);
    expect(await result()).toMatchObject({ ok: 'false', title: 'Sign-in refused' });

    await page.goto(url.href);
    await page.click('#approve');
    await page.waitForSelector('h1#result[data-ok="true"]');
    const r = await run;
    expect(r.code).toBe(0);
    expect(sb.requests.find((q) => q.endpoint === 'prism-token')!.query.code).not.toBe('code-forged');
  });

  it('Priava: its authorize page sends the code to the loopback --redirect-uri, which is exchanged', async () => {
    const redirectUri = `http://127.0.0.1:${await freePort()}/priava/callback`;
    const run = loginPriava(sb, cfg.env, redirectUri, ['--timeout', '30']);
    const url = new URL(await handedOffUrl(run));
    expect(url.origin + url.pathname).toBe(sb.priavaAuthorizeUrl);
    expect(url.searchParams.get('redirect_uri')).toBe(redirectUri);

    await page.goto(url.href);
    await expect(page.locator('h1').innerText()).resolves.toBe('Priava sandbox');
    await page.click('#approve');
    await page.waitForURL((u) => u.href.startsWith(`${redirectUri}?code=`));
    const code = new URL(page.url()).searchParams.get('code');
    expect(await result()).toMatchObject({ ok: 'true', title: 'Signed in' });

    const r = await run;
    expect(r.stderr).toContain('Logged in to Priava as profile priava');
    expect(r.code).toBe(0);
    expect(cfg.profile('priava')).toMatchObject({ provider: 'priava', options: { region: 'APAC', redirectUri } });
    const exchange = sb.requests.filter((q) => q.endpoint === 'priava-token');
    expect(exchange).toHaveLength(1);
    expect(exchange[0]!.headers.tenantregion).toBe('APAC');
    expect(exchange[0]!.form).toEqual({
      grant_type: 'authorization_code',
      client_id: CLIENTS.priava.clientId,
      client_secret: CLIENTS.priava.clientSecret,
      code,
      redirect_uri: redirectUri,
    });
  });
});
