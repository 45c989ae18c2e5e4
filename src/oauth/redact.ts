// Redaction for -v traces and error text: no secret, code or token ever reaches stderr
// (SPEC "Responses from servers"). Two layers: by name, where a header, a form or a JSON
// body has a field known to hold a secret; and by value, everywhere and whatever the
// content type or encoding, for every secret the process has sent, read or received.

const SECRET_KEYS = new Set([
  'client_secret',
  'code',
  'code_verifier',
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
    out[k] = SECRET_HEADERS.has(key)
      ? REDACTED
      : key === 'location' && v.includes('?')
        ? `${v.slice(0, v.indexOf('?'))}?${REDACTED}`
        : v;
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
  const add = (...values: unknown[]) => {
    for (const v of values) if (typeof v === 'string' && v.length >= MIN_SECRET_LENGTH) secrets.add(v);
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
      // Each secret is looked for in the text as written and in the text decoded, where every
      // character written in any of its usual encodings is that character again.
      const decoded = decodeForSearch(text);
      const spans: [number, number][] = [];
      for (const secret of secrets) {
        for (let i = text.indexOf(secret); i !== -1; i = text.indexOf(secret, i + 1))
          spans.push([i, i + secret.length]);
        const wanted = sameSpace(secret);
        for (let i = decoded.chars.indexOf(wanted); i !== -1; i = decoded.chars.indexOf(wanted, i + 1)) {
          spans.push([decoded.from[i]!, decoded.to[i + wanted.length - 1]!]);
        }
      }
      if (spans.length === 0) return text;
      spans.sort((x, y) => x[0] - y[0]);
      let out = '';
      let at = 0;
      for (const [start, end] of spans) {
        if (end <= at) continue; // inside what is already hidden
        if (start >= at) out += text.slice(at, start) + REDACTED;
        at = end;
      }
      return out + text.slice(at);
    },
  };
}

/** A space and a plus are one character here: forms write a space as +, and some decoders read + as a space. */
function sameSpace(s: string): string {
  return s.replace(/\+/g, ' ');
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', quot: '"', lt: '<', gt: '>', apos: "'" };
const ESCAPE =
  /^(?:\\u([0-9a-fA-F]{4})|\\([/"\\])|&#0*([0-9]{1,7});|&#[xX]0*([0-9a-fA-F]{1,6});|&(amp|quot|lt|gt|apos);)/;
const PERCENT = /^%(?:25)*([0-9a-fA-F]{2})/;

/**
 * The text with each character decoded from the encodings a secret may be written in:
 * %-encoding (also twice, UTF-8 bytes, either case), JSON's \u and \/ \" \\, HTML's
 * numeric and named entities; + and space as one. `from`/`to` give, for each character
 * of `chars`, where in the text it was written.
 */
function decodeForSearch(text: string): { chars: string; from: number[]; to: number[] } {
  let chars = '';
  const from: number[] = [];
  const to: number[] = [];
  const emit = (s: string, start: number, end: number) => {
    for (let k = 0; k < s.length; k++) {
      from.push(start);
      to.push(end);
    }
    chars += s;
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '%') {
      const bytes: number[] = [];
      let end = i;
      for (let m = PERCENT.exec(text.slice(end, end + 64)); m; m = PERCENT.exec(text.slice(end, end + 64))) {
        bytes.push(parseInt(m[1]!, 16));
        end += m[0].length;
        if (utf8Complete(bytes)) break;
      }
      const s = bytes.length > 0 && utf8Complete(bytes) ? Buffer.from(bytes).toString('utf8') : '';
      if (s && !s.includes('\uFFFD')) {
        emit(sameSpace(s), i, end);
        i = end;
        continue;
      }
    } else if (ch === '\\' || ch === '&') {
      const m = ESCAPE.exec(text.slice(i, i + 16));
      if (m) {
        const code = m[1] ? parseInt(m[1], 16) : m[3] ? Number(m[3]) : m[4] ? parseInt(m[4], 16) : undefined;
        const s =
          m[2] ??
          (m[5]
            ? NAMED_ENTITIES[m[5]]!
            : code !== undefined && code <= 0x10ffff
              ? m[1]
                ? String.fromCharCode(code)
                : String.fromCodePoint(code)
              : undefined);
        if (s !== undefined) {
          emit(sameSpace(s), i, i + m[0].length);
          i += m[0].length;
          continue;
        }
      }
    }
    emit(ch === '+' ? ' ' : ch, i, i + 1);
    i++;
  }
  return { chars, from, to };
}

/** Whether the bytes are one whole UTF-8 character (or more than a lead byte allows: stop there). */
function utf8Complete(bytes: number[]): boolean {
  const lead = bytes[0]!;
  const need = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return bytes.length >= need;
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
