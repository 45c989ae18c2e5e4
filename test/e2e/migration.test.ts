// Storage version 1 → 2 (SPEC "Migration"): a config dir as version 1 wrote it is
// migrated once, by the first command that finds it, under lock; nothing is lost, a name
// version 2 does not allow is exit 2 with the fix, and a migration killed at any moment
// is finished by the next command. The first command of the first test, and the
// migrations killed, are the built CLI as child processes; every other command runs
// in-process (runFresh, as main() runs it) on the same config dir.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLIENTS } from '../../src/sandbox/index.js';
import { BIN, runCli } from '../helpers/cli.js';
import { runFresh } from '../helpers/fake-deps.js';
import { useSandboxConfig } from '../helpers/sandbox-config.js';
import { writeV1 } from '../helpers/v1.js';

const { sb, cfg } = useSandboxConfig();

const configDir = () => cfg.env.TOKEN_CONFIG_DIR!;

describe('a version 1 config dir (file store)', () => {
  it('is migrated by the first command: every profile, secret and the default kept; the old files removed; refresh works', async () => {
    const v1 = writeV1(configDir(), sb);
    // The built CLI: the first real command migrates. What follows runs in-process.
    const list = await runCli(['list', '--json'], { env: cfg.env });
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject([
      { name: 'prism', provider: 'prism', status: 'valid', default: true, store: 'file' },
      { name: 'work.bp', provider: 'brightpattern', status: 'valid', default: false, store: 'file' },
    ]);
    expect(existsSync(join(configDir(), 'profiles.json'))).toBe(false);
    expect(existsSync(join(configDir(), 'credentials.json'))).toBe(false);
    expect(cfg.config()).toEqual({ version: 2, storeId: expect.stringMatching(/^[0-9a-f]{32}$/), default: 'prism' });
    expect(cfg.profile('prism')).toMatchObject({
      version: 2,
      store: 'file',
      hasRefreshToken: true,
      token: { accessToken: v1.prism.access },
      secrets: {
        origin: sb.url,
        clientId: CLIENTS.prism.clientId,
        clientSecret: CLIENTS.prism.clientSecret,
        refreshToken: v1.prism.refresh,
      },
    });
    expect(cfg.profile('work.bp')).toMatchObject({
      token: { accessToken: v1.bp.access },
      secrets: { clientSecret: CLIENTS.brightpattern.clientSecret },
    });
    for (const f of readdirSync(join(configDir(), 'profiles')))
      expect(readFileSync(join(configDir(), 'profiles', f)).length).toBeGreaterThan(0);

    expect(await runFresh(['show', '--raw'], cfg.env)).toMatchObject({
      code: 0,
      stdout: `${v1.prism.access}\n`,
      stderr: '',
    });
    const refresh = await runFresh(['refresh', '-p', 'prism'], cfg.env);
    expect(refresh.code, refresh.stderr).toBe(0);
    expect(sb.requests.map((q) => [q.endpoint, q.query.refresh_token])).toEqual([['prism-token', v1.prism.refresh]]);
    expect((await runFresh(['refresh', '-p', 'work.bp'], cfg.env)).code).toBe(0);
  });

  it('migrates on `show --raw` too (the hot path), once', async () => {
    const v1 = writeV1(configDir(), sb);
    // Five at once: each has storage of its own, and they meet at the config lock (a socket
    // only one holder binds, in this process as across processes).
    const results = await Promise.all(Array.from({ length: 5 }, () => runFresh(['show', '--raw'], cfg.env)));
    for (const r of results) expect(r).toMatchObject({ code: 0, stdout: `${v1.prism.access}\n`, stderr: '' });
    expect(cfg.names()).toEqual(['prism', 'work.bp']);
    expect(existsSync(join(configDir(), 'profiles.json'))).toBe(false);
  });

  it('a profile name version 2 does not allow is exit 2 naming it and the fix, and nothing changes', async () => {
    writeV1(configDir(), sb, { prism: 'me@work', bp: 'bp' });
    const files = () =>
      readdirSync(configDir(), { withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => [e.name, readFileSync(join(configDir(), e.name), 'utf8')]);
    const before = files();
    const r = await runFresh(['list'], cfg.env);
    expect([r.code, r.stdout]).toEqual([2, '']);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^token: cannot migrate .*profiles\.json to storage version 2: profile name "me@work" not allowed/,
    );
    expect(lines[1]).toMatch(/^rename it under "profiles" in .*profiles\.json/);
    expect(files()).toEqual(before);
    expect(existsSync(join(configDir(), 'profiles'))).toBe(false);
  });

  it('a migration killed past its commit point (config.json written, the version 1 files still there) is finished by the next command', async () => {
    // The window between config.json's rename and the removals is too short for a kill to land
    // in reliably: the state it leaves is made here, from a finished migration and the old files.
    const v1 = writeV1(configDir(), sb);
    const old = ['profiles.json', 'credentials.json'].map((f) => [f, readFileSync(join(configDir(), f))] as const);
    expect((await runFresh(['list'], cfg.env)).code).toBe(0);
    const migrated = readFileSync(join(configDir(), 'config.json'), 'utf8');
    for (const [f, bytes] of old) writeFileSync(join(configDir(), f), bytes, { mode: 0o600 });

    const r = await runFresh(['refresh', '-p', 'prism'], cfg.env);
    expect([r.code, r.stderr]).toEqual([0, expect.stringMatching(/^Refreshed profile prism/)]);
    expect(readdirSync(configDir()).sort()).toEqual(['config.json', 'locks', 'profiles']);
    expect(readFileSync(join(configDir(), 'config.json'), 'utf8')).toBe(migrated); // not migrated again
    expect((await runFresh(['show', '--raw', '-p', 'work.bp'], cfg.env)).stdout).toBe(`${v1.bp.access}\n`);
  });

  it('a migration killed at any moment is finished by the next command, with nothing lost', async () => {
    const landed = new Set<string>();
    let run = 0;
    for (const [at, [moment, , tries]] of MOMENTS.entries()) {
      // A kill is sent the moment inotify shows the step, and lands a little later: a busy
      // machine can let the child run past it. Then it is tried again, a few times.
      for (let t = 0; t < tries && !landed.has(moment); t++) {
        const dir = join(cfg.dir, `run-${run++}`);
        const env = { ...cfg.env, TOKEN_CONFIG_DIR: dir };
        const v1 = writeV1(dir, sb);
        const killed = await killMigration(env, dir, at);
        landed.add(killed.landed);
        const where = `kill at "${moment}" (landed: ${killed.landed}, exit ${killed.code ?? killed.signal})`;
        // The commands after it run in-process: what they find on disk is the point here.
        const r = await runFresh(['refresh', '-p', 'prism'], env);
        expect([r.code, r.stderr], where).toEqual([0, expect.stringMatching(/^Refreshed profile prism/)]);
        expect(existsSync(join(dir, 'profiles.json')), where).toBe(false);
        expect((await runFresh(['show', '--raw', '-p', 'work.bp'], env)).stdout, where).toBe(`${v1.bp.access}\n`);
        const left = listing(dir);
        expect(
          [...left.root, ...left.profiles].filter((f) => f.endsWith('.tmp')),
          `${where}: temp files`,
        ).toEqual([]);
      }
    }
    const required = MOMENTS.filter(([, , , must]) => must).map(([moment]) => moment);
    expect([...landed], 'where the kills landed').toEqual(expect.arrayContaining(required));
  });
});

/** What a config dir holds, at the top and in locks/ and profiles/. */
interface Listing {
  root: string[];
  locks: string[];
  profiles: string[];
}

function listing(dir: string): Listing {
  const ls = (sub: string) => {
    try {
      return readdirSync(join(dir, sub));
    } catch {
      return [];
    }
  };
  return { root: ls('.'), locks: ls('locks'), profiles: ls('profiles') };
}

/**
 * The moments a migration of writeV1's dir (file store) passes through, in the order
 * src/store/migrate.ts takes them, each told by what the dir holds from then on (temp
 * files are `.<name>.<pid>.<n>.tmp`), how many kills may be sent to land one there, and
 * whether one must land. A window that spans a file's write and fsync catches a kill
 * reliably; one between a rename and the next step (the next temp file, an unlink) is
 * short, and on a fast machine every kill may land past it: those are tried, not required.
 */
const MOMENTS: [string, (d: Listing) => boolean, number, boolean][] = [
  ['the config lock taken, nothing written yet', (d) => d.locks.includes('config.pid'), 5, true],
  ['the first profile file half-written', (d) => d.profiles.some((f) => f.startsWith('.prism.json.')), 5, true],
  ['one profile file written', (d) => d.profiles.includes('prism.json'), 3, false],
  ['the second profile file half-written', (d) => d.profiles.some((f) => f.startsWith('.work.bp.json.')), 5, true],
  ['every profile file written, config.json not yet', (d) => d.profiles.includes('work.bp.json'), 3, false],
  ['config.json half-written', (d) => d.root.some((f) => f.startsWith('.config.json.')), 5, true],
  ['config.json written beside the version 1 files', (d) => d.root.includes('config.json'), 3, false],
  ['credentials.json removed, profiles.json not yet', (d) => !d.root.includes('credentials.json'), 1, false],
];

/** The latest moment a dir shows: where a kill landed. */
function momentOf(d: Listing): string {
  if (!d.root.includes('profiles.json')) return 'migrated';
  for (let i = MOMENTS.length - 1; i >= 0; i--) if (MOMENTS[i]![1](d)) return MOMENTS[i]![0];
  return 'before the lock';
}

/**
 * `token list` as a real process on a version 1 dir, SIGKILLed as soon as inotify shows
 * its migration reached MOMENTS[at]. Every step of the migration is a file-system
 * change, so each one wakes the watcher.
 */
async function killMigration(
  env: NodeJS.ProcessEnv,
  dir: string,
  at: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; landed: string }> {
  const child = spawn(process.execPath, [BIN, 'list'], { env, stdio: 'ignore' });
  const closed = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('close', (code, signal) => resolve([code, signal])),
  );
  const watcher = watch(dir, { recursive: true }, () => {
    if (MOMENTS[at]![1](listing(dir))) child.kill('SIGKILL');
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000); // a hung child fails below, not the file
  const [code, signal] = await closed;
  clearTimeout(timer);
  watcher.close();
  return { code, signal, landed: momentOf(listing(dir)) };
}
