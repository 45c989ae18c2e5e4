#!/usr/bin/env node
// Tiny shim: everything lives in the bundled entry (npm run build).
import { main } from '../dist/main.js';

main(process.argv.slice(2));
