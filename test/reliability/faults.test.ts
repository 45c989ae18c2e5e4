// SPEC "Responses from servers": every bad answer, on login, refresh and the
// auto-refresh of `show`, is the documented exit code, one clean stderr line,
// empty stdout, and stored state byte-for-byte unchanged and still usable.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSandbox, type Endpoint, type Fault, type Sandbox } from '../../src/sandbox/index.js';
import { runCli, tempConfig, type TempConfig } from '../helpers/cli.js';
import { loginBp, loginPriava, loginPrism } from '../helpers/logins.js';
import { freePort } from '../helpers/real.js';

let sb: Sandbox;
let cfg: TempConfig;
beforeAll(async () => (sb = await startSandbox()));
afterAll(() => sb.close());
beforeEach(() => {
  cfg = tempConfig({ TOKEN_HTTP_TIMEOUT: '1' });
  sb.requests.length = 0;
});
afterEach(() => cfg.cleanup());

type Row = [name: string, fault: Fault, exit: number, message: RegExp];
const FAULTS: Row[] = [
  ['an HTML 502 page', { status: 502, contentType: 'text/html', body: '<html><body><h1>502 Bad Gateway</h1></body></html>' }, 4, /server error \(HTTP 502\)$/],
  ['an HTML 200 page', { status: 200, contentType: 'text/html', body: '<!doctype html><p>login</p>' }, 4, /answered with an HTML page \(HTTP 200\), not a token response$/],
  ['invalid JSON', { status: 200, body: '{"access_token": "abc", ' }, 4, /sent a response that is not valid JSON \(HTTP 200\)$/],
  ['JSON without access_token', { status: 200, body: '{"token_type":"bearer","expires_in":3600}' }, 4, /sent an invalid token response: no access_token$/],
  ['an expires_in past any lifetime', { status: 200, body: '{"access_token":"a","token_type":"bearer","expires_in":1e20}' }, 4, /sent an invalid token response: expires_in is 100000000000000000000$/],
  // Tokens go into header lines (show --header, curl, exec): a line break there would add headers.
  ['a line break in access_token', { status: 200, body: JSON.stringify({ access_token: 'abc\r\nX-Evil: 1', token_type: 'bearer', expires_in: 3600 }) }, 4, /access_token has a space, a line break or another character no token has$/],
  ['a header in token_type', { status: 200, body: JSON.stringify({ access_token: 'abc', token_type: 'Bearer x\r\nX-Injected: yes', expires_in: 3600 }) }, 4, /token_type is "Bearer x\\r\\nX-Injected: yes"$/],
  ['a non-numeric expires_in', { status: 200, body: '{"access_token":"a","token_type":"bearer","expires_in":"soon"}' }, 4, /sent an invalid token response: expires_in is "soon"$/],
  ['400 with the provider’s error body', { status: 400, body: '{"error":"invalid_client","error_description":"Client authentication failed"}' }, 3, /refused: invalid_client: Client authentication failed$/],
  // Its text is shown verbatim but on one line: a line break or a terminal escape is shown, not obeyed.
  ['400 with a line break and an escape in its error text', { status: 400, body: JSON.stringify({ error: 'invalid_client', error_description: 'bad\nclient \u001b[2J' }) }, 3, /refused: invalid_client: bad\\u000aclient \\u001b\[2J$/],
  ['401 with an empty body', { status: 401, body: '' }, 3, /refused the request \(HTTP 401\)$/],
  // A wrong token URL: the HTML page is no token response (exit 4); a bare 404 is still a refusal, with the URL as hint.
  ['an HTML 401 page (a gateway refusing a bad client)', { status: 401, contentType: 'text/html', body: '<html><body>Unauthorized</body></html>' }, 3, /refused the request \(HTTP 401\)$/],
  ['an HTML 404 page', { status: 404, contentType: 'text/html', body: '<html><body><h1>404 Not Found</h1></body></html>' }, 4, /answered with an HTML page \(HTTP 404\), not a token response$/],
  ['a 404 with a JSON error', { status: 404, body: '{"timestamp":1,"status":404,"error":"Not Found","path":"/rest/oauth/token"}' }, 3, /refused: Not Found$/],
  ['a server that never answers', { hang: true }, 4, /no answer from 127\.0\.0\.1:\d+ within 1 s$/],
  ['a body over 1 MiB', { status: 200, bytes: 1024 * 1024 + 10 }, 4, /sent a response over 1 MiB; refusing to read it$/],
  // The Location's query is never shown: a gateway may echo our own query (PRISM's refresh_token) back in it.
  ['a redirect', { status: 302, headers: { Location: 'http://127.0.0.1:9/login?next=%2Ftoken%3Frefresh_token%3DSECRET' }, body: '' }, 4, /token endpoint redirected \(HTTP 302 to http:\/\/127\.0\.0\.1:9\/login\); not following it$/],
  ['a 503 with a JSON error', { status: 503, body: '{"error":"temporarily_unavailable","error_description":"maintenance"}' }, 4, /server error \(HTTP 503\): temporarily_unavailable: maintenance$/],
];

const providers: [string, Endpoint, (env: NodeJS.ProcessEnv) => Promise<unknown>][] = [
  ['Bright Pattern', 'bp-token', (env) => loginBp(sb, env)],
  ['PRISM', 'prism-token', (env) => loginPrism(sb, env)],
  ['Priava', 'priava-token', async (env) => loginPriava(sb, env, `http://127.0.0.1:${await freePort()}/cb`)],
];

function snapshot(): string[] {
  const dir = cfg.env.TOKEN_CONFIG_DIR!;
  return ['profiles.json', 'credentials.json'].map((f) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : '(absent)'));
}

function expectCleanFailure(r: { code: number | null; stdout: string; stderr: string }, exit: number, message: RegExp, provider: string) {
  expect(r.stdout).toBe('');
  expect(r.code).toBe(exit);
  // Browser logins print progress first; the error is the one `token:` line, last but a hint.
  const lines = r.stderr.trimEnd().split('\n');
  const errors = lines.filter((l) => l.startsWith('token: '));
  expect(errors).toHaveLength(1);
  const first = errors[0]!;
  const rest = lines.slice(lines.indexOf(first) + 1);
  expect(first).toMatch(message);
  if (!/no answer|over 1 MiB/.test(first)) expect(first).toContain(provider);
  expect(rest.length).toBeLessThanOrEqual(1); // at most one hint line, never a stack trace
  if (/HTTP 404|Not Found/.test(first)) expect(rest).toEqual(['check the token URL']);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe.each(providers)('%s', (provider, endpoint, login) => {
  it.each(FAULTS)('login: %s', async (_name, fault, exit, message) => {
    sb.failNext(endpoint, fault);
    const r = (await login(cfg.env)) as Awaited<ReturnType<typeof runCli>>;
    expectCleanFailure(r, exit, message, provider);
    expect(snapshot()).toEqual(['(absent)', '(absent)']);
  });

  it.each(FAULTS)('refresh and auto-refresh: %s', async (_name, fault, exit, message) => {
    expect(((await login(cfg.env)) as { code: number }).code).toBe(0);
    // Make the stored token due, so `show` must refresh first.
    const dir = cfg.env.TOKEN_CONFIG_DIR!;
    const p = JSON.parse(readFileSync(join(dir, 'profiles.json'), 'utf8'));
    for (const profile of Object.values<{ token: { expiresAt: number } }>(p.profiles)) profile.token.expiresAt = Date.now() - 1000;
    writeFileSync(join(dir, 'profiles.json'), JSON.stringify(p, null, 2));
    const before = snapshot();

    sb.failNext(endpoint, fault);
    expectCleanFailure(await runCli(['refresh'], { env: cfg.env }), exit, message, provider);
    expect(snapshot()).toEqual(before);

    sb.failNext(endpoint, fault);
    expectCleanFailure(await runCli(['show', '--raw'], { env: cfg.env }), exit, message, provider);
    expect(snapshot()).toEqual(before);

    // Still usable: with the server healthy again, the stored login renews.
    const ok = await runCli(['show', '--raw'], { env: cfg.env });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^\S+\n$/);
  });
});

describe('connection failures', () => {
  it('connection refused is exit 4 naming the host, on login and on refresh', async () => {
    const closed = await freePort();
    const r = await runCli(['login', 'bp', '--client-id', 'x', '--tenant', 'example.brightpattern.com', '--url', `http://127.0.0.1:${closed}/bp`], {
      env: { ...cfg.env, TOKEN_CLIENT_SECRET: 's' },
    });
    expectCleanFailure(r, 4, new RegExp(`^token: cannot reach 127\\.0\\.0\\.1:${closed}: connection refused$`), '127.0.0.1');
    expect(snapshot()).toEqual(['(absent)', '(absent)']);

    const gone = await startSandbox();
    expect((await loginBp(gone, cfg.env)).code).toBe(0);
    await gone.close();
    const before = snapshot();
    expectCleanFailure(await runCli(['refresh'], { env: cfg.env }), 4, /^token: cannot reach 127\.0\.0\.1:\d+: connection refused$/, '127.0.0.1');
    expect(snapshot()).toEqual(before);
  });
});

describe('-v traces', () => {
  it('show every exchange with secrets, codes and tokens redacted', async () => {
    const port = await freePort();
    const login = await loginPriava(sb, { ...cfg.env }, `http://127.0.0.1:${port}/cb`, ['-v']);
    expect(login.code).toBe(0);
    const refresh = await runCli(['refresh', '-v'], { env: cfg.env });
    expect(refresh.code).toBe(0);
    const prism = await loginPrism(sb, cfg.env, ['-v']);
    expect(prism.code).toBe(0);
    const verify = await runCli(['show', '-p', 'prism', '--verify', '-v'], { env: cfg.env });
    expect(verify.code).toBe(0);
    const traces = [login.stderr, refresh.stderr, prism.stderr, verify.stderr].join('\n');
    expect(traces).toMatch(/^> POST http:\/\/127\.0\.0\.1:\d+\/priava\/api\/rest\/oauth\/token$/m);
    expect(traces).toMatch(/^> GET http:\/\/127\.0\.0\.1:\d+\/prism\/v1\/service\/oauth2\/token\?grant_type=authorization_code&code=\[redacted\]/m);
    expect(traces).toMatch(/^> x-prism-client-secret: \[redacted\]$/m);
    expect(traces).toMatch(/^> x-prism-access-token: \[redacted\]$/m);
    expect(traces).toMatch(/^< HTTP 200$/m);
    const secrets = [
      ...Object.values<string>(cfg.read('credentials.json').secrets),
      ...sb.requests.flatMap((q) => [q.query.code, q.form?.code, q.form?.refresh_token, q.query.refresh_token]),
    ].filter((s): s is string => !!s);
    expect(secrets.length).toBeGreaterThan(6);
    for (const s of secrets) expect(traces).not.toContain(s);
  });
});
