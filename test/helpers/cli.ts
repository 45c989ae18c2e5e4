// Runs the built CLI as a child process, in a temp config dir, against 127.0.0.1 only.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'token.cjs');
export const SCRIPTED_BROWSER = join(ROOT, 'scripts', 'scripted-browser.cjs');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  input?: string;
  timeoutMs?: number;
  /** Node binary to run the CLI with (default: this process's). */
  node?: string;
}

export function runCli(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(opts.node ?? process.execPath, [BIN, ...args], {
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timeoutMs = opts.timeoutMs ?? 45_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      // A hung run fails its test on `code: null`; say here what it was doing, for CI logs.
      const log = opts.env?.SCRIPTED_BROWSER_LOG;
      const browser = log && existsSync(log) ? readFileSync(log, 'utf8') : '(no browser log)\n';
      console.error(
        `runCli: token ${args.join(' ')} killed after ${timeoutMs / 1000} s\n--- its stderr:\n${stderr}--- scripted browser log:\n${browser}`,
      );
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

export type SecretKind = 'client_secret' | 'refresh_token' | 'access_token';

export interface TempConfig {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** config.json (storage version 2), or undefined before the first login. */
  config(): any;
  /** profiles/<name>.json parsed, or undefined when there is none. */
  profile(name: string): any;
  /** Every profile name (the files in profiles/). */
  names(): string[];
  /** A secret of a file-store profile: the access token from its cache, the others from its secrets. */
  secret(name: string, kind: SecretKind): string | undefined;
  /** Replaces profiles/<name>.json (for tests that set up a state by hand). */
  writeProfile(name: string, profile: unknown): void;
  /** Moves the stored token's times back, as if ms had passed since it was obtained: no sleeping. */
  age(name: string, ms: number): void;
  /** The raw text of a file under the config dir. */
  text(file: string): string;
  exists(file: string): boolean;
  cleanup(): void;
}

/** A fresh config dir and an environment that uses it (file store, no colour, scripted browser). */
export function tempConfig(extra: NodeJS.ProcessEnv = {}): TempConfig {
  const dir = mkdtempSync(join(tmpdir(), 'token-test-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    TOKEN_CONFIG_DIR: join(dir, 'config'),
    TOKEN_STORE: 'file',
    NO_COLOR: '1',
    BROWSER: SCRIPTED_BROWSER,
    SCRIPTED_BROWSER_LOG: join(dir, 'browser.log'),
    ...extra,
  };
  const config = join(dir, 'config');
  const json = (path: string) => (existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined);
  const profile = (name: string) => json(join(config, 'profiles', `${name}.json`));
  return {
    dir,
    env,
    config: () => json(join(config, 'config.json')),
    profile,
    names: () =>
      existsSync(join(config, 'profiles'))
        ? readdirSync(join(config, 'profiles'))
            .filter((f) => f.endsWith('.json'))
            .map((f) => f.slice(0, -5))
            .sort()
        : [],
    secret(name, kind) {
      const p = profile(name);
      if (kind === 'access_token') return p?.token?.accessToken;
      return p?.secrets?.[kind === 'client_secret' ? 'clientSecret' : 'refreshToken'];
    },
    writeProfile: (name, value) => {
      mkdirSync(join(config, 'profiles'), { recursive: true, mode: 0o700 });
      writeFileSync(join(config, 'profiles', `${name}.json`), `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
    },
    age(name, ms) {
      const p = profile(name);
      p.token.obtainedAt -= ms;
      if (p.token.expiresAt !== null) p.token.expiresAt -= ms;
      this.writeProfile(name, p);
    },
    text: (file) => readFileSync(join(config, file), 'utf8'),
    exists: (file) => existsSync(join(config, file)),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** One stderr line, `token: ...`, plus at most a hint line. */
export function errorLines(stderr: string): string[] {
  return stderr.trimEnd().split('\n');
}
