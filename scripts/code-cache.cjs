// Writes the V8 code cache of dist/main.cjs for the Node running this script (see
// bin/token.js). Run by the build after dist/ is in place. The cache is taken after the
// hot paths have run once — `token --help`, `token completion bash` and `token show --raw`
// on a throwaway config dir with a fresh token, from the file store and from the keychain
// (through a stand-in agent) — so it holds their compiled functions, not just the top level.
'use strict';
const { mkdirSync, mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { dirname, join } = require('node:path');
const { loadMain } = require('../bin/token.js');

const dir = mkdtempSync(join(tmpdir(), 'token-code-cache-'));
const env = { PATH: process.env.PATH, HOME: dir, TOKEN_CONFIG_DIR: dir, TOKEN_STORE: 'file', NO_COLOR: '1' };
Object.assign(process.env, env);
for (const name of Object.keys(process.env)) if (!(name in env)) delete process.env[name];

const { exports: core, script, cacheFile } = loadMain(false);
process.on('exit', () => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dirname(cacheFile), { recursive: true });
  writeFileSync(cacheFile, script.createCachedData());
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

(async () => {
  await core.createFileStore(dir).write('file', { access_token: 'not-a-token' });
  await fakeAgent();
  const deps = core.realDeps();
  core.printStatic(['--help'], deps);
  core.printStatic(['completion', 'bash'], deps);
  await core.fastShow(core.parseFastShow(['show', '--raw', '-p', 'keychain']), deps);
  await core.main(['show', '--raw'], deps); // exits the process
})();

/** Stands in for the keychain agent (its protocol, no keyring), so the client's code is cached too. */
function fakeAgent() {
  const where = core.agentSocket(dir);
  core.ensureAgentDir(where);
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
