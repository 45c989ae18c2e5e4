// token curl: a ready-to-run, shell-quoted curl line with the right auth header.
import type { Command } from 'commander';
import type { Deps } from '../deps.js';
import { optionsOf } from '../flags.js';
import { selectFromView } from '../profile.js';
import { openStorage } from '../../store/index.js';
import { currentToken } from '../tokens.js';
import { providerById } from '../../providers/index.js';
import { shellQuote } from '../shell-quote.js';

export interface CurlOptions {
  profile?: string;
  request?: string;
  header: string[];
  data?: string;
  bearer?: boolean;
  hideToken?: boolean;
  verbose?: boolean;
}

export function register(program: Command, deps: Deps): Command {
  return program
    .command('curl')
    .description('print a ready-to-run curl command with the auth header')
    .argument('[url]', "the URL (default: the provider's API)")
    .option('-X, --request <method>', 'HTTP method')
    .option('-H, --header <header>', 'extra header (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('-d, --data <data>', 'request body')
    .option('--bearer', 'Authorization: Bearer even for PRISM (which uses x-prism-access-token)')
    .option('--hide-token', 'print a pipeline that keeps the token out of shell history and argv')
    .action(async (url: string | undefined, _opts, cmd: Command) => run(url, optionsOf<CurlOptions>(cmd), deps));
}

export async function run(url: string | undefined, opts: CurlOptions, deps: Deps): Promise<void> {
  const storage = openStorage(deps.env);
  const selected = selectFromView(storage.view(), opts.profile, deps.env);
  const cur = await currentToken({ deps, storage, verbose: !!opts.verbose }, selected, false);
  const provider = providerById(cur.profile.provider);
  const target = url ?? provider.defaultApiUrl(cur.profile.options);
  const extra: string[] = [];
  if (opts.request) extra.push('-X', opts.request);
  for (const h of opts.header) extra.push('-H', h);
  if (opts.data !== undefined) extra.push('-d', opts.data);
  if (opts.hideToken) {
    // curl reads the header from stdin (-H @-): the token is in neither history nor argv.
    const show = ['token', 'show', '--header', '-p', cur.name, ...(opts.bearer ? ['--bearer'] : [])];
    deps.stdout.write(`${shellQuote(show)} | ${shellQuote(['curl', '-H', '@-', ...extra, target])}\n`);
    return;
  }
  const h = provider.authHeader(cur.accessToken, cur.meta.tokenType, opts.bearer);
  deps.stdout.write(`${shellQuote(['curl', '-H', `${h.name}: ${h.value}`, ...extra, target])}\n`);
}
