// SPEC "Responses from servers": every bad answer, on login, refresh and the
// auto-refresh of `show`, is the documented exit code, one clean stderr line,
// empty stdout, and stored state byte-for-byte unchanged and still usable.
// The matrix runs in-process: the logic (toLoginOptions + login, refresh's renew,
// show --raw's currentToken) with fake Deps, the sandbox's fault modes as the server,
// and main's own report() for the exit code and the line. The built CLI, as a child
// process, checks the same for one case of each exit code and each provider flow.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Agent as HttpAgent } from 'node:http';
import { fetch as nodeFetch } from 'node-fetch-native/node';
import { startSandbox, type Endpoint, type Fault, type Sandbox } from '../../src/sandbox/index.js';
import { fastShow } from '../../src/cli/fast-show.js';
import * as refresh from '../../src/cli/commands/refresh.js';
import * as show from '../../src/cli/commands/show.js';
import { fakeDeps, loginInProcess, outcome, type FakeDeps, type Outcome } from '../helpers/fake-deps.js';
import { runCli, tempConfig, type TempConfig } from '../helpers/cli.js';
import { loginBp, loginPriava, loginPrism } from '../helpers/logins.js';
import { freePort } from '../helpers/real.js';

/** TOKEN_HTTP_TIMEOUT in-process for a server that hangs: it costs the matrix this, not seconds. */
const TIMEOUT_S = 0.2;
/** For every other request: the sandbox answers at once, but a loaded machine may take longer than TIMEOUT_S. */
const ANSWERING_TIMEOUT_S = '10';

let sb: Sandbox;
beforeAll(async () => (sb = await startSandbox()));
afterAll(() => sb.close());
beforeEach(() => void (sb.requests.length = 0));

type Row = [name: string, fault: Fault, exit: number, message: RegExp];
const FAULTS: Row[] = [
  [
    'an HTML 502 page',
    { status: 502, contentType: 'text/html', body: '<html><body><h1>502 Bad Gateway</h1></body></html>' },
    4,
    /server error \(HTTP 502\)$/,
  ],
  [
    'an HTML 200 page',
    { status: 200, contentType: 'text/html', body: '<!doctype html><p>login</p>' },
    4,
    /answered with an HTML page \(HTTP 200\), not a token response$/,
  ],
  [
    'invalid JSON',
    { status: 200, body: '{"access_token": "abc", ' },
    4,
    /sent a response that is not valid JSON \(HTTP 200\)$/,
  ],
  [
    'JSON without access_token',
    { status: 200, body: '{"token_type":"bearer","expires_in":3600}' },
    4,
    /sent an invalid token response: no access_token$/,
  ],
  [
    'an expires_in past any lifetime',
    { status: 200, body: '{"access_token":"a","token_type":"bearer","expires_in":1e20}' },
    4,
    /sent an invalid token response: expires_in is 100000000000000000000$/,
  ],
  // Tokens go into header lines (show --header, curl, exec): a line break there would add headers.
  [
    'a line break in access_token',
    { status: 200, body: JSON.stringify({ access_token: 'abc\r\nX-Evil: 1', token_type: 'bearer', expires_in: 3600 }) },
    4,
    /access_token has a space, a line break or another character no token has$/,
  ],
  [
    'a header in token_type',
    {
      status: 200,
      body: JSON.stringify({ access_token: 'abc', token_type: 'Bearer x\r\nX-Injected: yes', expires_in: 3600 }),
    },
    4,
    /token_type is "Bearer x\\r\\nX-Injected: yes"$/,
  ],
  [
    'a non-numeric expires_in',
    { status: 200, body: '{"access_token":"a","token_type":"bearer","expires_in":"soon"}' },
    4,
    /sent an invalid token response: expires_in is "soon"$/,
  ],
  [
    '400 with the provider’s error body',
    { status: 400, body: '{"error":"invalid_client","error_description":"Client authentication failed"}' },
    3,
    /refused: invalid_client: Client authentication failed$/,
  ],
  // Its text is shown verbatim but on one line: a line break or a terminal escape is shown, not obeyed.
  [
    '400 with a line break and an escape in its error text',
    { status: 400, body: JSON.stringify({ error: 'invalid_client', error_description: 'bad\nclient \u001b[2J' }) },
    3,
    /refused: invalid_client: bad\\u000aclient \\u001b\[2J$/,
  ],
  ['401 with an empty body', { status: 401, body: '' }, 3, /refused the request \(HTTP 401\)$/],
  // A wrong token URL: a 404 or 405 without an OAuth error is no endpoint (exit 4) whatever its type; one with an OAuth error is a refusal, with the URL as hint.
  [
    'an HTML 401 page (a gateway refusing a bad client)',
    { status: 401, contentType: 'text/html', body: '<html><body>Unauthorized</body></html>' },
    3,
    /refused the request \(HTTP 401\)$/,
  ],
  [
    'an HTML 404 page',
    { status: 404, contentType: 'text/html', body: '<html><body><h1>404 Not Found</h1></body></html>' },
    4,
    /has no token endpoint at that URL \(HTTP 404, an HTML page\)$/,
  ],
  [
    'a text/plain 404',
    { status: 404, contentType: 'text/plain', body: 'Not Found' },
    4,
    /has no token endpoint at that URL \(HTTP 404\)$/,
  ],
  ['an empty 405', { status: 405, body: '' }, 4, /has no token endpoint at that URL \(HTTP 405\)$/],
  [
    'a 404 with a JSON error',
    { status: 404, body: '{"timestamp":1,"status":404,"error":"Not Found","path":"/rest/oauth/token"}' },
    3,
    /refused: Not Found$/,
  ],
  [
    'a server that never answers',
    { hang: true },
    4,
    new RegExp(`no answer from 127\\.0\\.0\\.1:\\d+ within ${TIMEOUT_S} s$`),
  ],
  [
    'a body over 1 MiB',
    { status: 200, bytes: 1024 * 1024 + 10 },
    4,
    /sent a response over 1 MiB; refusing to read it$/,
  ],
  // The Location's query is never shown: a gateway may echo our own query (PRISM's refresh_token) back in it.
  [
    'a redirect',
    { status: 302, headers: { Location: 'http://127.0.0.1:9/login?next=%2Ftoken%3Frefresh_token%3DSECRET' }, body: '' },
    4,
    /token endpoint redirected \(HTTP 302 to http:\/\/127\.0\.0\.1:9\/login\); not following it$/,
  ],
  [
    'a 503 with a JSON error',
    { status: 503, body: '{"error":"temporarily_unavailable","error_description":"maintenance"}' },
    4,
    /server error \(HTTP 503\): temporarily_unavailable: maintenance$/,
  ],
];

type Provider = 'brightpattern' | 'prism' | 'priava';
const providers: [string, Endpoint, Provider][] = [
  ['Bright Pattern', 'bp-token', 'brightpattern'],
  ['PRISM', 'prism-token', 'prism'],
  ['Priava', 'priava-token', 'priava'],
];

/** A login against the sandbox; Priava's redirect URI is a free loopback port. */
async function logIn(
  deps: FakeDeps,
  provider: Provider,
  extra: Parameters<typeof loginInProcess>[4] = {},
): Promise<Outcome> {
  return loginInProcess(
    deps,
    sb,
    provider,
    provider === 'priava' ? `http://127.0.0.1:${await freePort()}/cb` : undefined,
    extra,
  );
}

/** Everything stored: config.json and every profile file, as text. */
function snapshot(cfg: TempConfig): Record<string, string> {
  const files = ['config.json', ...cfg.names().map((n) => `profiles/${n}.json`)];
  return Object.fromEntries(files.filter((f) => cfg.exists(f)).map((f) => [f, cfg.text(f)]));
}

/** Makes every stored token due, so `show` must refresh first. */
function expireAll(cfg: TempConfig): void {
  for (const name of cfg.names()) {
    const p = cfg.profile(name);
    p.token.expiresAt = Date.now() - 1000;
    cfg.writeProfile(name, p);
  }
}

function expectCleanFailure(
  r: { code: number | null; stdout: string; stderr: string },
  exit: number,
  message: RegExp,
  provider: string,
) {
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
  if (/HTTP 40[45]|Not Found/.test(first)) expect(rest).toEqual(['check the token URL']);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('in-process', () => {
  let deps: FakeDeps;
  beforeEach(() => (deps = fakeDeps({ env: { TOKEN_HTTP_TIMEOUT: ANSWERING_TIMEOUT_S } })));
  /** The next request meets this fault, with the short timeout only where the server hangs. */
  const failNext = (endpoint: Endpoint, fault: Fault) => {
    sb.failNext(endpoint, fault);
    deps.env.TOKEN_HTTP_TIMEOUT = 'hang' in fault ? String(TIMEOUT_S) : ANSWERING_TIMEOUT_S;
  };
  afterEach(() => deps.cleanup());

  const refreshNow = () => outcome(deps, () => refresh.run({}, deps));
  const showRaw = () => outcome(deps, () => fastShow({ raw: true, bearer: false, noRefresh: false }, deps));

  describe.each(providers)('%s', (provider, endpoint, id) => {
    it.each(FAULTS)('login: %s', async (_name, fault, exit, message) => {
      failNext(endpoint, fault);
      expectCleanFailure(await logIn(deps, id), exit, message, provider);
      expect(snapshot(deps.cfg)).toEqual({});
      expect(deps.keychain.entries.size).toBe(0);
    });

    it.each(FAULTS)('refresh and auto-refresh: %s', async (_name, fault, exit, message) => {
      expect((await logIn(deps, id)).code).toBe(0);
      expireAll(deps.cfg);
      const before = snapshot(deps.cfg);
      expect(Object.keys(before)).toHaveLength(2);

      failNext(endpoint, fault);
      expectCleanFailure(await refreshNow(), exit, message, provider);
      expect(snapshot(deps.cfg)).toEqual(before);

      failNext(endpoint, fault);
      expectCleanFailure(await showRaw(), exit, message, provider);
      expect(snapshot(deps.cfg)).toEqual(before);

      // Still usable: with the server healthy again, the stored login renews.
      deps.env.TOKEN_HTTP_TIMEOUT = ANSWERING_TIMEOUT_S;
      const ok = await showRaw();
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/^\S+\n$/);
    });
  });

  it('connection refused is exit 4 naming the host, on login and on refresh', async () => {
    // The CLI's own fetch, but each command is a process of its own: the refresh must not reuse
    // the login's kept-alive connection, cut by the closing sandbox before the pool may have
    // noticed. Without keep-alive, no connection outlives its request.
    const fresh = new HttpAgent({ keepAlive: false });
    deps.fetch = (input, init) => nodeFetch(input, { ...init, agent: fresh } as RequestInit);
    try {
      const closed = await freePort();
      const r = await logIn(deps, 'brightpattern', { url: `http://127.0.0.1:${closed}/bp` });
      expectCleanFailure(
        r,
        4,
        new RegExp(`^token: cannot reach 127\\.0\\.0\\.1:${closed}: connection refused$`),
        '127.0.0.1',
      );
      expect(snapshot(deps.cfg)).toEqual({});

      const gone = await startSandbox();
      expect((await loginInProcess(deps, gone, 'brightpattern')).code).toBe(0);
      await gone.close();
      const before = snapshot(deps.cfg);
      expectCleanFailure(
        await refreshNow(),
        4,
        /^token: cannot reach 127\.0\.0\.1:\d+: connection refused$/,
        '127.0.0.1',
      );
      expect(snapshot(deps.cfg)).toEqual(before);
    } finally {
      fresh.destroy();
    }
  });

  it.each([
    ['resets the connection at once', (s: Socket) => s.resetAndDestroy(), /connection reset$/],
    ['closes the connection before answering', (s: Socket) => s.destroy(), /connection reset$/],
    [
      'closes the connection in the middle of the body',
      (s: Socket) =>
        s.once('data', () => {
          s.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n5\r\n{"acc');
          setTimeout(() => s.end(), 20);
        }),
      /connection closed$/,
    ],
    [
      'answers with something that is not HTTP',
      (s: Socket) => s.end('SSH-2.0-OpenSSH_9.6\r\n'),
      /an answer that is not valid HTTP \(HPE_\w+\)$/,
    ],
  ])('a server that %s is exit 4 naming the host, without waiting for the timeout', async (_name, serve, message) => {
    const server = createServer(serve);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const started = Date.now();
      const r = await logIn(deps, 'brightpattern', { url: `http://127.0.0.1:${port}/bp` });
      expectCleanFailure(
        r,
        4,
        new RegExp(`^token: cannot reach 127\\.0\\.0\\.1:${port}: ${message.source}`),
        '127.0.0.1',
      );
      expect(Date.now() - started).toBeLessThan(Number(ANSWERING_TIMEOUT_S) * 1000);
      expect(snapshot(deps.cfg)).toEqual({});
    } finally {
      server.close();
    }
  });

  it('a body declared over 1 MiB is refused unread and its connection closed at once', async () => {
    let closed = false;
    const server = createServer((s) => {
      s.on('close', () => (closed = true));
      s.once('data', () =>
        s.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2000000\r\n\r\n{'),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const r = await logIn(deps, 'brightpattern', { url: `http://127.0.0.1:${port}/bp` });
      expectCleanFailure(r, 4, /sent a response over 1 MiB; refusing to read it$/, '127.0.0.1');
      for (let i = 0; i < 100 && !closed; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(closed).toBe(true);
    } finally {
      server.close();
    }
  });

  it('-v traces show every exchange with secrets, codes and tokens redacted', async () => {
    const login = await logIn(deps, 'priava', { verbose: true });
    expect(login.code).toBe(0);
    const renewed = await outcome(deps, () => refresh.run({ verbose: true }, deps));
    expect(renewed.code).toBe(0);
    const prism = await logIn(deps, 'prism', { verbose: true });
    expect(prism.code).toBe(0);
    const verify = await outcome(deps, () =>
      show.run({ profile: 'prism', verify: true, verbose: true, refresh: true }, deps),
    );
    expect(verify.code).toBe(0);
    const traces = [login.stderr, renewed.stderr, prism.stderr, verify.stderr].join('\n');
    expect(traces).toMatch(/^> POST http:\/\/127\.0\.0\.1:\d+\/priava\/api\/rest\/oauth\/token$/m);
    expect(traces).toMatch(
      /^> GET http:\/\/127\.0\.0\.1:\d+\/prism\/v1\/service\/oauth2\/token\?grant_type=authorization_code&code=\[redacted\]/m,
    );
    expect(traces).toMatch(/^> x-prism-client-secret: \[redacted\]$/m);
    expect(traces).toMatch(/^> x-prism-access-token: \[redacted\]$/m);
    expect(traces).toMatch(/^< HTTP 200$/m);
    const secrets = [
      ...['priava', 'prism'].flatMap((n) =>
        (['client_secret', 'refresh_token', 'access_token'] as const).map((k) => deps.cfg.secret(n, k)),
      ),
      ...sb.requests.flatMap((q) => [q.query.code, q.form?.code, q.form?.refresh_token, q.query.refresh_token]),
    ].filter((s): s is string => !!s);
    expect(secrets.length).toBeGreaterThan(6);
    for (const s of secrets) expect(traces + deps.stdout.text()).not.toContain(s);
  });
});

// The built CLI: one case per exit code of the matrix (3, 4, and 0 once healthy) and per
// provider flow (client credentials; authorization code through the browser and the
// loopback listener; a refresh token), on login, refresh and show --raw's fast path.
describe('end to end', () => {
  let cfg: TempConfig;
  beforeEach(() => (cfg = tempConfig({ TOKEN_HTTP_TIMEOUT: '1' })));
  afterEach(() => cfg.cleanup());

  it('Bright Pattern login (client credentials) refused: exit 3, nothing stored', async () => {
    sb.failNext('bp-token', FAULTS[8]![1]);
    expectCleanFailure(await loginBp(sb, cfg.env), 3, FAULTS[8]![3], 'Bright Pattern');
    expect(snapshot(cfg)).toEqual({});
  });

  it('Priava login (browser and loopback) answered with an HTML 502: exit 4, nothing stored, no secret in the -v trace', async () => {
    sb.failNext('priava-token', FAULTS[0]![1]);
    const r = await loginPriava(sb, cfg.env, `http://127.0.0.1:${await freePort()}/cb`, ['-v']);
    expectCleanFailure(
      {
        ...r,
        stderr: r.stderr
          .split('\n')
          .filter((l) => !/^[<>] /.test(l))
          .join('\n'),
      },
      4,
      FAULTS[0]![3],
      'Priava',
    );
    expect(r.stderr).toMatch(/^> POST http:\/\/127\.0\.0\.1:\d+\/priava\/api\/rest\/oauth\/token$/m);
    const sent = sb.requests.flatMap((q) => [q.form?.code, q.form?.client_secret]).filter((s): s is string => !!s);
    expect(sent.length).toBeGreaterThan(1);
    for (const s of sent) expect(r.stderr).not.toContain(s);
    expect(snapshot(cfg)).toEqual({});
  });

  it('PRISM refresh and show --raw: a server that never answers is exit 4, a 401 exit 3, state unchanged, then renewed', async () => {
    expect((await loginPrism(sb, cfg.env)).code).toBe(0);
    expireAll(cfg);
    const before = snapshot(cfg);

    sb.failNext('prism-token', { hang: true });
    expectCleanFailure(
      await runCli(['refresh'], { env: cfg.env }),
      4,
      /no answer from 127\.0\.0\.1:\d+ within 1 s$/,
      'PRISM',
    );
    expect(snapshot(cfg)).toEqual(before);

    sb.failNext('prism-token', FAULTS[10]![1]);
    expectCleanFailure(await runCli(['show', '--raw'], { env: cfg.env }), 3, FAULTS[10]![3], 'PRISM');
    expect(snapshot(cfg)).toEqual(before);

    const ok = await runCli(['show', '--raw'], { env: cfg.env });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^\S+\n$/);
  });

  it('connection refused on login: exit 4 naming the host', async () => {
    const closed = await freePort();
    const r = await runCli(
      [
        'login',
        'bp',
        '--client-id',
        'x',
        '--tenant',
        'example.brightpattern.com',
        '--url',
        `http://127.0.0.1:${closed}/bp`,
      ],
      {
        env: { ...cfg.env, TOKEN_CLIENT_SECRET: 's' },
      },
    );
    expectCleanFailure(
      r,
      4,
      new RegExp(`^token: cannot reach 127\\.0\\.0\\.1:${closed}: connection refused$`),
      '127.0.0.1',
    );
    expect(snapshot(cfg)).toEqual({});
  });
});
