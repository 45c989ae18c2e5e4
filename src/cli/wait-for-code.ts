// Waiting for the authorization code: the loopback callback, a pasted URL or code
// (TTY only), whichever comes first; a spinner with the time left on a TTY.
import { createInterface } from 'node:readline';
import type { Deps, Prompter } from './deps.js';
import { CancelledError, NotLoggedInError } from '../errors.js';
import type { Callback, Loopback } from '../oauth/loopback.js';
import type { Provider } from '../providers/types.js';
import { formatDuration } from './output.js';

export interface WaitOptions {
  deps: Deps;
  listener?: Loopback;
  state: string | null;
  timeoutS: number;
  canPaste: boolean;
  prompter?: Prompter;
  provider: Pick<Provider, 'registeredRedirectUri'>;
}

/** A pasted redirect URL (its code, error and state) or a bare code. */
export function parsePasted(text: string, state: string | null): Callback | string {
  const t = text.trim();
  if (t === '') return 'nothing pasted';
  if (/^https?:\/\//i.test(t) || t.includes('?') || t.includes('code=')) {
    let params: URLSearchParams;
    try {
      const url = new URL(t, 'http://pasted.invalid');
      params = new URLSearchParams(url.search || url.hash.replace(/^#/, ''));
    } catch {
      return 'that is not a URL';
    }
    const got = params.get('state');
    // RFC 6749 §10.12: a redirected URL must carry this login's state, as the listener demands.
    if (state !== null && got !== state)
      return got === null
        ? 'that URL has no state; paste the whole redirected URL, or just the code'
        : 'the state in that URL is not the one this login sent';
    const error = params.get('error');
    if (error) return { error, errorDescription: params.get('error_description') ?? undefined };
    const code = params.get('code');
    return code ? { code, ...(state === null && got !== null ? { state: got } : {}) } : 'that URL has no code';
  }
  if (/\s/.test(t)) return 'a code has no spaces';
  return { code: t };
}

/** --code skips the browser, but the exchange repeats the redirect URI: one the provider registers is not implied by --code. */
export function timeoutHint(provider: Pick<Provider, 'registeredRedirectUri'>): string {
  const code = provider.registeredRedirectUri
    ? '--code <code> --redirect-uri <the URI it was issued for> skips the browser'
    : '--code <code> skips the browser';
  return `run the login again (--timeout <s> waits longer; ${code})`;
}

/** Asks for the code again after the token endpoint refused a pasted one (a typo, a stale code). */
export async function pasteAgain(prompter: Prompter, state: string | null, deps: Deps): Promise<Callback> {
  for (;;) {
    const answer = parsePasted(
      await prompter.input('Paste the redirected URL or the code again (Ctrl-C to stop):'),
      state,
    );
    if (typeof answer !== 'string') return { ...answer, pasted: true };
    deps.stderr.write(`token: ${answer}\n`);
  }
}

export async function waitForCode(o: WaitOptions): Promise<Callback> {
  const { deps } = o;
  const deadline = deps.now() + o.timeoutS * 1000;
  const cleanups: (() => void)[] = [];
  try {
    return await new Promise<Callback>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new NotLoggedInError(`no sign-in arrived within ${o.timeoutS} s`, timeoutHint(o.provider))),
        o.timeoutS * 1000,
      );
      cleanups.push(() => clearTimeout(timer));
      void o.listener?.callback.then(resolve); // never rejects: a bad callback gets an error page and the wait goes on
      if (!o.canPaste) return;
      if (!o.listener) {
        // No listener (a non-loopback redirect URI): the paste prompt is the only way in.
        const ask = async (): Promise<void> => {
          const answer = parsePasted(await o.prompter!.input('Paste the redirected URL or the code:'), o.state);
          if (typeof answer === 'string') {
            deps.stderr.write(`token: ${answer}\n`);
            return ask();
          }
          resolve({ ...answer, pasted: true });
        };
        ask().catch(reject);
        return;
      }
      cleanups.push(pasteWhileWaiting(deps, o.state, deadline, resolve, reject));
    });
  } finally {
    for (const c of cleanups.reverse()) c();
  }
}

/**
 * Lines typed or pasted on the terminal while the listener waits. canPaste means
 * both stdin and stderr are TTYs, so readline runs in terminal mode with the spinner
 * as its prompt: each redraw keeps what has been typed so far, and a long line wraps
 * cleanly (a bare `\r` spinner wiped the typing and repeated itself on every wrap).
 */
function pasteWhileWaiting(
  deps: Deps,
  state: string | null,
  deadline: number,
  resolve: (cb: Callback) => void,
  reject: (err: Error) => void,
): () => void {
  const rl = createInterface({ input: deps.stdin, output: deps.stderr, terminal: true });
  let open = true;
  let frame = 0;
  const draw = () => {
    if (!open) return;
    rl.setPrompt(
      `${FRAMES[frame++ % FRAMES.length]} Waiting for the browser… ${formatDuration(Math.max(0, deadline - deps.now()))} left › `,
    );
    // Node's readline writes a multi-character paste straight out without updating
    // prevRows, its idea of the cursor's row; a redraw then starts a row too low and
    // leaves the old first row behind. The cursor really is on getCursorPos()'s row.
    (rl as unknown as { prevRows: number }).prevRows = rl.getCursorPos().rows;
    rl.prompt(true);
  };
  deps.stderr.write(
    'If the browser cannot reach this machine, paste the redirected URL or the code here and press Enter.\n',
  );
  draw();
  const timer = setInterval(draw, 100);
  // Ctrl-D (end of input) stops the typing, not the wait for the browser.
  rl.on('close', () => {
    open = false;
    clearInterval(timer);
  });
  rl.on('line', (line) => {
    if (line.trim() === '') return draw();
    const answer = parsePasted(line, state);
    if (typeof answer !== 'string') return resolve({ ...answer, pasted: true });
    deps.stderr.write(`token: ${answer}\n`);
    draw();
  });
  // Raw mode turns Ctrl-C into a key press, not a signal: cancel (exit 130).
  rl.on('SIGINT', () => reject(new CancelledError()));
  return () => {
    clearInterval(timer);
    if (!open) return;
    // Erase the spinner prompt and anything half typed, then give the terminal back.
    rl.write(null, { ctrl: true, name: 'e' });
    rl.write(null, { ctrl: true, name: 'u' });
    rl.setPrompt('');
    rl.prompt(true);
    rl.close();
    deps.stdin.pause();
  };
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
