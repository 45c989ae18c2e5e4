// `show --raw` and `show --header`: the token alone, or the header line resource APIs
// expect. Shared by the start-up fast path (fast-show.ts) and commander's `show`, so it
// imports only what that path already loads.
import type { Deps } from './deps.js';
import type { Current } from './tokens.js';
import { providerById } from '../providers/index.js';

export interface PrintFormat {
  raw: boolean;
  /** With the header: Authorization: Bearer even where the provider has its own header. */
  bearer?: boolean;
}

export function printToken(cur: Current, format: PrintFormat, deps: Pick<Deps, 'stdout'>): void {
  if (format.raw) {
    deps.stdout.write(`${cur.accessToken}\n`);
    return;
  }
  const h = providerById(cur.profile.provider).authHeader(cur.accessToken, cur.meta.tokenType, format.bearer);
  deps.stdout.write(`${h.name}: ${h.value}\n`);
}
