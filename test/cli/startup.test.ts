// How bin/token.js loads the bundle (issue 6): from the V8 code cache the build wrote,
// and when that cache is missing or rejected, from source with the same behaviour;
// the lazily loaded chunks share main.cjs's one instance.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT, runCli, tempConfig, type TempConfig } from '../helpers/cli.js';
import { startSandbox, CLIENTS, type Sandbox } from '../../src/sandbox/index.js';

let sb: Sandbox;
let cfg: TempConfig;
beforeAll(async () => {
  sb = await startSandbox();
  cfg = tempConfig({ TOKEN_CLIENT_SECRET: CLIENTS.brightpattern.clientSecret });
  const r = await runCli(['login', 'bp', '--client-id', CLIENTS.brightpattern.clientId, '--tenant', CLIENTS.brightpattern.tenant, '--url', sb.bpUrl], { env: cfg.env });
  expect(r).toMatchObject({ code: 0 });
  delete cfg.env.TOKEN_CLIENT_SECRET;
});
afterAll(async () => {
  await sb.close();
  cfg.cleanup();
});

/** Where bin/token.js looks for the code cache of the bundle in `root`/dist. */
function cacheFileIn(root: string): string {
  const hash = /^\/\/ token-cli ([0-9a-f]{16})\n/.exec(readFileSync(join(root, 'dist', 'main.cjs'), 'utf8'))![1];
  return join(root, 'dist', 'code-cache', `${hash}-${process.version}-${process.arch}.bin`);
}

/** What loading the bundle the shim's way says about the cache, in a fresh Node. */
function cacheVerdict(bin: string): { rejected: boolean | undefined; file: string } {
  const script = `const { script, cacheFile } = require(${JSON.stringify(bin)}).loadMain(true); console.log(JSON.stringify({ rejected: script.cachedDataRejected, file: cacheFile }))`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}

describe('the code cache', () => {
  it('is written by the build for this Node, and V8 takes it', () => {
    const verdict = cacheVerdict(BIN);
    expect(verdict.file).toBe(cacheFileIn(ROOT));
    expect(verdict.rejected).toBe(false);
  });

  describe('missing or unusable', () => {
    let copy: string;
    beforeAll(() => {
      copy = mkdtempSync(join(tmpdir(), 'token-copy-'));
      for (const part of ['bin', 'dist', 'package.json']) cpSync(join(ROOT, part), join(copy, part), { recursive: true });
    });
    afterAll(() => rmSync(copy, { recursive: true, force: true }));

    it.each([
      ['garbage', (file: string) => writeFileSync(file, 'not a V8 code cache')],
      ['absent', (file: string) => rmSync(file)],
    ])('%s: the CLI compiles from source and behaves the same', async (_case, spoil) => {
      const copyBin = join(copy, 'bin', 'token.js');
      const file = cacheFileIn(copy);
      spoil(file);
      if (existsSync(file)) expect(cacheVerdict(copyBin).rejected).toBe(true);
      for (const args of [['show', '--raw'], ['list'], ['show', '--json']]) {
        const ours = await runCli(args, { env: cfg.env });
        const theirs = spawnSync(process.execPath, [copyBin, ...args], { env: cfg.env, encoding: 'utf8' });
        expect(ours.code).toBe(0);
        // the time left may tick between the two runs
        const same = (out: string) => out.replace(/"expires_in": \d+/, '"expires_in": N').replace(/\d+s\b/g, 'Ns');
        expect({ code: theirs.status, stdout: same(theirs.stdout), stderr: theirs.stderr }).toEqual({ code: 0, stdout: same(ours.stdout), stderr: '' });
      }
    });
  });
});

describe('a code cache', () => {
  let copy: string;
  beforeAll(() => {
    copy = mkdtempSync(join(tmpdir(), 'token-copy-'));
    for (const part of ['bin', 'dist', 'package.json']) cpSync(join(ROOT, part), join(copy, part), { recursive: true });
  });
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it('is only used with the code it was made from', () => {
    const empty = { PATH: process.env.PATH, TOKEN_CONFIG_DIR: join(copy, 'config') };
    const main = join(copy, 'dist', 'main.cjs');
    const [hashLine, ...rest] = readFileSync(main, 'utf8').split('\n');
    const body = rest.join('\n');
    const edited = body.replace('NotLoggedInError("not logged in"', 'NotLoggedInError("NOT logged in"'); // same length
    expect(edited).not.toBe(body);
    // Why the name carries the hash: V8 checks only the length of the source, so under the
    // old name it runs the old code. (If a V8 ever checks more, this line tells us.)
    writeFileSync(main, `${hashLine}\n${edited}`);
    expect(spawnSync(process.execPath, [join(copy, 'bin', 'token.js'), 'show', '--raw'], { env: empty, encoding: 'utf8' }).stderr).toMatch(/^token: not logged in\n/);
    // As the build writes it: a new hash, so no cache, so the code as it is.
    writeFileSync(main, `// token-cli ${createHash('sha256').update(edited).digest('hex').slice(0, 16)}\n${edited}`);
    const r = spawnSync(process.execPath, [join(copy, 'bin', 'token.js'), 'show', '--raw'], { env: empty, encoding: 'utf8' });
    expect({ code: r.status, stdout: r.stdout, stderr: r.stderr.split('\n')[0] }).toEqual({ code: 5, stdout: '', stderr: 'token: NOT logged in' });
  });
});

describe('the lazy chunks', () => {
  it('use the main.cjs the shim loaded, never a second copy', async () => {
    const r = await runCli(['list'], { env: { ...cfg.env, NODE_DEBUG: 'module' } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('REQUEST token-cli/core'); // the chunks did ask for it
    expect(r.stderr).not.toContain(`load "${join(ROOT, 'dist', 'main.cjs')}"`);
  });
});
