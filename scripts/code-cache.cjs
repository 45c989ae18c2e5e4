// Writes the V8 code cache of dist/main.cjs for the Node running this script (see
// bin/token.js). Run by the build after dist/ is in place. The cache is taken after the
// hot paths have run once — `token --help`, `token completion bash` and `token show --raw`
// on a throwaway config dir with a fresh token, from the file store, from one large
// enough to be indexed and from the keychain (through a stand-in agent) — so it holds
// their compiled functions, not just the top level.
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
  const r = require('node:child_process').spawnSync(process.execPath, [__filename, '--run'], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 60_000 });
  if (r.status === 0) process.exit(0);
  const why = (r.stderr || r.error?.message || `exit ${r.status ?? r.signal}`).trim().split('\n').pop();
  process.stderr.write(postinstall ? `token-cli: warning: no code cache was made (${why}); token works, only starts slower\n` : `${why}\n`);
  process.exit(postinstall ? 0 : 1);
}
const { loadMain } = require('../bin/token.js');

// A throwaway config dir, and none of the user's TOKEN_* settings (TOKEN_PROFILE, ...).
const dir = mkdtempSync(join(tmpdir(), 'token-code-cache-'));
for (const name of Object.keys(process.env)) if (/^TOKEN_/i.test(name)) delete process.env[name];
Object.assign(process.env, { HOME: dir, TOKEN_CONFIG_DIR: dir, TOKEN_STORE: 'file', NO_COLOR: '1' });

const { exports: core, script, cacheFile, text } = loadMain(false);
let agentSocketFile; // the stand-in agent's socket: outside `dir` when that path is too long for one
process.on('exit', (code) => {
  rmSync(dir, { recursive: true, force: true });
  if (agentSocketFile) rmSync(agentSocketFile, { force: true });
  if (code !== 0) return;
  mkdirSync(dirname(cacheFile), { recursive: true });
  const temp = `${cacheFile}.${process.pid}.tmp`;
  // The text it was made from, then V8's data: bin/token.js uses it only for that very text.
  writeFileSync(temp, Buffer.concat([text, script.createCachedData()]));
  renameSync(temp, cacheFile); // a CLI starting meanwhile sees no cache or all of it
});

const now = Date.now();
const token = { tokenType: 'Bearer', expiresAt: now + 3_600_000, obtainedAt: now };
const options = { tenant: 'example.invalid', url: 'https://example.invalid' };
core.writeSettings(dir, {
  version: 1,
  default: 'file',
  profiles: {
    file: { provider: 'brightpattern', clientId: 'code-cache', store: 'file', options, token },
    keychain: { provider: 'brightpattern', clientId: 'code-cache', store: 'keychain', options, token },
  },
});

// Enough profiles that profiles.json and credentials.json get lookup indexes, so the
// index reader (show --raw with many profiles) is cached too.
const many = join(dir, 'many');
const manyProfiles = {};
for (let i = 0; i < 40; i++) manyProfiles[`p${i}`] = { provider: 'brightpattern', clientId: `code-cache-${i}`, store: 'file', options, token };
core.writeSettings(many, { version: 1, default: 'p0', profiles: manyProfiles });

(async () => {
  await core.createFileStore(dir).write('file', { access_token: 'not-a-token' });
  const manyStore = core.createFileStore(many);
  for (const name of Object.keys(manyProfiles)) await manyStore.write(name, { access_token: `not-a-token-${'x'.repeat(300)}` });
  await fakeAgent();
  const deps = core.realDeps();
  core.printStatic(['--help'], deps);
  core.printStatic(['completion', 'bash'], deps);
  await core.fastShow(core.parseFastShow(['show', '--raw', '-p', 'keychain']), deps);
  const manyDeps = Object.assign(Object.create(deps), { env: { ...process.env, TOKEN_CONFIG_DIR: many } });
  await core.fastShow(core.parseFastShow(['show', '--raw', '-p', 'p39']), manyDeps);
  if (!existsSync(join(many, 'credentials.json.index'))) throw new Error('the many-profile store has no lookup index');
  await core.main(['show', '--raw'], deps); // exits the process
})().catch((err) => {
  process.stderr.write(`code cache: ${err.message}\n`);
  process.exit(1);
});

/** Stands in for the keychain agent (its protocol, no keyring), so the client's code is cached too. */
function fakeAgent() {
  const where = core.agentSocket(dir);
  core.ensureAgentDir(where);
  agentSocketFile = where.path;
  const server = require('node:net').createServer((sock) => {
    sock.write(`${JSON.stringify({ hello: { pid: process.pid, socket: null, v: 'kc1' } })}\n`);
    sock.setEncoding('utf8');
    let buffer = '';
    sock.on('data', (chunk) => {
      buffer += chunk;
      for (let nl; (nl = buffer.indexOf('\n')) !== -1; buffer = buffer.slice(nl + 1)) {
        sock.write(`${JSON.stringify({ id: JSON.parse(buffer.slice(0, nl)).id, value: 'not-a-token' })}\n`);
      }
    });
  });
  server.unref();
  return new Promise((resolve) => server.listen(where.path, resolve));
}
