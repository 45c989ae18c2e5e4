// A private Secret Service for the keychain tests: its own D-Bus session bus, a
// gnome-keyring-daemon on it with an unlocked login keyring (the default
// collection, so keytar's setPassword needs no prompt), and a private HOME and
// XDG dirs so no real keyring is ever touched. Also the two broken buses the
// fallback tests need: one with nothing behind it, one that accepts and never answers.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missingParts } from './real.js';
import { ROOT } from './cli.js';

/** What the keyring needs on PATH: Debian dbus-daemon, dbus-bin, gnome-keyring, libsecret-tools. */
export const KEYRING_COMMANDS = ['dbus-daemon', 'dbus-send', 'gnome-keyring-daemon', 'secret-tool'];
export const SERVICE = 'token-cli';

export interface Keyring {
  /** DBUS_SESSION_BUS_ADDRESS for the CLI children. */
  bus: string;
  /** The environment secret-tool runs with (bus, private HOME and XDG dirs). */
  env: NodeJS.ProcessEnv;
  /** The value stored for an account of service token-cli, or undefined when there is none. */
  lookup(account: string): Promise<string | undefined>;
  /** Stores a value for an account of service token-cli the way keytar does (keytar itself, in a child). */
  store(account: string, value: string): Promise<void>;
  /** Every account stored under service token-cli. */
  accounts(): Promise<string[]>;
  /** Deletes every token-cli entry (between tests). */
  clear(): Promise<void>;
  close(): Promise<void>;
}

/** Skip reason when a part is missing (missingParts throws in CI); also checks keytar loads. */
export function keyringMissing(): string | undefined {
  const reason = missingParts(KEYRING_COMMANDS, 'the OS keychain tests');
  if (reason) return reason;
  try {
    createRequire(import.meta.url)('keytar');
    return undefined;
  } catch (err) {
    const why = `skipped: the OS keychain tests need keytar built against libsecret (${String((err as Error).message).split('\n')[0]})`;
    if (process.env.CI) throw new Error(`${why} — in CI nothing may skip`, { cause: err });
    console.warn(why);
    return why;
  }
}

// session.conf without <servicedir>: nothing is auto-started behind our back.
const busConfig = (socket: string) => `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;

export async function startKeyring(): Promise<Keyring> {
  const dir = mkdtempSync(join(tmpdir(), 'token-keyring-'));
  const home = join(dir, 'home');
  const runtime = join(dir, 'run');
  mkdirSync(home, { mode: 0o700 });
  mkdirSync(runtime, { mode: 0o700 });
  writeFileSync(join(dir, 'bus.conf'), busConfig(join(dir, 'bus')));
  const baseEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_RUNTIME_DIR: runtime,
    LANG: 'C.UTF-8',
  };
  const children: ChildProcess[] = [];
  const close = async () => {
    for (const child of children.reverse()) await stop(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const dbus = spawn('dbus-daemon', ['--nofork', `--config-file=${join(dir, 'bus.conf')}`, '--print-address=1'], {
      env: baseEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(dbus);
    const bus = await firstLine(dbus, 'dbus-daemon');
    const env = { ...baseEnv, DBUS_SESSION_BUS_ADDRESS: bus };
    // --unlock reads the password from stdin and creates the login keyring, which becomes the default collection.
    const keyring = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], {
      env,
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    children.push(keyring);
    keyring.stdin.end('token-test-password');
    await waitFor(
      () => nameHasOwner(env, 'org.freedesktop.secrets'),
      10_000,
      'gnome-keyring-daemon to own org.freedesktop.secrets',
      keyring,
    );
    const kr = keyringOn(bus, env, close);
    // Prove the default collection takes a write without a prompt before any test relies on it.
    await secretTool(
      env,
      ['store', '--label=token-test probe', 'service', 'token-test-probe', 'account', 'probe'],
      'probe',
    );
    if ((await secretTool(env, ['lookup', 'service', 'token-test-probe', 'account', 'probe'])).stdout !== 'probe') {
      throw new Error('the private keyring did not keep a probe secret');
    }
    await secretTool(env, ['clear', 'service', 'token-test-probe', 'account', 'probe']);
    return kr;
  } catch (err) {
    await close();
    throw err;
  }
}

function keyringOn(bus: string, env: NodeJS.ProcessEnv, close: () => Promise<void>): Keyring {
  return {
    bus,
    env,
    async lookup(account) {
      const r = await secretTool(env, ['lookup', 'service', SERVICE, 'account', account], undefined, true);
      return r.code === 0 ? r.stdout : undefined;
    },
    async store(account, value) {
      // keytar's own schema and attributes, so keytar finds it again; the value on stdin.
      const script = `let v='';process.stdin.on('data',d=>v+=d).on('end',()=>require('keytar').setPassword(${JSON.stringify(SERVICE)},${JSON.stringify(account)},v).then(()=>process.exit(0),e=>{console.error(e.message);process.exit(1)}))`;
      await new Promise<void>((resolve, reject) => {
        const child = execFile(
          process.execPath,
          ['-e', script],
          { env, cwd: ROOT, timeout: 10_000 },
          (err, _o, stderr) => (err ? reject(new Error(`keytar store failed: ${stderr}`)) : resolve()),
        );
        child.stdin!.end(value);
      });
    },
    async accounts() {
      const r = await secretTool(env, ['search', '--all', 'service', SERVICE], undefined, true);
      // secret-tool search prints "attribute.account = <account>" per item (on stdout or stderr, by version).
      return [...`${r.stdout}\n${r.stderr}`.matchAll(/^attribute\.account = (.*)$/gm)].map((m) => m[1]!).sort();
    },
    async clear() {
      await secretTool(env, ['clear', 'service', SERVICE], undefined, true);
    },
    close,
  };
}

interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

function secretTool(env: NodeJS.ProcessEnv, args: string[], input?: string, allowFailure = false): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = execFile('secret-tool', args, { env, timeout: 10_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      if (code !== 0 && !allowFailure) reject(new Error(`secret-tool ${args[0]} failed (${code}): ${stderr.trim()}`));
      else resolve({ code, stdout, stderr });
    });
    child.stdin!.end(input ?? '');
  });
}

function nameHasOwner(env: NodeJS.ProcessEnv, name: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(
      'dbus-send',
      [
        '--session',
        '--print-reply',
        '--dest=org.freedesktop.DBus',
        '/org/freedesktop/DBus',
        'org.freedesktop.DBus.NameHasOwner',
        `string:${name}`,
      ],
      { env, timeout: 5_000 },
      (err, stdout) => resolve(!err && /boolean true/.test(stdout)),
    );
  });
}

async function waitFor(check: () => Promise<boolean>, ms: number, what: string, child: ChildProcess): Promise<void> {
  const until = Date.now() + ms;
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  while (Date.now() < until) {
    if (child.exitCode !== null)
      throw new Error(`waiting for ${what}: it exited with ${child.exitCode}: ${stderr.trim()}`);
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}: ${stderr.trim()}`);
}

function firstLine(child: ChildProcess, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`${what} printed no address: ${err.trim()}`)), 10_000);
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl !== -1) {
        clearTimeout(timer);
        resolve(out.slice(0, nl).trim());
      }
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}: ${err.trim()}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}

/** A D-Bus address with nothing behind it: connecting fails at once. */
export function absentBus(): { bus: string; close(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'token-nobus-'));
  return { bus: `unix:path=${join(dir, 'no-such-bus')}`, close: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface HangingBus {
  bus: string;
  /** Connections accepted so far and those still open. */
  accepted(): number;
  open(): number;
  close(): Promise<void>;
}

/** A "bus" that accepts connections, reads whatever is sent and never answers. */
export async function startHangingBus(): Promise<HangingBus> {
  const dir = mkdtempSync(join(tmpdir(), 'token-hangbus-'));
  const path = join(dir, 'bus');
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('data', () => {});
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return {
    bus: `unix:path=${path}`,
    accepted: () => accepted,
    open: () => sockets.size,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
