// The keychain's state in words a user can act on (issue 20): `token --version -v` names
// the backend or why it is unavailable, and a login without a keychain warns once, in
// words, with the fix and how to silence it — against a real gnome-keyring on a private
// D-Bus, and against a bus address with nothing behind it.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { runCli, tempConfig, type TempConfig } from '../helpers/cli.js';
import { absentBus, keyringMissing, startKeyring, type Keyring } from '../helpers/keyring.js';
import { loginBp } from '../helpers/logins.js';

const skip = keyringMissing();
let sb: Sandbox;
let kr: Keyring;
let nobus: ReturnType<typeof absentBus>;
let cfg: TempConfig;

describe.skipIf(!!skip)('the keychain in words', () => {
  beforeAll(async () => {
    sb = await startSandbox();
    kr = await startKeyring();
    nobus = absentBus();
  });
  afterAll(async () => {
    nobus?.close();
    await kr?.close();
    await sb?.close();
  });
  beforeEach(() => (cfg = tempConfig()));
  afterEach(() => {
    cfg.cleanup();
  });

  it('token --version -v reports the Secret Service backend when the keyring answers', async () => {
    const r = await runCli(['--version', '-v'], {
      env: { ...cfg.env, DBUS_SESSION_BUS_ADDRESS: kr.bus, TOKEN_STORE: 'auto' },
      timeoutMs: 30_000,
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^token 0\.1\.0 \(Node v\d+/);
    expect(r.stdout).toMatch(/^keychain: available — keytar \d+\.\d+\.\d+, Secret Service \(libsecret over D-Bus\)$/m);
  });

  it('token --version -v says in words why the keychain is unavailable, and what fixes it', async () => {
    const r = await runCli(['--version', '-v'], {
      env: { ...cfg.env, DBUS_SESSION_BUS_ADDRESS: nobus.bus, TOKEN_STORE: 'auto' },
      timeoutMs: 30_000,
    });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(1)).toEqual([
      'keychain: unavailable — this session has no D-Bus session bus (usual over SSH, in containers and CI), so no Secret Service can be reached',
      expect.stringMatching(
        /^ {2}to use the keychain: .*dbus-run-session.*; or set TOKEN_STORE=file to keep secrets in a 0600 file and silence this$/,
      ),
      'TOKEN_STORE: auto (the keychain when available, else a 0600 file in the config dir)',
      '',
    ]);
    // Plain --version stays the version alone.
    expect((await runCli(['--version'], { env: cfg.env })).stdout).toBe('0.1.0\n');
  });

  it('a login without a keychain warns once, in words, with the fix and TOKEN_STORE=file to silence it', async () => {
    const r = await loginBp(sb, { ...cfg.env, DBUS_SESSION_BUS_ADDRESS: nobus.bus, TOKEN_STORE: 'auto' });
    expect(r.code).toBe(0);
    const lines = r.stderr.split('\n');
    const at = lines.findIndex((l) => l.startsWith('token: warning:'));
    expect(lines.filter((l) => /keychain/.test(l))).toHaveLength(2); // the warning and its hint, once
    expect(lines[at]).toMatch(
      /^token: warning: the OS keychain is not available: this session has no D-Bus session bus .*; secrets stored in \S+ \(mode 0600\)$/,
    );
    expect(lines[at + 1]).toMatch(
      /^ {2}to use the keychain: .*; or set TOKEN_STORE=file to keep secrets in a 0600 file and silence this$/,
    );
    expect(r.stderr).not.toMatch(/autolaunch|X11|\$DISPLAY|Could not connect/);
    // TOKEN_STORE=file: not a word about the keychain.
    const quiet = await loginBp(sb, { ...cfg.env, DBUS_SESSION_BUS_ADDRESS: nobus.bus, TOKEN_STORE: 'file' }, [
      '-p',
      'quiet',
    ]);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).not.toMatch(/keychain|warning/);
  });
});
