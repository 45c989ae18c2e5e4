#!/usr/bin/env node
'use strict';
// Loads dist/main.cjs (the bundle `npm run build` makes) and calls main(argv). CommonJS,
// like main.cjs: an ES module entry would cost Node its ESM loader at every start.
// main.cjs is compiled from a V8 code cache when there is one made from exactly its text
// (scripts/code-cache.cjs writes it for the Node that runs the build or the postinstall);
// otherwise from source, through Node's own compile cache where Node has one.
// `show --raw` and `show --header` are first offered to dist/quick.cjs, a few KB that print
// a fresh token without main.cjs (src/cli/quick-show.ts), from a code cache of its own.
// docs/performance.md says what each part buys.
const { readFileSync, realpathSync } = require('node:fs');
// Closes Node's own wrapper, which each bundle's text is put in (see read).
const TAIL = '\n})';

const argv = process.argv;
if (
  require.main === module &&
  argv[2] === 'show' &&
  (argv.includes('--raw') || argv.includes('--header')) &&
  showQuickly()
)
  return;

const { dirname, join } = require('node:path');

// With symlinks followed, as require() keys its cache: the lazy chunks' require('token-cli/core')
// must find this very path there, or they would load a second copy. realpath(3), not
// require.resolve: the same path for less start-up work. Concatenated, not path.join'ed:
// realpath(3) normalizes anyway, and path.join's per-character pass is what, added to
// Node's own, gets V8 to compile that loop at every start (docs/performance.md).
const entry = realpathSync.native(__dirname + '/../dist/main.cjs');
const dist = dirname(entry);
const cacheFile = dist + '/code-cache/' + process.version + '-' + process.arch + '.txt';
// Node's own wrapper on one line (line numbers in stack traces hold), plus the import()
// the bundle's lazy chunks are loaded with: code compiled by vm has none of its own.
const HEAD = '(function (exports, require, module, __filename, __dirname, __tokenImport) {';

/**
 * dist/main.cjs as a CommonJS module, compiled from its code cache when `useCache` and
 * there is one made from exactly this text; else by require() where Node's own compile
 * cache is on; else from source.
 */
function loadMain(useCache, nodeCompileCache = false) {
  const { source, cachedData } = read(entry, HEAD, cacheFile, useCache);
  if (!cachedData && nodeCompileCache && enableNodeCompileCache())
    return { exports: require(entry), cacheFile, source };
  const script = compile(entry, source, cachedData);
  const mod = new module.constructor(entry, module); // Module, without loading node:module
  mod.filename = entry;
  // The lazily imported chunks require main.cjs ("token-cli/core"): they must get this instance.
  require.cache[entry] = mod;
  script.runInThisContext()(mod.exports, require, mod, entry, dist, importFromDist);
  mod.loaded = true;
  return { exports: mod.exports, script, cacheFile, source };
}

/** dist/quick.cjs's exports, compiled from its code cache when `useCache` and there is one for this text. */
function loadQuick(useCache) {
  const file = __dirname + '/../dist/quick.cjs';
  const quickCache = __dirname + '/../dist/code-cache/quick-' + process.version + '-' + process.arch + '.txt';
  const { source, cachedData } = read(file, '(function (exports, require, module) {', quickCache, useCache);
  const script = compile(file, source, cachedData);
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, require, mod);
  return { exports: mod.exports, script, cacheFile: quickCache, source };
}

/**
 * `show --raw` and its kin with a fresh token, printed by dist/quick.cjs alone: true when it
 * did. It only reads; anything it cannot answer (or a quick.cjs that fails to load) is main.cjs's.
 */
function showQuickly() {
  try {
    return loadQuick(true).exports.showQuickly(argv.slice(2));
  } catch {
    return false;
  }
}

/**
 * A bundle's text in Node's wrapper, and the V8 code cache made from exactly that text when
 * `useCache` and there is one. A code cache file is the text it was made from, then V8's
 * data in base64: V8 itself checks no more than the text's length, and a file read as
 * UTF-8 is what Node reads fastest.
 */
function read(file, head, cache, useCache) {
  const source = head + readFileSync(file, 'utf8') + TAIL;
  const text = useCache ? readCache(cache) : undefined;
  const same = text !== undefined && text.length > source.length && text.slice(0, source.length) === source;
  return { source, cachedData: same ? Buffer.from(text.slice(source.length), 'base64') : undefined };
}

function compile(file, source, cachedData) {
  const { Script } = require('node:vm');
  return new Script(source, { filename: file, cachedData });
}

function readCache(file) {
  try {
    return readFileSync(file, 'utf8');
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

let compileCacheAsked = false;
/** import("./program.js") as main.cjs means it: relative to dist/. */
function importFromDist(specifier) {
  // The CLI asks once, before its first chunk, for Node's compile cache (Node >= 22.1).
  if (!compileCacheAsked && require.main === module) {
    compileCacheAsked = true;
    enableNodeCompileCache();
  }
  return import(require('node:url').pathToFileURL(join(dist, specifier)).href);
}

if (require.main === module) {
  loadMain(true, true).exports.main(process.argv.slice(2));
} else {
  module.exports = { loadMain, loadQuick };
}
