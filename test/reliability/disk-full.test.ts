// A full disk and a wrong path (SPEC "Bad input", "Profiles and storage"): one `token:`
// line naming the file and why, exit 4 for a full disk and 2 for a path that cannot be
// used, nothing on stdout, the profile as it was, and nothing left over.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLIENTS, startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { runCli, tempConfig, type TempConfig } from '../helpers/cli.js';
import { loginBp, loginPrism } from '../helpers/logins.js';

let sb: Sandbox;
let cfg: TempConfig;
let disk: { dir: string; fill(): void; free(): void; close(): void; env: NodeJS.ProcessEnv };

/**
 * A small tmpfs of our own (as root), else a directory where a preload makes every write
 * under it fail with ENOSPC while `full` is set: the same error, without a path, that a
 * full disk gives.
 */
function smallDisk(): typeof disk {
  const dir = mkdtempSync(join(tmpdir(), 'token-disk-'));
  const filler = join(dir, 'filler');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', dir], { stdio: 'ignore' });
    return {
      dir,
      env: {},
      fill() {
        const fd = openSync(filler, 'w');
        const page = Buffer.alloc(4096, 1);
        try {
          for (;;) writeSync(fd, page);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
        } finally {
          closeSync(fd);
        }
      },
      free: () => rmSync(filler, { force: true }),
      close() {
        execFileSync('umount', [dir], { stdio: 'ignore' });
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch {
    const flag = join(dir, '.full');
    const preload = join(dir, '.enospc.cjs');
    writeFileSync(
      preload,
      `const fs=require('fs');const w=fs.writeFileSync;fs.writeFileSync=function(p,...a){if(typeof p==='string'&&p.startsWith(${JSON.stringify(dir)})&&fs.existsSync(${JSON.stringify(flag)})){const e=new Error('ENOSPC: no space left on device, write');e.code='ENOSPC';e.errno=-28;e.syscall='write';throw e}return w.call(this,p,...a)};`,
    );
    return {
      dir,
      env: { NODE_OPTIONS: `--require ${preload}` },
      fill: () => writeFileSync(flag, ''),
      free: () => rmSync(flag, { force: true }),
      close: () => rmSync(dir, { recursive: true, force: true }),
    };
  }
}

beforeAll(async () => {
  sb = await startSandbox();
  disk = smallDisk();
});
afterAll(async () => {
  disk.close();
  await sb.close();
});
beforeEach(() => {
  cfg = tempConfig();
  cfg.env.TOKEN_CONFIG_DIR = join(disk.dir, 'config');
  Object.assign(cfg.env, disk.env);
});
afterEach(() => {
  disk.free();
  rmSync(join(disk.dir, 'config'), { recursive: true, force: true });
  cfg.cleanup();
});

const profileText = (name: string) => readFileSync(join(disk.dir, 'config', 'profiles', `${name}.json`), 'utf8');
const leftovers = () => readdirSync(join(disk.dir, 'config', 'profiles')).filter((f) => f.startsWith('.'));

describe('a full disk', () => {
  it('refresh is exit 4 naming the profile file before any request, so the login survives: after freeing space refresh works', async () => {
    expect((await loginPrism(sb, cfg.env)).code).toBe(0);
    const before = profileText('prism');
    disk.fill();
    sb.requests.length = 0;
    const r = await runCli(['refresh'], { env: cfg.env });
    expect([r.code, r.stdout]).toEqual([4, '']);
    expect(r.stderr).toMatch(
      /^token: cannot write .*\/profiles\/prism\.json: no space left on the device\nfree some space, then run the command again\n$/,
    );
    // Nothing was sent: the server has not rotated the stored refresh token.
    expect(sb.requests).toEqual([]);
    expect(profileText('prism')).toBe(before);
    expect(leftovers()).toEqual([]);
    disk.free();
    const again = await runCli(['refresh'], { env: cfg.env });
    expect([again.code, again.stderr]).toEqual([0, expect.stringMatching(/^Refreshed profile prism/)]);
    expect(sb.requests).toHaveLength(1);
  });

  it('login is exit 4 naming the file, and leaves no profile, no temp file and no secret behind', async () => {
    expect((await loginBp(sb, cfg.env)).code).toBe(0);
    disk.fill();
    const r = await runCli(
      [
        'login',
        'bp',
        '-p',
        'second',
        '--client-id',
        CLIENTS.brightpattern.clientId,
        '--tenant',
        CLIENTS.brightpattern.tenant,
        '--url',
        sb.bpUrl,
      ],
      {
        env: { ...cfg.env, TOKEN_CLIENT_SECRET: CLIENTS.brightpattern.clientSecret },
      },
    );
    expect([r.code, r.stdout]).toEqual([4, '']);
    expect(r.stderr).toMatch(/^token: cannot write .*\/profiles\/second\.json: no space left on the device\n/);
    expect(readdirSync(join(disk.dir, 'config', 'profiles')).sort()).toEqual(['brightpattern.json']);
  });
});

describe('a path that cannot be used', () => {
  it('a config dir that is a file is exit 2 naming it', async () => {
    const file = join(cfg.dir, 'not-a-dir');
    writeFileSync(file, '');
    const r = await loginBp(sb, { ...cfg.env, TOKEN_CONFIG_DIR: file });
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toMatch(
      new RegExp(
        `^token: cannot (create|write|read) ${file}.*: (a part of its path is not a directory|it is a directory|something else is in the way)\\n`,
      ),
    );
  });

  it('a profile file that is a directory is exit 2 naming it, for show and for login', async () => {
    const env = { ...cfg.env, TOKEN_CONFIG_DIR: join(cfg.dir, 'c') };
    mkdirSync(join(cfg.dir, 'c', 'profiles', 'brightpattern.json'), { recursive: true });
    const show = await runCli(['show', '--raw', '-p', 'brightpattern'], { env });
    expect([show.code, show.stdout]).toEqual([2, '']);
    expect(show.stderr).toMatch(/^token: cannot read .*profiles\/brightpattern\.json: it is a directory\n/);
    const login = await loginBp(sb, env);
    expect([login.code, login.stdout]).toEqual([2, '']);
    expect(login.stderr).toMatch(/^token: cannot (read|write) .*profiles\/brightpattern\.json: it is a directory\n/);
  });
});
