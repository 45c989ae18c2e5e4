// One Deps value carries the world (STYLE.md): streams and their TTY-ness, env,
// the clock, and lazy factories for the cold parts, so tests pass fakes instead.
import type { Writable, Readable } from 'node:stream';
import { writeSync } from 'node:fs';
import { builtin } from '../store/builtin.js';
import { createRedactor, type Redactor } from '../oauth/redact.js';
import { openStorage, type Storage } from '../store/index.js';

export interface Prompter {
  input(message: string, opts?: { default?: string; validate?: (v: string) => true | string }): Promise<string>;
  password(message: string): Promise<string>;
  confirm(message: string, defaultValue?: boolean): Promise<boolean>;
  select(message: string, choices: { value: string; name: string }[]): Promise<string>;
}

export interface Deps {
  env: NodeJS.ProcessEnv;
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  stdinIsTTY: boolean;
  stderrIsTTY: boolean;
  /** A plain function: passed around as a clock (requestToken's `now`). */
  now: () => number;
  /**
   * When this command was launched (epoch ms). A refresh is satisfied by a token
   * another process obtained after it, so processes started together refresh once
   * even when a slow start lets one of them finish first (SPEC "Profiles and storage").
   */
  startedAt?: number;
  /** --no-color was given. */
  noColor?: boolean;
  /** Opens a URL in the user's browser ($BROWSER, else the platform opener). */
  openBrowser(url: string): Promise<void>;
  prompter(): Promise<Prompter>;
  /**
   * Ctrl-C (SIGINT) has one owner, main.ts. A command registers here what must happen
   * first (undo, close, release); returns a function that unregisters it. A handler that
   * returns 'handled' keeps the process running (exec: the child owns Ctrl-C; sandbox:
   * it is how the sandbox stops); otherwise main prints `token: cancelled` and exits 130.
   */
  onInterrupt(handler: InterruptHandler): () => void;
  /** Every secret this run has sent, read or received: hidden in traces and error text. */
  secrets: Redactor;
  /**
   * The config dir and the secret store, opened on first use and shared by the whole
   * command (cli/cli's factory hands out Config the same way). Tests pass one with an
   * in-memory keychain.
   */
  storage(): Storage;
  /**
   * The HTTP client of every request (oauth/http.ts): unset, node-fetch-native's (undici's
   * behind a proxy). Tests pass one that fails the way a network does.
   */
  fetch?: typeof fetch;
}

export type InterruptHandler = () => void | 'handled' | Promise<void | 'handled'>;

/** The handlers registered through Deps.onInterrupt, most recent first when run. */
export function interruptRegistry() {
  const handlers: InterruptHandler[] = [];
  return {
    add: (handler: InterruptHandler): (() => void) => {
      handlers.push(handler);
      return () => {
        const i = handlers.lastIndexOf(handler);
        if (i !== -1) handlers.splice(i, 1);
      };
    },
    /** Runs every handler (a failing one does not stop the rest); true when one took the signal over. */
    async run(): Promise<boolean> {
      let handled = false;
      for (const handler of [...handlers].reverse()) {
        try {
          if ((await handler()) === 'handled') handled = true;
        } catch {
          // Cleanup on the way out: the process is cancelled whatever one handler did.
        }
      }
      return handled;
    },
  };
}

/** Prompts need a terminal on both ends: stdin to type, stderr to show them. */
export function canPrompt(deps: Deps): boolean {
  return deps.stdinIsTTY && deps.stderrIsTTY;
}

function isatty(fd: number): boolean {
  return builtin<typeof import('node:tty')>('node:tty').isatty(fd);
}

/**
 * stdout written with writeSync on fd 1. Creating process.stdout (a socket stream for a
 * pipe) is a good part of Node's start-up, and `$(token show --raw)` needs one line. If a
 * write would block (a non-blocking pipe that is full), the rest goes through
 * process.stdout, and so does everything after it, in order. `write` and `fallback` are
 * for tests.
 */
export function directStdout(
  write: (data: string | Uint8Array) => number = (data) =>
    typeof data === 'string' ? writeSync(1, data) : writeSync(1, data),
  fallback: () => Writable = () => process.stdout,
): Writable {
  let stream: Writable | undefined;
  const out = {
    write(chunk: string | Uint8Array, cb?: (err?: Error | null) => void): boolean {
      if (stream) return stream.write(chunk, cb);
      let rest = chunk;
      try {
        // A string goes as it is (making a Buffer costs start-up work); a short write's rest as bytes.
        if (typeof rest === 'string') {
          const written = write(rest);
          rest = written === Buffer.byteLength(rest) ? '' : Buffer.from(rest).subarray(written);
        }
        while (rest.length > 0) rest = (rest as Uint8Array).subarray(write(rest));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // EPIPE: the reader has gone (`token show | head -c 3`); there is no one left to tell.
        if (code === 'EAGAIN') return (stream = fallback()).write(rest, cb);
        if (code !== 'EPIPE') throw err;
      }
      cb?.();
      return true;
    },
    get isTTY() {
      return isatty(1);
    },
  };
  return out as unknown as Writable;
}

export function realDeps(): Deps {
  const env = process.env;
  let storage: Storage | undefined;
  // Getters: touching process.stdin/stderr creates the stream, which costs start-up
  // time on the hot path (`show --raw` never reads stdin or writes stderr).
  return {
    env,
    get stdin() {
      return process.stdin;
    },
    stdout: directStdout(),
    get stderr() {
      return process.stderr;
    },
    // node:tty costs start-up time; only prompts, colour and the spinner ask.
    get stdinIsTTY() {
      return isatty(0);
    },
    get stderrIsTTY() {
      return isatty(2);
    },
    now: () => Date.now(),
    // A getter: the `performance` global loads perf_hooks, which costs start-up time.
    get startedAt() {
      return performance.timeOrigin;
    },
    openBrowser: async (url) => (await import('../oauth/browser.js')).openBrowser(url, env),
    prompter: async () => (await import('./prompter.js')).createPrompter(process.stderr),
    // main() owns SIGINT and puts its own registry here before any command runs.
    onInterrupt: () => () => undefined,
    secrets: createRedactor(),
    // Opening computes a path and reads nothing: the files are read when asked for.
    storage: () => (storage ??= openStorage(env)),
  };
}
