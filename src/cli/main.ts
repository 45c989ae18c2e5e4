// The ONLY place that sets the exit code and writes errors (STYLE.md).
import { realDeps, type Deps } from './deps.js';
import { CancelledError, ChildExitError, EXIT_CODES, firstLine, TokenError } from '../errors.js';
import { fastShow, parseFastShow } from './fast-show.js';
import { printStatic } from './static-output.js';

export async function main(argv: string[], deps: Deps = realDeps()): Promise<void> {
  // Ctrl-C outside a prompt: files are replaced by rename and secrets are written before
  // the settings that point at them, so exiting here leaves the old state or the new one.
  process.once('SIGINT', () => void report(new CancelledError(), deps, wantsJson(argv)).then((code) => finish(deps, code)));
  let code = 0;
  try {
    const fast = parseFastShow(argv);
    if (fast) await fastShow(fast, deps);
    else if (!printStatic(argv, deps)) await (await import('./program.js')).runProgram(argv, deps);
  } catch (err) {
    code = await report(err, deps, wantsJson(argv));
  }
  await finish(deps, code);
}

/** With --json, errors are {"error":{...}} on stdout: the one failure that writes there (SPEC). */
function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

export async function report(err: unknown, deps: Deps, json: boolean): Promise<number> {
  if (err instanceof ChildExitError) return err.exitCode;
  const known = err instanceof TokenError ? err : fileSystemError(err);
  const code = known?.code ?? 'internal';
  const debug = !!deps.env.TOKEN_DEBUG;
  const message = known ? known.message : `unexpected error: ${debug ? ((err as Error)?.stack ?? String(err)) : firstLine(err)}`;
  const hint = known ? known.hint : debug ? undefined : 'this is a bug in token; TOKEN_DEBUG=1 shows the details';
  const output = await import('./output.js');
  const red = output.paint(deps, 'stderr');
  if (json) {
    deps.stdout.write(JSON.stringify({ error: { code, message, ...(hint ? { hint } : {}) } }) + '\n');
  } else {
    // One line each, whatever a server put in its error text (a line break, a terminal escape);
    // only TOKEN_DEBUG's stack trace keeps its lines.
    const line = (text: string) => (known || !debug ? output.visible(text) : text);
    deps.stderr.write(`${red.red('token:')} ${line(message)}\n`);
    if (hint) deps.stderr.write(`${red.dim(line(hint))}\n`);
  }
  return EXIT_CODES[code];
}

const FS_WORDS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
};

/** The config dir being unusable is the environment's doing, not a bug: say which path and why. */
function fileSystemError(err: unknown): TokenError | undefined {
  const e = err as NodeJS.ErrnoException;
  const words = e && typeof e.code === 'string' ? FS_WORDS[e.code] : undefined;
  if (!words || typeof e.path !== 'string') return undefined;
  return new TokenError('usage', `cannot use ${e.path}: ${words}`, 'check TOKEN_CONFIG_DIR (or XDG_CONFIG_HOME) and its permissions');
}

/** Exits explicitly: nothing left open (a socket to the keychain agent, a pipe) may hold the process. */
async function finish(deps: Deps, code: number): Promise<never> {
  await new Promise<void>((resolve) => deps.stdout.write('', () => resolve()));
  process.exit(code);
}
