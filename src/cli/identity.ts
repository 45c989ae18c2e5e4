// Who a token belongs to, from the provider's identity endpoint (PRISM's user API):
// `show --verify` and `status` ask the same way and fail the same way.
import type { Deps } from './deps.js';
import type { Current } from './tokens.js';
import { httpContext } from './tokens.js';
import { providerById } from '../providers/index.js';
import { send } from '../oauth/http.js';
import { NetworkError, ProviderError } from '../errors.js';

/** The user the token belongs to; a refusal is exit 3, an answer without a user exit 4. */
export async function identify(cur: Current, deps: Deps, verbose: boolean): Promise<string> {
  const provider = providerById(cur.profile.provider);
  if (!provider.verifyRequest || !provider.readIdentity) throw new Error(`${provider.name} has no identity endpoint`);
  const res = await send(provider.verifyRequest(cur.profile.options, cur.accessToken), httpContext({ deps, verbose }));
  const read = provider.readIdentity(res.status, res.body);
  if (read.refused !== undefined) {
    throw new ProviderError(
      `${provider.name} rejected the token${read.refused ? `: ${read.refused}` : ''} (HTTP ${res.status})`,
      res.status,
      undefined,
      undefined,
      `run: token refresh -p ${cur.name}`,
    );
  }
  if (!read.user) throw new NetworkError(`${provider.name}'s identity endpoint gave no user (HTTP ${res.status})`);
  return read.user;
}
