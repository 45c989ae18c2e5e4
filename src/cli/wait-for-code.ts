// Waiting for the authorization code: the loopback callback, a pasted URL or code
// (TTY only), whichever comes first; a spinner with the time left on a TTY.
import { createInterface } from 'node:readline';
import type { Deps, Prompter } from './deps.js';
import { NotLoggedInError } from './errors.js';
import type { Callback, Loopback } from '../oauth/loopback.js';
import { formatDuration } from './output.js';

export interface WaitOptions {
  deps: Deps;
  listener?: Loopback;
  state: string | null;
  timeoutS: number;
  canPaste: boolean;
  prompter?: Prompter;
  provider: string;
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
    if (state !== null && got !== null && got !== state) return 'the state in that URL is not the one this login sent';
    const error = params.get('error');
    if (error) return { error, errorDescription: params.get('error_description') ?? undefined };
    const code = params.get('code');
    return code ? { code } : 'that URL has no code';
  }
  if (/\s/.test(t)) return 'a code has no spaces';
  return { code: t };
}

export async function waitForCode(o: WaitOptions): Promise<Callback> {
  const { deps } = o;
  const deadline = Date.now() + o.timeoutS * 1000;
  const cleanups: (() => void)[] = [];
  try {
    return await new Promise<Callback>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new NotLoggedInError(`no sign-in arrived within ${o.timeoutS} s`, 'run the login again (--timeout <s> waits longer; --code <code> skips the browser)')),
        o.timeoutS * 1000,
      );
      cleanups.push(() => clearTimeout(timer));
      o.listener?.callback.then(resolve);
      if (!o.canPaste) return;
      if (!o.listener) {
        // No listener (a non-loopback redirect URI): the paste prompt is the only way in.
        const ask = async (): Promise<void> => {
          const answer = parsePasted(await o.prompter!.input('Paste the redirected URL or the code:'), o.state);
          if (typeof answer === 'string') {
            deps.stderr.write(`token: ${answer}\n`);
            return ask();
          }
          resolve(answer);
        };
        ask().catch(reject);
        return;
      }
      cleanups.push(pasteWhileWaiting(deps, o.state, resolve));
      if (deps.stderrIsTTY) cleanups.push(spinner(deps, deadline));
    });
  } finally {
    for (const c of cleanups.reverse()) c();
  }
}

/** Lines typed or pasted on the terminal while the listener waits. */
function pasteWhileWaiting(deps: Deps, state: string | null, resolve: (cb: Callback) => void): () => void {
  const rl = createInterface({ input: deps.stdin, terminal: false });
  rl.on('line', (line) => {
    if (line.trim() === '') return;
    const answer = parsePasted(line, state);
    if (typeof answer === 'string') deps.stderr.write(`\ntoken: ${answer}\n`);
    else resolve(answer);
  });
  return () => {
    rl.close();
    deps.stdin.pause();
  };
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

function spinner(deps: Deps, deadline: number): () => void {
  let i = 0;
  const draw = () => {
    const left = formatDuration(Math.max(0, deadline - Date.now()));
    deps.stderr.write(`\r\x1b[K${FRAMES[i++ % FRAMES.length]} Waiting for the browser… ${left} left (or paste the redirected URL or code and press Enter)`);
  };
  draw();
  const timer = setInterval(draw, 100);
  return () => {
    clearInterval(timer);
    deps.stderr.write('\r\x1b[K');
  };
}
