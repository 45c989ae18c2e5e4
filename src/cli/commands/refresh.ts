// token refresh: renew now (refresh token for prism/priava, a new client-credentials request for brightpattern).
import type { Command } from 'commander';
import type { Deps } from '../deps.js';
import { optionsOf } from '../flags.js';
import { selectProfile } from '../profile.js';
import { renew } from '../tokens.js';
import { formatDuration, writeJson } from '../output.js';
import { toJson } from '../token-json.js';

export interface RefreshOptions {
  profile?: string;
  json?: boolean;
  verbose?: boolean;
}

export function register(program: Command, deps: Deps): Command {
  return program
    .command('refresh')
    .description('renew the access token now')
    .option('--json', 'print the new token metadata as JSON')
    .action(async (_opts, cmd: Command) => run(optionsOf<RefreshOptions>(cmd), deps));
}

export async function run(opts: RefreshOptions, deps: Deps): Promise<void> {
  const storage = deps.storage();
  const { name, profile, isDefault } = await selectProfile(storage, opts.profile, deps.env);
  const cur = await renew({ deps, storage, verbose: !!opts.verbose }, name, {
    force: true,
    since: deps.startedAt ?? deps.now(),
    store: profile.store,
  });
  if (opts.json) {
    const { access_token: _hidden, ...meta } = toJson(cur, deps.now(), isDefault);
    writeJson(deps, meta);
    return;
  }
  const left =
    cur.meta.expiresAt === null ? 'expiry unknown' : `valid for ${formatDuration(cur.meta.expiresAt - deps.now())}`;
  deps.stderr.write(`Refreshed profile ${name} (${left})\n`);
}
