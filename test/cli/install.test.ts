// The package as npm publishes it: `npm pack`, unpacked into a temp prefix's
// node_modules with a .bin symlink, and its postinstall run by `npm run` there, as an
// install does. (Its runtime dependencies are bundled into dist/, and nothing here needs
// the registry: tests stay on 127.0.0.1.) The tarball carries no code cache; the
// postinstall makes them for this Node from the installed main.cjs and quick.cjs; the CLI, run through
// the symlink, behaves as the one in the repository.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli, tempConfig, type TempConfig } from '../helpers/cli.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { loginBp } from '../helpers/logins.js';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let dir: string;
let packed: string[];
let postinstall: { status: number | null; stderr: string };
let sb: Sandbox;
let cfg: TempConfig;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'token-install-'));
  // --ignore-scripts: `prepare` would rebuild the dist/ that other test files are using.
  const pack = JSON.parse(
    execFileSync(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  );
  packed = pack[0].files.map((f: { path: string }) => f.path);
  mkdirSync(installed(), { recursive: true });
  execFileSync('tar', ['-xzf', join(dir, pack[0].filename), '-C', installed(), '--strip-components=1']);
  mkdirSync(join(dir, 'prefix', 'node_modules', '.bin'));
  symlinkSync('../token-cli/bin/token.cjs', join(dir, 'prefix', 'node_modules', '.bin', 'token'));
  postinstall = spawnSync(npm, ['run', 'postinstall'], { cwd: installed(), encoding: 'utf8' });
  sb = await startSandbox();
  cfg = tempConfig();
  expect((await loginBp(sb, cfg.env)).code).toBe(0);
}, 120_000);
afterAll(async () => {
  await sb?.close();
  cfg?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const installed = () => join(dir, 'prefix', 'node_modules', 'token-cli');
const token = (args: string[]) => {
  const r = spawnSync(join(dir, 'prefix', 'node_modules', '.bin', 'token'), args, { env: cfg.env, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('the installed package', () => {
  it('ships the bundle and the code cache step, never a code cache', () => {
    expect(packed).toContain('dist/main.cjs');
    expect(packed).toContain('dist/quick.cjs');
    expect(packed).toContain('scripts/code-cache.cjs');
    expect(packed).toContain('scripts/postinstall-notice.cjs');
    expect(packed.filter((p) => p.includes('code-cache/'))).toEqual([]);
  });

  it('has a code cache its postinstall made for this Node, which V8 takes', () => {
    expect(postinstall.status).toBe(0);
    expect(postinstall.stderr).not.toMatch(/code cache/);
    const id = `${process.version}-${process.arch}.txt`;
    expect(readdirSync(join(installed(), 'dist', 'code-cache')).sort()).toEqual([`quick-${id}`, id]);
    const bin = JSON.stringify(join(installed(), 'bin', 'token.cjs'));
    const script = `const shim = require(${bin}); console.log([shim.loadMain(true), shim.loadQuick(true)].map((l) => l.script.cachedDataRejected).join())`;
    expect(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim()).toBe('false,false');
  });

  it('its postinstall says in one line whether secrets can go to the keychain, and why not', () => {
    // Unpacked without its dependencies, as when npm could not build keytar and left it out.
    expect(postinstall.stderr.split('\n').filter((l) => l.startsWith('token-cli:'))).toEqual([
      'token-cli: keychain support: off, keytar is not installed (npm leaves it out when it cannot build it, or with --ignore-scripts); token keeps secrets in a 0600 file. ' +
        `To fix: install ${process.platform === 'linux' ? 'libsecret-1-dev and build-essential (Debian/Ubuntu) or libsecret-devel, gcc-c++ and make (Fedora)' : ''}, then run npm install again (TOKEN_STORE=file silences this)`,
    ]);
  });

  it('leaves nothing behind in temp dirs or the runtime dir', () => {
    // No resident keychain agent any more: nothing goes to $XDG_RUNTIME_DIR either.
    const tmp = join(dir, 'tmp');
    const runtime = join(dir, 'runtime');
    mkdirSync(tmp);
    mkdirSync(runtime);
    const r = spawnSync(process.execPath, [join(installed(), 'scripts', 'code-cache.cjs'), '--postinstall'], {
      env: { PATH: process.env.PATH, HOME: dir, TMPDIR: tmp, XDG_RUNTIME_DIR: runtime },
      encoding: 'utf8',
    });
    expect(r).toMatchObject({ status: 0, stderr: '' });
    expect(readdirSync(tmp)).toEqual([]);
    expect(readdirSync(runtime)).toEqual([]);
  });

  it('runs through node_modules/.bin like the repository’s CLI: tokens, cold commands, exit codes', async () => {
    const theirs = token(['show', '--raw']);
    expect(theirs).toEqual({ code: 0, stdout: (await runCli(['show', '--raw'], { env: cfg.env })).stdout, stderr: '' });
    expect(token(['list', '--json'])).toMatchObject({ code: 0, stderr: '' });
    expect(token(['use', 'nosuch'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'token: unknown profile "nosuch"\nprofiles: brightpattern\n',
    });
  });
});
