#!/usr/bin/env node
'use strict';
// The shim: loads the bundled entry (npm run build) and calls main(argv). CommonJS (see
// bin/package.json): an ES module entry would cost Node its ESM loader at start-up.
//
// Compiling the bundle is about a third of what `token show --raw` adds to Node's own
// start-up, so it is compiled from a V8 code cache that the build (or the package's
// postinstall) writes for the Node that ran it: scripts/code-cache.cjs. V8 checks only
// that the source has the same length, so the cache file starts with the exact source
// it was made from, and is used only when those bytes equal today's (a compare, not a
// hash: no crypto to load). An edited, rebuilt or replaced bundle never runs cached old
// code; a cache V8 rejects (other flags) only means compiling from source. Nothing is
// written at run time. Node >= 22.1 has a compile cache of its own
// (module.enableCompileCache, in the temp dir): it serves the lazily imported ES chunks,
// and main.cjs itself when there is no cache for this Node. It is turned on only then:
// each line of this file runs before every `token show --raw`.
const { readFileSync, realpathSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');

// With symlinks followed, as require() keys its cache: the lazy chunks' require('token-cli/core')
// must find this very path there, or they would load a second copy. realpath(3), not
// require.resolve: the same path for ~1 M fewer instructions.
const entry = realpathSync.native(join(__dirname, '..', 'dist', 'main.cjs'));
const dist = dirname(entry);
const cacheFile = join(dist, 'code-cache', `${process.version}-${process.arch}.bin`);
// Node's own wrapper on one line (line numbers in stack traces hold), plus the import()
// the bundle's lazy chunks are loaded with: code compiled by vm has none of its own.
const HEAD = '(function (exports, require, module, __filename, __dirname, __tokenImport) {';
const TAIL = '\n})';

/**
 * dist/main.cjs as a CommonJS module, compiled from its code cache when `useCache` and
 * there is one made from exactly this text; else by require() where Node's own compile
 * cache is on; else from source. A code cache file is `text` followed by V8's data.
 */
function loadMain(useCache, nodeCompileCache = false) {
  const source = HEAD + readFileSync(entry, 'utf8') + TAIL;
  const text = Buffer.from(source);
  const file = useCache ? readCache() : undefined;
  const same = file !== undefined && file.length > text.length && file.compare(text, 0, text.length, 0, text.length) === 0;
  const cachedData = same ? file.subarray(text.length) : undefined;
  if (!cachedData && nodeCompileCache && enableNodeCompileCache()) return { exports: require(entry), cacheFile, text };
  const script = new Script(source, { filename: entry, cachedData });
  const mod = new module.constructor(entry, module); // Module, without loading node:module
  mod.filename = entry;
  // The lazily imported chunks require main.cjs ("token-cli/core"): they must get this instance.
  require.cache[entry] = mod;
  script.runInThisContext()(mod.exports, require, mod, entry, dist, importFromDist);
  mod.loaded = true;
  return { exports: mod.exports, script, cacheFile, text };
}

function readCache() {
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
  module.exports = { loadMain };
}
