// Builds dist/ for start-up speed (docs/performance.md):
// - dist/main.cjs: everything `token show --raw` needs, as ONE CommonJS file. An ES
//   module entry alone costs Node its ESM loader, a large part of its own start-up.
// - dist/<name>.js + dist/chunks/: the cold paths (commander, prompts, the loopback
//   server, HTTP, keychain, completion, the sandbox) as ES modules, loaded by dynamic
//   import only by the commands that need them. They take the shared modules from
//   main.cjs through the package's own "exports" ("token-cli/core"), so every class
//   and every piece of state exists once.
// - dist/quick.cjs: `show --raw` with a fresh token, tried by bin/token.cjs before main.cjs.
// - dist/keychain-helper.cjs: the short-lived child that runs keytar for one command.
// Builds into a temp dir and swaps it in, so a running CLI never sees half a dist/.
import { build } from 'esbuild';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = `${root}dist`;
const next = `${root}.dist-${process.pid}`;
const old = `${root}.dist-old-${process.pid}`;
const CORE = 'token-cli/core';
const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  minifySyntax: true,
  logLevel: 'warning',
  external: ['keytar', 'open'],
};

// ofetch's createFetch without either of ofetch's entries: both read globalThis.Headers when
// imported, and on Node 20 that getter loads Node's whole built-in undici, a sixth of a
// refresh's instructions (docs/performance.md). oauth/http.ts gives createFetch node-fetch's
// Headers instead. Found through the entry's own import, so an ofetch that moves it fails here.
const ofetchEntry = `${root}node_modules/ofetch/dist/index.mjs`;
const ofetchShared = /import \{ c as createFetch \} from '(\.\/shared\/ofetch\.[\w-]+\.mjs)'/.exec(
  readFileSync(ofetchEntry, 'utf8'),
)?.[1];
if (!ofetchShared) throw new Error(`${ofetchEntry}: no createFetch import found`);
const ofetchCore = {
  name: 'ofetch-core',
  setup(b) {
    b.onResolve({ filter: /^ofetch$/ }, () => ({ path: 'ofetch', namespace: 'ofetch-core' }));
    b.onLoad({ filter: /.*/, namespace: 'ofetch-core' }, () => ({
      contents: `export { c as createFetch } from ${JSON.stringify(`${root}node_modules/ofetch/dist/${ofetchShared.slice(2)}`)};`,
      resolveDir: root,
    }));
  },
};

// Pass 1: which files `main` reaches statically (the core), and what it loads lazily.
const lazy = new Map(); // absolute path -> entry name
const firstPass = await build({
  ...common,
  entryPoints: ['src/cli/main.ts'],
  write: false,
  outdir: next,
  format: 'cjs',
  define: { 'import.meta.url': 'undefined' },
  metafile: true,
  plugins: [collectLazy(lazy)],
});
const core = new Set(Object.keys(firstPass.metafile.inputs).map((p) => `${root}${p}`));
for (const path of core) lazy.delete(path);

// The core bundle: main.ts plus every core module re-exported, for the cold chunks.
const barrel = [...core]
  .filter((p) => p.startsWith(`${root}src/`))
  .map((p) => `export * from ${JSON.stringify(p)};`)
  .join('\n');
const coreBuild = await build({
  ...common,
  stdin: { contents: barrel, resolveDir: root, loader: 'ts', sourcefile: 'core.ts' },
  outfile: `${next}/main.cjs`,
  format: 'cjs',
  write: false,
  // import.meta does not exist in CommonJS; static-output.ts uses __filename there.
  define: { 'import.meta.url': 'undefined' },
  plugins: [lazyImportsTo(lazy)],
});
mkdirSync(next, { recursive: true });
writeFileSync(`${next}/main.cjs`, plainExports(lazyImportsThroughShim(coreBuild.outputFiles[0].text)));
// The names main.cjs exports, for the cold chunks' view of it (coreFrom).
const coreNames = Object.values(
  (
    await build({
      ...common,
      stdin: { contents: barrel, resolveDir: root, loader: 'ts' },
      outdir: next,
      format: 'esm',
      write: false,
      metafile: true,
      plugins: [lazyImportsTo(lazy)],
    })
  ).metafile.outputs,
)[0].exports;

// The cold paths: ES modules that import the core from main.cjs.
await build({
  ...common,
  entryPoints: {
    ...Object.fromEntries([...lazy].map(([path, name]) => [name, path])),
    sandbox: 'src/sandbox/index.ts',
  },
  outdir: next,
  splitting: true,
  format: 'esm',
  chunkNames: 'chunks/[name]-[hash]',
  plugins: [ofetchCore, coreFrom(core, coreNames)],
  // Bundled CommonJS dependencies (commander) call require() for
  // Node built-ins. Created on first use: touching import.meta costs start-up time.
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; let __req; function require(id) { return (__req ??= __cr(import.meta.url))(id); }",
  },
});

// `show --raw` with a fresh token before main.cjs loads (src/cli/quick-show.ts): a few KB,
// bin/token.cjs tries it first. Minified: it is never in a stack trace (it reports nothing).
await build({
  ...common,
  entryPoints: ['src/cli/quick-show.ts'],
  outfile: `${next}/quick.cjs`,
  format: 'cjs',
  minify: true,
  define: { 'import.meta.url': 'undefined' },
});

// The keychain helper: one small CommonJS file of its own, loaded by a child process.
await build({
  ...common,
  entryPoints: ['src/store/keychain-helper.ts'],
  outfile: `${next}/keychain-helper.cjs`,
  format: 'cjs',
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
const commands = [
  'login',
  'refresh',
  'show',
  'curl',
  'exec',
  'list',
  'status',
  'use',
  'logout',
  'check',
  'completion',
  'sandbox',
];
// All at once: each is a Node start-up and commander's load, and the build waits for the last.
const run = async (args) =>
  (
    await promisify(execFile)(process.execPath, [`${root}bin/token.cjs`, ...args], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    })
  ).stdout;
const help = Object.fromEntries(
  await Promise.all([
    run(['--help']).then((text) => ['token', text]),
    ...commands.map(async (c) => [c, await run([c, '--help'])]),
  ]),
);
mkdirSync(`${dist}/help`);
for (const [name, text] of Object.entries(help)) writeFileSync(`${dist}/help/${name}.txt`, text);

// The V8 code caches of main.cjs and quick.cjs for this Node (bin/token.cjs, scripts/code-cache.cjs).
// Without one the CLI works the same, only starts slower: say so, but do not fail an
// install over it (test/cli/startup.test.ts insists on it).
try {
  execFileSync(process.execPath, [`${root}scripts/code-cache.cjs`], { stdio: ['ignore', 'ignore', 'pipe'] });
} catch (err) {
  console.warn(
    `warning: no code cache for dist/main.cjs and dist/quick.cjs, so token starts slower (${String(
      err.stderr || err.message,
    )
      .trim()
      .split('\n')
      .pop()})`,
  );
}

/**
 * bin/token.cjs compiles main.cjs itself (from a V8 code cache), and code compiled that
 * way has no import() of its own: the shim passes one in (`__tokenImport`). Loaded any
 * other way (a cold chunk importing "token-cli/core" first), the bundle's own import() is used.
 */
function lazyImportsThroughShim(code) {
  if (!/\bimport\("\.\/[\w-]+\.js"\)/.test(code)) throw new Error('main.cjs: no lazy imports found');
  const rewritten = code.replace(/\bimport\(("\.\/[\w-]+\.js")\)/g, '__lazyImport($1)');
  if (/\bimport\(/.test(rewritten)) throw new Error('main.cjs: an import() the shim cannot serve');
  return `var __lazyImport = typeof __tokenImport == "function" ? __tokenImport : (specifier) => import(specifier);\n${rewritten}`;
}

/** An esbuild plugin that sees each import (only dynamic ones if asked) with its resolved path. */
function onImport(name, dynamicOnly, handle) {
  return {
    name,
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData?.inner || args.kind === 'entry-point' || (dynamicOnly && args.kind !== 'dynamic-import'))
          return undefined;
        const r = await b.resolve(args.path, {
          resolveDir: args.resolveDir,
          kind: args.kind,
          pluginData: { inner: true },
        });
        return handle(args, r);
      });
    },
  };
}

/** Every dynamic import becomes external, named after its file (or package). */
function collectLazy(names) {
  return onImport('collect-lazy', true, (args, r) => {
    if (!r.external && !common.external.includes(args.path)) {
      names.set(r.path, args.path.startsWith('.') ? basename(r.path, extname(r.path)) : args.path.replaceAll('/', '-'));
    }
    return { path: args.path, external: true };
  });
}

/** In main.cjs: a dynamic import of a cold module loads dist/<name>.js. */
function lazyImportsTo(names) {
  return onImport('lazy-imports', true, (_args, r) =>
    names.has(r.path) ? { path: `./${names.get(r.path)}.js`, external: true } : undefined,
  );
}

/** In the cold build: any import of a core module is an import of main.cjs. */
function coreFrom(files, names) {
  const plugin = onImport('core-from-main', false, (_args, r) =>
    files.has(r.path) ? { path: CORE, namespace: 'token-core' } : undefined,
  );
  // require(), not import: importing CommonJS from an ES module costs Node a lexer pass
  // over main.cjs on each cold command. The shim has put main.cjs in require's
  // cache; its values are final once it has loaded, so they are read once, here.
  const contents = `const core = require(${JSON.stringify(CORE)}).core();\nexport const { ${names.join(', ')} } = core;\n`;
  return {
    name: plugin.name,
    setup(b) {
      plugin.setup(b);
      b.onLoad({ filter: /.*/, namespace: 'token-core' }, () => ({ contents, loader: 'js', resolveDir: root }));
      b.onResolve({ filter: new RegExp(`^${CORE}$`), namespace: 'token-core' }, () => ({ path: CORE, external: true }));
    },
  };
}

/**
 * main.cjs exports `main` and `core()`. esbuild writes the barrel's exports as a table of
 * getters (one closure and one defineProperty per name) filled in before anything else
 * runs: work on every start-up for names only the cold chunks read. Here the table is
 * built by `core()`, once, when the first cold chunk asks (coreFrom); its values are
 * final by then, as main.cjs has finished loading.
 */
function plainExports(code) {
  const table = /^__export\(core_exports, \{\n((?: {2}[\w$]+: \(\) => [\w$]+,?\n)+)\}\);\n/m.exec(code);
  const head = 'var core_exports = {};\n';
  const copy = 'module.exports = __toCommonJS(core_exports);\n';
  const note = code.indexOf('// Annotate the CommonJS export names');
  if (!table || !code.includes(head) || !code.includes(copy) || note === -1)
    throw new Error('main.cjs: esbuild no longer writes its exports as expected');
  const names = table[1].replace(/\(\) => /g, '');
  const body = code.slice(0, note).replace(table[0], '').replace(head, '').replace(copy, '');
  return `${body}var __core;\nmodule.exports = { main, core: () => __core ??= {\n${names}} };\n`;
}
