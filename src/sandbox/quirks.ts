// Ways the sandbox's PRISM service can depart from the provider pages, one per check of
// `token check prism`, so each check can be seen failing against a real server.
export const PRISM_QUIRKS = {
  'drops-state': 'the authorize redirect leaves out state',
  'post-only': 'the token endpoint answers GET with 405 (it wants POST)',
  'accepts-wrong-secret': 'the token endpoint does not check x-prism-client-secret',
  'ignores-client-header': 'the token endpoint does not need x-prism-client-id',
  'reusable-code': 'an authorization code can be exchanged more than once',
  'ignores-redirect-uri': 'the code exchange does not compare redirect_uri',
  'token-type-missing': 'token responses have no token_type',
  'string-expires-in': 'expires_in is a string ("3600")',
  'no-refresh-token': 'token responses have no refresh_token',
  'no-rotation': 'a refresh keeps the refresh token (none in the response)',
  'accepts-bogus-refresh': 'any refresh_token is accepted',
  'html-errors': 'token errors are HTML pages, not JSON',
  'user-no-envelope': 'the user API answers the bare user, without success/errorCode/data',
  'user-accepts-invalid-token': 'the user API answers for any x-prism-access-token',
} as const;

export type PrismQuirk = keyof typeof PRISM_QUIRKS;

export function isPrismQuirk(name: string): name is PrismQuirk {
  return Object.hasOwn(PRISM_QUIRKS, name);
}
