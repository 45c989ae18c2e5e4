// Single-flight refresh across processes (SPEC "Locks"): many `token` processes at once
// send one refresh, a stopped lock holder is never broken, a killed one is taken over at
// once, the processes queued behind a failed refresh fail the same way, and invalid_grant
// marks the refresh token dead.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CLIENTS, startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { BIN, runCli, tempConfig, type RunResult, type TempConfig } from '../helpers/cli.js';
import { copyLogin, loginPrism, loginPrismInProcess } from '../helpers/logins.js';
import { runFresh } from '../helpers/fake-deps.js';

let sb: Sandbox;
let cfg: TempConfig;
/** The sandbox behind a pass-through front, so a test can act on a request before it is answered. */
let front: Front;
let beforeForward: (url: URL) => Promise<void>;
let logins: TempConfig;
beforeAll(async () => {
  sb = await startSandbox();
  front = await startFront(sb.url, (url) => beforeForward(url));
  logins = tempConfig();
  beforeForward = async () => undefined;
  const r = await loginPrism({ ...sb, prismServiceUrl: front.url }, logins.env);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(async () => {
  logins.cleanup();
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
const refreshes = () =>
  sb.requests.filter((r) => r.endpoint === 'prism-token' && r.query.grant_type === 'refresh_token');
const file = (name: string) => join(cfg.env.TOKEN_CONFIG_DIR!, name);
const accessToken = (name = 'prism') => cfg.secret(name, 'access_token');
const refreshToken = (name = 'prism') => cfg.secret(name, 'refresh_token');

/**
 * A prism profile (through the front) whose stored token has expired, so the next use
 * refreshes it. The profile `prism` is a copy of one real login, with a token pair of its own.
 */
async function loginExpiring(name = 'prism'): Promise<void> {
  if (name === 'prism') {
    copyLogin(sb, logins, cfg);
  } else {
    const r = await loginPrismInProcess({ ...sb, prismServiceUrl: front.url }, cfg.env, ['-p', name]);
    expect(r.code, r.stderr).toBe(0);
  }
  expire(name);
  sb.requests.length = 0;
}

function expire(name: string): void {
  const p = cfg.profile(name);
  p.token.expiresAt = Date.now() - 1000;
  cfg.writeProfile(name, p);
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
  it('50 concurrent `show --raw` on an expired token, started with no gate, send one refresh and all print the stored token', async () => {
    await loginExpiring();
    const old = accessToken();
    const results = await Promise.all(
      Array.from({ length: 50 }, () => runCli(['show', '--raw'], { env: cfg.env, timeoutMs: 55_000 })),
    );
    for (const r of results) expect([r.code, r.stderr]).toEqual([0, '']);
    expect(refreshes()).toHaveLength(1);
    const stored = accessToken();
    expect(stored).not.toBe(old);
    expect(new Set(results.map((r) => r.stdout))).toEqual(new Set([`${stored}\n`]));
  });

  it('50 concurrent `refresh` send one refresh and leave one new token stored', async () => {
    await loginExpiring();
    const [at, rt] = [accessToken(), refreshToken()];
    const results = await runAtOnce(50, ['refresh']);
    for (const r of results) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^Refreshed profile prism \(valid for (1h|59m \d+s)\)\n$/);
    }
    expect(refreshes()).toHaveLength(1);
    expect(refreshes()[0]!.query.refresh_token).toBe(rt);
    expect(accessToken()).not.toBe(at);
    expect(refreshToken()).not.toBe(rt);
    expect(sb.state.refreshGrant(refreshToken()!)).toBeDefined();
    expect((await runFresh(['show', '--raw'], cfg.env)).stdout).toBe(`${accessToken()}\n`);
    expect(refreshes()).toHaveLength(1);
  });

  it('8 concurrent `show --raw` behind a token endpoint that hangs send one request and all fail the same way (exit 4)', async () => {
    await loginExpiring();
    sb.failNext('prism-token', { hang: true });
    const env = { ...cfg.env, TOKEN_HTTP_TIMEOUT: '2' };
    const results = await Promise.all(
      Array.from({ length: 8 }, () => runCli(['show', '--raw'], { env, timeoutMs: 55_000 })),
    );
    expect(refreshes()).toHaveLength(1);
    for (const r of results) expect([r.code, r.stdout]).toEqual([4, '']);
    expect(new Set(results.map((r) => r.stderr)).size).toBe(1);
    expect(results[0]!.stderr).toMatch(/^token: .*(no answer|timed out)/i);
    // A later command is not held to that failure: it sends its own request.
    const later = await runFresh(['show', '--raw'], cfg.env);
    expect(later.code, later.stderr).toBe(0);
    expect(refreshes()).toHaveLength(2);
  });
});

describe('lock holders', () => {
  it('a holder stopped (SIGSTOP) for 10 s is never broken: after SIGCONT one request was sent for its profile, no rotated token is lost, nor another profile', async () => {
    await loginExpiring('x');
    await loginExpiring('y');
    const [rtX, rtY] = [refreshToken('x'), refreshToken('y')];
    sb.requests.length = 0;
    // The first refresh of x reaches the server, which answers; its process is stopped before reading the answer.
    let stopHolder!: () => void;
    const holderStopped = new Promise<void>((resolve) => (stopHolder = resolve));
    let first = true;
    beforeForward = async (url) => {
      if (isRefresh(url) && first) {
        first = false;
        stopHolder();
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const holder = spawn(process.execPath, [BIN, 'refresh', '-p', 'x'], {
      env: cfg.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const holderDone = new Promise<number | null>((resolve) => holder.on('close', (code) => resolve(code)));
    await holderStopped;
    holder.kill('SIGSTOP');
    try {
      const stoppedAt = Date.now();
      // Meanwhile: others want x (they wait), y is refreshed and a new profile z is logged in.
      const waiters = Array.from({ length: 3 }, () =>
        runCli(['show', '--raw', '-p', 'x'], { env: { ...cfg.env, TOKEN_LOCK_TIMEOUT: '60' }, timeoutMs: 55_000 }),
      );
      const y = await runCli(['refresh', '-p', 'y'], { env: cfg.env });
      expect(y.code, y.stderr).toBe(0);
      const z = await loginPrism({ ...sb, prismServiceUrl: front.url }, cfg.env, ['-p', 'z']);
      expect(z.code, z.stderr).toBe(0);
      await new Promise((r) => setTimeout(r, Math.max(0, 10_000 - (Date.now() - stoppedAt))));
      holder.kill('SIGCONT');
      expect(await holderDone).toBe(0);
      const results = await Promise.all(waiters);
      for (const r of results) expect([r.code, r.stdout, r.stderr]).toEqual([0, `${accessToken('x')}\n`, '']);
    } finally {
      holder.kill('SIGCONT');
    }
    // Exactly one refresh for x (with its first refresh token) and one for y: nobody broke x's lock.
    expect(
      refreshes()
        .map((q) => q.query.refresh_token)
        .sort(),
    ).toEqual([rtX, rtY].sort());
    for (const name of ['x', 'y', 'z']) expect(sb.state.refreshGrant(refreshToken(name)!), name).toBeDefined();
    const after = await Promise.all(
      ['x', 'y', 'z'].map(async (name) => [name, await runFresh(['refresh', '-p', name], cfg.env)] as const),
    );
    for (const [name, r] of after) expect(r.code, `${name}: ${r.stderr}`).toBe(0);
    expect(cfg.names()).toEqual(['x', 'y', 'z']);
  });

  it('a SIGKILLed holder’s lock is taken over at once, and the waiter refreshes', async () => {
    await loginExpiring();
    sb.failNext('prism-token', { hang: true });
    const holder = spawn(process.execPath, [BIN, 'refresh'], { env: cfg.env, stdio: 'ignore' });
    const exited = new Promise((resolve) => holder.once('exit', (_code, signal) => resolve(signal)));
    await until(() => refreshes().length === 1, 10_000);
    holder.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const started = Date.now();
    const r = await runCli(['show', '--raw'], { env: cfg.env, timeoutMs: 20_000 });
    const waited = Date.now() - started;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${accessToken()}\n`);
    expect(refreshes()).toHaveLength(2);
    // No staleness to wait out: a start-up and one refresh (the SPEC allows 1 s for the takeover).
    expect(waited).toBeLessThan(3_000);
  });

  it('a waiter gives up after TOKEN_LOCK_TIMEOUT with exit 4 naming the holder’s pid', async () => {
    await loginExpiring();
    sb.failNext('prism-token', { hang: true });
    const holder = spawn(process.execPath, [BIN, 'refresh'], { env: cfg.env, stdio: 'ignore' });
    try {
      await until(() => refreshes().length === 1, 10_000);
      const r = await runCli(['show', '--raw'], { env: { ...cfg.env, TOKEN_LOCK_TIMEOUT: '1' } });
      expect([r.code, r.stdout]).toEqual([4, '']);
      expect(r.stderr).toMatch(
        new RegExp(`^token: timed out after 1 s waiting for the lock on profile-prism, held by pid ${holder.pid}\n`),
      );
    } finally {
      holder.kill('SIGKILL');
    }
  });
});

describe('invalid_grant', () => {
  it('after another process rotated the token meanwhile, re-reads the store and uses its token', async () => {
    // "Another process" that rotates without our lock: when our refresh reaches the
    // server, it has already redeemed the same refresh token and stored the new pair.
    let rotated: { access_token: string; refresh_token: string } | undefined;
    await loginExpiring();
    beforeForward = async (url) => {
      if (!isRefresh(url) || rotated) return;
      const res = await fetch(`${sb.url}${url.pathname}${url.search}`, {
        headers: { 'x-prism-client-id': CLIENTS.prism.clientId, 'x-prism-client-secret': CLIENTS.prism.clientSecret },
      });
      rotated = (await res.json()) as typeof rotated;
      storeAsAnotherProcess(rotated!);
    };
    const r = await runFresh(['show', '--raw'], cfg.env);
    expect([r.code, r.stderr, r.stdout]).toEqual([0, '', `${rotated!.access_token}\n`]);
    expect(refreshes().map((q) => q.status)).toEqual([200, 400]);
    expect([accessToken(), refreshToken()]).toEqual([rotated!.access_token, rotated!.refresh_token]);
    expect(cfg.profile('prism').refreshRefused).toBeUndefined();
  });

  it.each([
    ['refresh', ['refresh']],
    ['show --raw', ['show', '--raw']],
  ])(
    'with no rotation meanwhile (%s): exit 3, the refresh token is marked dead and never sent again',
    async (_name, args) => {
      await loginExpiring();
      const rt = refreshToken()!;
      sb.state.retireRefreshToken(rt); // revoked server-side
      const r = await runFresh(args, cfg.env);
      expect([r.code, r.stdout]).toEqual([3, '']);
      expect(r.stderr).toBe(
        'token: PRISM refused: invalid_grant: the refresh token is invalid or expired\n' +
          'the login has expired or was revoked; run: token login -p prism --force\n',
      );
      expect(refreshes()).toHaveLength(1);
      expect(cfg.profile('prism').refreshRefused).toMatchObject({ error: 'invalid_grant' });
      expect(refreshToken()).toBe(rt); // nothing else changed

      // Never sent again: refresh is exit 3 at once, with the re-login hint.
      const again = await runFresh(['refresh'], cfg.env);
      expect([again.code, again.stdout]).toEqual([3, '']);
      expect(again.stderr).toMatch(
        /refused the refresh token of profile prism earlier \(invalid_grant\); it is not sent again\nrun: token login -p prism --force\n$/,
      );
      expect(refreshes()).toHaveLength(1);
    },
  );

  it('show gives out a not yet expired access token of a refused login with one warning line', async () => {
    expect((await loginPrismInProcess({ ...sb, prismServiceUrl: front.url }, cfg.env)).code).toBe(0);
    sb.state.retireRefreshToken(refreshToken()!);
    expect((await runFresh(['refresh'], cfg.env)).code).toBe(3);
    const r = await runFresh(['show', '--raw'], cfg.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${accessToken()}\n`);
    // Fresh: no warning needed; within the renewal margin it warns once.
    const p = cfg.profile('prism');
    p.token.expiresAt = Date.now() + 30_000;
    p.token.obtainedAt = Date.now() - 3_600_000;
    cfg.writeProfile('prism', p);
    const near = await runFresh(['show', '--raw'], cfg.env);
    expect(near.code).toBe(0);
    expect(near.stdout).toBe(`${accessToken()}\n`);
    expect(near.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^token: warning: PRISM refused the login of profile prism \(invalid_grant\)/),
    ]);
    expect(refreshes()).toHaveLength(1);
  });
});

/** Writes a token pair as another writer would: one atomic replacement of the profile file. */
function storeAsAnotherProcess(pair: { access_token: string; refresh_token: string }): void {
  const p = cfg.profile('prism');
  const now = Date.now();
  p.token = { accessToken: pair.access_token, tokenType: 'Bearer', expiresAt: now + 3600_000, obtainedAt: now };
  p.secrets.refreshToken = pair.refresh_token;
  writeFileSync(`${file('profiles/prism.json')}.other`, JSON.stringify(p, null, 2) + '\n', { mode: 0o600 });
  renameSync(`${file('profiles/prism.json')}.other`, file('profiles/prism.json'));
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
    const headers = Object.fromEntries(
      Object.entries(req.headers)
        .filter(([k]) => k !== 'host' && k !== 'connection')
        .map(([k, v]) => [k, String(v)]),
    );
    const upstream = await fetch(url, {
      method: req.method,
      headers,
      body: chunks.length ? Buffer.concat(chunks) : undefined,
      redirect: 'manual',
    });
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
