// One HTTP exchange with the limits SPEC "Responses from servers" sets: a request
// timeout, a 1 MiB body cap, no redirects followed, errors as exit-4 NetworkErrors,
// and an optional -v trace with every secret redacted.
import { STATUS_CODES } from 'node:http';
import { createFetch, type FetchOptions } from 'ofetch';
import * as nodeFetch from 'node-fetch-native/node';
import { NetworkError, UsageError } from '../errors.js';
import { VERSION } from '../version.js';
import { visible } from '../visible.js';
import { headerValueProblem } from './header-value.js';
import { createRedactor, redactHeaders, redactUrl, redactBody, secretsOfRequest, type Redactor } from './redact.js';

export const MAX_BODY_BYTES = 1024 * 1024;
/** Who is asking, as `gh` and `curl` say it: a partner's service sees token's requests as token's. */
const USER_AGENT = `token-cli/${VERSION}`;
export const DEFAULT_TIMEOUT_S = 30;

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  query?: Record<string, string>;
  /** Sent as application/x-www-form-urlencoded, in this key order. */
  form?: Record<string, string>;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  body: string;
}

export interface HttpContext {
  env: NodeJS.ProcessEnv;
  /** -v: trace each exchange here, redacted. */
  trace?: (line: string) => void;
  /** The process's secrets: what this exchange sends and receives is added before anything is traced. */
  secrets?: Redactor;
  /** The HTTP client (Deps.fetch); unset, node-fetch-native's, or undici's behind a proxy. */
  fetch?: typeof fetch;
}

export function requestTimeoutMs(env: NodeJS.ProcessEnv): number {
  const raw = env.TOKEN_HTTP_TIMEOUT;
  if (raw === undefined || raw === '') return DEFAULT_TIMEOUT_S * 1000;
  const seconds = Number(raw);
  // Node's timers take whole milliseconds below 2^31.
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 2_147_483) {
    throw new UsageError(
      `TOKEN_HTTP_TIMEOUT must be a positive number of seconds, at most 2147483, got ${JSON.stringify(raw)}`,
    );
  }
  return Math.ceil(seconds * 1000);
}

export function fullUrl(req: HttpRequest): string {
  const url = new URL(req.url);
  for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.append(k, v);
  return url.toString();
}

export async function send(req: HttpRequest, ctx: HttpContext): Promise<HttpResponse> {
  const url = fullUrl(req);
  const { host, username, password } = new URL(url);
  const timeoutMs = requestTimeoutMs(ctx.env);
  checkHeaders(req.headers);
  // The provider's headers as its page gives them (none names a User-Agent), and ours.
  const headers = { 'user-agent': USER_AGENT, ...req.headers };
  const secrets = ctx.secrets ?? createRedactor();
  // The URL flags refuse these; a hand-edited profile may still hold them. fetch would too, as "request failed".
  if (username || password) {
    secrets.add(password, safeDecode(password));
    throw new UsageError(
      `the URL for ${host} holds a user name or password (user:password@)`,
      'remove them from the profile: token login -p <profile> --force',
    );
  }
  secrets.add(...secretsOfRequest(req.headers, { ...req.query, ...req.form }));
  // Every line is redacted by value and escaped, whatever the layer above it let through.
  const trace = ctx.trace && ((line: string) => ctx.trace!(visible(secrets.redact(line))));
  const body = req.form ? new URLSearchParams(req.form).toString() : undefined;
  trace?.(`> ${req.method} ${redactUrl(url)}`);
  for (const [k, v] of Object.entries(redactHeaders(headers))) trace?.(`> ${k}: ${v}`);
  if (body !== undefined) trace?.(`> ${redactBody(body, 'form')}`);

  // node-fetch's Headers, whatever the fetch: Node's own (globalThis.Headers) loads Node's whole
  // built-in undici on first use (docs/performance.md).
  const $fetch = createFetch({
    fetch: ctx.fetch ?? (await fetchFor(ctx.env, secrets)),
    Headers: nodeFetch.Headers,
    AbortController: globalThis.AbortController,
  });
  // Our own signal, not ofetch's `timeout`: it must also cover reading the body.
  const signal = AbortSignal.timeout(timeoutMs);
  const options: FetchOptions<'stream'> = {
    method: req.method,
    headers,
    body,
    signal,
    retry: 0,
    redirect: 'manual',
    responseType: 'stream',
    ignoreResponseError: true,
  };
  let response: Response;
  try {
    response = await $fetch.raw(url, options);
    const text = await readCapped(response, host);
    // Learn the tokens it carries before a line of it is shown, whatever it says it is.
    const shown: Record<string, string> = {};
    response.headers.forEach((v, k) => (shown[k] = v));
    for (const v of [text, ...Object.values(shown)]) secrets.learn(v);
    trace?.(`< HTTP ${response.status}`);
    for (const [k, v] of Object.entries(redactHeaders(shown))) trace?.(`< ${k}: ${v}`);
    if (text) trace?.(`< ${redactBody(text, response.headers.get('content-type') ?? '')}`);
    return { status: response.status, headers: response.headers, body: text };
  } catch (err) {
    if (err instanceof NetworkError) throw err;
    throw describeFailure(err, host, timeoutMs, signal.aborted);
  }
}

/** A header value fetch would refuse, change or mangle is a bad input (exit 2), never a network error. */
function checkHeaders(headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) {
    const problem = headerValueProblem(value);
    if (problem)
      throw new UsageError(
        `the value for the ${name} header ${problem}, which no HTTP header can carry`,
        'check the value given (or stored) for it',
      );
  }
}

async function readCapped(response: Response, host: string): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > MAX_BODY_BYTES) {
    freeBody(response.body);
    throw new NetworkError(`${host} sent a response over 1 MiB; refusing to read it`);
  }
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) {
      throw new NetworkError(`${host} sent a response over 1 MiB; refusing to read it`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Closes a body left unread (only freeing the socket): a web stream (fetch), or node-fetch's Node stream. */
function freeBody(body: unknown): void {
  const b = body as { cancel?: () => Promise<void>; destroy?: () => void } | null;
  if (b?.cancel) b.cancel().catch(() => undefined);
  else b?.destroy?.();
}

function describeFailure(err: unknown, host: string, timeoutMs: number, timedOut: boolean): NetworkError {
  // A refusal found on the way (a proxy's answer to CONNECT) says more than the wrapper.
  for (let e = err as { cause?: unknown } | undefined, i = 0; e && i < 6; e = e.cause as typeof e, i++) {
    if (e instanceof NetworkError) return e;
  }
  if (timedOut) {
    return new NetworkError(
      `no answer from ${host} within ${timeoutMs / 1000} s`,
      'check the URL and your network; TOKEN_HTTP_TIMEOUT=<seconds> changes the limit',
      { cause: err },
    );
  }
  const code = errorCode(err);
  const words: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'host name lookup failed',
    ECONNRESET: 'connection reset',
    ETIMEDOUT: 'connection timed out',
    EHOSTUNREACH: 'host unreachable',
    UND_ERR_SOCKET: 'connection closed',
    ERR_STREAM_PREMATURE_CLOSE: 'connection closed',
  };
  if (code && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) {
    return new NetworkError(
      `TLS error talking to ${host}: ${code}`,
      'for a private CA, set NODE_EXTRA_CA_CERTS=<ca.pem>',
      { cause: err },
    );
  }
  // HPE_*: llhttp, the parser of node:http and undici alike, could not read the answer as HTTP.
  const what =
    (code && words[code]) ??
    (code?.startsWith('HPE_') ? `an answer that is not valid HTTP (${code})` : code) ??
    'request failed';
  return new NetworkError(`cannot reach ${host}: ${what}`, undefined, { cause: err });
}

/** The deepest `code` in an error's cause chain (fetch wraps the socket error). */
function errorCode(err: unknown): string | undefined {
  let found: string | undefined;
  for (
    let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0;
    e && i < 6;
    e = e.cause as typeof e, i++
  ) {
    if (typeof e.code === 'string') found = e.code;
  }
  return found;
}

/** A proxy variable as curl reads it (no scheme means http://); the value is never echoed: it may hold a password. */
function proxySetting(env: NodeJS.ProcessEnv, lower: string, upper: string): string {
  const name = env[lower] !== undefined ? lower : upper;
  const raw = env[name] ?? '';
  if (raw === '') return '';
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL | undefined;
  try {
    url = new URL(withScheme);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw new UsageError(
      `${name} is not an http:// or https:// proxy URL`,
      'give one like http://proxy.example:8080, or unset it',
    );
  }
  return withScheme;
}

/** A proxy URL's credentials, as given and as undici sends them (Basic), for redaction. */
function proxyCredentials(proxy: string): string[] {
  if (!proxy) return [];
  const { username, password } = new URL(proxy);
  if (!username && !password) return [];
  return [
    password,
    safeDecode(password),
    `${username}:${password}`,
    Buffer.from(`${safeDecode(username)}:${safeDecode(password)}`).toString('base64'),
  ];
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * The fetch for this exchange. Direct: node-fetch-native's, which ofetch itself uses on a
 * Node without fetch. It runs on node:http, whose parser is native; Node's own fetch
 * (undici) compiles its WebAssembly parser at the first request, which costs a command
 * more than all the rest of its start-up (docs/performance.md). Through HTTPS_PROXY /
 * HTTP_PROXY / NO_PROXY: undici's agent, which honours them.
 */
async function fetchFor(env: NodeJS.ProcessEnv, secrets: Redactor): Promise<typeof fetch> {
  const proxied = env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY || env.http_proxy;
  if (!proxied) return nodeFetch.fetch;
  const httpProxy = proxySetting(env, 'http_proxy', 'HTTP_PROXY');
  const httpsProxy = proxySetting(env, 'https_proxy', 'HTTPS_PROXY');
  secrets.add(...proxyCredentials(httpProxy), ...proxyCredentials(httpsProxy));
  // undici is CommonJS: bundled with code splitting, its chunk has only a default export.
  const loaded = await import('undici');
  const undici = loaded.default ?? loaded;
  // The settings come from our env (Deps), not process.env; lower case wins, as with curl.
  const dispatcher = new undici.EnvHttpProxyAgent({
    httpProxy,
    httpsProxy,
    noProxy: env.no_proxy ?? env.NO_PROXY ?? '',
    clientFactory: (origin: URL, opts: object) => checkedProxy(new undici.Pool(origin, opts), origin),
  });
  return ((input: string, init: RequestInit) =>
    undici.fetch(input, { ...(init as object), dispatcher })) as unknown as typeof fetch;
}

type ConnectResult = { statusCode: number; socket: { destroy(): void } };

/**
 * The proxy's connection, whose CONNECT answer is checked here: undici 6 reports a refused
 * tunnel as an aborted request (and then goes on with the closed socket), naming neither
 * the proxy nor its answer. The proxy is named by host only: its URL may hold a password.
 */
function checkedProxy<P extends object>(pool: P, proxy: URL): P {
  const connect = (pool as unknown as { connect(opts: { path?: string }): Promise<ConnectResult> }).connect.bind(pool);
  (pool as unknown as { connect: typeof connect }).connect = async (opts) => {
    const result = await connect(opts);
    if (result.statusCode !== 200) {
      result.socket.destroy();
      const status = `${result.statusCode}${STATUS_CODES[result.statusCode] ? ` ${STATUS_CODES[result.statusCode]}` : ''}`;
      const hint =
        result.statusCode === 407
          ? 'the proxy wants credentials: check the user name and password in the proxy variable'
          : "check the proxy variables (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) or ask the proxy's admin";
      throw new NetworkError(
        `the proxy ${proxy.host} refused to connect to ${opts.path ?? 'the server'}: HTTP ${status}`,
        hint,
      );
    }
    return result;
  };
  return pool;
}
