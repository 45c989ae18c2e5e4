#!/usr/bin/env node
// Tiny shim: everything lives in the bundled entry (npm run build). CommonJS (see
// bin/package.json): an ES module entry would cost Node its ESM loader at start-up.
// Node >= 22.1 caches compiled code between runs; on Node 20 there is no such call.
require('node:module').enableCompileCache?.();
require('../dist/main.cjs').main(process.argv.slice(2));
