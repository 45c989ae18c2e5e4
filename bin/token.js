#!/usr/bin/env node
'use strict';
// The shim: loads the bundled entry (npm run build) and calls main(argv). CommonJS (see
// bin/package.json): an ES module entry would cost Node its ESM loader at start-up.
//
// Compiling the bundle is about a third of what `token show --raw` adds to Node's own
// start-up, so it is compiled from a V8 code cache that the build writes for the Node
// that built it (scripts/code-cache.cjs). V8 checks only that the source has the same
// length, so the cache's name carries what identifies the bundle's bytes — its content
// hash (first line), size and mtime to the microsecond — and the Node version: an edited
// or replaced bundle never meets a cache made from other code (a copied one may miss its
// cache, and only starts slower). A cache V8 rejects (other flags) only means
// compiling from source. The cache sits beside that code and is as trusted as it; nothing is written
// at run time. Node >= 22.1 has a compile cache of its own (module.enableCompileCache,
// in the temp dir): it serves the lazily imported ES chunks, and main.cjs itself when
// the build was made by another Node.
const Module = require('node:module');
const { closeSync, fstatSync, openSync, readFileSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');

// Resolved as require() resolves (symlinks followed): the lazy chunks' require('token-cli/core')
// must find this very path in require's cache, or they would load a second copy.
const entry = require.resolve('../dist/main.cjs');
const dist = dirname(entry);

/**
 * dist/main.cjs as a CommonJS module, compiled from its code cache when `useCache` and
 * there is one; without one, by require() where Node's own compile cache is on.
 */
function loadMain(useCache, nodeCompileCache = false) {
  const fd = openSync(entry, 'r');
  let source, stat;
  try {
    stat = fstatSync(fd);
    source = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  const cacheFile = cacheFileOf(source, stat);
  const cachedData = useCache ? readCache(cacheFile) : undefined;
  if (!cachedData && nodeCompileCache) return { exports: require(entry), cacheFile };
  // Node's own wrapper on one line (line numbers in stack traces hold), plus the import()
  // the bundle's lazy chunks are loaded with: code compiled by vm has none of its own.
  const script = new Script(`(function (exports, require, module, __filename, __dirname, __tokenImport) {${source}\n})`, { filename: entry, cachedData });
  const mod = new Module(entry, module);
  mod.filename = entry;
  // The lazily imported chunks require main.cjs ("token-cli/core"): they must get this instance.
  require.cache[entry] = mod;
  script.runInThisContext()(mod.exports, require, mod, entry, dist, importFromDist);
  mod.loaded = true;
  return { exports: mod.exports, script, cacheFile };
}

/** dist/code-cache/<content hash>-<size>-<mtime>-<node version>-<arch>.bin; the build starts main.cjs with `// token-cli <hash>`. */
function cacheFileOf(source, stat) {
  const hash = /^\/\/ token-cli ([0-9a-f]+)\n/.exec(source)?.[1] ?? 'unknown';
  return join(dist, 'code-cache', `${hash}-${stat.size}-${stat.mtimeMs}-${process.version}-${process.arch}.bin`);
}

function readCache(file) {
  try {
    return readFileSync(file);
  } catch {
    return undefined; // none for this build and Node: compile from source
  }
}

/** import("./program.js") as main.cjs means it: relative to dist/. */
function importFromDist(specifier) {
  return import(require('node:url').pathToFileURL(join(dist, specifier)).href);
}

if (require.main === module) {
  const status = Module.enableCompileCache?.().status; // undefined before Node 22.1
  const { ENABLED, ALREADY_ENABLED } = Module.constants?.compileCacheStatus ?? {};
  const nodeCompileCache = status !== undefined && (status === ENABLED || status === ALREADY_ENABLED);
  loadMain(true, nodeCompileCache).exports.main(process.argv.slice(2));
} else {
  module.exports = { loadMain };
}
