// How bin/token.js loads the bundle (issue 6): from the V8 code cache the build wrote,
// and when that cache is missing or rejected, from source with the same behaviour;
// the lazily loaded chunks share main.cjs's one instance.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

/** What loading the bundle the shim's way says about the cache, in a fresh Node. */
function cacheVerdict(bin: string): { rejected: boolean | undefined; file: string } {
  const script = `const t = require(${JSON.stringify(bin)}); const { script } = t.loadMain(require('fs').readFileSync(t.cacheFile)); console.log(JSON.stringify({ rejected: script.cachedDataRejected, file: t.cacheFile }))`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}

describe('the code cache', () => {
  it('is written by the build for this Node, and V8 takes it', () => {
    const verdict = cacheVerdict(BIN);
    expect(verdict.file).toBe(join(ROOT, 'dist', 'code-cache', `${process.version}-${process.arch}.bin`));
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
      const file = join(copy, 'dist', 'code-cache', `${process.version}-${process.arch}.bin`);
      spoil(file);
      if (existsSync(file)) expect(cacheVerdict(copyBin).rejected).toBe(true);
      for (const args of [['show', '--raw'], ['list'], ['show', '--json']]) {
        const ours = await runCli(args, { env: cfg.env });
        const theirs = spawnSync(process.execPath, [copyBin, ...args], { env: cfg.env, encoding: 'utf8' });
        expect(ours.code).toBe(0);
        // expires_in may tick between the two runs
        const same = (out: string) => out.replace(/"expires_in": \d+/, '"expires_in": N');
        expect({ code: theirs.status, stdout: same(theirs.stdout), stderr: theirs.stderr }).toEqual({ code: 0, stdout: same(ours.stdout), stderr: '' });
      }
    });
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
