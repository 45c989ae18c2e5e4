// Writes the V8 code caches of dist/main.cjs and dist/quick.cjs for the Node running this
// script (see bin/token.cjs). Run by the build after dist/ is in place. Each cache is taken
// after the hot paths have run once — `token --help`, `token completion bash` and `token
// show --raw` (and --header) on a throwaway config dir with a fresh token in a file-store and a
// keychain profile — so it holds their compiled functions, not just the top level.
// Also the package's postinstall (--postinstall): a published package carries no cache
// (bytecode nobody can read), so each install makes its own, from its own main.cjs,
// for its own Node. There a missing dist/ (a git checkout before its first build) is
// nothing to do, and a failure only warns: without a cache token starts slower.
'use strict';
const { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { dirname, join } = require('node:path');

const postinstall = process.argv.includes('--postinstall');
if (!process.argv.includes('--run')) {
  // The runs print (help, a completion script, tokens): do them in a child whose stdout
  // goes nowhere, so that they still write the way the CLI writes; within a minute, so a
  // run that hangs cannot hang an install.
  if (postinstall && !existsSync(join(__dirname, '..', 'dist', 'main.cjs'))) process.exit(0);
  const r = require('node:child_process').spawnSync(process.execPath, [__filename, '--run'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status === 0) process.exit(0);
  const why = (r.stderr || r.error?.message || `exit ${r.status ?? r.signal}`).trim().split('\n').pop();
  process.stderr.write(
    postinstall ? `token-cli: warning: no code cache was made (${why}); token works, only starts slower\n` : `${why}\n`,
  );
  process.exit(postinstall ? 0 : 1);
}
const { loadMain, loadQuick } = require('../bin/token.cjs');

// A throwaway config dir, and none of the user's TOKEN_* settings (TOKEN_PROFILE, ...).
const dir = mkdtempSync(join(tmpdir(), 'token-code-cache-'));
for (const name of Object.keys(process.env)) if (/^TOKEN_/i.test(name)) delete process.env[name];
Object.assign(process.env, { HOME: dir, TOKEN_CONFIG_DIR: dir, TOKEN_STORE: 'file', NO_COLOR: '1' });

const main = loadMain(false);
const quick = loadQuick(false);
const core = main.exports.core();
process.on('exit', (code) => {
  rmSync(dir, { recursive: true, force: true });
  if (code !== 0) return;
  for (const { script, cacheFile, source } of [quick, main]) {
    mkdirSync(dirname(cacheFile), { recursive: true });
    const temp = `${cacheFile}.${process.pid}.tmp`;
    // The text it was made from, then V8's data: bin/token.cjs uses it only for that very text.
    writeFileSync(temp, source + script.createCachedData().toString('base64'));
    renameSync(temp, cacheFile); // a CLI starting meanwhile sees no cache or all of it
  }
});

// A config dir as storage version 2 writes it: a fresh token in each profile file.
const now = Date.now();
const token = { accessToken: 'not-a-token', tokenType: 'Bearer', expiresAt: now + 3_600_000, obtainedAt: now };
const options = { tenant: 'example.invalid', url: 'https://example.invalid' };
mkdirSync(join(dir, 'profiles'), { recursive: true, mode: 0o700 });
writeFileSync(join(dir, 'config.json'), JSON.stringify({ version: 2, storeId: '0'.repeat(32), default: 'file' }));
for (const store of ['file', 'keychain']) {
  const profile = {
    version: 2,
    provider: 'brightpattern',
    clientId: 'code-cache',
    store,
    options,
    token,
    hasRefreshToken: false,
  };
  writeFileSync(join(dir, 'profiles', `${store}.json`), JSON.stringify(profile), { mode: 0o600 });
}

(async () => {
  // quick.cjs prints the token of each profile, raw and as a header; main.cjs the rest.
  for (const argv of [
    ['show', '--raw'],
    ['show', '--header', '-p', 'keychain'],
  ])
    if (!quick.exports.showQuickly(argv)) throw new Error(`quick.cjs did not answer ${argv.join(' ')}`);
  const deps = core.realDeps();
  core.printStatic(['--help'], deps);
  core.printStatic(['completion', 'bash'], deps);
  await core.fastShow(core.parseFastShow(['show', '--raw', '-p', 'keychain']), deps);
  await core.main(['show', '--raw'], deps); // exits the process
})().catch((err) => {
  process.stderr.write(`code cache: ${err.message}\n`);
  process.exit(1);
});
