// `show --raw` and `show --header`: the token alone, or the header line resource APIs
// expect. Shared by commander's `show`, main's fast path (fast-show.ts) and the start-up
// quick path (quick-show.ts), so it imports nothing the quick path does not load.
import type { Deps } from './deps.js';
import type { Current } from './tokens.js';
import type { ProviderId } from '../providers/types.js';
import { authHeader } from '../providers/auth-header.js';

export interface PrintFormat {
  raw: boolean;
  /** With the header: Authorization: Bearer even where the provider has its own header. */
  bearer?: boolean;
}

/** The line `show` prints: the access token, or its header line. */
export function tokenLine(provider: ProviderId, accessToken: string, tokenType: string, format: PrintFormat): string {
  if (format.raw) return `${accessToken}\n`;
  const h = authHeader(provider, accessToken, tokenType, format.bearer);
  return `${h.name}: ${h.value}\n`;
}

export function printToken(cur: Current, format: PrintFormat, deps: Pick<Deps, 'stdout'>): void {
  deps.stdout.write(tokenLine(cur.profile.provider, cur.accessToken, cur.meta.tokenType, format));
}
