// The hot path: scripts call `token show --raw` (or --header) in loops and prompts.
// For exactly those shapes, skip building the commander tree (a large share of start-up)
// and run the same show logic. Anything else — another flag, a typo, --help — goes
// through commander as usual, so behaviour and errors stay the commander path's.
import type { Deps } from './deps.js';
import { selectProfile } from './profile.js';
import { currentToken } from './tokens.js';
import { printToken } from './print-token.js';
import { minTtlFor, warnShortTtl } from './min-ttl.js';
import { checkStoredToken } from './stored-token.js';

interface FastShow {
  raw: boolean;
  bearer: boolean;
  noRefresh: boolean;
  profile?: string;
  minTtl?: string;
}

/** Parses `show` with only --raw/--header, --bearer, --no-refresh, -p/--profile, --min-ttl; else undefined. */
export function parseFastShow(argv: string[]): FastShow | undefined {
  if (argv[0] !== 'show') return undefined;
  const out: FastShow = { raw: false, bearer: false, noRefresh: false };
  let header = false;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--raw') out.raw = true;
    else if (a === '--header') header = true;
    else if (a === '--bearer') out.bearer = true;
    else if (a === '--no-refresh') out.noRefresh = true;
    else if ((a === '-p' || a === '--profile') && i + 1 < argv.length && !argv[i + 1]!.startsWith('-'))
      out.profile = argv[++i];
    else if (a.startsWith('--profile=') && a.length > 10) out.profile = a.slice(10);
    else if (a === '--min-ttl' && i + 1 < argv.length && !argv[i + 1]!.startsWith('-')) out.minTtl = argv[++i];
    else if (a.startsWith('--min-ttl=')) out.minTtl = a.slice(10);
    else return undefined;
  }
  return out.raw !== header ? out : undefined;
}

export async function fastShow(opts: FastShow, deps: Deps): Promise<void> {
  const minTtlMs = minTtlFor(opts.minTtl, opts.noRefresh, deps.env);
  const storage = deps.storage();
  try {
    const cur = await currentToken(
      { deps, storage, verbose: false, minTtlMs },
      await selectProfile(storage, opts.profile, deps.env),
      opts.noRefresh,
    );
    await warnShortTtl(deps, cur, minTtlMs);
    checkStoredToken(cur);
    printToken(cur, opts, deps);
  } finally {
    storage.close();
  }
}
