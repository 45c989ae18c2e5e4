// Redaction for -v traces and anything else shown to humans: no secret, code or
// token ever reaches stderr (SPEC.md "Secret hygiene").

const SECRET_KEYS = new Set([
  'client_secret',
  'code',
  'refresh_token',
  'access_token',
  'id_token',
  'password',
  'state',
]);
const SECRET_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-prism-client-secret',
  'x-prism-access-token',
]);
export const REDACTED = '[redacted]';

export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    const key = k.toLowerCase();
    // A Location may echo our query (PRISM sends refresh_token there) inside its own parameters.
    out[k] = SECRET_HEADERS.has(key) ? REDACTED : key === 'location' && v.includes('?') ? `${v.slice(0, v.indexOf('?'))}?${REDACTED}` : v;
  }
  return out;
}

export function redactParams(params: URLSearchParams): string {
  const out = new URLSearchParams();
  for (const [k, v] of params) out.append(k, SECRET_KEYS.has(k) ? REDACTED : v);
  return out.toString().replaceAll(encodeURIComponent(REDACTED), REDACTED);
}

export function redactUrl(url: string): string {
  const u = new URL(url);
  if (!u.search) return url;
  return `${u.origin}${u.pathname}?${redactParams(u.searchParams)}`;
}

/** A form or JSON body with secret fields blanked; anything else is shown by size only. */
export function redactBody(body: string, contentType: string): string {
  if (contentType === 'form' || contentType.includes('x-www-form-urlencoded')) {
    return redactParams(new URLSearchParams(body));
  }
  try {
    return JSON.stringify(redactJson(JSON.parse(body)));
  } catch {
    return `(${Buffer.byteLength(body)} bytes, not JSON)`;
  }
}

function redactJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactJson);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.has(k) ? REDACTED : redactJson(v);
    return out;
  }
  return value;
}
