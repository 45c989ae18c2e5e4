// Runs the built CLI as a child process, in a temp config dir, against 127.0.0.1 only.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'token.js');
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
      console.error(`runCli: token ${args.join(' ')} killed after ${timeoutMs / 1000} s\n--- its stderr:\n${stderr}--- scripted browser log:\n${browser}`);
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

export interface TempConfig {
  dir: string;
  env: NodeJS.ProcessEnv;
  read(file: 'profiles.json' | 'credentials.json'): any;
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
  return {
    dir,
    env,
    read: (file) => JSON.parse(readFileSync(join(dir, 'config', file), 'utf8')),
    exists: (file) => existsSync(join(dir, 'config', file)),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** One stderr line, `token: ...`, plus at most a hint line. */
export function errorLines(stderr: string): string[] {
  return stderr.trimEnd().split('\n');
}
