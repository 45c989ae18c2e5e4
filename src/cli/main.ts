// The ONLY place that sets the exit code and writes errors (STYLE.md).
import { interruptRegistry, realDeps, type Deps } from './deps.js';
import { CancelledError, ChildExitError, EXIT_CODES, firstLine, TokenError } from '../errors.js';
import { fastShow } from './fast-show.js';
import { parseFastShow } from './show-args.js';
import { printStatic } from './static-output.js';
import { completeProfiles, isCompletable } from './complete-profiles.js';

export async function main(argv: string[], deps: Deps = realDeps()): Promise<void> {
  onSigint(argv, deps);
  let code = 0;
  try {
    await dispatch(argv, deps);
  } catch (err) {
    code = await report(err, deps, wantsJson(argv));
  }
  await finish(deps, code);
}

/** One command line: `show --raw` and its kin on the fast path, Tab's profile names, the static outputs, else commander. */
export async function dispatch(argv: string[], deps: Deps): Promise<void> {
  const fast = parseFastShow(argv);
  if (fast) await fastShow(fast, deps);
  else if (argv[0] === '__complete' && argv.length === 2 && isCompletable(argv[1]))
    await completeProfiles(argv[1], deps);
  else if (!printStatic(argv, deps)) {
    warmKeychain(argv, deps);
    await (await import('./program.js')).runProgram(argv, deps);
  }
}

/**
 * A refresh of a keychain profile, or a login, starts the keychain's helper before the
 * command tree loads: the helper's Node start-up then overlaps ours, and a keychain command
 * costs little more than one with the file store (SPEC "Profiles and storage"). Anything
 * unclear starts nothing: the command itself then reports what is wrong.
 */
function warmKeychain(argv: string[], deps: Deps): void {
  let at = 0; // the command: the first word that is not an option (the global -p takes a value)
  while (at < argv.length && argv[at]!.startsWith('-')) at += argv[at] === '-p' || argv[at] === '--profile' ? 2 : 1;
  const command = argv[at];
  if ((command !== 'login' && command !== 'refresh') || argv.includes('--help') || argv.includes('-h')) return;
  try {
    const storage = deps.storage();
    if (command === 'login') return storage.warmForLogin();
    const name = profileFlag(argv) ?? (deps.env.TOKEN_PROFILE || undefined);
    if (storage.peekStore(name) === 'keychain') storage.keychain().warm?.();
  } catch {
    // An unusable config dir, for one: the command reports it.
  }
}

/** The value of the last -p/--profile, as commander takes it. */
function profileFlag(argv: string[]): string | undefined {
  let name: string | undefined;
  for (let i = 0; i < argv.length && argv[i] !== '--'; i++) {
    const a = argv[i]!;
    if (a === '-p' || a === '--profile') name = argv[++i];
    else if (a.startsWith('--profile=')) name = a.slice(10);
    else if (a.startsWith('-p') && !a.startsWith('--')) name = a.slice(2);
  }
  return name;
}

/**
 * The one owner of Ctrl-C. Files are replaced by rename and secrets are written before the
 * settings that point at them, so exiting here leaves the old state or the new one; what a
 * command registered with deps.onInterrupt runs first. `on`, not `once`, and never removed:
 * a library's own SIGINT handler (signal-exit, for one) re-raises the signal when it
 * finds itself the only listener, which would kill the process before the message is out.
 */
function onSigint(argv: string[], deps: Deps): void {
  const interrupts = interruptRegistry();
  deps.onInterrupt = interrupts.add;
  let cancelling = false;
  process.on('SIGINT', () => {
    if (cancelling) return;
    cancelling = true;
    void (async () => {
      if (await interrupts.run()) {
        cancelling = false;
        return;
      }
      await finish(deps, await report(new CancelledError(), deps, wantsJson(argv)));
    })();
  });
}

/** With --json, errors are {"error":{...}} on stdout: the one failure that writes there (SPEC). */
export function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

export async function report(err: unknown, deps: Deps, json: boolean): Promise<number> {
  if (err instanceof ChildExitError) return err.exitCode;
  const known = err instanceof TokenError ? err : fileSystemError(err);
  const code = known?.code ?? 'internal';
  const debug = !!deps.env.TOKEN_DEBUG;
  // Error text may quote a server, which may echo a secret: every one this run knows is hidden.
  const hide = (text: string) => deps.secrets?.redact(text) ?? text;
  const message = hide(
    known ? known.message : `unexpected error: ${debug ? ((err as Error)?.stack ?? String(err)) : firstLine(err)}`,
  );
  const hint = known
    ? known.hint && hide(known.hint)
    : debug
      ? undefined
      : 'this is a bug in token; TOKEN_DEBUG=1 shows the details';
  const output = await import('./output.js');
  const red = output.paint(deps, 'stderr');
  if (json) {
    output.writeJson(deps, { error: { code, message, ...(hint ? { hint } : {}) } }, true);
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
  return new TokenError(
    'usage',
    `cannot use ${e.path}: ${words}`,
    'check TOKEN_CONFIG_DIR (or XDG_CONFIG_HOME) and its permissions',
  );
}

/** Exits explicitly: nothing left open (a socket to the keychain agent, a pipe) may hold the process. */
async function finish(deps: Deps, code: number): Promise<never> {
  await new Promise<void>((resolve) => deps.stdout.write('', () => resolve()));
  process.exit(code);
}
