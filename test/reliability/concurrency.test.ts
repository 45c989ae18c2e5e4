// Single-flight refresh across processes (SPEC "Profiles and storage"): many `token`
// processes at once send one refresh, a killed lock holder goes stale, and an
// invalid_grant re-reads before it gives up.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CLIENTS, startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { BIN, runCli, tempConfig, type RunResult, type TempConfig } from '../helpers/cli.js';
import { loginPrism } from '../helpers/logins.js';

let sb: Sandbox;
let cfg: TempConfig;
/** The sandbox behind a pass-through front, so a test can act on a request before it is answered. */
let front: Front;
let beforeForward: (url: URL) => Promise<void>;
beforeAll(async () => {
  sb = await startSandbox();
  front = await startFront(sb.url, (url) => beforeForward(url));
});
afterAll(async () => {
  await front.close();
  await sb.close();
});
beforeEach(() => {
  cfg = tempConfig();
  sb.state.config.accessTokenTtl = 3600;
  sb.requests.length = 0;
  beforeForward = async () => undefined;
});
afterEach(() => cfg.cleanup());

const isRefresh = (url: URL) => url.searchParams.get('grant_type') === 'refresh_token';
const refreshes = () => sb.requests.filter((r) => r.endpoint === 'prism-token' && r.query.grant_type === 'refresh_token');
const file = (name: string) => join(cfg.env.TOKEN_CONFIG_DIR!, name);
const storedSecrets = () => cfg.read('credentials.json').secrets as Record<string, string>;

/** A prism profile (through the front) whose stored token has expired, so the next use refreshes it. */
async function loginExpiring(): Promise<void> {
  const r = await loginPrism({ ...sb, prismServiceUrl: front.url }, cfg.env);
  expect(r.code, r.stderr).toBe(0);
  const settings = JSON.parse(readFileSync(file('profiles.json'), 'utf8'));
  settings.profiles.prism.token.expiresAt = Date.now() - 1000;
  writeFileSync(file('profiles.json'), JSON.stringify(settings, null, 2));
  sb.requests.length = 0;
}

/**
 * Starts n processes at once. Spawning 50 takes a while on a small machine, so the
 * server holds the refresh request until the last one has started: "at once" then
 * holds however slow the machine is.
 */
async function runAtOnce(n: number, args: string[]): Promise<RunResult[]> {
  let open!: () => void;
  const allStarted = new Promise<void>((resolve) => (open = resolve));
  beforeForward = async (url) => {
    if (isRefresh(url)) await allStarted;
  };
  const running = Array.from({ length: n }, () => runCli(args, { env: cfg.env, timeoutMs: 55_000 })); // spawn() has exec'd each
  setTimeout(open, 100);
  return Promise.all(running);
}

describe('single-flight refresh', () => {
  it('50 concurrent `show --raw` send one refresh and all print the newly stored token', async () => {
    await loginExpiring();
    const old = storedSecrets()['prism:access_token'];
    const results = await runAtOnce(50, ['show', '--raw']);
    for (const r of results) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
    }
    expect(refreshes()).toHaveLength(1);
    const stored = storedSecrets()['prism:access_token'];
    expect(stored).not.toBe(old);
    expect(new Set(results.map((r) => r.stdout))).toEqual(new Set([`${stored}\n`]));
  });

  it('50 concurrent `refresh` send one refresh and leave one new token stored', async () => {
    await loginExpiring();
    const before = storedSecrets();
    const results = await runAtOnce(50, ['refresh']);
    for (const r of results) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^Refreshed profile prism \(valid for (1h|59m \d+s)\)\n$/);
    }
    expect(refreshes()).toHaveLength(1);
    expect(refreshes()[0]!.query.refresh_token).toBe(before['prism:refresh_token']);
    const after = storedSecrets();
    expect(after['prism:access_token']).not.toBe(before['prism:access_token']);
    expect(after['prism:refresh_token']).not.toBe(before['prism:refresh_token']);
    const shown = await runCli(['show', '--raw'], { env: cfg.env });
    expect(shown.stdout).toBe(`${after['prism:access_token']}\n`);
    expect(refreshes()).toHaveLength(1);
  });
});

describe('a killed lock holder', () => {
  it('blocks a later `show --raw` only until the lock goes stale', async () => {
    await loginExpiring();
    sb.failNext('prism-token', { hang: true });
    const holder = spawn(process.execPath, [BIN, 'refresh'], { env: cfg.env, stdio: 'ignore' });
    const exited = new Promise((resolve) => holder.once('exit', (_code, signal) => resolve(signal)));
    const lock = file(join('locks', 'refresh-prism.lock'));
    await until(() => existsSync(lock) && refreshes().length === 1, 10_000);
    holder.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(existsSync(lock)).toBe(true);

    const started = Date.now();
    const r = await runCli(['show', '--raw'], { env: cfg.env, timeoutMs: 20_000 });
    const waited = Date.now() - started;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${storedSecrets()['prism:access_token']}\n`);
    expect(refreshes()).toHaveLength(2);
    // It did wait for the dead holder's lock (stale after 5 s), but not much longer.
    expect(waited).toBeGreaterThan(2_000);
    expect(waited).toBeLessThan(10_000);
  });
});

describe('invalid_grant', () => {
  it('after another process rotated the token meanwhile, re-reads the store and uses its token', async () => {
    // "Another process" that rotates without our lock (a compromised lock, an older
    // token): when our refresh reaches the server, it has already redeemed the same
    // refresh token and stored the new pair, so ours gets invalid_grant.
    let rotated: { access_token: string; refresh_token: string } | undefined;
    await loginExpiring();
    beforeForward = async (url) => {
      if (!isRefresh(url) || rotated) return;
      const res = await fetch(`${sb.url}${url.pathname}${url.search}`, { headers: { 'x-prism-client-id': CLIENTS.prism.clientId, 'x-prism-client-secret': CLIENTS.prism.clientSecret } });
      rotated = (await res.json()) as typeof rotated;
      storeAsAnotherProcess(rotated!);
    };
    const r = await runCli(['show', '--raw'], { env: cfg.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${rotated!.access_token}\n`);
    expect(refreshes().map((q) => q.status)).toEqual([200, 400]);
    expect(storedSecrets()).toMatchObject({ 'prism:access_token': rotated!.access_token, 'prism:refresh_token': rotated!.refresh_token });
  });

  it.each([
    ['refresh', ['refresh']],
    ['show --raw', ['show', '--raw']],
  ])('with no rotation meanwhile (%s) is exit 3 with a hint to log in, and the store stays byte-identical', async (_name, args) => {
    await loginExpiring();
    const rt = storedSecrets()['prism:refresh_token']!;
    sb.state.retireRefreshToken(rt); // revoked server-side
    const before = snapshot();
    const r = await runCli(args, { env: cfg.env });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('token: PRISM refused: invalid_grant: the refresh token is invalid or expired\n' + 'the login has expired or was revoked; run: token login -p prism --force\n');
    expect(refreshes()).toHaveLength(1);
    expect(snapshot()).toEqual(before);
  });
});

/** profiles.json and credentials.json, byte for byte. */
function snapshot(): Record<string, Buffer> {
  return Object.fromEntries(['profiles.json', 'credentials.json'].map((f) => [f, readFileSync(file(f))]));
}

/** Writes a token pair the way a token process persists one: secrets first, then the metadata. */
function storeAsAnotherProcess(pair: { access_token: string; refresh_token: string }): void {
  const creds = cfg.read('credentials.json');
  creds.secrets['prism:access_token'] = pair.access_token;
  creds.secrets['prism:refresh_token'] = pair.refresh_token;
  replaceFile('credentials.json', creds);
  const settings = cfg.read('profiles.json');
  const now = Date.now();
  settings.profiles.prism.token = { tokenType: 'Bearer', expiresAt: now + 3600_000, obtainedAt: now };
  replaceFile('profiles.json', settings);
}

function replaceFile(name: string, value: unknown): void {
  writeFileSync(`${file(name)}.other`, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 });
  renameSync(`${file(name)}.other`, file(name));
}

interface Front {
  url: string;
  close(): Promise<void>;
}

/** A pass-through front for the sandbox that runs `before` ahead of each request it forwards. */
async function startFront(target: string, before: (url: URL) => Promise<void>): Promise<Front> {
  const forward = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', target);
    await before(url);
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'connection').map(([k, v]) => [k, String(v)]));
    const upstream = await fetch(url, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined, redirect: 'manual' });
    res.writeHead(upstream.status, Object.fromEntries(upstream.headers));
    res.end(Buffer.from(await upstream.arrayBuffer()));
  };
  const server = createServer((req, res) => {
    res.on('error', () => undefined);
    // A killed client, or the sandbox dropping a request it was told to hang.
    forward(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { url: `http://127.0.0.1:${port}`, close };
}

async function until(ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((r) => setTimeout(r, 10));
  }
}
