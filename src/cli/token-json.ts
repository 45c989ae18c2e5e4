// A token's metadata as `show --json` prints it; `refresh --json` and `login --json`
// print the same object without the access token.
import { decodeJwt } from '../oauth/jwt.js';
import { isoTime } from './output.js';
import type { Current } from './tokens.js';

export function toJson(cur: Current, now: number, isDefault: boolean, user?: string | null) {
  const { expiresAt } = cur.meta;
  return {
    profile: cur.name,
    provider: cur.profile.provider,
    access_token: cur.accessToken,
    token_type: cur.meta.tokenType,
    expires_at: isoTime(expiresAt),
    expires_in: expiresAt === null ? null : Math.max(0, Math.round((expiresAt - now) / 1000)),
    expired: expiresAt !== null && expiresAt <= now,
    has_refresh_token: cur.hasRefreshToken,
    store: cur.profile.store,
    scope: cur.meta.scope ?? null,
    default: isDefault,
    refreshed: cur.refreshed,
    jwt: decodeJwt(cur.accessToken),
    ...(user !== undefined ? { user } : {}),
  };
}
