// The header a resource API takes the access token in: PRISM's service APIs their own
// x-prism-access-token (NOTES.md), Priava's and Bright Pattern's Authorization. On its own,
// apart from the providers' login code, because `show --header` at start-up
// (cli/quick-show.ts) needs it and nothing else of them.
import type { ProviderId } from './types.js';

export interface AuthHeader {
  name: string;
  value: string;
}

/** The header for this provider; `bearer`: Authorization even where the provider has its own. */
export function authHeader(provider: ProviderId, accessToken: string, tokenType: string, bearer = false): AuthHeader {
  return provider === 'prism' && !bearer
    ? { name: 'x-prism-access-token', value: accessToken }
    : { name: 'Authorization', value: `${tokenType} ${accessToken}` };
}
