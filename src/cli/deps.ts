// One Deps value carries the world (STYLE.md): streams and their TTY-ness, env,
// the clock, and lazy factories for the cold parts, so tests pass fakes instead.
import type { Writable, Readable } from 'node:stream';

export interface Prompter {
  input(message: string, opts?: { default?: string; validate?: (v: string) => true | string }): Promise<string>;
  password(message: string): Promise<string>;
  confirm(message: string, defaultValue?: boolean): Promise<boolean>;
}

export interface Deps {
  env: NodeJS.ProcessEnv;
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  stdinIsTTY: boolean;
  stderrIsTTY: boolean;
  now(): number;
  /** --no-color was given. */
  noColor?: boolean;
  /** Opens a URL in the user's browser ($BROWSER, else the platform opener). */
  openBrowser(url: string): Promise<void>;
  prompter(): Promise<Prompter>;
}

export function realDeps(): Deps {
  return {
    env: process.env,
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    stdinIsTTY: Boolean(process.stdin.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    now: () => Date.now(),
    openBrowser: async (url) => (await import('../oauth/browser.js')).openBrowser(url, process.env),
    prompter: async () => (await import('./prompter.js')).createPrompter(process.stderr),
  };
}
