// The ONLY place that sets the exit code and writes errors (STYLE.md).
import { realDeps, type Deps } from './deps.js';
import { CancelledError, ChildExitError, EXIT_CODES, TokenError } from './errors.js';
import { runProgram } from './program.js';
import { paint } from './output.js';

export async function main(argv: string[], deps: Deps = realDeps()): Promise<void> {
  enableCompileCache();
  // Ctrl-C outside a prompt: every write is a sync rename, so exiting here never leaves half a file.
  process.once('SIGINT', () => finish(deps, report(new CancelledError(), deps, wantsJson(argv))));
  let code = 0;
  try {
    await runProgram(argv, deps);
  } catch (err) {
    code = report(err, deps, wantsJson(argv));
  }
  await finish(deps, code);
}

/** With --json, errors are {"error":{...}} on stdout: the one failure that writes there (SPEC). */
function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

export function report(err: unknown, deps: Deps, json: boolean): number {
  if (err instanceof ChildExitError) return err.exitCode;
  const known = err instanceof TokenError ? err : undefined;
  const code = known?.code ?? 'internal';
  const debug = !!deps.env.TOKEN_DEBUG;
  const message = known ? known.message : `unexpected error: ${debug ? ((err as Error)?.stack ?? String(err)) : String((err as Error)?.message ?? err).split('\n')[0]}`;
  const hint = known ? known.hint : debug ? undefined : 'this is a bug in token; TOKEN_DEBUG=1 shows the details';
  const red = paint(deps, 'stderr');
  if (json) {
    deps.stdout.write(JSON.stringify({ error: { code, message, ...(hint ? { hint } : {}) } }) + '\n');
  } else {
    deps.stderr.write(`${red.red('token:')} ${message}\n`);
    if (hint) deps.stderr.write(`${red.dim(hint)}\n`);
  }
  return EXIT_CODES[code];
}

/** Exits explicitly: a keychain call that timed out may still hold a thread. */
async function finish(deps: Deps, code: number): Promise<never> {
  await new Promise<void>((resolve) => deps.stdout.write('', () => resolve()));
  process.exit(code);
}

function enableCompileCache(): void {
  // Node >= 22.1 caches compiled code between runs; absent on Node 20, where this is a no-op.
  const mod = process.getBuiltinModule?.('node:module') as { enableCompileCache?: () => unknown } | undefined;
  mod?.enableCompileCache?.();
}
