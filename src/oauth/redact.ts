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
  // What each secret's search needs, worked out at its first search (most runs never redact).
  const prepared = new Map<string, Needles>();
  const needlesFor = (secret: string): Needles => {
    let n = prepared.get(secret);
    if (!n) prepared.set(secret, (n = needlesOf(secret)));
    return n;
  };
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
      // Views of the text: as written, then decoded once, twice, three times (an escape inside
      // an escape: JSON in a form value, %-encoding of %-encoding); each maps back to the text.
      let prev = decodeForSearch(text);
      const views = [prev];
      for (let level = 2; level <= 3 && prev.changed; level++) {
        const d = decodeForSearch(prev.chars);
        if (!d.changed) break;
        const from = new Int32Array(d.chars.length);
        const to = new Int32Array(d.chars.length);
        for (let k = 0; k < d.chars.length; k++) {
          from[k] = prev.from[d.from[k]!]!;
          to[k] = prev.to[d.to[k]! - 1]!;
        }
        prev = { chars: d.chars, from, to, changed: true };
        views.push(prev);
      }
      const spans: [number, number][] = [];
      const push = (start: number, end: number) => {
        const last = spans[spans.length - 1];
        if (last && start >= last[0] && start <= last[1]) last[1] = Math.max(last[1], end);
        else spans.push([start, end]);
      };
      for (const secret of secrets) {
        const { needles, wanted, pattern } = needlesFor(secret);
        for (const at of occurrences(text, secret)) push(at, at + secret.length);
        for (const v of views) {
          for (const needle of needles) {
            for (const at of occurrences(v.chars, needle)) push(v.from[at]!, v.to[at + needle.length - 1]!);
          }
          // An escape that starts in the text before the secret (the % of "100%" and the secret's
          // first hex digits) or ends after it decodes across its edge: the rest of the secret
          // decoded, beside its first (or last) characters as written.
          for (let k = 1; k <= EDGE && wanted.length - k >= MIN_SECRET_LENGTH; k++) {
            const [head, tail] = [secret.slice(0, k), wanted.slice(k)];
            for (const at of occurrences(v.chars, tail)) {
              const start = v.from[at]!;
              if (text.slice(start - k, start) === head) push(start - k, v.to[at + tail.length - 1]!);
            }
            const [body, last] = [wanted.slice(0, -k), secret.slice(-k)];
            for (const at of occurrences(v.chars, body)) {
              const end = v.to[at + body.length - 1]!;
              if (text.slice(end, end + k) === last) push(v.from[at]!, end + k);
            }
          }
        }
        if (pattern) for (const m of text.matchAll(pattern)) push(m.index, m.index + m[0].length);
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

interface Needles {
  /** The secret with + as space, and decoded up to three times: a secret may itself hold %41, \\/ or &amp;. */
  needles: Set<string>;
  /** The secret with + as space, for the searches across an escape at its edge. */
  wanted: string;
  /**
   * A secret that itself holds %, \\ or & can be written with escapes mixed into its own
   * escapes in ways no decoding order undoes: matched character by character, each in any
   * of its encodings (a pattern that costs time to build, for these rare secrets only).
   */
  pattern?: RegExp;
}

function needlesOf(secret: string): Needles {
  const wanted = sameSpace(secret);
  const needles = new Set<string>([wanted]);
  for (let s = secret, k = 0; k < 3; k++) {
    s = decodeForSearch(s).chars;
    needles.add(s);
  }
  return { needles, wanted, ...(/[%\\&]/.test(secret) ? { pattern: new RegExp(valuePattern(secret), 'g') } : {}) };
}

/** Where needle occurs in hay, overlaps included, in O(hay + needle) (KMP); every start, overlapping ones included. */
function* occurrences(hay: string, needle: string): Generator<number> {
  if (needle.length === 0 || hay.length < needle.length) return;
  // Fast path: indexOf, stepping past each hit; only a self-overlapping needle needs the KMP table.
  const fail = new Int32Array(needle.length);
  for (let i = 1, k = 0; i < needle.length; i++) {
    while (k > 0 && needle[i] !== needle[k]) k = fail[k - 1]!;
    if (needle[i] === needle[k]) k++;
    fail[i] = k;
  }
  const border = fail[needle.length - 1]!;
  if (border === 0) {
    for (let i = hay.indexOf(needle); i !== -1; i = hay.indexOf(needle, i + needle.length)) yield i;
    return;
  }
  for (let i = 0, k = 0; i < hay.length; i++) {
    while (k > 0 && hay[i] !== needle[k]) k = fail[k - 1]!;
    if (hay[i] === needle[k]) k++;
    if (k === needle.length) {
      yield i - needle.length + 1;
      k = fail[k - 1]!;
    }
  }
}

/** A space and a plus are one character here: forms write a space as +, and some decoders read + as a space. */
function sameSpace(s: string): string {
  return s.replace(/\+/g, ' ');
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', quot: '"', lt: '<', gt: '>', apos: "'" };
// Sticky, on the whole text: no window, so any number of leading zeros in an entity.
const ESCAPE = /\\u([0-9a-fA-F]{4})|\\([/"\\])|&#0*([0-9]{1,7});|&#[xX]0*([0-9a-fA-F]{1,6});|&(amp|quot|lt|gt|apos);/y;
const PERCENT = /%(?:25)*([0-9a-fA-F]{2})/y;

/**
 * The text with each character decoded from the encodings a secret may be written in:
 * %-encoding (also twice, UTF-8 bytes, either case), JSON's \u and \/ \" \\, HTML's
 * numeric and named entities; + and space as one. `from`/`to` give, for each character
 * of `chars`, where in the text it was written; `changed` says whether anything was decoded.
 */
function decodeForSearch(text: string): { chars: string; from: Int32Array; to: Int32Array; changed: boolean } {
  let changed = false;
  const parts: string[] = [];
  let n = 0;
  let from = new Int32Array(text.length + 16);
  let to = new Int32Array(text.length + 16);
  const emit = (s: string, start: number, end: number) => {
    if (n + s.length > from.length) {
      const f = new Int32Array(from.length * 2);
      f.set(from);
      from = f;
      const t = new Int32Array(to.length * 2);
      t.set(to);
      to = t;
    }
    if (end - start > 1) changed = true;
    for (let k = 0; k < s.length; k++) {
      from[n] = start;
      to[n] = end;
      n++;
    }
    parts.push(s);
  };
  let i = 0;
  const SPECIAL = /[%\\&+]/g;
  while (i < text.length) {
    // A run of ordinary characters is copied whole.
    SPECIAL.lastIndex = i;
    const next = SPECIAL.exec(text)?.index ?? text.length;
    if (next > i) {
      if (n + (next - i) > from.length) {
        const size = Math.max(from.length * 2, n + (next - i));
        const f = new Int32Array(size);
        f.set(from);
        from = f;
        const t = new Int32Array(size);
        t.set(to);
        to = t;
      }
      for (let k = i; k < next; k++) {
        from[n] = k;
        to[n] = k + 1;
        n++;
      }
      parts.push(text.slice(i, next));
      i = next;
      continue;
    }
    const ch = text[i]!;
    if (ch === '%') {
      const bytes: number[] = [];
      let end = i;
      PERCENT.lastIndex = end;
      for (let m = PERCENT.exec(text); m; PERCENT.lastIndex = end, m = PERCENT.exec(text)) {
        bytes.push(parseInt(m[1]!, 16));
        end += m[0].length;
        if (utf8Complete(bytes)) break;
      }
      let s = '';
      if (bytes.length > 0 && utf8Complete(bytes)) {
        s = utf8Char(bytes);
      }
      if (s) {
        emit(sameSpace(s), i, end);
        i = end;
        continue;
      }
      // Not a whole character decoded all the way down (%25aa, %25E9): read %25 as one %.
      if (text.startsWith('25', i + 1)) {
        emit('%', i, i + 3);
        i += 3;
        continue;
      }
    } else if (ch === '\\' || ch === '&') {
      ESCAPE.lastIndex = i;
      const m = ESCAPE.exec(text);
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
  return { chars: parts.join(''), from: from.subarray(0, n), to: to.subarray(0, n), changed };
}

/** The one character the bytes encode in valid UTF-8, or '' (stray continuation, overlong, surrogate, beyond U+10FFFF). */
function utf8Char(b: number[]): string {
  const [b0, b1 = 0, b2 = 0, b3 = 0] = b;
  const cont = (x: number) => (x & 0xc0) === 0x80;
  let cp: number;
  if (b0! < 0x80) cp = b0!;
  else if (b0! >= 0xc2 && b0! <= 0xdf && cont(b1)) cp = ((b0! & 0x1f) << 6) | (b1 & 0x3f);
  else if (b0! >= 0xe0 && b0! <= 0xef && cont(b1) && cont(b2))
    cp = ((b0! & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f);
  else if (b0! >= 0xf0 && b0! <= 0xf4 && cont(b1) && cont(b2) && cont(b3))
    cp = ((b0! & 0x07) << 18) | ((b1 & 0x3f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f);
  else return '';
  const min = b0! < 0x80 ? 0 : b0! < 0xe0 ? 0x80 : b0! < 0xf0 ? 0x800 : 0x10000;
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return '';
  return String.fromCodePoint(cp);
}

/** Whether the bytes are as many as their lead byte says a UTF-8 character has. */
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

/** The longest escape that can straddle a secret's edge: \\uXXXX less its backslash. */
const EDGE = 6;

const ENTITY_NAMES: Record<string, string> = { '&': 'amp', '"': 'quot', '<': 'lt', '>': 'gt', "'": 'apos' };

/** A regex source matching the value with each character in any of its usual encodings. */
function valuePattern(value: string): string {
  return [...value].map(charPattern).join('');
}

function charPattern(ch: string): string {
  const code = ch.codePointAt(0)!;
  const alts = new Set<string>([escapeRegExp(ch)]);
  alts.add([...Buffer.from(ch, 'utf8')].map((b) => `%(?:25)*${hex(b, 2)}`).join(''));
  alts.add(Array.from({ length: ch.length }, (_, i) => `\\\\u${hex(ch.charCodeAt(i), 4)}`).join(''));
  alts.add(`&#0*${code};`).add(`&#[xX]0*${hex(code, 1)};`);
  if (ENTITY_NAMES[ch]) alts.add(`&${ENTITY_NAMES[ch]};`);
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
