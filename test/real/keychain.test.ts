// The OS keychain for real: keytar against a private gnome-keyring on its own D-Bus
// (test/helpers/keyring.ts), checked from outside with secret-tool; and the fallback
// when the Secret Service is absent or hangs (SPEC "Profiles and storage").
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLIENTS, startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { killAgents } from '../helpers/agents.js';
import { runCli, tempConfig, type RunOptions, type RunResult, type TempConfig } from '../helpers/cli.js';
import { absentBus, keyringMissing, startHangingBus, startKeyring, type HangingBus, type Keyring } from '../helpers/keyring.js';
import { loginBp, loginPrism } from '../helpers/logins.js';

const skip = keyringMissing();
/** The keychain timeout is 3 s (SPEC); a CLI that needs far longer is hanging. */
const HANG_LIMIT_MS = 15_000;
const KINDS = ['client_secret', 'refresh_token', 'access_token'] as const;

let sb: Sandbox;
let kr: Keyring;
let cfg: TempConfig;

/** The CLI environment with the private keyring's bus and the given TOKEN_STORE. */
const withBus = (bus: string, store: string): NodeJS.ProcessEnv => ({ ...cfg.env, DBUS_SESSION_BUS_ADDRESS: bus, TOKEN_STORE: store });
const keychainEnv = () => withBus(kr.bus, 'keychain');

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
function expectInNoFile(secrets: string[]): void {
  const files = filesUnder(cfg.dir);
  expect(files).toContain(join(cfg.env.TOKEN_CONFIG_DIR!, 'profiles.json'));
  for (const file of files) {
    const bytes = readFileSync(file);
    for (const secret of secrets) expect(bytes.includes(Buffer.from(secret)), `${secret.slice(0, 8)}… found in ${file}`).toBe(false);
  }
}

async function entriesOf(profile: string): Promise<Record<string, string | undefined>> {
  const out: Record<string, string | undefined> = {};
  for (const kind of KINDS) out[kind] = await kr.lookup(`${profile}:${kind}`);
  return out;
}

/** Once a CLI has exited, nothing of it may still hold a connection to the bus. */
async function expectNoOpenConnections(bus: HangingBus): Promise<void> {
  const until = Date.now() + 2_000;
  while (bus.open() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  expect(bus.open()).toBe(0);
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
    killAgents(cfg.dir); // the keychain agents this test's commands started
    cfg.cleanup();
    await kr.clear();
  });

  describe('TOKEN_STORE=keychain', () => {
    it('stores the client secret, refresh token and access token of a prism login as three entries, and no secret in any file', async () => {
      const r = await loginPrism(sb, keychainEnv());
      expect(r.stderr).toContain('secrets in the OS keychain');
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('');

      expect(await kr.accounts()).toEqual(['prism:access_token', 'prism:client_secret', 'prism:refresh_token']);
      const e = await entriesOf('prism');
      expect(e.client_secret).toBe(CLIENTS.prism.clientSecret);
      expect(e.refresh_token).toMatch(/^rt-prism-/);
      expect(sb.state.refreshGrant(e.refresh_token!)).toBeDefined();
      expect(e.access_token).toMatch(/^at-prism-/);
      expect(sb.state.accessGrant(e.access_token!, 'prism')).toBeDefined();

      expect(cfg.read('profiles.json').profiles.prism.store).toBe('keychain');
      expect(cfg.exists('credentials.json')).toBe(false);
      expectInNoFile([e.client_secret!, e.refresh_token!, e.access_token!]);
    });

    it('stores a brightpattern login’s client secret and access token, and no refresh token entry', async () => {
      const r = await loginBp(sb, keychainEnv(), ['-p', 'bp-kc']);
      expect(r.code).toBe(0);
      expect(await kr.accounts()).toEqual(['bp-kc:access_token', 'bp-kc:client_secret']);
      const e = await entriesOf('bp-kc');
      expect(e.client_secret).toBe(CLIENTS.brightpattern.clientSecret);
      expect(e.access_token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(e.refresh_token).toBeUndefined();
      expect(cfg.read('profiles.json').profiles['bp-kc'].store).toBe('keychain');
      expect(cfg.exists('credentials.json')).toBe(false);
      expectInNoFile([e.client_secret!, e.access_token!]);
    });

    it('show --raw reads the token back, refresh rewrites the entries with a rotated refresh token, logout removes all three', async () => {
      expect((await loginPrism(sb, keychainEnv())).code).toBe(0);
      const first = await entriesOf('prism');

      const show = await cli(['show', '--raw'], keychainEnv());
      expect(show.code).toBe(0);
      expect(show.stderr).toBe('');
      expect(show.stdout).toBe(`${first.access_token}\n`);
      // show --raw reads the access token alone; the summary also asks for the refresh token.
      expect(JSON.parse((await cli(['show', '--json'], keychainEnv())).stdout)).toMatchObject({ access_token: first.access_token, has_refresh_token: true, store: 'keychain' });
      // Reads go to the store the profile recorded, whatever TOKEN_STORE says now.
      expect((await cli(['show', '--raw'], withBus(kr.bus, 'file'))).stdout).toBe(`${first.access_token}\n`);
      expect(cfg.exists('credentials.json')).toBe(false);

      sb.requests.length = 0;
      const refresh = await cli(['refresh'], keychainEnv());
      expect(refresh.code).toBe(0);
      expect(sb.requests.map((q) => [q.endpoint, q.query.grant_type, q.query.refresh_token])).toEqual([['prism-token', 'refresh_token', first.refresh_token]]);
      const second = await entriesOf('prism');
      expect(second.access_token).toMatch(/^at-prism-/);
      expect(second.access_token).not.toBe(first.access_token);
      expect(second.refresh_token).toMatch(/^rt-prism-/);
      expect(second.refresh_token).not.toBe(first.refresh_token);
      expect(sb.state.refreshGrant(first.refresh_token!)).toBeUndefined();
      expect(sb.state.refreshGrant(second.refresh_token!)).toBeDefined();
      expect(second.client_secret).toBe(CLIENTS.prism.clientSecret);
      expect((await cli(['show', '--raw'], keychainEnv())).stdout).toBe(`${second.access_token}\n`);
      expectInNoFile([second.client_secret!, second.refresh_token!, second.access_token!, first.refresh_token!, first.access_token!]);

      const logout = await cli(['logout'], keychainEnv());
      expect(logout.code).toBe(0);
      expect(await entriesOf('prism')).toEqual({ client_secret: undefined, refresh_token: undefined, access_token: undefined });
      expect(await kr.accounts()).toEqual([]);
      expect(cfg.read('profiles.json').profiles).toEqual({});
    });

    // The agent link uses Node's pipe handle through process.binding, which warns under
    // --pending-deprecation (and throws the warning with --throw-deprecation); there the
    // client takes net.Socket and says nothing.
    it.each([
      ['NODE_OPTIONS=--pending_deprecation --throw-deprecation', { NODE_OPTIONS: '--pending_deprecation --throw-deprecation' }],
      ['NODE_PENDING_DEPRECATION=1', { NODE_PENDING_DEPRECATION: '1' }],
    ])('with %s, login, show --raw and logout work with no warning', async (_, extra) => {
      const env = { ...keychainEnv(), ...extra };
      const login = await loginBp(sb, env);
      expect([login.code, login.stderr.includes('Deprecation')]).toEqual([0, false]);
      const token = await kr.lookup('brightpattern:access_token');
      expect(await cli(['show', '--raw'], env)).toMatchObject({ code: 0, stdout: `${token}\n`, stderr: '' });
      const logout = await cli(['logout'], env);
      expect([logout.code, logout.stderr]).toEqual([0, 'Logged out of brightpattern\n']);
      expect(await kr.accounts()).toEqual([]);
    });
  });

  describe('no Secret Service on the bus', () => {
    let nobus: ReturnType<typeof absentBus>;
    beforeAll(() => (nobus = absentBus()));
    afterAll(() => nobus.close());

    it('TOKEN_STORE=auto falls back to credentials.json with exactly one warning naming it', async () => {
      const r = await loginBp(sb, withBus(nobus.bus, 'auto'));
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('');
      const credentials = join(cfg.env.TOKEN_CONFIG_DIR!, 'credentials.json');
      const warnings = r.stderr.split('\n').filter((l) => /warning/i.test(l));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^token: warning: the OS keychain is not available: .+; secrets stored in (\S+) \(mode 0600\)$/);
      expect(warnings[0]).toContain(credentials);
      expect(r.stderr.split('\n').filter((l) => l.startsWith('token:'))).toEqual(warnings);
      expect(cfg.read('profiles.json').profiles.brightpattern.store).toBe('file');
      expect(cfg.read('credentials.json').secrets['brightpattern:client_secret']).toBe(CLIENTS.brightpattern.clientSecret);
      expect((await cli(['show', '--raw'], withBus(nobus.bus, 'auto'))).code).toBe(0);
      expect(await kr.accounts()).toEqual([]);
    });

    it('TOKEN_STORE=keychain is exit 2 with one line naming the keychain and a hint, and stores nothing', async () => {
      const r = await loginBp(sb, withBus(nobus.bus, 'keychain'));
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^token: TOKEN_STORE=keychain but the OS keychain is not available: /);
      expect(lines[1]).toMatch(/TOKEN_STORE=file/);
      expect(sb.requests).toHaveLength(0);
      expect(cfg.exists('profiles.json')).toBe(false);
      expect(cfg.exists('credentials.json')).toBe(false);
    });
  });

  describe('a Secret Service that never answers (issue 5: the 3 s keychain timeout)', () => {
    let hang: HangingBus;
    beforeAll(async () => (hang = await startHangingBus()));
    afterAll(() => hang.close());

    it('TOKEN_STORE=auto gives up on it within the timeout and falls back to the file with one warning', async () => {
      const before = hang.accepted();
      const r = await cli(['login', 'bp', '--client-id', CLIENTS.brightpattern.clientId, '--tenant', CLIENTS.brightpattern.tenant, '--url', sb.bpUrl], {
        ...withBus(hang.bus, 'auto'),
        TOKEN_CLIENT_SECRET: CLIENTS.brightpattern.clientSecret,
      });
      expect(r.signal).toBeNull();
      expect(r.ms).toBeLessThan(HANG_LIMIT_MS);
      expect(hang.accepted()).toBeGreaterThan(before);
      expect(r.code).toBe(0);
      const warnings = r.stderr.split('\n').filter((l) => l.startsWith('token:'));
      expect(warnings).toEqual([expect.stringMatching(/^token: warning: the OS keychain is not available: no answer from the keyring within 3 s .*; secrets stored in .*credentials\.json \(mode 0600\)$/)]);
      expect(warnings[0]).toContain(join(cfg.env.TOKEN_CONFIG_DIR!, 'credentials.json'));
      expect(cfg.read('profiles.json').profiles.brightpattern.store).toBe('file');
      await expectNoOpenConnections(hang);
    });

    it('TOKEN_STORE=keychain gives up on it within the timeout: exit 2 with the hint, nothing stored', async () => {
      const r = await cli(['login', 'bp', '--client-id', CLIENTS.brightpattern.clientId, '--tenant', CLIENTS.brightpattern.tenant, '--url', sb.bpUrl], {
        ...withBus(hang.bus, 'keychain'),
        TOKEN_CLIENT_SECRET: CLIENTS.brightpattern.clientSecret,
      });
      expect(r.signal).toBeNull();
      expect(r.ms).toBeLessThan(HANG_LIMIT_MS);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^token: TOKEN_STORE=keychain but the OS keychain is not available: no answer from the keyring within 3 s/);
      expect(lines[1]).toMatch(/TOKEN_STORE=file/);
      expect(sb.requests).toHaveLength(0);
      expect(cfg.exists('profiles.json')).toBe(false);
      expect(cfg.exists('credentials.json')).toBe(false);
      await expectNoOpenConnections(hang);
    });

    it('show --raw and logout of a keychain profile fail cleanly with exit 2 and a hint, and change nothing', async () => {
      expect((await loginPrism(sb, keychainEnv())).code).toBe(0);
      const stored = await entriesOf('prism');
      const profiles = cfg.read('profiles.json');

      for (const args of [['show', '--raw'], ['logout']]) {
        const r = await cli(args, withBus(hang.bus, 'auto'));
        expect(r.signal, args.join(' ')).toBeNull();
        expect(r.ms).toBeLessThan(HANG_LIMIT_MS);
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
        expect(r.stdout).toBe('');
        const lines = r.stderr.trimEnd().split('\n');
        expect(lines).toHaveLength(2);
        expect(lines[0]).toMatch(/^token: the OS keychain is not available: no answer from the keyring within 3 s/);
        expect(lines[1]).toMatch(/keychain/i);
        expect(lines[1]).toMatch(/TOKEN_STORE=file/);
        await expectNoOpenConnections(hang);
      }

      expect(cfg.read('profiles.json')).toEqual(profiles);
      expect(await entriesOf('prism')).toEqual(stored);
      expect(cfg.exists('credentials.json')).toBe(false);
      // With the keyring back, the profile works as before.
      expect((await cli(['show', '--raw'], keychainEnv())).stdout).toBe(`${stored.access_token}\n`);
    });
  });
});

if (skip) it.skip(skip, () => {});
