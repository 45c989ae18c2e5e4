import { UsageError } from '../errors.js';

/** Parses a user-supplied http(s) URL, naming the flag when it is not one. */
export function parseUrlFlag(value: string, flag: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${flag} must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UsageError(`${flag} must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  return url;
}

/** A base URL without its trailing slash, so paths can be appended; no query or fragment. */
export function baseUrl(value: string, flag: string): string {
  const url = parseUrlFlag(value, flag);
  if (url.search || url.hash) throw new UsageError(`${flag} must be a base URL without ?query or #fragment, got ${JSON.stringify(value)}`);
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
      throw new UsageError(`refusing plain http:// for ${url.host}: tokens would cross the network unencrypted`, 'use https://, or pass --allow-http if you really mean it');
    }
  }
}
