// The keychain helper's environment is the command's (Deps.env, through openStorage), not
// process.env, and carries no TOKEN_* variable: it needs only what reaches the keyring.
import { afterEach, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { helperCaller } from '../../src/store/keychain-store.js';

let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

it('starts the helper with the env it is given, less TOKEN_*', async () => {
  dir = mkdtempSync(join(tmpdir(), 'token-helper-'));
  const helper = join(dir, 'env-helper.cjs');
  // Answers every call with the environment it was started with.
  writeFileSync(
    helper,
    `require('node:readline').createInterface({ input: process.stdin }).on('line', (l) => {
      const { id } = JSON.parse(l);
      process.stdout.write(JSON.stringify({ id, value: JSON.stringify(process.env) }) + '\\n');
    });`,
  );
  const caller = helperCaller(
    {
      PATH: process.env.PATH,
      DBUS_SESSION_BUS_ADDRESS: 'unix:path=/x',
      TOKEN_CLIENT_SECRET: 'cs',
      TOKEN_STORE: 'keychain',
    },
    helper,
  );
  try {
    const env = JSON.parse((await caller.call('getPassword', ['token-cli', 'a'], 'read')) as string) as Record<
      string,
      string
    >;
    expect(env.DBUS_SESSION_BUS_ADDRESS).toBe('unix:path=/x');
    expect(Object.keys(env).filter((k) => k.startsWith('TOKEN_'))).toEqual([]);
    // Nothing of this process's own environment that the command's lacks.
    expect(env.HOME).toBeUndefined();
  } finally {
    caller.close();
  }
});

it('warm() starts the helper before any call; idle() ends it, and the next call starts another', async () => {
  dir = mkdtempSync(join(tmpdir(), 'token-helper-'));
  const helper = join(dir, 'pid-helper.cjs');
  const starts = join(dir, 'starts');
  // Notes each start in a file, and answers every call with its pid.
  writeFileSync(
    helper,
    `require('node:fs').appendFileSync(${JSON.stringify(starts)}, process.pid + '\\n');
    require('node:readline').createInterface({ input: process.stdin }).on('line', (l) => {
      const { id } = JSON.parse(l);
      process.stdout.write(JSON.stringify({ id, value: String(process.pid) }) + '\\n');
    });`,
  );
  const started = () => (existsSync(starts) ? readFileSync(starts, 'utf8').trim().split('\n').map(Number) : []);
  const until = async (done: () => boolean) => {
    for (let i = 0; i < 250 && !done(); i++) await new Promise((r) => setTimeout(r, 20));
  };
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const caller = helperCaller({ PATH: process.env.PATH }, helper);
  try {
    caller.warm();
    await until(() => started().length > 0); // started with no call made
    const [first] = started();
    expect(first).toBeDefined();
    caller.warm(); // started already: the same helper answers
    expect(Number(await caller.call('getPassword', ['token-cli', 'a'], 'read'))).toBe(first);
    expect(started()).toEqual([first]);
    caller.idle();
    await until(() => !alive(first!));
    expect(alive(first!)).toBe(false);
    const second = Number(await caller.call('getPassword', ['token-cli', 'a'], 'read'));
    expect(started()).toEqual([first, second]);
    // idle() never ends a helper a call is waiting for.
    const pending = caller.call('getPassword', ['token-cli', 'a'], 'read');
    caller.idle();
    expect(Number(await pending)).toBe(second);
  } finally {
    caller.close();
  }
});
