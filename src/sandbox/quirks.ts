// Ways the sandbox's PRISM service can depart from the provider pages, one per check of
// `token check prism`, so each check can be seen failing against a real server.
export const PRISM_QUIRKS = {
  'drops-state': 'the authorize redirect leaves out state',
  'post-only': 'the token endpoint refuses GET (405), wants POST',
  'accepts-wrong-secret': 'any x-prism-client-secret is accepted',
  'ignores-client-header': 'x-prism-client-id may be left out',
  'reusable-code': 'a code can be exchanged more than once',
  'ignores-redirect-uri': 'the code exchange ignores redirect_uri',
  'token-type-missing': 'token responses have no token_type',
  'string-expires-in': 'expires_in is a string ("3600")',
  'no-refresh-token': 'token responses have no refresh_token',
  'no-rotation': 'a refresh keeps the old refresh token',
  'accepts-bogus-refresh': 'any refresh_token is accepted',
  'html-errors': 'token errors are HTML pages, not JSON',
  'user-no-envelope': 'the user API answers without its envelope',
  'user-accepts-invalid-token': 'the user API answers for any access token',
} as const;

export type PrismQuirk = keyof typeof PRISM_QUIRKS;

export function isPrismQuirk(name: string): name is PrismQuirk {
  return Object.hasOwn(PRISM_QUIRKS, name);
}
