// A real terminal for tests: the built CLI runs in a detached tmux pane of a fixed
// size, on a tmux server of its own (-S <temp dir>/tmux.sock), driven by send-keys
// and read back with capture-pane.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { shellQuote } from '../../src/cli/shell-quote.js';
import { BIN, ROOT } from './cli.js';

const run = promisify(execFile);

export interface Terminal {
  /** Types text literally (no key names), without Enter. */
  type(text: string): Promise<void>;
  /** Presses keys by tmux name: Enter, C-c, BSpace... */
  press(...keys: string[]): Promise<void>;
  /** Everything the pane shows and has scrolled away, wrapped lines joined. */
  screen(): Promise<string>;
  /** Polls the screen until it matches; fails showing the screen. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /**
   * Polls until the screen passes `check` (a capture may land mid-redraw, so a
   * one-off look can catch a half-drawn line); returns that screen.
   */
  waitUntil(what: string, check: (screen: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Waits for the `EXIT=<n>` line the pane prints when the CLI ends. */
  exitCode(timeoutMs?: number): Promise<number>;
  kill(): Promise<void>;
}

export interface TerminalOptions {
  /** The CLI's environment: written to an env file the pane sources, never typed. */
  env: NodeJS.ProcessEnv;
  cols?: number;
  rows?: number;
}

/** Runs `token <args>` in a fresh tmux pane and reports its exit code on screen. */
export async function runInTerminal(args: string[], opts: TerminalOptions): Promise<Terminal> {
  const dir = mkdtempSync(join(tmpdir(), 'token-tmux-'));
  const socket = join(dir, 'tmux.sock');
  const exports = Object.entries(opts.env)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `export ${k}=${shellQuote([v!])}`);
  writeFileSync(
    join(dir, 'run.sh'),
    [
      ...exports,
      `cd ${shellQuote([ROOT])}`,
      shellQuote([process.execPath, BIN, ...args]),
      'echo "EXIT=$?"',
      // Keep the pane (and its screen) until the test kills the server.
      'exec sleep 3600',
      '',
    ].join('\n'),
  );
  const tmux = (...a: string[]) =>
    run('tmux', ['-S', socket, ...a], { env: { PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8' } });
  await tmux(
    '-f',
    '/dev/null',
    'new-session',
    '-d',
    '-x',
    String(opts.cols ?? 100),
    '-y',
    String(opts.rows ?? 30),
    '-s',
    'token',
    'bash',
    '--norc',
    '--noprofile',
    join(dir, 'run.sh'),
  );

  const screen = async () => (await tmux('capture-pane', '-p', '-J', '-S', '-', '-t', 'token')).stdout;
  const waitUntil = async (what: string, check: (text: string) => boolean, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = await screen();
      if (check(text)) return text;
      if (Date.now() > deadline)
        throw new Error(`the terminal never showed ${what} in ${timeoutMs} ms; it shows:\n${text}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const waitFor = async (pattern: RegExp, timeoutMs?: number) =>
    (await waitUntil(String(pattern), (t) => pattern.test(t), timeoutMs)).match(pattern)!;
  return {
    type: async (text) => void (await tmux('send-keys', '-t', 'token', '-l', text)),
    press: async (...keys) => void (await tmux('send-keys', '-t', 'token', ...keys)),
    screen,
    waitFor,
    waitUntil,
    exitCode: async (timeoutMs) => Number((await waitFor(/^EXIT=(\d+)$/m, timeoutMs))[1]),
    kill: async () => {
      await tmux('kill-server').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
