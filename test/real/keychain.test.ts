// The OS keychain for real: keytar against a private gnome-keyring on its own D-Bus
// (test/helpers/keyring.ts), checked from outside with secret-tool; the fallback when the
// Secret Service is absent or hangs; two config dirs sharing one keyring; a frozen helper
// (SPEC "Profiles and storage (version 2)").
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLIENTS, startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { BIN, runCli, tempConfig, type RunOptions, type RunResult, type TempConfig } from '../helpers/cli.js';
import {
  absentBus,
  keyringMissing,
  startHangingBus,
  startKeyring,
  type HangingBus,
  type Keyring,
} from '../helpers/keyring.js';
import { loginBp, loginPrism } from '../helpers/logins.js';
import { writeV1 } from '../helpers/v1.js';

const skip = keyringMissing();
/** The keychain timeout is 3 s (SPEC); a CLI that needs far longer is hanging. */
const HANG_LIMIT_MS = 15_000;

let sb: Sandbox;
let kr: Keyring;
let cfg: TempConfig;

/** The CLI environment with the private keyring's bus and the given TOKEN_STORE. */
const withBus = (bus: string, store: string, c: TempConfig = cfg): NodeJS.ProcessEnv => ({
  ...c.env,
  DBUS_SESSION_BUS_ADDRESS: bus,
  TOKEN_STORE: store,
});
const keychainEnv = (c: TempConfig = cfg) => withBus(kr.bus, 'keychain', c);

async function cli(args: string[], env: NodeJS.ProcessEnv, opts: RunOptions = {}): Promise<RunResult & { ms: number }> {
  const started = Date.now();
  const r = await runCli(args, { env, timeoutMs: 30_000, ...opts });
  return { ...r, ms: Date.now() - started };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
}

/** Fails naming the file when any secret's bytes appear in any file under the temp HOME (config dir included). */
function expectInNoFile(secrets: string[], c: TempConfig = cfg): void {
  const files = filesUnder(c.dir);
  expect(files.some((f) => f.endsWith('config.json'))).toBe(true);
  for (const file of files) {
    const bytes = readFileSync(file);
    for (const secret of secrets)
      expect(bytes.includes(Buffer.from(secret)), `${secret.slice(0, 8)}… found in ${file}`).toBe(false);
  }
}

/** The keychain entry of a profile (account `<storeId>/<profile>`), parsed. */
async function entryOf(
  name: string,
  c: TempConfig = cfg,
): Promise<{ origin: string; clientId: string; clientSecret: string; refreshToken?: string } | undefined> {
  const raw = await kr.lookup(`${c.config().storeId}/${name}`);
  return raw === undefined ? undefined : JSON.parse(raw);
}

/** Once a CLI has exited, nothing of it may still hold a connection to the bus. */
async function expectNoOpenConnections(bus: HangingBus): Promise<void> {
  const until = Date.now() + 2_000;
  while (bus.open() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  expect(bus.open()).toBe(0);
}

/** The running keychain helpers by parent pid, from one pass over /proc. */
function helpersByParent(): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('keychain-helper'))
        out.set(ppid, [...(out.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Pids of the keychain helpers that are children of pid. */
function helpersOf(pid: number): number[] {
  return helpersByParent().get(pid) ?? [];
}

describe.skipIf(!!skip)('the OS keychain (a private gnome-keyring on its own D-Bus)', () => {
  beforeAll(async () => {
    sb = await startSandbox();
    kr = await startKeyring();
  });
  afterAll(async () => {
    await kr?.close();
    await sb?.close();
  });
  beforeEach(() => {
    cfg = tempConfig();
    sb.requests.length = 0;
  });
  afterEach(async () => {
    cfg.cleanup();
    await kr.clear();
  });

  describe('TOKEN_STORE=keychain', () => {
    it('keeps a prism login’s client secret and refresh token in ONE entry bound to the token endpoint, the access token in the 0600 profile file', async () => {
      const r = await loginPrism(sb, keychainEnv());
      expect(r.stderr).toContain('secrets in the OS keychain');
      expect([r.code, r.stdout]).toEqual([0, '']);

      const storeId = cfg.config().storeId;
      expect(storeId).toMatch(/^[0-9a-f]{32}$/);
      expect(await kr.accounts()).toEqual([`${storeId}/prism`]);
      const e = (await entryOf('prism'))!;
      expect(e).toEqual({
        origin: sb.url,
        clientId: CLIENTS.prism.clientId,
        clientSecret: CLIENTS.prism.clientSecret,
        refreshToken: expect.stringMatching(/^rt-prism-/),
      });
      expect(sb.state.refreshGrant(e.refreshToken!)).toBeDefined();

      const profile = cfg.profile('prism');
      expect(profile).toMatchObject({
        store: 'keychain',
        hasRefreshToken: true,
        token: { accessToken: expect.stringMatching(/^at-prism-/) },
      });
      expect(profile.secrets).toBeUndefined();
      expectInNoFile([e.clientSecret, e.refreshToken!]);
    });

    it('a brightpattern login’s entry has no refresh token', async () => {
      expect((await loginBp(sb, keychainEnv(), ['-p', 'bp-kc'])).code).toBe(0);
      expect(await entryOf('bp-kc')).toEqual({
        origin: sb.url,
        clientId: CLIENTS.brightpattern.clientId,
        clientSecret: CLIENTS.brightpattern.clientSecret,
      });
      expectInNoFile([CLIENTS.brightpattern.clientSecret]);
    });

    it('show --raw on a fresh token never calls the keychain; refresh rotates the entry’s refresh token; logout removes the entry', async () => {
      expect((await loginPrism(sb, keychainEnv())).code).toBe(0);
      const first = (await entryOf('prism'))!;
      const at1 = cfg.profile('prism').token.accessToken;

      // With no Secret Service at all, a fresh token is still given out: it is in the profile file.
      const nobus = absentBus();
      try {
        expect(await cli(['show', '--raw'], withBus(nobus.bus, 'keychain'))).toMatchObject({
          code: 0,
          stdout: `${at1}\n`,
          stderr: '',
        });
      } finally {
        nobus.close();
      }
      expect(JSON.parse((await cli(['show', '--json'], keychainEnv())).stdout)).toMatchObject({
        access_token: at1,
        has_refresh_token: true,
        store: 'keychain',
      });

      sb.requests.length = 0;
      const refresh = await cli(['refresh'], keychainEnv());
      expect(refresh.code).toBe(0);
      expect(
        sb.requests.map((q) => [
          q.endpoint,
          q.query.grant_type,
          q.query.refresh_token,
          q.headers['x-prism-client-secret'],
        ]),
      ).toEqual([['prism-token', 'refresh_token', first.refreshToken, CLIENTS.prism.clientSecret]]);
      const second = (await entryOf('prism'))!;
      expect(second.refreshToken).toMatch(/^rt-prism-/);
      expect(second.refreshToken).not.toBe(first.refreshToken);
      expect(sb.state.refreshGrant(second.refreshToken!)).toBeDefined();
      const at2 = cfg.profile('prism').token.accessToken;
      expect(at2).not.toBe(at1);
      expect((await cli(['show', '--raw'], keychainEnv())).stdout).toBe(`${at2}\n`);
      expectInNoFile([second.clientSecret, second.refreshToken!, first.refreshToken!]);

      expect((await cli(['logout'], keychainEnv())).code).toBe(0);
      expect(await kr.accounts()).toEqual([]);
      expect(cfg.names()).toEqual([]);
    });

    it('two config dirs with the same profile name keep apart: each shows its own token and sends its secrets only to its own server', async () => {
      const other = await startSandbox();
      const b = tempConfig();
      try {
        // A: a Bright Pattern "work" profile on sb; B: a PRISM "work" profile on `other`.
        expect((await loginBp(sb, keychainEnv(), ['-p', 'work'])).code).toBe(0);
        expect((await loginPrism(other, keychainEnv(b), ['-p', 'work'])).code).toBe(0);
        expect(cfg.config().storeId).not.toBe(b.config().storeId);
        expect(await kr.accounts()).toEqual([`${cfg.config().storeId}/work`, `${b.config().storeId}/work`].sort());

        const atA = cfg.profile('work').token.accessToken;
        const atB = b.profile('work').token.accessToken;
        expect((await cli(['show', '--raw', '-p', 'work'], keychainEnv())).stdout).toBe(`${atA}\n`);
        expect((await cli(['show', '--raw', '-p', 'work'], keychainEnv(b))).stdout).toBe(`${atB}\n`);

        sb.requests.length = 0;
        other.requests.length = 0;
        expect((await cli(['refresh', '-p', 'work'], keychainEnv())).code).toBe(0);
        expect((await cli(['refresh', '-p', 'work'], keychainEnv(b))).code).toBe(0);
        // Each server saw exactly its own client's secret, once.
        expect(sb.requests.map((q) => [q.endpoint, q.form?.client_secret])).toEqual([
          ['bp-token', CLIENTS.brightpattern.clientSecret],
        ]);
        expect(other.requests.map((q) => [q.endpoint, q.headers['x-prism-client-secret']])).toEqual([
          ['prism-token', CLIENTS.prism.clientSecret],
        ]);
        expect(JSON.stringify(sb.requests)).not.toContain(CLIENTS.prism.clientSecret);
        expect(JSON.stringify(other.requests)).not.toContain(CLIENTS.brightpattern.clientSecret);

        // Logging out of one leaves the other's entry alone.
        expect((await cli(['logout', '-p', 'work'], keychainEnv())).code).toBe(0);
        expect(await kr.accounts()).toEqual([`${b.config().storeId}/work`]);
        expect((await cli(['show', '--raw', '-p', 'work'], keychainEnv(b))).code).toBe(0);
      } finally {
        b.cleanup();
        await other.close();
      }
    });

    it('an entry bound to another server (a hand edit, an interrupted login) is exit 5 and nothing is sent', async () => {
      expect((await loginBp(sb, keychainEnv())).code).toBe(0);
      const p = cfg.profile('brightpattern');
      // The profile now points at another token endpoint than the one its secret was given for.
      cfg.writeProfile('brightpattern', { ...p, options: { ...p.options, url: 'http://127.0.0.2:9/bp' } });
      sb.requests.length = 0;
      const r = await cli(['refresh'], keychainEnv());
      expect(r.code).toBe(5);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(
        /^token: the stored secrets of profile brightpattern belong to http:\/\/127\.0\.0\.1:\d+ .*nothing was sent\nrun: token login -p brightpattern --force\n$/,
      );
      expect(sb.requests).toHaveLength(0);
    });
  });

  describe('no Secret Service on the bus', () => {
    let nobus: ReturnType<typeof absentBus>;
    beforeAll(() => (nobus = absentBus()));
    afterAll(() => nobus.close());

    it('TOKEN_STORE=auto falls back to the profile file with exactly one warning naming where and how to silence it', async () => {
      const r = await loginBp(sb, withBus(nobus.bus, 'auto'));
      expect([r.code, r.stdout]).toEqual([0, '']);
      const warnings = r.stderr.split('\n').filter((l) => /warning/i.test(l));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(
        /^token: warning: the OS keychain is not available: .+; secrets stored in \S+ \(mode 0600\)$/,
      );
      expect(r.stderr).toMatch(/TOKEN_STORE=file to keep secrets in a 0600 file and silence this\n/);
      expect(warnings[0]).toContain(join(cfg.env.TOKEN_CONFIG_DIR!, 'profiles'));
      expect(cfg.profile('brightpattern')).toMatchObject({
        store: 'file',
        secrets: { clientSecret: CLIENTS.brightpattern.clientSecret },
      });
      expect((await cli(['show', '--raw'], withBus(nobus.bus, 'auto'))).code).toBe(0);
      expect(await kr.accounts()).toEqual([]);
    });

    it('TOKEN_STORE=keychain is exit 2 with one line naming the keychain and a hint, and stores nothing', async () => {
      const r = await loginBp(sb, withBus(nobus.bus, 'keychain'));
      expect([r.code, r.stdout]).toEqual([2, '']);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^token: TOKEN_STORE=keychain but the OS keychain is not available: /);
      expect(lines[1]).toMatch(/TOKEN_STORE=file/);
      // Whatever the client-credentials request sent meanwhile got, its token is dropped.
      expect(cfg.names()).toEqual([]);
      expect(cfg.exists('config.json')).toBe(false);
    });
  });

  describe('a Secret Service that never answers (the 3 s keychain timeout)', () => {
    let hang: HangingBus;
    beforeAll(async () => (hang = await startHangingBus()));
    afterAll(() => hang.close());

    it('TOKEN_STORE=auto gives up on it within the timeout and falls back to the file with one warning', async () => {
      const before = hang.accepted();
      const r = await loginBp(sb, withBus(hang.bus, 'auto'));
      expect(r.signal).toBeNull();
      expect(hang.accepted()).toBeGreaterThan(before);
      expect(r.code).toBe(0);
      const warnings = r.stderr.split('\n').filter((l) => l.startsWith('token:'));
      expect(warnings).toEqual([
        expect.stringMatching(
          /^token: warning: the OS keychain is not available: no answer from the keyring within 3 s .*; secrets stored in /,
        ),
      ]);
      expect(cfg.profile('brightpattern').store).toBe('file');
      await expectNoOpenConnections(hang);
    });

    it('refresh and logout of a keychain profile fail cleanly (exit 2, hint) and change nothing; show --raw of its fresh token still works', async () => {
      expect((await loginPrism(sb, keychainEnv())).code).toBe(0);
      const stored = await entryOf('prism');
      const profile = cfg.text('profiles/prism.json');

      expect(await cli(['show', '--raw'], withBus(hang.bus, 'auto'))).toMatchObject({ code: 0, stderr: '' });
      for (const args of [['refresh'], ['logout']]) {
        const r = await cli(args, withBus(hang.bus, 'auto'));
        expect(r.signal, args.join(' ')).toBeNull();
        expect(r.ms).toBeLessThan(HANG_LIMIT_MS);
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
        expect(r.stdout).toBe('');
        const lines = r.stderr.trimEnd().split('\n');
        expect(lines).toHaveLength(2);
        expect(lines[0]).toMatch(/^token: the OS keychain is not available: no answer from the keyring within 3 s/);
        expect(lines[1]).toMatch(/TOKEN_STORE=file/);
        await expectNoOpenConnections(hang);
      }
      expect(cfg.text('profiles/prism.json')).toBe(profile);
      expect(await entryOf('prism')).toEqual(stored);
      expect((await cli(['refresh'], keychainEnv())).code).toBe(0);
    });
  });

  it('migrates a version 1 keychain dir: one entry per profile from its three, the old ones removed after, refresh works', async () => {
    const v1 = writeV1(cfg.env.TOKEN_CONFIG_DIR!, sb, { prism: 'prism', bp: 'work.bp' }, 'keychain');
    for (const [account, value] of Object.entries(v1.secrets)) await kr.store(account, value);
    expect((await kr.accounts()).length).toBe(5);
    const list = await cli(['list'], keychainEnv());
    expect(list.code, list.stderr).toBe(0);
    const storeId = cfg.config().storeId;
    expect(await kr.accounts()).toEqual([`${storeId}/prism`, `${storeId}/work.bp`]);
    expect(await entryOf('prism')).toEqual({
      origin: sb.url,
      clientId: CLIENTS.prism.clientId,
      clientSecret: CLIENTS.prism.clientSecret,
      refreshToken: v1.prism.refresh,
    });
    expect(cfg.profile('prism')).toMatchObject({ store: 'keychain', token: { accessToken: v1.prism.access } });
    expect(cfg.profile('prism').secrets).toBeUndefined();
    expect((await cli(['refresh', '-p', 'prism'], keychainEnv())).code).toBe(0);
    expect(sb.requests.map((q) => q.query.refresh_token)).toEqual([v1.prism.refresh]);
    expect((await cli(['refresh', '-p', 'work.bp'], keychainEnv())).code).toBe(0);
    expectInNoFile([CLIENTS.prism.clientSecret, v1.prism.refresh, CLIENTS.brightpattern.clientSecret]);
  });

  it('commands waiting behind a keychain refresh end their keychain helpers while they wait', async () => {
    expect((await loginPrism(sb, keychainEnv())).code).toBe(0);
    const p = cfg.profile('prism');
    p.token.expiresAt = Date.now() - 1000;
    cfg.writeProfile('prism', p);
    sb.requests.length = 0;
    sb.failNext('prism-token', { hang: true });
    const env = { ...keychainEnv(), TOKEN_HTTP_TIMEOUT: '60' };
    const holder = spawn(process.execPath, [BIN, 'refresh'], { env, stdio: 'ignore' });
    const held = new Promise((resolve) => holder.on('close', resolve));
    const done: Promise<number | null>[] = [];
    try {
      // Once its request is out, the holder has the lock; then the waiters start.
      for (let i = 0; i < 2000 && !sb.requests.some((r) => r.endpoint === 'prism-token'); i++)
        await new Promise((r) => setTimeout(r, 10));
      const waiters = Array.from({ length: 3 }, () =>
        spawn(process.execPath, [BIN, 'show', '--raw'], { env, stdio: 'ignore' }),
      );
      done.push(...waiters.map((w) => new Promise<number | null>((resolve) => w.on('close', resolve))));
      // Each waiter starts its helper, finds the lock held and ends the helper. On a loaded
      // machine a waiter may take seconds to start at all: "no helper now" counts once the
      // waiter has been seen with one; a helper ended too soon to be seen costs the 20 s wait.
      const seen = waiters.map(() => false);
      const started = Date.now();
      for (;;) {
        const helpers = helpersByParent();
        const now = waiters.map((w) => helpers.has(w.pid!));
        now.forEach((has, i) => (seen[i] ||= has));
        if ((seen.every(Boolean) && !now.some(Boolean)) || Date.now() - started > 20_000) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(waiters.every((w) => w.exitCode === null)).toBe(true);
      expect(waiters.map((w) => helpersOf(w.pid!))).toEqual([[], [], []]);
      expect(helpersOf(holder.pid!)).toHaveLength(1); // the holder's answered the read it needed
    } finally {
      holder.kill('SIGKILL');
      await held;
    }
    // The holder gone, one waiter refreshes (its own helper again) and the others use its token.
    expect(await Promise.all(done)).toEqual([0, 0, 0]);
    expect(sb.requests.filter((r) => r.endpoint === 'prism-token')).toHaveLength(2);
  });

  it('a frozen keychain helper (SIGSTOP) costs its command the 3 s timeout and never the next command', async () => {
    expect((await loginPrism(sb, keychainEnv())).code).toBe(0);
    const stopped: number[] = [];
    try {
      const started = Date.now();
      const child = spawn(process.execPath, [BIN, 'refresh'], {
        env: keychainEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      // Freeze its helper as soon as it exists.
      while (stopped.length === 0 && child.exitCode === null) {
        for (const pid of helpersOf(child.pid!)) {
          process.kill(pid, 'SIGSTOP');
          stopped.push(pid);
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      expect(stopped.length).toBeGreaterThan(0);
      const code = await exited;
      expect(Date.now() - started).toBeLessThan(HANG_LIMIT_MS);
      expect([code, stderr]).toEqual([
        2,
        expect.stringMatching(/^token: the OS keychain is not available: no answer from the keyring within 3 s/),
      ]);
      // The next command starts its own helper and works at once.
      const next = await cli(['refresh'], keychainEnv());
      expect(next.code).toBe(0);
      expect(next.ms).toBeLessThan(HANG_LIMIT_MS);
    } finally {
      for (const pid of stopped) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // killed by its command already
        }
      }
    }
  });
});

if (skip) it.skip(skip, () => {});
