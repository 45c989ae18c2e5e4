// How bin/token.cjs loads the bundle (issue 6): from the V8 code cache the build wrote;
// when that cache is missing, rejected or made from other code, from source with the
// same behaviour; and the lazily loaded chunks share main.cjs's one instance.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BIN, ROOT, runCli, tempConfig, type TempConfig } from '../helpers/cli.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { loginBp } from '../helpers/logins.js';

let sb: Sandbox;
let cfg: TempConfig;
beforeAll(async () => {
  sb = await startSandbox();
  cfg = tempConfig();
  expect(await loginBp(sb, cfg.env)).toMatchObject({ code: 0 });
});
afterAll(async () => {
  await sb.close();
  cfg.cleanup();
});

/** Where bin/token.cjs looks for the code cache of the bundle in `root`/dist (or of its quick.cjs). */
function cacheFileIn(root: string, bundle: 'main' | 'quick' = 'main'): string {
  return join(
    root,
    'dist',
    'code-cache',
    `${bundle === 'quick' ? 'quick-' : ''}${process.version}-${process.arch}.txt`,
  );
}

/** What loading the bundle the shim's way says about the cache, in a fresh Node. */
function cacheVerdict(bin: string): { rejected: boolean | undefined; file: string } {
  const script = `const { script, cacheFile } = require(${JSON.stringify(bin)}).loadMain(true); console.log(JSON.stringify({ rejected: script.cachedDataRejected, file: cacheFile }))`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}

/** A copy of the package (bin, dist, package.json) in a temp dir; `link` makes dist a symlink to ours instead. */
function copyPackage(link = false): string {
  const copy = mkdtempSync(join(tmpdir(), 'token-copy-'));
  for (const part of ['bin', 'package.json']) cpSync(join(ROOT, part), join(copy, part), { recursive: true });
  if (link) symlinkSync(join(ROOT, 'dist'), join(copy, 'dist'));
  else cpSync(join(ROOT, 'dist'), join(copy, 'dist'), { recursive: true });
  return copy;
}

function run(root: string, args: string[], env: NodeJS.ProcessEnv) {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'token.cjs'), ...args], { env, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let copies: string[] = [];
afterEach(() => {
  for (const c of copies) rmSync(c, { recursive: true, force: true });
  copies = [];
});

describe('the code cache', () => {
  it('is written by the build for this Node, and V8 takes it', () => {
    const verdict = cacheVerdict(BIN);
    expect(verdict.file).toBe(cacheFileIn(ROOT));
    expect(verdict.rejected).toBe(false);
  });

  it.each([
    // the text it was made from, then V8's data cut short: V8 rejects it
    ['rejected by V8', (file: string) => truncateSync(file, statSync(file).size - 1000)],
    ['absent', (file: string) => rmSync(file)],
  ])('%s: the CLI compiles from source and behaves the same', async (_case, spoil) => {
    const copy = copyPackage();
    copies.push(copy);
    const copyBin = join(copy, 'bin', 'token.cjs');
    expect(cacheVerdict(copyBin).rejected).toBe(false);
    spoil(cacheFileIn(copy));
    spoil(cacheFileIn(copy, 'quick'));
    if (existsSync(cacheFileIn(copy))) expect(cacheVerdict(copyBin).rejected).toBe(true);
    // expires_in may tick between two runs (and `list`'s human column width with it: its --json has none)
    const same = (out: string) => out.replace(/"expires_in": \d+/, '"expires_in": N');
    for (const args of [
      ['show', '--raw'], // quick.cjs
      ['show', '--raw', '-p', 'bp'], // main.cjs: quick.cjs leaves a provider's name to it
      ['list', '--json'],
      ['show', '--json'],
    ]) {
      const ours = await runCli(args, { env: cfg.env });
      const theirs = run(copy, args, cfg.env);
      expect(ours.code).toBe(0);
      expect({ ...theirs, stdout: same(theirs.stdout) }).toEqual({ code: 0, stdout: same(ours.stdout), stderr: '' });
    }
  });

  it('is never used with other code: a bundle edited in place runs as edited', () => {
    const copy = copyPackage();
    copies.push(copy);
    const copyBin = join(copy, 'bin', 'token.cjs');
    expect(cacheVerdict(copyBin).rejected).toBe(false);
    // Same length, as a hand edit or patch-package may leave it: V8 checks only the
    // length, and would run the cached (old) code.
    const main = join(copy, 'dist', 'main.cjs');
    const text = readFileSync(main, 'utf8');
    const edited = text.replace('NotLoggedInError("not logged in"', 'NotLoggedInError("NOT logged in"');
    expect(edited.length).toBe(text.length);
    expect(edited).not.toBe(text);
    writeFileSync(main, edited);
    const r = run(copy, ['show', '--raw'], { PATH: process.env.PATH, TOKEN_CONFIG_DIR: join(copy, 'config') });
    expect({ ...r, stderr: r.stderr.split('\n')[0] }).toEqual({ code: 5, stdout: '', stderr: 'token: NOT logged in' });
  });
});

// `show --raw`/`--header` with a fresh token is answered by dist/quick.cjs before main.cjs
// loads (src/cli/quick-show.ts); what it cannot answer goes to main.cjs.
describe('the quick path', () => {
  it('has a code cache of its own, which V8 takes', () => {
    const script = `const { script, cacheFile } = require(${JSON.stringify(BIN)}).loadQuick(true); console.log(JSON.stringify({ rejected: script.cachedDataRejected, file: cacheFile }))`;
    const verdict = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
    expect(verdict.rejected).toBe(false);
    expect(resolve(verdict.file)).toBe(
      join(ROOT, 'dist', 'code-cache', `quick-${process.version}-${process.arch}.txt`),
    );
  });

  it('prints a fresh token with dist/main.cjs gone, and leaves the rest to it', () => {
    const copy = copyPackage();
    copies.push(copy);
    rmSync(join(copy, 'dist', 'main.cjs'));
    const env = cfg.env;
    const raw = run(copy, ['show', '--raw'], env);
    expect(raw).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\S+\n$/), stderr: '' });
    expect(run(copy, ['show', '--header'], env)).toEqual({
      code: 0,
      stdout: `Authorization: Bearer ${raw.stdout}`,
      stderr: '',
    });
    // A minimum the token does not meet needs a renewal: main.cjs's, and the copy has none.
    expect(run(copy, ['show', '--raw', '--min-ttl', '2h'], env)).toMatchObject({ code: 1, stdout: '' });
  });

  it('leaves the command to main.cjs when it cannot load: the same output', async () => {
    const copy = copyPackage();
    copies.push(copy);
    writeFileSync(join(copy, 'dist', 'quick.cjs'), 'throw new Error("broken");\n');
    const ours = await runCli(['show', '--header'], { env: cfg.env });
    expect(ours).toMatchObject({ code: 0, stderr: '' });
    expect(run(copy, ['show', '--header'], cfg.env)).toEqual({ code: 0, stdout: ours.stdout, stderr: '' });
  });

  it('holds no provider, storage or HTTP code: a few KB', () => {
    const text = readFileSync(join(ROOT, 'dist', 'quick.cjs'), 'utf8');
    expect(text.length).toBeLessThan(10_000);
    for (const word of ['renewRequest', 'withLock', 'keytar', 'redact']) expect(text).not.toContain(word);
  });

  it('never uses its cache with other code: a quick.cjs edited in place runs as edited', () => {
    const copy = copyPackage();
    copies.push(copy);
    const quick = join(copy, 'dist', 'quick.cjs');
    const text = readFileSync(quick, 'utf8');
    const edited = text.replace('"Authorization"', '"AUTHORIZATION"');
    expect(edited).not.toBe(text);
    writeFileSync(quick, edited);
    expect(run(copy, ['show', '--header'], cfg.env).stdout).toMatch(/^AUTHORIZATION: Bearer \S+\n$/);
  });
});

// The commands run most often never load commander (dist/program.js and its chunks):
// scripts' `show --raw`, the help, and Tab's profile names.
describe('the paths without commander', () => {
  it('work with dist/program.js gone: show --raw, --help, completion bash, and __complete for Tab', () => {
    const copy = copyPackage();
    copies.push(copy);
    cpSync(join(ROOT, 'completions'), join(copy, 'completions'), { recursive: true });
    rmSync(join(copy, 'dist', 'program.js'));
    const env = cfg.env;
    expect(run(copy, ['show', '--raw'], env)).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\S+\n$/) });
    // main.cjs's own fast path: quick.cjs leaves a provider's name to it.
    expect(run(copy, ['show', '--raw', '-p', 'bp'], env)).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^\S+\n$/),
      stderr: '',
    });
    expect(run(copy, ['--help'], env)).toMatchObject({ code: 0, stdout: expect.stringContaining('Usage: token') });
    expect(run(copy, ['completion', 'bash'], env)).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('complete'),
    });
    expect(run(copy, ['__complete', 'profiles'], env)).toEqual({ code: 0, stdout: 'brightpattern\n', stderr: '' });
    expect(run(copy, ['__complete', 'profiles-with-provider'], env)).toEqual({
      code: 0,
      stdout: 'brightpattern\tbrightpattern\n',
      stderr: '',
    });
    // Everything else needs it: the copy really lacks it.
    expect(run(copy, ['list'], env).code).not.toBe(0);
  });
});

describe('the lazy chunks', () => {
  it('use the main.cjs the shim loaded, never a second copy', async () => {
    const r = await runCli(['list'], { env: { ...cfg.env, NODE_DEBUG: 'module' } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('REQUEST token-cli/core'); // the chunks did ask for it
    expect(r.stderr).not.toContain(`load "${join(ROOT, 'dist', 'main.cjs')}"`);
  });

  // The shim asks for Node's compile cache (Node >= 22.1) only when something needs it: a
  // chunk to import, or no code cache of ours. NODE_DEBUG_NATIVE=COMPILE_CACHE makes Node
  // say what it caches; a Node without the cache says nothing.
  it("are compiled through Node's compile cache where Node has one; show --raw never asks for it", () => {
    const tmp = mkdtempSync(join(tmpdir(), 'token-ccache-'));
    copies.push(tmp);
    const env = { ...cfg.env, NODE_DEBUG_NATIVE: 'COMPILE_CACHE', TMPDIR: tmp };
    const nodeHasOne =
      typeof (process.getBuiltinModule('node:module') as { enableCompileCache?: unknown }).enableCompileCache ===
      'function';
    const cold = run(ROOT, ['list', '--json'], env);
    expect(cold.code).toBe(0);
    expect(/\[compile cache\].*dist\/program\.js/.test(cold.stderr)).toBe(nodeHasOne);
    if (existsSync(cacheFileIn(ROOT)))
      for (const args of [
        ['show', '--raw'],
        ['show', '--raw', '-p', 'bp'],
      ])
        // quick.cjs, then main.cjs's fast path
        expect(run(ROOT, args, env)).toMatchObject({ code: 0, stderr: '' });
    else expect.unreachable(`no code cache for ${process.version}: npm run build writes it`);
  });

  it('share its error classes when dist/ is reached through a symlink: a usage error is still exit 2', () => {
    const copy = copyPackage(true);
    copies.push(copy);
    const r = run(copy, ['use', 'nosuch'], cfg.env);
    expect(r).toEqual({ code: 2, stdout: '', stderr: 'token: unknown profile "nosuch"\nprofiles: brightpattern\n' });
  });
});
