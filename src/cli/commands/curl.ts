// token curl: a ready-to-run, shell-quoted curl line with the right auth header, or
// (--run) curl itself, with the header on its stdin so the token is on no argv.
import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Deps } from '../deps.js';
import { optionsOf } from '../flags.js';
import { selectProfile } from '../profile.js';
import { currentToken } from '../tokens.js';
import { providerById } from '../../providers/index.js';
import { authHeader } from '../../providers/auth-header.js';
import { shellQuote } from '../shell-quote.js';
import { ChildExitError, UsageError } from '../../errors.js';
import { waitForChild } from '../child.js';
import { addMinTtlOption, minTtlMs } from '../min-ttl.js';
import { warnShortTtl } from '../short-ttl.js';
import { checkStoredToken } from '../stored-token.js';

export interface CurlOptions {
  profile?: string;
  request?: string;
  header: string[];
  data?: string;
  bearer?: boolean;
  hideToken?: boolean;
  run?: boolean;
  minTtl?: string;
  verbose?: boolean;
}

export function register(program: Command, deps: Deps): Command {
  const cmd = program
    .command('curl')
    .description('print a ready-to-run curl command with the auth header, or run it (--run)')
    .argument('[url]', "the URL, or a path on the profile's API (default: the provider's API)")
    .argument('[curl-args...]', "after --: curl's own arguments, passed as given")
    .option('-X, --request <method>', 'HTTP method')
    .option(
      '-H, --header <header>',
      'extra header (repeatable)',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('-d, --data <data>', 'request body')
    .option('--bearer', 'Authorization: Bearer even for PRISM (which uses x-prism-access-token)')
    .option('--hide-token', 'print a pipeline that keeps the token out of shell history and argv')
    .option('--run', "run curl now, the auth header on its stdin (never on argv); exit with curl's code");
  return addMinTtlOption(cmd)
    .addHelpText(
      'after',
      `
Examples:
  token curl https://api.example.com/v1/me -- -sS --fail -i
  token curl --run /configapi/v2/phone/user -- -sS --fail`,
    )
    .action(async (url: string | undefined, rest: string[], _opts, c: Command) => {
      const { target, curlArgs } = splitOperands(url, rest, rootArgs(c));
      const code = await run(target, curlArgs, optionsOf<CurlOptions>(c), deps);
      if (code !== 0) throw new ChildExitError(code);
    });
}

/** Options of `token` and `token curl` that take a value: the `--` after one is that value. */
const TAKES_VALUE = new Set(['-X', '--request', '-H', '--header', '-d', '--data', '-p', '--profile', '--min-ttl']);

/**
 * Commander hands over the operands with those after `--` mixed in; the command line says
 * which came after it: the URL is before `--`, curl's arguments after it.
 */
export function splitOperands(
  url: string | undefined,
  rest: string[],
  argv: readonly string[],
): { target?: string; curlArgs: string[] } {
  const operands = url === undefined ? [] : [url, ...rest];
  let end = -1;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      end = i;
      break;
    }
    if (TAKES_VALUE.has(a) || /^-[A-Za-z]*[XHdp]$/.test(a)) i++;
  }
  const after = end === -1 ? 0 : argv.length - end - 1;
  const before = operands.slice(0, operands.length - after);
  if (before.length > 1)
    throw new UsageError(
      `one URL only, got ${before.length}`,
      "curl's own arguments go after --, e.g. token curl URL -- -sS --fail",
    );
  return { target: before[0], curlArgs: operands.slice(before.length) };
}

function rootArgs(cmd: Command): readonly string[] {
  let root = cmd;
  while (root.parent) root = root.parent;
  // Commander keeps the argv it parsed; its typings leave it out.
  const raw = (root as unknown as { rawArgs?: unknown }).rawArgs;
  return Array.isArray(raw) ? (raw as string[]) : [];
}

/** Prints the curl line (or pipeline), or with --run runs curl and returns its exit code. */
export async function run(url: string | undefined, curlArgs: string[], opts: CurlOptions, deps: Deps): Promise<number> {
  if (opts.run && opts.hideToken)
    throw new UsageError('--run and --hide-token conflict: --run already keeps the token off argv');
  if (opts.run && readsStdin(opts, curlArgs)) {
    throw new UsageError(
      'with --run, curl reads the auth header from stdin, so it cannot read data from it too',
      'read the body from a file: -d @file',
    );
  }
  const minTtl = minTtlMs(opts.minTtl, deps.env);
  // Before any request: a token renewed only to find no curl would be wasted work.
  if (opts.run && !onPath('curl', deps.env))
    throw new UsageError('curl is not on PATH', 'install curl, or leave out --run to print the command');
  const storage = deps.storage();
  const selected = await selectProfile(storage, opts.profile, deps.env);
  const cur = await currentToken({ deps, storage, verbose: !!opts.verbose, minTtlMs: minTtl }, selected, false);
  await warnShortTtl(deps, cur, minTtl);
  checkStoredToken(cur);
  const provider = providerById(cur.profile.provider);
  const target =
    url === undefined
      ? provider.defaultApiUrl(cur.profile.options)
      : url.startsWith('/')
        ? `${provider.apiBase(cur.profile.options)}${url}`
        : url;
  const extra: string[] = [];
  if (opts.request) extra.push('-X', opts.request);
  for (const h of opts.header) extra.push('-H', h);
  if (opts.data !== undefined) extra.push('-d', opts.data);
  // curl's own arguments last, after the URL: an option there that takes a value takes theirs, not the URL.
  const tail = [target, ...curlArgs];
  const h = authHeader(cur.profile.provider, cur.accessToken, cur.meta.tokenType, opts.bearer);
  if (opts.run) return runCurl(['-H', '@-', ...extra, ...tail], `${h.name}: ${h.value}\n`, deps);
  if (opts.hideToken) {
    // curl reads the header from stdin (-H @-): the token is in neither history nor argv.
    const show = [
      'token',
      'show',
      '--header',
      '-p',
      cur.name,
      ...(opts.bearer ? ['--bearer'] : []),
      ...(opts.minTtl !== undefined ? ['--min-ttl', opts.minTtl] : []),
    ];
    deps.stdout.write(`${shellQuote(show)} | ${shellQuote(['curl', '-H', '@-', ...extra, ...tail])}\n`);
    return 0;
  }
  deps.stdout.write(`${shellQuote(['curl', '-H', `${h.name}: ${h.value}`, ...extra, ...tail])}\n`);
  return 0;
}

/** Whether curl would read something else from stdin too: a body (`-d @-`, `-F f=@-`), an upload (`-T -`), a config (`-K -`). */
function readsStdin(opts: CurlOptions, curlArgs: string[]): boolean {
  if (opts.data === '@-') return true;
  return curlArgs.some(
    (a, i) =>
      a === '@-' ||
      /^-[A-Za-z]*[dF]@-$/.test(a) ||
      /=@-(;|$)/.test(a) ||
      /^-[TK]-$/.test(a) ||
      (a === '-' && /^(-T|--upload-file|-K|--config)$/.test(curlArgs[i - 1] ?? '')),
  );
}

function onPath(file: string, env: NodeJS.ProcessEnv): boolean {
  // Windows looks for curl.exe along PATHEXT: spawn's own error says so there.
  if (process.platform === 'win32') return true;
  return (env.PATH ?? '').split(delimiter).some((dir) => {
    if (!dir) return false;
    try {
      accessSync(join(dir, file), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** curl with an argument array (no shell); the header line goes to its stdin, where `-H @-` reads it. */
async function runCurl(args: string[], headerLine: string, deps: Deps): Promise<number> {
  const child = spawn('curl', args, { stdio: ['pipe', 'inherit', 'inherit'], env: deps.env });
  // curl may exit before reading it all (a bad option): its exit code says why, not EPIPE.
  child.stdin.on('error', () => undefined);
  child.stdin.end(headerLine);
  return waitForChild(
    child,
    (err) =>
      new UsageError(
        err.code === 'ENOENT' ? 'curl is not on PATH' : `cannot run curl: ${err.message}`,
        'install curl, or leave out --run to print the command',
      ),
  );
}
