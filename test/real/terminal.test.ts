// A real terminal: the built CLI in a tmux pane, typed at with send-keys and read
// back with capture-pane — prompts, the hidden secret, pasting, the overwrite
// question, Ctrl-C and the spinner, as a user sees them.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLIENTS, startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { SCRIPTED_BROWSER, tempConfig, type TempConfig } from '../helpers/cli.js';
import { loginPrism } from '../helpers/logins.js';
import { missingParts } from '../helpers/real.js';
import { runInTerminal, type Terminal } from '../helpers/tmux.js';

const skip = missingParts(['tmux', 'bash'], 'the real-terminal tests');
const SECRET = CLIENTS.prism.clientSecret;
const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Waiting for the browser… (?:(\d+)m)? ?(?:(\d+)s)? left ›/;

let sb: Sandbox;
let cfg: TempConfig;
let term: Terminal | undefined;

beforeAll(async () => {
  if (!skip) sb = await startSandbox();
});
afterAll(() => sb?.close());
beforeEach(() => {
  if (skip) return;
  sb.requests.length = 0;
  cfg = tempConfig();
});
afterEach(async () => {
  await term?.kill();
  term = undefined;
  cfg?.cleanup();
});

function prismFlags(): string[] {
  return ['--client-id', CLIENTS.prism.clientId, '--service-url', sb.prismServiceUrl];
}

function withSecret(env: NodeJS.ProcessEnv = cfg.env): NodeJS.ProcessEnv {
  return { ...env, TOKEN_CLIENT_SECRET: SECRET };
}

/** The config files' bytes (config.json and every profile file), to prove a cancelled login changed nothing. */
function snapshot(): Record<string, string> {
  const files = ['config.json', ...cfg.names().map((n) => `profiles/${n}.json`)];
  return Object.fromEntries(files.filter((f) => cfg.exists(f)).map((f) => [f, cfg.text(f)]));
}

/** A browser on another machine: approves on the consent page, never follows the redirect. */
async function approveElsewhere(url: string): Promise<string> {
  const log = join(cfg.dir, 'elsewhere.log');
  await promisify(execFile)(process.execPath, [SCRIPTED_BROWSER, url], {
    env: { PATH: process.env.PATH, SCRIPTED_BROWSER_FOLLOW: '0', SCRIPTED_BROWSER_LOG: log },
  });
  return redirectIn(log);
}

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

function tokenRequests() {
  return sb.requests.filter((q) => q.endpoint === 'prism-token');
}

describe.skipIf(skip)('token login on a real terminal (tmux)', () => {
  it('asks for the service URL, client ID and a hidden secret, then signs in through the browser', async () => {
    term = await runInTerminal(['login', 'prism'], { env: cfg.env });
    await term.waitFor(/^\? PRISM service URL \(the service API domain\):/m);
    await term.type(sb.prismServiceUrl);
    await term.press('Enter');
    await term.waitFor(/^\? PRISM client ID:/m);
    await term.type(CLIENTS.prism.clientId);
    await term.press('Enter');
    await term.waitFor(/^\? PRISM client secret:/m);
    await term.type(SECRET);
    await new Promise((r) => setTimeout(r, 300));
    expect(await term.screen()).not.toContain(SECRET);
    await term.press('Enter');

    expect(await term.exitCode()).toBe(0);
    const screen = await term.screen();
    expect(screen).toMatch(/^✔ PRISM service URL \(the service API domain\): http:\/\/127\.0\.0\.1:\d+$/m);
    expect(screen).toMatch(/^✔ PRISM client ID: prism-demo-client$/m);
    expect(screen).toMatch(
      /^✓ Logged in to PRISM as profile prism \(token valid for .*; secrets in .*profiles\/prism\.json\)$/m,
    );
    expect(screen).not.toContain(SECRET);
    // The typed secret reached the provider, and the store, without ever being shown.
    expect(tokenRequests()[0]!.headers['x-prism-client-secret']).toBe(SECRET);
    expect(cfg.secret('prism', 'client_secret')).toBe(SECRET);
    expect(cfg.profile('prism')).toMatchObject({
      provider: 'prism',
      clientId: CLIENTS.prism.clientId,
      options: { serviceUrl: sb.prismServiceUrl },
    });
  });

  it('--no-browser: the URL stays on screen, the spinner counts down, and the pasted redirect URL signs in', async () => {
    term = await runInTerminal(['login', 'prism', ...prismFlags(), '--no-browser', '--timeout', '120'], {
      env: withSecret(),
      cols: 80,
    });
    const [url] = await term.waitFor(/http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+/);
    await term.waitFor(
      /If the browser cannot reach this machine, paste the redirected URL or the code here and press Enter\./,
    );
    const first = secondsLeft(await term.waitFor(SPINNER));
    expect(first).toBeLessThanOrEqual(120);
    await new Promise((r) => setTimeout(r, 1500));
    // One spinner line, redrawn in place: it neither scrolls the URL away nor repeats on an 80-column screen.
    const screen = await term.waitUntil(
      'one spinner line under the URL',
      (t) => spinners(t) === 1 && t.includes(url),
      3000,
    );
    expect(secondsLeft(screen.match(SPINNER)!)).toBeLessThan(first);

    const location = await approveElsewhere(url);
    expect(location).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback\?code=code-[\w-]+&state=[\w-]+$/);
    await term.type(location);
    // What was pasted stays visible behind the spinner (it used to be wiped every 100 ms),
    // and wrapping it onto a second row leaves no stale spinner row behind.
    await term.waitUntil(
      'the pasted URL behind the one spinner',
      (t) => t.includes(`left › ${location}`) && spinners(t) === 1,
      3000,
    );
    await new Promise((r) => setTimeout(r, 300));
    await term.waitUntil(
      'still one spinner after redraws',
      (t) => t.includes(`left › ${location}`) && spinners(t) === 1,
      3000,
    );
    await term.press('Enter');

    expect(await term.exitCode()).toBe(0);
    expect(await term.screen()).toMatch(/^✓ Logged in to PRISM as profile prism/m);
    expect(tokenRequests()).toHaveLength(1);
    expect(tokenRequests()[0]!.query.code).toBe(new URL(location).searchParams.get('code'));
    expect(cfg.names()).toEqual(['prism']);
  });

  it('a non-loopback --redirect-uri asks for the redirected URL, refuses one with another state, takes the right one', async () => {
    const log = join(cfg.dir, 'browser.log');
    const redirectUri = 'https://app.example.test/cb'; // never contacted: the browser does not follow
    const env = { ...withSecret(), SCRIPTED_BROWSER_FOLLOW: '0', SCRIPTED_BROWSER_LOG: log };
    term = await runInTerminal(['login', 'prism', ...prismFlags(), '--redirect-uri', redirectUri, '--timeout', '120'], {
      env,
    });
    await term.waitFor(/^\? Paste the redirected URL or the code:/m);
    const location = await redirectIn(log);
    expect(location.startsWith(`${redirectUri}?code=`)).toBe(true);

    await term.type(location.replace(/state=[^&]+/, 'state=from-another-login'));
    await term.press('Enter');
    await term.waitFor(/^token: the state in that URL is not the one this login sent$/m);
    await term.waitFor(/^\? Paste the redirected URL or the code: *$/m);
    expect(tokenRequests()).toHaveLength(0);
    await term.type(location);
    await term.press('Enter');

    expect(await term.exitCode()).toBe(0);
    expect(tokenRequests()).toHaveLength(1);
    expect(tokenRequests()[0]!.query).toEqual({
      grant_type: 'authorization_code',
      code: new URL(location).searchParams.get('code'),
      redirect_uri: redirectUri,
    });
    expect(cfg.profile('prism').options.redirectUri).toBe(redirectUri);
  });

  it('asks before overwriting a profile: No cancels (130) and changes nothing, Yes replaces it', async () => {
    expect((await loginPrism(sb, cfg.env)).code).toBe(0);
    const before = snapshot();
    sb.requests.length = 0;
    const question = /^\? Profile prism \(prism\) already exists\. Overwrite it\? \(y\/N\)/m;

    term = await runInTerminal(['login', 'prism', ...prismFlags()], { env: withSecret() });
    await term.waitFor(question);
    await term.type('n');
    await term.press('Enter');
    expect(await term.exitCode()).toBe(130);
    expect(await term.screen()).toMatch(/^token: cancelled$/m);
    expect(snapshot()).toEqual(before);
    expect(sb.requests).toHaveLength(0);
    await term.kill();

    term = await runInTerminal(['login', 'prism', ...prismFlags()], { env: withSecret() });
    await term.waitFor(question);
    await term.type('y');
    await term.press('Enter');
    expect(await term.exitCode()).toBe(0);
    const after = snapshot();
    expect(Object.keys(after)).toEqual(Object.keys(before));
    expect(after['profiles/prism.json']).not.toBe(before['profiles/prism.json']);
    expect(cfg.secret('prism', 'access_token')).not.toBe(JSON.parse(before['profiles/prism.json']!).token.accessToken);
    expect(tokenRequests()).toHaveLength(1);
  });

  it('Ctrl-C at the client-secret prompt exits 130 and leaves the stored profiles as they were', async () => {
    expect((await loginPrism(sb, cfg.env, ['-p', 'other'])).code).toBe(0);
    const before = snapshot();
    sb.requests.length = 0;

    term = await runInTerminal(['login', 'prism', ...prismFlags()], { env: cfg.env });
    await term.waitFor(/^\? PRISM client secret:/m);
    await term.type('half-typed');
    await term.press('C-c');
    expect(await term.exitCode()).toBe(130);
    const screen = await term.screen();
    expect(screen).toMatch(/^token: cancelled$/m);
    expect(screen).not.toContain('half-typed');
    expect(snapshot()).toEqual(before);
    expect(sb.requests).toHaveLength(0);
  });

  it('Ctrl-C while waiting for the browser exits 130, erases the spinner and stores nothing', async () => {
    term = await runInTerminal(['login', 'prism', ...prismFlags(), '--no-browser'], { env: withSecret() });
    await term.waitFor(SPINNER);
    await term.type('http://half-pasted');
    await term.press('C-c');
    expect(await term.exitCode()).toBe(130);
    const screen = await term.screen();
    expect(screen).toMatch(/^token: cancelled\nEXIT=130$/m);
    expect(screen).not.toMatch(SPINNER);
    expect(screen).not.toContain('half-pasted');
    expect(cfg.names()).toEqual([]);
    expect(cfg.exists('config.json')).toBe(false);
    expect(sb.requests).toHaveLength(0);
  });
});

describe.skipIf(skip)('without a terminal', () => {
  it('stderr gets plain lines: no spinner, no escape codes, no paste offer', async () => {
    const r = await loginPrism(sb, cfg.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(/[\x1b\r⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
    expect(r.stderr.split('\n')).toEqual([
      'Open this URL to sign in to PRISM:',
      expect.stringMatching(/^ {2}http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?response_type=code&/),
      expect.stringMatching(/^Waiting for the redirect to http:\/\/127\.0\.0\.1:\d+\/callback$/),
      expect.stringMatching(/^✓ Logged in to PRISM as profile prism /),
      '',
    ]);
  });
});

function spinners(screen: string): number {
  return screen.match(new RegExp(SPINNER.source, 'g'))?.length ?? 0;
}

/** "1m 59s left" → 119. */
function secondsLeft(m: RegExpMatchArray): number {
  return Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0);
}
