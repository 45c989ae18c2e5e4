// Bundles src/cli/main.ts into dist/ with code splitting, so cold paths
// (prompts, loopback server, HTTP, keychain, completion) load only when used.
// dist/keychain-agent.js is its own entry: the per-user process that runs keytar,
// started by dist/chunks/keychain-store-*.js (src/store/keychain-store.ts).
// Builds into a temp dir and swaps it in, so a CLI that is running while a
// build happens never sees a half-written dist/.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = `${root}dist`;
const next = `${root}.dist-${process.pid}`;
const old = `${root}.dist-old-${process.pid}`;

await build({
  entryPoints: { main: 'src/cli/main.ts', sandbox: 'src/sandbox/index.ts', 'keychain-agent': 'src/store/keychain-agent.ts' },
  absWorkingDir: root,
  outdir: next,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['keytar', 'open'], // native addon; open ships its own xdg-open script
  minifySyntax: true,
  logLevel: 'warning',
  chunkNames: 'chunks/[name]-[hash]',
  // Bundled CommonJS dependencies (commander, proper-lockfile) call require() for
  // Node built-ins. Created on first use: touching import.meta costs start-up time.
  banner: { js: "import { createRequire as __cr } from 'node:module'; let __req; function require(id) { return (__req ??= __cr(import.meta.url))(id); }" },
});
try {
  renameSync(dist, old);
} catch (err) {
  if (err.code !== 'ENOENT') throw err;
}
renameSync(next, dist);
rmSync(old, { recursive: true, force: true });

// Help texts, written once per build so `token --help` need not load commander
// (src/cli/static-output.ts). Produced by the CLI itself, before the files exist.
const commands = ['login', 'refresh', 'show', 'curl', 'exec', 'list', 'use', 'logout', 'completion', 'sandbox'];
const help = {};
help.token = execFileSync(process.execPath, [`${root}bin/token.js`, '--help'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
for (const c of commands) help[c] = execFileSync(process.execPath, [`${root}bin/token.js`, c, '--help'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
mkdirSync(`${dist}/help`);
for (const [name, text] of Object.entries(help)) writeFileSync(`${dist}/help/${name}.txt`, text);
