// `token show --raw` (or --header) when dist/quick.cjs could not answer it from the files
// alone (quick-show.ts): a renewal, a warning, an error. Scripts call it in loops and
// prompts, so for exactly those shapes skip building the commander tree (a large share of
// start-up) and run the same show logic. Anything else — another flag, a typo, --help —
// goes through commander as usual, so behaviour and errors stay the commander path's.
import type { Deps } from './deps.js';
import { selectProfile } from './profile.js';
import { currentToken } from './tokens.js';
import { printToken } from './print-token.js';
import { minTtlFor } from './min-ttl.js';
import { warnShortTtl } from './short-ttl.js';
import { checkStoredToken } from './stored-token.js';
import type { FastShow } from './show-args.js';

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
