// The stored access token on its way out (show --raw and --header, curl, exec). A value no
// token has — a line break, a control character, a space: a hand edit or a damaged file —
// would add lines or headers wherever it is pasted or sent, so it is refused, never printed.
import { UsageError } from '../errors.js';

/** The access token and its type as read from the store, or a usage error saying they are damaged. */
export function checkStoredToken(cur: { name: string; accessToken: string; meta: { tokenType: string } }): void {
  // The same rules a token response is held to (token-response.ts).
  const damaged = !/^[\x21-\x7e]+$/.test(cur.accessToken)
    ? 'access token'
    : !/^[A-Za-z0-9._-]+$/.test(cur.meta.tokenType)
      ? 'token type'
      : undefined;
  if (damaged) {
    throw new UsageError(
      `the stored ${damaged} of profile ${cur.name} is damaged (it has a space, a line break or another character no token has); not printing it`,
      `log in again to replace it: token login -p ${cur.name} --force`,
    );
  }
}
