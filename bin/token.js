#!/usr/bin/env node
// The shim: loads the built entry (dist/main.cjs) and calls main(argv). CommonJS (see
// bin/package.json): an ES module entry would cost Node its ESM loader at start-up.
// main.cjs is compiled from a V8 code cache that the build and the postinstall write for
// the Node that ran them (writeCodeCache); Node's own compile cache (Node >= 22.1) serves
// the lazily imported chunks. docs/performance.md has the figures that keep this cache and
// says when to drop it. All of it is in this file, so that the CLI loads no second one.
'use strict';
const { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');

let dist; // dist/, once loadMain has found main.cjs
// Node's own wrapper on one line (line numbers in stack traces hold), plus the import()
// the bundle's lazy chunks are loaded with: code compiled by vm has none of its own.
const HEAD = '(function (exports, require, module, __filename, __dirname, __tokenImport) {';
const TAIL = '\n})';

/**
 * dist/main.cjs as a CommonJS module, compiled from its code cache when `cache` and there is
 * one made from exactly this text; else, for the `cli`, by require() where Node's own compile
 * cache is on; else from source. V8 checks only that a cache was made from a
 * source of the same length, so a cache file is the text it was made from followed by
 * V8's data, used only when those bytes equal today's (a compare, not a hash: no crypto to
 * load): an edited or rebuilt bundle never runs cached old code. Nothing is written here.
 */
function loadMain({ cache = true, cli = false } = {}) {
  // With symlinks followed, as require() keys its cache: the lazy chunks' require('token-cli/core')
  // must find this very path there, or they would load a second copy. realpath(3) rather than
  // require.resolve: the same path, for less work on every start.
  const entry = realpathSync.native(join(__dirname, '..', 'dist', 'main.cjs'));
  dist = dirname(entry);
  const cacheFile = join(dist, 'code-cache', `${process.version}-${process.arch}.bin`);
  const source = HEAD + readFileSync(entry, 'utf8') + TAIL;
  const text = Buffer.from(source);
  const file = cache ? readCache(cacheFile) : undefined;
  const same = file !== undefined && file.length > text.length && file.compare(text, 0, text.length, 0, text.length) === 0;
  const cachedData = same ? file.subarray(text.length) : undefined;
  if (!cachedData && cli && enableNodeCompileCache()) return { exports: require(entry), cacheFile, text };
  const script = new Script(source, { filename: entry, cachedData });
  const mod = new module.constructor(entry, module); // Module, without loading node:module
  mod.filename = entry;
  // The lazily imported chunks require main.cjs ("token-cli/core"): they must get this instance.
  require.cache[entry] = mod;
  script.runInThisContext()(mod.exports, require, mod, entry, dist, cli ? importForCli : importFromDist);
  mod.loaded = true;
  return { exports: mod.exports, script, cacheFile, text };
}

function readCache(cacheFile) {
  try {
    return readFileSync(cacheFile);
  } catch {
    return undefined; // none for this Node: compile from source
  }
}

/** Turns on Node's own compile cache; false where there is none (before Node 22.1). */
function enableNodeCompileCache() {
  const { enableCompileCache, constants } = require('node:module');
  const status = enableCompileCache?.().status;
  const { ENABLED, ALREADY_ENABLED } = constants?.compileCacheStatus ?? {};
  return status !== undefined && (status === ENABLED || status === ALREADY_ENABLED);
}

/** import("./program.js") as main.cjs means it: relative to dist/. */
function importFromDist(specifier) {
  return import(require('node:url').pathToFileURL(join(dist, specifier)).href);
}

let compileCacheAsked = false;
/** The CLI asks once, before its first chunk, for Node's compile cache (Node >= 22.1): the chunks go through it. */
function importForCli(specifier) {
  if (!compileCacheAsked) {
    compileCacheAsked = true;
    enableNodeCompileCache();
  }
  return importFromDist(specifier);
}

/** For the build: main.cjs's lazy imports go through the import() loadMain passes in. */
function lazyImportsThroughShim(code) {
  if (!/\bimport\("\.\/[\w-]+\.js"\)/.test(code)) throw new Error('main.cjs: no lazy imports found');
  const rewritten = code.replace(/\bimport\(("\.\/[\w-]+\.js")\)/g, '__lazyImport($1)');
  if (/\bimport\(/.test(rewritten)) throw new Error('main.cjs: an import() the shim cannot serve');
  // Loaded any other way (a cold chunk requiring "token-cli/core" first), the bundle's own import() is used.
  return `var __lazyImport = typeof __tokenImport == "function" ? __tokenImport : (specifier) => import(specifier);\n${rewritten}`;
}

/**
 * Writes the cache for the Node running this. It is taken after the hot paths have run
 * once — `token --help`, `token completion bash` and `token show --raw` on a throwaway
 * config dir with a fresh token, from the file store, from one large enough to be indexed
 * and from the keychain (through a stand-in agent) — so it holds their compiled functions.
 * The runs print, so they run in a child whose stdout goes nowhere, within a minute so that
 * a hang cannot hang an install. A published package carries no cache (bytecode nobody can
 * read): its postinstall makes one; there a missing dist/ (a git checkout before its first
 * build) is nothing to do, and a failure only warns.
 */
function writeCodeCache(postinstall = false) {
  if (postinstall && !existsSync(join(__dirname, '..', 'dist', 'main.cjs'))) return 0;
  const child = `require(${JSON.stringify(__filename)}).warmAndWrite()`;
  const r = require('node:child_process').spawnSync(process.execPath, ['-e', child], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 60_000 });
  if (r.status === 0) return 0;
  const why = (r.stderr || r.error?.message || `exit ${r.status ?? r.signal}`).trim().split('\n').pop();
  process.stderr.write(postinstall ? `token-cli: warning: no code cache was made (${why}); token works, only starts slower\n` : `${why}\n`);
  return postinstall ? 0 : 1;
}

/** The child of writeCodeCache: runs the hot paths, then writes the cache as it exits. */
function warmAndWrite() {
  const { tmpdir } = require('node:os');
  // A throwaway config dir, and none of the user's TOKEN_* settings (TOKEN_PROFILE, ...).
  const dir = mkdtempSync(join(tmpdir(), 'token-code-cache-'));
  for (const name of Object.keys(process.env)) if (/^TOKEN_/i.test(name)) delete process.env[name];
  Object.assign(process.env, { HOME: dir, TOKEN_CONFIG_DIR: dir, TOKEN_STORE: 'file', NO_COLOR: '1' });

  const { exports: core, script, text, cacheFile } = loadMain({ cache: false });
  let agentSocketFile; // the stand-in agent's socket: outside `dir` when that path is too long for one
  process.on('exit', (code) => {
    rmSync(dir, { recursive: true, force: true });
    if (agentSocketFile) rmSync(agentSocketFile, { force: true });
    if (code !== 0) return;
    mkdirSync(dirname(cacheFile), { recursive: true });
    const temp = `${cacheFile}.${process.pid}.tmp`;
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
    agentSocketFile = await fakeAgent(core, dir);
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
}

/** Stands in for the keychain agent (its protocol, no keyring), so the client's code is cached too. */
function fakeAgent(core, dir) {
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
  return new Promise((resolve) => server.listen(where.path, () => resolve(where.path)));
}

if (require.main === module) loadMain({ cli: true }).exports.main(process.argv.slice(2));
else module.exports = { loadMain, writeCodeCache, warmAndWrite, lazyImportsThroughShim };
