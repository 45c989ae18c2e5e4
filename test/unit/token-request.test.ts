// The error classification of token requests (SPEC "Responses from servers", "Exit
// codes"): requestToken (oauth/token-response.ts) reads every answer, send (oauth/http.ts)
// every failure to get one. The HTTP client is a fetch that answers or fails as told
// (Deps.fetch, the seam oauth4webapi and ofetch have too); each error's code goes through
// EXIT_CODES, as main.ts does.
import { describe, expect, it } from 'vitest';
import { EXIT_CODES, NetworkError, ProviderError, TokenError, UsageError } from '../../src/errors.js';
import { requestToken } from '../../src/oauth/token-response.js';
import { send, type HttpContext, type HttpRequest } from '../../src/oauth/http.js';
import { createRedactor } from '../../src/oauth/redact.js';

const REQ: HttpRequest = {
  method: 'POST',
  url: 'https://idp.example/oauth/token',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  form: { grant_type: 'refresh_token', refresh_token: 'rt-secret-1', client_secret: 'cs-secret-1' },
};
const NOW = 1_800_000_000_000;

/** A fetch that records what it was sent and answers with this response. */
function answering(
  status: number,
  body: string,
  headers: Record<string, string> = { 'content-type': 'application/json' },
) {
  const sent: { url: string; init: RequestInit }[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    sent.push({ url: String(url), init });
    return new Response(status === 204 || status === 304 ? null : body, { status, headers });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, sent };
}

/** A fetch that fails as Node's does: a TypeError whose cause carries the socket's code (none if empty). */
function failing(code: string) {
  return (async () => {
    throw Object.assign(new TypeError('fetch failed'), {
      cause: code ? Object.assign(new Error(`connect ${code}`), { code }) : new Error('other side closed'),
    });
  }) as unknown as typeof globalThis.fetch;
}

const ctx = (fetch: typeof globalThis.fetch, extra: Partial<HttpContext> = {}): HttpContext => ({
  env: {},
  fetch,
  ...extra,
});

async function refusalOf(p: Promise<unknown>): Promise<TokenError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TokenError);
  return err as TokenError;
}

describe('requestToken: the answer', () => {
  type Row = [
    name: string,
    status: number,
    type: string,
    body: string,
    exit: number,
    message: string,
    hint: string | undefined,
  ];
  it.each<Row>([
    [
      'a token response',
      200,
      'application/json',
      '{"access_token":"at-1","token_type":"bearer","expires_in":60}',
      0,
      '',
      undefined,
    ],
    [
      'an OAuth error on 400',
      400,
      'application/json',
      '{"error":"invalid_grant","error_description":"expired"}',
      3,
      'IdP refused: invalid_grant: expired',
      undefined,
    ],
    ['a bare 401', 401, 'text/plain', '', 3, 'IdP refused the request (HTTP 401)', undefined],
    ['an HTML 403', 403, 'text/html', '<p>no</p>', 3, 'IdP refused the request (HTTP 403)', undefined],
    [
      'a 404 without an OAuth error',
      404,
      'application/json',
      '{"status":404}',
      4,
      'IdP has no token endpoint at that URL (HTTP 404)',
      'check the token URL',
    ],
    [
      'an HTML 405',
      405,
      'text/html',
      '<html></html>',
      4,
      'IdP has no token endpoint at that URL (HTTP 405, an HTML page)',
      'check the token URL',
    ],
    [
      'a 404 with an OAuth error',
      404,
      'application/json',
      '{"error":"invalid_client"}',
      3,
      'IdP refused: invalid_client',
      'check the token URL',
    ],
    ['a 500', 500, 'text/plain', 'oops', 4, 'IdP server error (HTTP 500)', 'try again later'],
    [
      'a 503 with an OAuth error',
      503,
      'application/json',
      '{"error":"temporarily_unavailable"}',
      4,
      'IdP server error (HTTP 503): temporarily_unavailable',
      'try again later',
    ],
    [
      'a redirect',
      307,
      'text/plain',
      '',
      4,
      "IdP's token endpoint redirected (HTTP 307 to https://elsewhere.example/login); not following it",
      'check the token URL',
    ],
    [
      'an HTML 200',
      200,
      'text/html',
      '<!doctype html>',
      4,
      'IdP answered with an HTML page (HTTP 200), not a token response',
      'check the token URL',
    ],
    [
      'HTML without saying so',
      200,
      'application/json',
      '  <html>',
      4,
      'IdP answered with an HTML page (HTTP 200), not a token response',
      'check the token URL',
    ],
    [
      'not JSON',
      200,
      'application/json',
      '{"access_token":',
      4,
      'IdP sent a response that is not valid JSON (HTTP 200)',
      undefined,
    ],
    [
      'an empty 200',
      200,
      'application/json',
      '',
      4,
      'IdP sent a response that is not valid JSON (HTTP 200)',
      undefined,
    ],
    [
      'an OAuth error on 200',
      200,
      'application/json',
      '{"error":"access_denied"}',
      3,
      'IdP refused: access_denied',
      undefined,
    ],
    [
      'a JSON array',
      200,
      'application/json',
      '[]',
      4,
      'IdP sent an invalid token response: not a JSON object',
      undefined,
    ],
    [
      'no access_token',
      200,
      'application/json',
      '{"token_type":"bearer"}',
      4,
      'IdP sent an invalid token response: no access_token',
      undefined,
    ],
  ])('%s', async (_name, status, type, body, exit, message, hint) => {
    const headers: Record<string, string> = {
      'content-type': type,
      ...(status === 307 ? { location: 'https://elsewhere.example/login?refresh_token=rt-secret-1' } : {}),
    };
    const p = requestToken(REQ, 'IdP', ctx(answering(status, body, headers).fetch), () => NOW);
    if (exit === 0) {
      expect(await p).toEqual({ accessToken: 'at-1', tokenType: 'Bearer', expiresAt: NOW + 60_000, obtainedAt: NOW });
      return;
    }
    const err = await refusalOf(p);
    expect(EXIT_CODES[err.code]).toBe(exit);
    expect(err.message).toBe(message);
    expect(err.hint).toBe(hint);
  });

  it("a refusal keeps the provider's error, its description and the HTTP status", async () => {
    const err = await refusalOf(
      requestToken(
        REQ,
        'IdP',
        ctx(answering(400, '{"error":"invalid_grant","error_description":"revoked"}').fetch),
        () => NOW,
      ),
    );
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ status: 400, error: 'invalid_grant', errorDescription: 'revoked' });
  });

  it('sends the request as built: method, URL with its query, headers, the form in its order, no redirect followed', async () => {
    const { fetch, sent } = answering(200, '{"access_token":"at-1"}');
    await requestToken({ ...REQ, query: { a: '1' } }, 'IdP', ctx(fetch), () => NOW);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.url).toBe('https://idp.example/oauth/token?a=1');
    expect(sent[0]!.init).toMatchObject({
      method: 'POST',
      redirect: 'manual',
      body: 'grant_type=refresh_token&refresh_token=rt-secret-1&client_secret=cs-secret-1',
    });
  });
});

describe('send: no answer', () => {
  it.each([
    ['ECONNREFUSED', 'cannot reach idp.example: connection refused', undefined],
    ['ENOTFOUND', 'cannot reach idp.example: host not found', undefined],
    ['ECONNRESET', 'cannot reach idp.example: connection reset', undefined],
    ['EWHATEVER', 'cannot reach idp.example: EWHATEVER', undefined],
    ['', 'cannot reach idp.example: request failed', undefined],
    [
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'TLS error talking to idp.example: UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'for a private CA, set NODE_EXTRA_CA_CERTS=<ca.pem>',
    ],
  ])('%s is exit 4: %s', async (code, message, hint) => {
    const err = await refusalOf(send(REQ, ctx(failing(code))));
    expect(err).toBeInstanceOf(NetworkError);
    expect(EXIT_CODES[err.code]).toBe(4);
    expect(err.message).toBe(message);
    expect(err.hint).toBe(hint);
  });

  it('a server that never answers is exit 4 after TOKEN_HTTP_TIMEOUT, naming the limit', async () => {
    const never = ((_url: string, init: RequestInit) =>
      new Promise((_resolve, reject) =>
        init.signal!.addEventListener('abort', () => reject(init.signal!.reason as Error)),
      )) as unknown as typeof fetch;
    const err = await refusalOf(send(REQ, ctx(never, { env: { TOKEN_HTTP_TIMEOUT: '0.05' } })));
    expect(EXIT_CODES[err.code]).toBe(4);
    expect(err.message).toBe('no answer from idp.example within 0.05 s');
    expect(err.hint).toMatch(/TOKEN_HTTP_TIMEOUT=<seconds>/);
  });

  it('a body declared over 1 MiB is refused unread: exit 4', async () => {
    const err = await refusalOf(
      send(REQ, ctx(answering(200, '{}', { 'content-length': String(1024 * 1024 + 1) }).fetch)),
    );
    expect(EXIT_CODES[err.code]).toBe(4);
    expect(err.message).toBe('idp.example sent a response over 1 MiB; refusing to read it');
  });

  it.each([
    [
      'TOKEN_HTTP_TIMEOUT=0',
      { ...REQ },
      { TOKEN_HTTP_TIMEOUT: '0' },
      /^TOKEN_HTTP_TIMEOUT must be a positive number of seconds/,
    ],
    [
      'a password in the URL',
      { ...REQ, url: 'https://me:pw-secret@idp.example/token' },
      {},
      /holds a user name or password/,
    ],
    [
      'a line break in a header',
      { ...REQ, headers: { 'x-prism-client-secret': 'a\r\nb' } },
      {},
      /^the value for the x-prism-client-secret header/,
    ],
    // Without a client given: the proxy variables choose Node's fetch or undici's.
    [
      'a proxy that is no URL',
      { ...REQ },
      { HTTPS_PROXY: 'ftp://proxy' },
      /^HTTPS_PROXY is not an http:\/\/ or https:\/\/ proxy URL$/,
    ],
  ])('bad input is exit 2, and nothing is sent: %s', async (name, req, env, message) => {
    const { fetch, sent } = answering(200, '{"access_token":"at-1"}');
    const err = await refusalOf(send(req, ctx(fetch, { env, ...(/proxy/.test(name) ? { fetch: undefined } : {}) })));
    expect(err).toBeInstanceOf(UsageError);
    expect(EXIT_CODES[err.code]).toBe(2);
    expect(err.message).toMatch(message);
    expect(sent).toEqual([]);
  });
});

describe('send: the -v trace', () => {
  it('shows the exchange with every secret sent or received redacted', async () => {
    const lines: string[] = [];
    const secrets = createRedactor();
    const { fetch } = answering(200, '{"access_token":"at-secret-2","refresh_token":"rt-secret-2"}');
    await send(REQ, ctx(fetch, { trace: (l) => lines.push(l), secrets }));
    const trace = lines.join('\n');
    expect(trace).toMatch(/^> POST https:\/\/idp\.example\/oauth\/token$/m);
    expect(trace).toMatch(/^< HTTP 200$/m);
    for (const s of ['rt-secret-1', 'cs-secret-1', 'at-secret-2', 'rt-secret-2']) {
      expect(trace).not.toContain(s);
      // ...and learnt, so error text quoting them is hidden too.
      expect(secrets.redact(`x ${s} y`)).toBe('x [redacted] y');
    }
  });

  it('hides a secret a server echoes where no field is named for one (a header, an error text)', async () => {
    const lines: string[] = [];
    const { fetch } = answering(400, '{"error":"invalid_grant","error_description":"unknown token rt-secret-1"}', {
      'content-type': 'application/json',
      'x-debug': 'secret=cs-secret-1',
    });
    await send(REQ, ctx(fetch, { trace: (l) => lines.push(l) }));
    expect(lines).toContain('< x-debug: secret=[redacted]');
    expect(lines.join('\n')).toMatch(/unknown token \[redacted\]/);
    for (const s of ['rt-secret-1', 'cs-secret-1']) expect(lines.join('\n')).not.toContain(s);
  });
});
