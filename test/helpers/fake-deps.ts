// A Deps for logic tests, in the manner of gh's iostreams.Test(): stdout and stderr in
// memory, a plain env object, a temp config dir with the real storage on it, an in-memory
// keychain, and a browser that signs in the way scripts/scripted-browser.cjs does. The
// server is the sandbox (src/sandbox) on 127.0.0.1; nothing of ours is mocked.
import { Readable, Writable } from 'node:stream';
import { interruptRegistry, type Deps, type Prompter } from '../../src/cli/deps.js';
import { dispatch, report, wantsJson } from '../../src/cli/main.js';
import { toLoginOptions, type LoginFlags } from '../../src/cli/commands/login.js';
import { login } from '../../src/cli/login-flow.js';
import { createRedactor } from '../../src/oauth/redact.js';
import { openStorage } from '../../src/store/index.js';
import { KeychainUnavailableError, type KeychainStore } from '../../src/store/keychain-store.js';
import type { LongSecrets } from '../../src/store/settings.js';
import { CLIENTS, type Sandbox } from '../../src/sandbox/index.js';
import { tempConfig, type TempConfig } from './cli.js';

/** A stream that keeps what is written; text() is all of it so far. */
export interface TestStream extends Writable {
  text(): string;
}

export function testStream(isTTY = false): TestStream {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      text += String(chunk);
      cb();
    },
  }) as TestStream;
  stream.text = () => text;
  Object.assign(stream, { isTTY });
  return stream;
}

/** An in-memory keychain that records each call (`read <account>`...), and can be told to fail. */
export function memoryKeychain() {
  const entries = new Map<string, string>();
  const calls: string[] = [];
  let failing = false;
  const check = () => {
    if (failing) throw new KeychainUnavailableError('no answer from the keyring within 3 s (test)');
  };
  const store: KeychainStore = {
    async read(account) {
      check();
      calls.push(`read ${account}`);
      const v = entries.get(account);
      return v === undefined ? undefined : (JSON.parse(v) as LongSecrets);
    },
    async write(account, secrets) {
      check();
      calls.push(`write ${account}`);
      entries.set(account, JSON.stringify(secrets));
    },
    async remove(account) {
      check();
      calls.push(`remove ${account}`);
      entries.delete(account);
    },
    async probe() {
      check();
      calls.push('probe');
    },
    async readV1(account) {
      return entries.get(account);
    },
    warm: () => void calls.push('warm'),
    idle: () => void calls.push('idle'),
    close: () => undefined,
  };
  return { store, entries, calls, fail: (on: boolean) => void (failing = on) };
}

export interface FakeDepsOptions {
  /** Merged over the temp config's env (TOKEN_CONFIG_DIR, TOKEN_STORE=file, NO_COLOR). */
  env?: NodeJS.ProcessEnv;
  /** What stdin holds (piped, not a TTY). */
  stdin?: string;
  /** stdin and stderr are terminals (prompts allowed): give a prompter too. */
  tty?: boolean;
  prompter?: Prompter;
  now?: () => number;
  /** The browser's answer on the consent page (default approve), or its own opener. */
  browser?: 'approve' | 'deny' | ((url: string) => Promise<void>);
  fetch?: typeof fetch;
}

export interface FakeDeps extends Deps {
  stdout: TestStream;
  stderr: TestStream;
  /** The temp config dir: its files as the CLI tests read them. */
  cfg: TempConfig;
  keychain: ReturnType<typeof memoryKeychain>;
  /** The URLs the browser was asked to open. */
  opened: string[];
  /** Ctrl-C: runs what commands registered with onInterrupt; true when one took it over. */
  interrupt(): Promise<boolean>;
  cleanup(): void;
}

export function fakeDeps(opts: FakeDepsOptions = {}): FakeDeps {
  const cfg = tempConfig(opts.env);
  const keychain = memoryKeychain();
  const interrupts = interruptRegistry();
  const opened: string[] = [];
  const env = cfg.env;
  let storage: ReturnType<typeof openStorage> | undefined;
  const given = opts.browser ?? 'approve';
  const browse = typeof given === 'function' ? given : (url: string) => signIn(url, given);
  const deps: FakeDeps = {
    env,
    stdin: Readable.from(opts.stdin === undefined ? [] : [Buffer.from(opts.stdin)]),
    stdout: testStream(),
    stderr: testStream(!!opts.tty),
    stdinIsTTY: !!opts.tty,
    stderrIsTTY: !!opts.tty,
    now: opts.now ?? (() => Date.now()),
    noColor: true,
    openBrowser: async (url) => {
      opened.push(url);
      await browse(url);
    },
    prompter: async () => {
      if (!opts.prompter) throw new Error('fakeDeps: a prompt was asked for, and the test gave no prompter');
      return opts.prompter;
    },
    onInterrupt: interrupts.add,
    secrets: createRedactor(),
    storage: () => (storage ??= openStorage(env, { keychain: () => keychain.store })),
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    cfg,
    keychain,
    opened,
    interrupt: () => interrupts.run(),
    cleanup: () => {
      storage?.close();
      cfg.cleanup();
    },
  };
  return deps;
}

/** A command's outcome as main() would make it: the exit code, and what was written. */
export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs logic with these deps and reports a failure through main's own report(): the exit
 * code of SPEC's table and the `token: ...` line (and hint) on stderr, or {"error"} with --json.
 */
export async function outcome(deps: FakeDeps, fn: () => Promise<unknown>, json = false): Promise<Outcome> {
  // A command starts in a later millisecond than the last one ended, as a new process
  // would: renew() tells a failure it queued behind from an earlier one by its time.
  for (const t = Date.now(); Date.now() === t;) await new Promise((resolve) => setImmediate(resolve));
  const before = { out: deps.stdout.text().length, err: deps.stderr.text().length };
  let code = 0;
  try {
    await fn();
  } catch (err) {
    code = await report(err, deps, json);
  }
  return { code, stdout: deps.stdout.text().slice(before.out), stderr: deps.stderr.text().slice(before.err) };
}

/** The flags commander hands `login <provider>` for a login against the sandbox. */
export function sandboxLoginFlags(
  sb: Sandbox,
  provider: 'brightpattern' | 'prism' | 'priava',
  redirectUri?: string,
): LoginFlags {
  const common = { browser: true, timeout: '300', clientId: CLIENTS[provider].clientId };
  if (provider === 'brightpattern') return { ...common, tenant: CLIENTS.brightpattern.tenant, url: sb.bpUrl };
  if (provider === 'prism') return { ...common, serviceUrl: sb.prismServiceUrl };
  if (!redirectUri) throw new Error('a Priava login needs the redirect URI registered for it');
  return { ...common, region: 'APAC', apiUrl: sb.priavaApiUrl, authorizeUrl: sb.priavaAuthorizeUrl, redirectUri };
}

/**
 * `token login <provider> ...` in-process: flags → LoginOptions (toLoginOptions), then
 * login(opts, deps), with the client secret in TOKEN_CLIENT_SECRET as the CLI tests give it.
 */
export function loginInProcess(
  deps: FakeDeps,
  sb: Sandbox,
  provider: 'brightpattern' | 'prism' | 'priava',
  redirectUri?: string,
  extra: Partial<LoginFlags> = {},
): Promise<Outcome> {
  return outcome(
    deps,
    async () => {
      deps.env.TOKEN_CLIENT_SECRET = CLIENTS[provider].clientSecret;
      try {
        await login(
          await toLoginOptions(provider, { ...sandboxLoginFlags(sb, provider, redirectUri), ...extra }, deps),
          deps,
        );
      } finally {
        delete deps.env.TOKEN_CLIENT_SECRET;
      }
    },
    extra.json === true,
  );
}

/**
 * What scripts/scripted-browser.cjs does, in-process: load the consent page, submit it,
 * and follow the redirect to the loopback listener.
 */
async function signIn(url: string, decision: 'approve' | 'deny'): Promise<void> {
  const page = await (await fetch(url)).text();
  const fields = new URLSearchParams();
  const unescape = (s: string) =>
    s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!);
  for (const m of page.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g))
    fields.set(unescape(m[1]!), unescape(m[2]!));
  fields.set('decision', decision);
  const submitted = await fetch(url, { method: 'POST', body: fields, redirect: 'manual' });
  const location = submitted.headers.get('location');
  if (!location) throw new Error(`the consent page answered HTTP ${submitted.status} without a redirect`);
  await (await fetch(new URL(location, url))).text();
}

/**
 * `token <argv>` in-process: main()'s own dispatch and error report, without the exit: the
 * outcome of one CLI run. `env` is added to deps.env for this run only (a secret, TOKEN_PROFILE).
 */
export async function runInProcess(deps: FakeDeps, argv: string[], env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  const saved = { ...deps.env };
  Object.assign(deps.env, env);
  try {
    return await outcome(deps, () => dispatch(argv, deps), wantsJson(argv));
  } finally {
    for (const key of Object.keys(deps.env)) delete deps.env[key];
    Object.assign(deps.env, saved);
  }
}

/**
 * runCli's in-process twin: `token <args>` with fresh Deps over `env` (its TOKEN_CONFIG_DIR
 * is the config dir used), as a new process would start, cleaned up after. `opened` is
 * what the browser was asked to open.
 */
export async function runFresh(
  args: string[],
  env: NodeJS.ProcessEnv,
  opts: Omit<FakeDepsOptions, 'env'> = {},
): Promise<Outcome & { opened: string[] }> {
  const deps = fakeDeps({ ...opts, env });
  try {
    return { ...(await runInProcess(deps, args)), opened: deps.opened };
  } finally {
    deps.cleanup();
  }
}
