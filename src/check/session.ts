// What the PRISM checks share: the service, the client, the codes and tokens obtained so
// far, one way to send a request, and one way to say what came back (secrets scrubbed).
import { randomBytes } from 'node:crypto';
import { prism, type PrismOptions } from '../providers/prism.js';
import type { ClientAuth } from '../providers/types.js';
import type { Obtained } from '../oauth/obtained.js';
import { send, type HttpContext, type HttpRequest, type HttpResponse } from '../oauth/http.js';
import { REDACTED } from '../oauth/redact.js';
import { visible } from '../visible.js';
import { NetworkError } from '../errors.js';

export type Status = 'pass' | 'fail' | 'warn' | 'skip';

export interface Outcome {
  status: Status;
  detail: string;
}

/** What a check needs from the checks before it; without it, it is skipped (with the reason). */
export type Need = 'request' | 'code' | 'issued' | 'refresh' | 'access' | 'browser';

/** One check: data (what it is, the line it enforces, what it needs) and the function that judges. */
export interface Check {
  id: string;
  name: string;
  /** The line of the provider page (or spec) this check enforces. */
  cites: string;
  needs: readonly Need[];
  run(s: Session): Promise<Outcome> | Outcome;
}

export const pass = (detail: string): Outcome => ({ status: 'pass', detail });
export const fail = (detail: string): Outcome => ({ status: 'fail', detail });
export const warn = (detail: string): Outcome => ({ status: 'warn', detail });
export const skip = (detail: string): Outcome => ({ status: 'skip', detail });

export interface Result extends Outcome {
  id: string;
  name: string;
}

/** Runs the checks in order; a request that gets no answer fails that check, not the run. */
export async function runChecks(s: Session, checks: readonly Check[]): Promise<Result[]> {
  const results: Result[] = [];
  for (const check of checks) {
    const reason = unmet(s, check.needs);
    let outcome: Outcome;
    try {
      outcome = reason ? skip(reason) : await check.run(s);
    } catch (err) {
      if (!(err instanceof NetworkError)) throw err;
      outcome = fail(`no usable answer: ${scrub(s, err.message)}`);
    }
    results.push({ id: check.id, name: check.name, ...outcome });
  }
  return results;
}

export interface Session {
  options: PrismOptions;
  client: ClientAuth;
  http: HttpContext;
  /** Set when nothing may be sent (plain http without --allow-http). */
  blocked?: string;
  /** --code: the one code there is; no authorization page is used. */
  codeGiven: boolean;
  /** A browser authorization (loopback or paste), as `login` makes it; `why` is said first when given. */
  authorize(why?: string): Promise<Obtained>;
  first?: Obtained;
  /** The JSON object the code exchange answered with, when it issued a token. */
  issued?: Record<string, unknown>;
  accessToken?: string;
  refreshToken?: string;
  /** Every secret, code and token seen: never printed. */
  secrets: Set<string>;
}

export function unmet(s: Session, needs: readonly Need[]): string | undefined {
  for (const need of needs) {
    if (s.blocked) return s.blocked;
    if (need === 'code' && !s.first) return 'no authorization code (see the authorize check)';
    if ((need === 'issued' || need === 'refresh') && !s.issued) return 'the code exchange issued no token';
    if (need === 'refresh' && !s.refreshToken) return 'no refresh_token was issued to test with';
    if (need === 'access' && !s.accessToken) return 'no access token was issued';
    if (need === 'browser' && s.codeGiven)
      return 'needs a second authorization code, and --code gives one (used above); run without --code to test it';
  }
  return undefined;
}

export function remember(s: Session, ...values: (string | undefined | null)[]): void {
  for (const v of values) if (typeof v === 'string' && v.length >= 4) s.secrets.add(v);
}

/** Server text for one line: control characters escaped, secrets replaced, at most 100 characters. */
export function scrub(s: Session, text: string): string {
  let out = text;
  for (const secret of s.secrets) out = out.split(secret).join(REDACTED);
  out = visible(out);
  return out.length > 100 ? `${out.slice(0, 99)}…` : out;
}

export function bogus(prefix: string): string {
  return `${prefix}-${randomBytes(12).toString('base64url')}`;
}

export interface Answer {
  res: HttpResponse;
  json: unknown;
}

/** Sends a request; a failure to get any answer is thrown (the runner reports it as a fail). */
export async function ask(s: Session, req: HttpRequest): Promise<Answer> {
  const res = await send(req, s.http);
  let json: unknown;
  try {
    json = res.body.trim() === '' ? undefined : JSON.parse(res.body);
  } catch {
    json = undefined;
  }
  return { res, json };
}

export function codeRequest(s: Session, code: string, redirectUri: string | undefined): HttpRequest {
  return prism.codeRequest!(s.options, s.client, code, redirectUri);
}

export function refreshRequest(s: Session, refreshToken: string): HttpRequest {
  return prism.renewRequest(s.options, s.client, refreshToken);
}

export function userRequest(s: Session, accessToken: string): HttpRequest {
  return prism.verifyRequest!(s.options, accessToken);
}

export function asObject(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** "HTTP 401 invalid_client: x-prism-... wrong", "HTTP 200 with an access_token", "HTTP 400 (text/html, 52 bytes)". */
export function said(s: Session, a: Answer): string {
  const o = asObject(a.json);
  const head = `HTTP ${a.res.status}`;
  if (o && typeof o.error === 'string') {
    return `${head} ${scrub(s, o.error)}${typeof o.error_description === 'string' ? `: ${scrub(s, o.error_description)}` : ''}`;
  }
  if (o && typeof o.access_token === 'string') return `${head} with an access_token`;
  if (o) return `${head} JSON {${scrub(s, Object.keys(o).join(', '))}}`;
  const type = a.res.headers.get('content-type') ?? 'no content type';
  return `${head} (${scrub(s, type.split(';')[0]!)}, ${Buffer.byteLength(a.res.body)} bytes${a.json === undefined ? '' : ', JSON but not an object'})`;
}

/** RFC 6749 §5.2 as SPEC asks: a 4xx with a JSON error. A token issued is the worst answer. */
export function judgeRefusal(s: Session, what: string, a: Answer): Outcome {
  const o = asObject(a.json);
  const status = a.res.status;
  if (status >= 200 && status < 300 && typeof o?.access_token === 'string') {
    // The tokens in hand are now these: a rotating server has retired the refresh token sent.
    remember(s, o.access_token, o.refresh_token as string | undefined);
    s.accessToken = o.access_token;
    if (typeof o.refresh_token === 'string' && o.refresh_token) s.refreshToken = o.refresh_token;
    return { status: 'fail', detail: `${what} → HTTP ${status} with a token: not refused` };
  }
  if (status < 400 || status >= 500) return { status: 'fail', detail: `${what} → ${said(s, a)}, not a 4xx refusal` };
  if (!o) return { status: 'fail', detail: `${what} → refused, but ${said(s, a)} is not a JSON error` };
  if (typeof o.error !== 'string')
    return { status: 'warn', detail: `${what} → refused with ${said(s, a)}, without an OAuth "error" field` };
  return { status: 'pass', detail: `${what} → refused: ${said(s, a)}` };
}
