#!/usr/bin/env node
'use strict';
// The shim: loads the bundled entry (npm run build) and calls main(argv). CommonJS (see
// bin/package.json): an ES module entry would cost Node its ESM loader at start-up.
//
// Compiling the 45 KB bundle is about a third of what `token show --raw` adds to Node's
// own start-up, so it is compiled from a V8 code cache that the build writes for the
// Node that built it (scripts/code-cache.cjs). Another Node, or a cache V8 rejects (other
// flags), compiles from source as usual. The cache sits beside the code it was made from
// and is as trusted as it; nothing is written at run time. Node >= 22.1 also caches the
// lazily imported ES chunks between runs (module.enableCompileCache).
const Module = require('node:module');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { Script } = require('node:vm');

// Normalised: require('token-cli/core') in the lazy chunks must find this very path in the cache.
const dist = join(__dirname, '..', 'dist');
const entry = join(dist, 'main.cjs');
const cacheFile = join(dist, 'code-cache', `${process.version}-${process.arch}.bin`);

/** dist/main.cjs as a CommonJS module, compiled with `cachedData` when given. */
function loadMain(cachedData) {
  const source = readFileSync(entry, 'utf8');
  // Node's own wrapper on one line (line numbers in stack traces hold), plus the import()
  // the bundle's lazy chunks are loaded with: code compiled by vm has none of its own.
  const script = new Script(`(function (exports, require, module, __filename, __dirname, __tokenImport) {${source}\n})`, { filename: entry, cachedData });
  const mod = new Module(entry, module);
  mod.filename = entry;
  // The lazily imported chunks import main.cjs ("token-cli/core"): they must get this instance.
  Module._cache[entry] = mod;
  script.runInThisContext()(mod.exports, require, mod, entry, dist, importFromDist);
  mod.loaded = true;
  return { exports: mod.exports, script };
}

/** import("./program.js") as main.cjs means it: relative to dist/. */
function importFromDist(specifier) {
  return import(require('node:url').pathToFileURL(join(dist, specifier)).href);
}

function readCache() {
  try {
    return readFileSync(cacheFile);
  } catch {
    return undefined; // no cache for this Node: compile from source
  }
}

if (require.main === module) {
  Module.enableCompileCache?.();
  loadMain(readCache()).exports.main(process.argv.slice(2));
} else {
  module.exports = { loadMain, cacheFile };
}
