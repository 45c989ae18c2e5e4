#!/usr/bin/env node
// `npm run demo`: a full, unattended tour of token against `token sandbox`.
// Uses a throwaway config dir and the file store, so it never touches your own
// profiles or keychain. The "browser" is scripts/scripted-browser.cjs, which
// clicks Approve on the sandbox's consent page.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'token.cjs');
const home = mkdtempSync(join(tmpdir(), 'token-demo-'));
const tty = process.stdout.isTTY && !process.env.NO_COLOR;
const bold = (s) => (tty ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s) => (tty ? `\x1b[2m${s}\x1b[0m` : s);
const env = {
  ...process.env,
  TOKEN_CONFIG_DIR: join(home, 'config'),
  TOKEN_STORE: 'file',
  BROWSER: join(root, 'scripts', 'scripted-browser.cjs'),
  TOKEN_PROFILE: '',
};
delete env.TOKEN_CLIENT_SECRET;

let sandbox;
try {
  sandbox = await startSandbox();
  const url = sandbox.url;
  const priavaRedirect = `http://127.0.0.1:${await freePort()}/callback`;
  section('Log in to all three providers (a scripted browser approves the consent pages)');
  token(['login', 'prism', '--client-id', 'prism-demo-client', '--service-url', url], {
    TOKEN_CLIENT_SECRET: 'prism-demo-secret',
  });
  token(
    [
      'login',
      'priava',
      '--client-id',
      'priava-demo-client',
      '--region',
      'APAC',
      '--api-url',
      `${url}/priava/api`,
      '--authorize-url',
      `${url}/priava/authorize`,
      '--redirect-uri',
      priavaRedirect,
    ],
    { TOKEN_CLIENT_SECRET: 'priava-demo-secret' },
  );
  token(['login', 'bp', '--client-id', 'demo.user', '--tenant', 'example.brightpattern.com', '--url', `${url}/bp`], {
    TOKEN_CLIENT_SECRET: 'bp-demo-api-secret',
  });

  section('Profiles');
  token(['list']);
  token(['use', 'priava']);
  token(['list']);

  section('Inspect a token, and ask PRISM who it belongs to');
  token(['show', '-p', 'prism', '--verify']);
  token(['show', '-p', 'brightpattern']);

  section('A ready-to-run curl line, then run it');
  const line = token(['curl', '-p', 'prism']).trim();
  run(
    'sh',
    ['-c', `${line} --silent --show-error --fail; echo`],
    `${line.replace(/(x-prism-access-token: )[^']+/, '$1…')} --silent --fail`,
  );
  token(['curl', '-p', 'prism', '--hide-token']);

  section('Refresh: Priava rotates the refresh token');
  token(['refresh', '-p', 'priava']);
  // The token itself (and its decoded claims) would fill the screen: left out, and said so.
  token(['show', '-p', 'priava', '--json'], {}, (out) => {
    const shown = Object.fromEntries(
      Object.entries(JSON.parse(out)).filter(([k]) => k !== 'access_token' && k !== 'jwt'),
    );
    return `${JSON.stringify(shown)}\n${dim('(the demo leaves out "access_token" and "jwt" here; token prints them)')}`;
  });

  section('A live check of every profile');
  token(['status']);

  section('Check the PRISM service against the PRISM pages (stores nothing)');
  token(['check', 'prism', '--client-id', 'prism-demo-client', '--service-url', url], {
    TOKEN_CLIENT_SECRET: 'prism-demo-secret',
  });

  section('Use a token inside another command');
  token([
    'exec',
    '-p',
    'brightpattern',
    '--',
    process.execPath,
    '-e',
    'console.log("child sees:", process.env.TOKEN_AUTH_HEADER.slice(0, 28) + "…")',
  ]);

  section('Log out');
  token(['logout', '--all']);
  token(['list']);
  console.log(`\n${bold('Demo finished: every step exited 0.')}`);
} catch (err) {
  console.error(`\ndemo failed: ${err.message}`);
  process.exitCode = 1;
} finally {
  sandbox?.child.kill('SIGTERM');
  rmSync(home, { recursive: true, force: true });
}

function section(title) {
  console.log(`\n${bold(`== ${title}`)}`);
}

/** Runs `token <args>` and shows it as a user would type it; throws on a non-zero exit. */
function token(args, extraEnv = {}, summarize) {
  const shownEnv = Object.keys(extraEnv)
    .map((k) => `${k}=… `)
    .join('');
  console.log(dim(`$ ${shownEnv}token ${args.map((a) => (/[\s"'$]/.test(a) ? `'${a}'` : a)).join(' ')}`));
  const r = spawnSync(process.execPath, [bin, ...args], {
    env: { ...env, ...extraEnv },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (r.stderr) process.stdout.write(r.stderr.replace(/^(?=.)/gm, '  '));
  if (r.stdout) process.stdout.write((summarize ? `${summarize(r.stdout)}\n` : r.stdout).replace(/^(?=.)/gm, '  '));
  if (r.status !== 0) throw new Error(`token ${args[0]} exited ${r.status}`);
  return r.stdout;
}

function run(cmd, args, shown) {
  console.log(dim(`$ ${shown}`));
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  process.stdout.write(`${r.stdout}${r.stderr}`.replace(/^(?=.)/gm, '  '));
  if (r.status !== 0) throw new Error(`${cmd} exited ${r.status}`);
}

/** `token sandbox` in the background; its first stdout line is the base URL. */
function startSandbox() {
  console.log(dim('$ token sandbox &'));
  const child = spawn(process.execPath, [bin, 'sandbox', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let banner = '';
  child.stderr.on('data', (d) => (banner += d));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`token sandbox exited ${code}: ${banner}`)));
    child.stdout.once('data', (d) => {
      // The banner (stderr) is written before the URL (stdout); show its first line.
      setTimeout(() => {
        console.log(`  ${banner.split('\n')[0]}`);
        resolve({ child, url: String(d).trim().split('\n')[0] });
      }, 50);
    });
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
