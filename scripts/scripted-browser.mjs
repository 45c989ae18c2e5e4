#!/usr/bin/env node
// A scripted "browser" for the demo and tests: set BROWSER to this file. It loads
// the authorize page, submits the consent form (approve, or SCRIPTED_BROWSER_DECISION),
// and follows the redirect to the CLI's loopback listener, like a user clicking.
// SCRIPTED_BROWSER_FOLLOW=0 stops at the redirect: its Location is logged and never
// fetched (a redirect URI on another machine, or a code the user pastes by hand).
import { appendFileSync } from 'node:fs';

const url = process.argv[process.argv.length - 1];
const decision = process.env.SCRIPTED_BROWSER_DECISION ?? 'approve';
const log = (line) => process.env.SCRIPTED_BROWSER_LOG && appendFileSync(process.env.SCRIPTED_BROWSER_LOG, `${line}\n`);

try {
  log(`open ${url}`);
  const page = await fetch(url);
  const html = await page.text();
  const fields = new URLSearchParams();
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) fields.set(unescape(m[1]), unescape(m[2]));
  fields.set('decision', decision);
  const submitted = await fetch(url, { method: 'POST', body: fields, redirect: 'manual' });
  const location = submitted.headers.get('location');
  log(`redirect ${submitted.status} ${location}`);
  if (!location) process.exit(1);
  if (process.env.SCRIPTED_BROWSER_FOLLOW === '0') process.exit(0);
  const landed = await fetch(location);
  log(`landed ${landed.status}`);
} catch (err) {
  log(`error ${err.message}`);
  process.exit(1);
}

function unescape(s) {
  return s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]);
}
