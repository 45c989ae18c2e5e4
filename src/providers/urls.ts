import { UsageError } from '../errors.js';

/**
 * Parses a user-supplied http(s) URL, naming the flag when it is not one. A user name or
 * password in it is refused (SPEC "Responses from servers"): it would be stored, shown
 * and sent to every endpoint built on it. It is never echoed.
 */
export function parseUrlFlag(value: string, flag: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(value) || url?.username || url?.password) {
    throw new UsageError(
      `${flag} must not hold a user name or password (user:password@)`,
      'give the URL without them; the client secret comes from TOKEN_CLIENT_SECRET, --client-secret-stdin or a prompt',
    );
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    // "user:pass@host" without a scheme parses as a URL of scheme "user": echo nothing with an @.
    throw new UsageError(
      `${flag} must be an http(s) URL${value.includes('@') ? '' : `, got ${JSON.stringify(value)}`}`,
    );
  }
  return url;
}

/** A base URL without its trailing slash, so paths can be appended; no query or fragment. */
export function baseUrl(value: string, flag: string): string {
  const url = parseUrlFlag(value, flag);
  if (url.search || url.hash)
    throw new UsageError(`${flag} must be a base URL without ?query or #fragment, got ${JSON.stringify(value)}`);
  return url.toString().replace(/\/+$/, '');
}

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** SPEC: http:// endpoints are refused unless the host is loopback (or --allow-http). */
export function checkTransport(urls: string[], allowHttp: boolean): void {
  for (const raw of urls) {
    const url = new URL(raw);
    if (url.protocol === 'http:' && !allowHttp && !isLoopbackHost(url.hostname)) {
      throw new UsageError(
        `refusing plain http:// for ${url.host}: tokens would cross the network unencrypted`,
        'use https://, or pass --allow-http if you really mean it',
      );
    }
  }
}
