#!/usr/bin/env node
// $BROWSER for the real-browser tests: hands the URL (its last argument) to the test,
// which drives Chromium to it. Written to a temp file then renamed into
// $BROWSER_HANDOFF_FILE, so the test never reads half a URL.
import { renameSync, writeFileSync } from 'node:fs';

const file = process.env.BROWSER_HANDOFF_FILE;
if (!file) {
  process.stderr.write('browser-handoff: BROWSER_HANDOFF_FILE is not set\n');
  process.exit(1);
}
writeFileSync(`${file}.tmp`, process.argv[process.argv.length - 1]);
renameSync(`${file}.tmp`, file);
