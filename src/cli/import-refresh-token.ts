// login --refresh-token-stdin: a refresh token obtained elsewhere (CI, a headless box) is
// proved with one refresh; its result is stored like a login's, by the login flow.
import type { Deps, Prompter } from './deps.js';
import { ProviderError } from '../errors.js';
import type { ClientAuth, Options, Provider } from '../providers/types.js';
import type { TokenSet } from '../oauth/token-response.js';
import type { HttpContext } from '../oauth/http.js';

export interface ImportContext {
  deps: Deps;
  prompter?: Prompter;
  http: HttpContext;
  load: () => Promise<typeof import('../oauth/token-response.js')>;
}

/**
 * One refresh with the given token (asked for, hidden, when stdin is a terminal). A refusal
 * is the provider's (exit 3) and nothing is stored. A response without refresh_token keeps
 * the imported one, as a refresh does (SPEC "Profiles and storage").
 */
export async function importRefreshToken(
  provider: Provider,
  options: Options,
  client: ClientAuth,
  given: string | undefined,
  ctx: ImportContext,
): Promise<TokenSet> {
  // toLoginOptions has read a piped token; without one, stdin is a terminal and prompts may be used.
  const refreshToken = given ?? (await ctx.prompter!.password(`${provider.name} refresh token:`)).trim();
  ctx.deps.secrets?.add(refreshToken);
  const { requestToken } = await ctx.load();
  let set: TokenSet;
  try {
    set = await requestToken(
      provider.renewRequest(options, client, refreshToken),
      provider.name,
      ctx.http,
      ctx.deps.now,
    );
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    throw new ProviderError(
      err.message,
      err.status,
      err.error,
      err.errorDescription,
      'the refresh token (or the client) was not accepted; nothing was stored',
    );
  }
  return { ...set, refreshToken: set.refreshToken ?? refreshToken };
}
