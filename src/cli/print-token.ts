// `show --raw` and `show --header`: the token alone, or the header line resource APIs
// expect. Shared by the fast path (fast-show.ts) and commander's `show`.
import type { Deps } from './deps.js';
import type { Current } from './tokens.js';
import { providerById } from '../providers/index.js';

export interface PrintFormat {
  raw: boolean;
  /** With the header: Authorization: Bearer even where the provider has its own header. */
  bearer?: boolean;
}

export function printToken(cur: Current, format: PrintFormat, deps: Deps): void {
  if (format.raw) {
    deps.stdout.write(`${cur.accessToken}\n`);
    return;
  }
  const h = providerById(cur.profile.provider).authHeader(cur.accessToken, cur.meta.tokenType, format.bearer);
  deps.stdout.write(`${h.name}: ${h.value}\n`);
}
