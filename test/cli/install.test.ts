// The package as npm publishes it: `npm pack`, unpacked into a temp prefix's
// node_modules with a .bin symlink, and its postinstall run by `npm run` there, as an
// install does. (Its runtime dependencies are bundled into dist/, and nothing here needs
// the registry: tests stay on 127.0.0.1.) The tarball carries no code cache; the
// postinstall makes one for this Node from the installed main.cjs; the CLI, run through
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
  const pack = JSON.parse(execFileSync(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  packed = pack[0].files.map((f: { path: string }) => f.path);
  mkdirSync(installed(), { recursive: true });
  execFileSync('tar', ['-xzf', join(dir, pack[0].filename), '-C', installed(), '--strip-components=1']);
  mkdirSync(join(dir, 'prefix', 'node_modules', '.bin'));
  symlinkSync('../token-cli/bin/token.js', join(dir, 'prefix', 'node_modules', '.bin', 'token'));
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
  it('ships the bundle and the shim that makes the code cache, never a code cache', () => {
    expect(packed).toContain('dist/main.cjs');
    expect(packed).toContain('bin/token.js');
    expect(packed.filter((p) => p.includes('code-cache/'))).toEqual([]);
  });

  it('has a code cache its postinstall made for this Node, which V8 takes', () => {
    expect(postinstall.status).toBe(0);
    expect(postinstall.stderr).not.toMatch(/warning/);
    expect(readdirSync(join(installed(), 'dist', 'code-cache'))).toEqual([`${process.version}-${process.arch}.bin`]);
    const script = `const { script } = require(${JSON.stringify(join(installed(), 'bin', 'token.js'))}).loadMain(); console.log(script.cachedDataRejected)`;
    expect(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim()).toBe('false');
  });

  it('leaves nothing behind in temp dirs, even when the stand-in agent’s socket must live outside them', () => {
    // A temp dir so long that a socket in it passes the 104-byte limit (as macOS's TMPDIR
    // nearly does): the socket goes to $XDG_RUNTIME_DIR/token-cli instead.
    const tmp = join(dir, 't'.repeat(100));
    const runtime = join(dir, 'runtime');
    mkdirSync(tmp);
    mkdirSync(runtime);
    const postinstallStep = `require(${JSON.stringify(join(installed(), 'bin', 'token.js'))}).writeCodeCache(true)`;
    const r = spawnSync(process.execPath, ['-e', postinstallStep], { env: { PATH: process.env.PATH, HOME: dir, TMPDIR: tmp, XDG_RUNTIME_DIR: runtime }, encoding: 'utf8' });
    expect(r).toMatchObject({ status: 0, stderr: '' });
    expect(readdirSync(tmp)).toEqual([]);
    expect(readdirSync(runtime)).toEqual(['token-cli']); // the agents' shared dir, 0700
    expect(readdirSync(join(runtime, 'token-cli'))).toEqual([]);
  });

  it('runs through node_modules/.bin like the repository’s CLI: tokens, cold commands, exit codes', async () => {
    const theirs = token(['show', '--raw']);
    expect(theirs).toEqual({ code: 0, stdout: (await runCli(['show', '--raw'], { env: cfg.env })).stdout, stderr: '' });
    expect(token(['list', '--json'])).toMatchObject({ code: 0, stderr: '' });
    expect(token(['use', 'nosuch'])).toEqual({ code: 2, stdout: '', stderr: 'token: unknown profile "nosuch"\nprofiles: brightpattern\n' });
  });
});
