// Redaction for -v traces and error text: no secret, code or token ever reaches stderr
// (SPEC "Responses from servers"). Two layers: by name, where a header, a form or a JSON
// body has a field known to hold a secret; and by value, everywhere and whatever the
// content type or encoding, for every secret the process has sent, read or received.

const SECRET_KEYS = new Set(['client_secret', 'code', 'code_verifier', 'refresh_token', 'access_token', 'id_token', 'password', 'state']);
const SECRET_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-prism-client-secret',
  'x-prism-access-token',
]);
export const REDACTED = '[redacted]';

/** Shorter values are not secrets worth the name, and hiding them would blank ordinary words. */
export const MIN_SECRET_LENGTH = 4;

/** A field that holds a secret: the known names, and any *_token, *secret, *password, *verifier. */
export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase();
  return SECRET_KEYS.has(k) || /(?:^|[_-])(?:token|secret|password|verifier)$/.test(k);
}

export function isSecretHeader(name: string): boolean {
  return SECRET_HEADERS.has(name.toLowerCase());
}

/** The values a request sends in secret fields: a header's whole value, and an Authorization's credential. */
export function secretsOfRequest(headers: Record<string, string>, params: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(headers)) {
    if (isSecretHeader(k)) out.push(v, ...(/authorization$/i.test(k) ? [v.replace(/^\S+\s+/, '')] : []));
  }
  for (const [k, v] of Object.entries(params)) if (isSecretKey(k)) out.push(v);
  return out;
}

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
  for (const [k, v] of params) out.append(k, isSecretKey(k) ? REDACTED : v);
  return out.toString().replaceAll(encodeURIComponent(REDACTED), REDACTED);
}

/** The URL without user:password and with its secret parameters blanked. */
export function redactUrl(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}${u.search ? `?${redactParams(u.searchParams)}` : ''}`;
}

const FORM_SHAPE = /^[\w.%+-]+=[^&\s]*(?:&[\w.%+-]+=[^&\s]*)*$/;

/**
 * A body with its secret fields blanked: JSON whatever the content type says (a server
 * may label JSON as a form or as text), then a form; anything else is shown by size only.
 */
export function redactBody(body: string, contentType: string): string {
  const json = /^\s*[[{]/.test(body) ? parseLoosely(body) : undefined;
  if (json !== undefined) return JSON.stringify(redactJson(json));
  const text = body.trim();
  if (contentType === 'form' || FORM_SHAPE.test(text)) return redactParams(new URLSearchParams(text));
  return `(${Buffer.byteLength(body)} bytes, not JSON)`;
}

/** JSON, forgiving a trailing comma before the closing brace; undefined when it is none. */
function parseLoosely(text: string): unknown {
  for (const t of [text, text.replace(/,\s*}\s*$/, '}')]) {
    try {
      return JSON.parse(t) as unknown;
    } catch {
      // not JSON (yet)
    }
  }
  return undefined;
}

function redactJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactJson);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = isSecretKey(k) ? REDACTED : redactJson(v);
    return out;
  }
  return value;
}

/** Every secret value this process knows, and the one function that hides them in text. */
export interface Redactor {
  /** Registers secret values (non-strings and values under MIN_SECRET_LENGTH are ignored). */
  add(...values: unknown[]): void;
  /** Registers the secret fields of a server's text, whatever its type: JSON at any depth, forms, queries. */
  learn(text: string): void;
  /** Text with every registered secret replaced: raw, %-encoded (also twice), form (+), JSON or HTML escaped. */
  redact(text: string): string;
}

export function createRedactor(): Redactor {
  const secrets = new Set<string>();
  let pattern: RegExp | undefined;
  const add = (...values: unknown[]) => {
    for (const v of values) {
      if (typeof v !== 'string' || v.length < MIN_SECRET_LENGTH || secrets.has(v)) continue;
      secrets.add(v);
      pattern = undefined;
    }
  };
  const learn = (text: string, depth = 0): void => {
    for (const [key, value] of fieldsIn(text)) {
      if (isSecretKey(key) && key !== 'code' && key !== 'state') add(value);
      // Text inside text (JSON in an error_description, a URL in a form value): look in it too.
      else if (depth < 3 && /[{=]/.test(value)) learn(value, depth + 1);
    }
  };
  return {
    add,
    learn: (text) => learn(text),
    redact(text) {
      if (secrets.size === 0) return text;
      pattern ??= new RegExp([...secrets].sort((a, b) => b.length - a.length).map(valuePattern).join('|'), 'g');
      return text.replace(pattern, REDACTED);
    },
  };
}

const JSON_FIELD = /"([\w.-]+)"\s*:\s*"((?:[^"\\]|\\.)*)"/g;
const FORM_FIELD = /(?:^|[^\w.%-])([\w.-]+)=([^&\s"'<>#;,]+)/g;

/** key/value pairs found in text by shape alone, not by parsing: JSON string fields and key=value pairs. */
function* fieldsIn(text: string): Generator<[string, string]> {
  for (const m of text.matchAll(JSON_FIELD)) {
    try {
      yield [m[1]!, JSON.parse(`"${m[2]}"`) as string];
    } catch {
      yield [m[1]!, m[2]!];
    }
  }
  for (const m of text.matchAll(FORM_FIELD)) {
    yield [m[1]!, m[2]!];
    try {
      yield [m[1]!, decodeURIComponent(m[2]!.replace(/\+/g, ' '))];
    } catch {
      // not %-encoded after all; the raw value is registered
    }
  }
}

const NAMED_ENTITIES: Record<string, string> = { '&': 'amp', '"': 'quot', '<': 'lt', '>': 'gt', "'": 'apos' };

/** A regex source matching the value with each character in any of its usual encodings. */
function valuePattern(value: string): string {
  return [...value].map(charPattern).join('');
}

function charPattern(ch: string): string {
  const code = ch.codePointAt(0)!;
  const alts = new Set<string>([escapeRegExp(ch)]);
  alts.add([...Buffer.from(ch, 'utf8')].map((b) => `%(?:25)*${hex(b, 2)}`).join(''));
  alts.add([...Array.from({ length: ch.length }, (_, i) => ch.charCodeAt(i))].map((u) => `\\\\u${hex(u, 4)}`).join(''));
  alts.add(`&#0*${code};`).add(`&#[xX]0*${hex(code, 1)};`);
  if (NAMED_ENTITIES[ch]) alts.add(`&${NAMED_ENTITIES[ch]};`);
  if (ch === '/' || ch === '"' || ch === '\\') alts.add(`\\\\${escapeRegExp(ch)}`);
  if (ch === ' ') alts.add('\\+');
  if (ch === '+') alts.add(' ');
  return `(?:${[...alts].join('|')})`;
}

/** Hex digits of n, either case. */
function hex(n: number, width: number): string {
  return n
    .toString(16)
    .padStart(width, '0')
    .replace(/[a-f]/g, (c) => `[${c}${c.toUpperCase()}]`);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
