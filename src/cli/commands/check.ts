// token check prism: exercises a PRISM partner service as PRISM Live Studio would and
// reports each way it departs from the pages (src/check/prism.ts). Stores nothing.
import type { Command } from 'commander';
import { canPrompt, type Deps } from '../deps.js';
import { optionsOf } from '../flags.js';
import { ReportedFailure, UsageError } from '../../errors.js';
import { addClientOptions, addProviderFlags, parseClientFlags, type LoginFlags, type LoginOptions } from './login.js';
import { prism, tokenUrl, type PrismOptions } from '../../providers/prism.js';
import { isLoopbackHost } from '../../providers/urls.js';
import { paint, writeJson } from '../output.js';

export type CheckOptions = Omit<LoginOptions, 'profile'>;

export function register(program: Command, deps: Deps): Command {
  const cmd = program
    .command('check')
    .description('check a PRISM partner service against the PRISM pages (stores nothing)')
    .argument('<provider>', 'prism (the only one: its service is yours to build)');
  addClientOptions(cmd)
    .option('--json', 'print the results as JSON')
    .option('--allow-http', 'run the checks over plain http:// to a non-loopback host (the https check still fails)');
  addProviderFlags(cmd, [prism]);
  cmd.addHelpText(
    'after',
    `
Authorizes once in the browser as login does (twice: a fresh code tests a wrong
redirect_uri), then runs every check. Exit 0: no check failed; 3: one did; 4: the
service cannot be reached.

Example:
  TOKEN_CLIENT_SECRET=... token check prism --service-url https://api.example.com --client-id my-client`,
  );
  return cmd.action(async (provider: string, _opts, c: Command) => {
    if (provider !== 'prism')
      throw new UsageError(
        `token check knows prism only, not ${JSON.stringify(provider)}`,
        'usage: token check prism --service-url <url> --client-id <id>',
      );
    const flags = optionsOf<LoginFlags>(c);
    await run(await parseClientFlags(prism, flags, deps, undefined, 'token check prism'), deps);
  });
}

export async function run(opts: CheckOptions, deps: Deps): Promise<void> {
  const { askMissing, obtainCode } = await import('../login-flow.js');
  const prompter = canPrompt(deps) ? await deps.prompter() : undefined;
  const client = await askMissing(opts, prompter);
  const options = prism.resolveOptions(opts.providerFlags);
  const authorize = (why?: string) => {
    if (why) deps.stderr.write(`${why}\n`);
    return obtainCode(prism, options, client, opts, deps, prompter, () => undefined, true);
  };
  // --code: its --redirect-uri is checked before anything is sent.
  const given = opts.code ? await authorize() : undefined;
  const plain = [options.serviceUrl, options.authorizeUrl].some((u) => {
    const url = new URL(u);
    return url.protocol === 'http:' && !isLoopbackHost(url.hostname);
  });
  const { httpContext } = await import('../tokens.js');
  const { CHECKS } = await import('../../check/prism.js');
  const { runChecks } = await import('../../check/session.js');
  const session = {
    options,
    client,
    http: httpContext({ deps, verbose: opts.verbose }),
    blocked:
      plain && opts.providerFlags.allowHttp !== true
        ? 'not sent: plain http:// to a non-loopback host (--allow-http sends it anyway)'
        : undefined,
    codeGiven: !!given,
    first: given,
    authorize,
    secrets: new Set([client.clientSecret, ...(given ? [given.code] : [])]),
  };
  if (!session.blocked) await reachable(options, session.http);
  const checks = await runChecks(session, CHECKS);
  const count = (status: string) => checks.filter((c) => c.status === status).length;
  const summary = { passed: count('pass'), failed: count('fail'), warnings: count('warn'), skipped: count('skip') };
  if (opts.json) writeJson(deps, { provider: 'prism', checks, ...summary });
  else printTable(deps, checks, summary);
  if (summary.failed > 0) throw new ReportedFailure(3);
}

/** SPEC: exit 4 when the service cannot be reached at all, found out before a browser opens. */
async function reachable(options: PrismOptions, http: import('../../oauth/http.js').HttpContext): Promise<void> {
  const { send } = await import('../../oauth/http.js');
  await send({ method: 'GET', url: tokenUrl(options), headers: { accept: 'application/json' } }, http);
}

function printTable(
  deps: Deps,
  checks: { name: string; status: string; detail: string }[],
  s: { passed: number; failed: number; warnings: number; skipped: number },
): void {
  const c = paint(deps, 'stdout');
  const colour: Record<string, (t: string) => string> = { pass: c.green, fail: c.red, warn: c.yellow, skip: c.dim };
  const width = Math.max(...checks.map((k) => k.name.length));
  deps.stdout.write(`${c.bold(`${'STATUS'.padEnd(6)}  ${'CHECK'.padEnd(width)}  DETAIL`)}\n`);
  for (const k of checks)
    deps.stdout.write(`${colour[k.status]!(k.status.padEnd(6))}  ${k.name.padEnd(width)}  ${k.detail}\n`);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  deps.stdout.write(
    `\n${checks.length} checks: ${s.passed} passed, ${s.failed} failed, ${plural(s.warnings, 'warning')}, ${s.skipped} skipped\n`,
  );
}
