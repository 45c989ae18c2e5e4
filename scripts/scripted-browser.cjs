#!/usr/bin/env node
// A scripted "browser" for the demo and tests: set BROWSER to this file. It loads
// the authorize page, submits the consent form (approve, or SCRIPTED_BROWSER_DECISION),
// and follows the redirect to the CLI's loopback listener, like a user clicking.
// SCRIPTED_BROWSER_FOLLOW=0 stops at the redirect: its Location is logged and never
// fetched (a redirect URI on another machine, or a code the user pastes by hand).
// CommonJS on node:http, not fetch: a real browser is already running when the CLI
// opens a tab, so this one should cost a login as little start-up as it can.
'use strict';
const { appendFileSync } = require('node:fs');

const url = process.argv[process.argv.length - 1];
const decision = process.env.SCRIPTED_BROWSER_DECISION ?? 'approve';
const log = (line) => process.env.SCRIPTED_BROWSER_LOG && appendFileSync(process.env.SCRIPTED_BROWSER_LOG, `${line}\n`);

/** One request; resolves with status, headers and the body as text. */
function request(target, { method = 'GET', form } = {}) {
  const body = form?.toString();
  const { request: send } = require(new URL(target).protocol === 'https:' ? 'node:https' : 'node:http');
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method,
        headers: body
          ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) }
          : {},
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function htmlUnescape(s) {
  return s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]);
}

(async () => {
  log(`open ${url}`);
  const page = await request(url);
  const fields = new URLSearchParams();
  for (const m of page.text.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g))
    fields.set(htmlUnescape(m[1]), htmlUnescape(m[2]));
  fields.set('decision', decision);
  const submitted = await request(url, { method: 'POST', form: fields });
  const location = submitted.headers.location;
  log(`redirect ${submitted.status} ${location}`);
  if (!location) process.exit(1);
  if (process.env.SCRIPTED_BROWSER_FOLLOW === '0') process.exit(0);
  const landed = await request(new URL(location, url).href);
  log(`landed ${landed.status}`);
})().catch((err) => {
  log(`error ${err.message}`);
  process.exit(1);
});
