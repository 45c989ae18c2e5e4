// Odd input from users, files and servers (issue 16): each is one `token:` line, the SPEC
// exit code, nothing on stdout, nothing sent where nothing may be, no secret shown.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { requestToken } from '../../src/oauth/token-response.js';
import { send } from '../../src/oauth/http.js';
import { prism } from '../../src/providers/prism.js';
import { parseUrlFlag } from '../../src/providers/urls.js';
import { TokenError } from '../../src/errors.js';
import { checkStoredToken } from '../../src/cli/stored-token.js';
import { CLIENTS, startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { runCli, tempConfig, type TempConfig } from '../helpers/cli.js';
import { replaceStored, storedValues } from '../helpers/stored-files.js';
import { runFresh } from '../helpers/fake-deps.js';

/** A local HTTP server answering every request with `answer`, counting the requests. */
async function answering(answer: (res: import('node:http').ServerResponse) => void) {
  let count = 0;
  const server: Server = createServer((req, res) => {
    count++;
    req.resume();
    answer(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function failure(p: Promise<unknown>): Promise<TokenError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TokenError) return err;
    throw err;
  }
  throw new Error('it succeeded');
}

describe('a 404 or 405 from a token endpoint', () => {
  let body = '';
  let type: string | undefined;
  let status = 404;
  let server: Awaited<ReturnType<typeof answering>>;
  beforeAll(async () => {
    server = await answering((res) => {
      res.writeHead(status, type ? { 'Content-Type': type } : {});
      res.end(body);
    });
  });
  afterAll(() => server.close());

  const req = () => ({
    method: 'POST' as const,
    url: `${server.url}/token`,
    headers: {},
    form: { grant_type: 'client_credentials' },
  });
  it.each([
    [404, 'text/plain', 'Not Found', ''],
    [404, 'application/json', '{"status":404,"path":"/token"}', ''],
    [404, 'text/html', '<html><h1>Not Found</h1></html>', ', an HTML page'],
    [404, undefined, '', ''],
    [405, 'text/plain', 'Method Not Allowed', ''],
    [405, 'application/json', '{}', ''],
    [405, 'text/html; charset=utf-8', '<!doctype html><p>405</p>', ', an HTML page'],
  ])('without an OAuth error is exit 4 with the token URL hint (HTTP %i, %s)', async (s, t, b, html) => {
    [status, type, body] = [s, t, b];
    const err = await failure(requestToken(req(), 'X', { env: {} }, () => 0));
    expect([err.code, err.message, err.hint]).toEqual([
      'network',
      `X has no token endpoint at that URL (HTTP ${s}${html})`,
      'check the token URL',
    ]);
  });

  it.each([404, 405])('with an OAuth error is a refusal (exit 3), still with the hint (HTTP %i)', async (s) => {
    [status, type, body] = [s, 'application/json', '{"error":"invalid_client","error_description":"who?"}'];
    const err = await failure(requestToken(req(), 'X', { env: {} }, () => 0));
    expect([err.code, err.message, err.hint]).toEqual([
      'provider_refused',
      'X refused: invalid_client: who?',
      'check the token URL',
    ]);
  });
});

describe('a value no HTTP header can carry', () => {
  it.each([
    ['a line break', 'sec\nret', 'has a line break'],
    ['a carriage return', 'sec\rret', 'has a line break'],
    ['a NUL', 'sec\u0000ret', 'has a control character'],
    ['DEL', 'sec\u007fret', 'has a control character'],
    ['a non-ASCII letter', 'sécret', 'has a character outside ASCII'],
    ['an emoji', 'sec🔑', 'has a character outside ASCII'],
    ['a leading space', ' secret', 'starts or ends with a space'],
    ['a trailing tab', 'secret\t', 'starts or ends with a space'],
  ])('in a PRISM client secret (%s) is refused before any request, naming the reason', (_name, secret, why) => {
    expect(() => prism.checkClient!({ clientId: 'cid', clientSecret: secret })).toThrow(
      `the client secret ${why}, which PRISM cannot receive: it goes in the x-prism-client-secret header`,
    );
    expect(() => prism.checkClient!({ clientId: secret, clientSecret: 'ok' })).toThrow(
      `--client-id ${why}, which PRISM cannot receive: it goes in the x-prism-client-id header`,
    );
  });

  it('passes a secret with inner spaces and punctuation', () => {
    expect(() =>
      prism.checkClient!({ clientId: 'c-1', clientSecret: 'a b~!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}' }),
    ).not.toThrow();
  });

  it('is a usage error from send, with nothing sent (a hand-edited stored secret)', async () => {
    const server = await answering((res) => res.end('{}'));
    try {
      const err = await failure(
        send({ method: 'GET', url: server.url, headers: { 'x-prism-client-secret': 'a\nb' } }, { env: {} }),
      );
      expect([err.code, err.message]).toEqual([
        'usage',
        'the value for the x-prism-client-secret header has a line break, which no HTTP header can carry',
      ]);
      expect(server.count()).toBe(0);
    } finally {
      await server.close();
    }
  });
});

describe('URL flags with a user name or password', () => {
  const USERINFO = '--url must not hold a user name or password (user:password@)';
  it.each([
    ['https://user:pa55word@svc.example', USERINFO],
    ['http://user@127.0.0.1:9/x', USERINFO],
    ['https://:pa55word@svc.example/', USERINFO],
    ['http:/user:pa55word@svc.example', USERINFO],
    ['https://user:pa55word@[bad', USERINFO],
    // No scheme: a URL of scheme "user:", so not http(s); still not echoed.
    ['user:pa55word@svc.example', '--url must be an http(s) URL'],
  ])('%s is refused, naming the flag and never the password', (value, message) => {
    expect(() => parseUrlFlag(value, '--url')).toThrow(new RegExp(`^${message.replace(/[()]/g, '\\$&')}$`));
  });
});

describe('a stored token that is damaged', () => {
  it.each([
    ['a line break', 'abc\ndef', 'Bearer', 'access token'],
    ['an escape', 'abc\u001b[2Jdef', 'Bearer', 'access token'],
    ['a C1 CSI', 'abc\u009bdef', 'Bearer', 'access token'],
    ['a space', 'abc def', 'Bearer', 'access token'],
    ['a header in its type', 'abc', 'Bearer\r\nX-Evil: 1', 'token type'],
  ])('with %s is refused, saying how to fix it', (_name, accessToken, tokenType, what) => {
    expect(() => checkStoredToken({ name: 'p', accessToken, meta: { tokenType } })).toThrow(
      `the stored ${what} of profile p is damaged`,
    );
  });
});

// The CLI: in-process (runFresh, as main() runs it), and one refusal with the built CLI.
let sb: Sandbox;
/** The profiles the CLI reports: nothing stored means none. */
async function profileNames(): Promise<string[]> {
  const r = await runFresh(['list', '--json'], cfg.env);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout || '[]') as { name: string }[]).map((p) => p.name);
}
let cfg: TempConfig;
beforeAll(async () => (sb = await startSandbox()));
afterAll(() => sb.close());
beforeEach(() => {
  cfg = tempConfig({ TOKEN_HTTP_TIMEOUT: '10' });
  sb.requests.length = 0;
});
afterEach(() => cfg.cleanup());

/** runCli's in-process twin (fresh Deps over cfg's config dir). */
const inProcess = (args: string[], opts: { env?: NodeJS.ProcessEnv } = {}) => runFresh(args, opts.env ?? cfg.env);
/** loginBp's and loginPrism's arguments, and the env with the client's secret. */
const loginArgs = {
  bp: () => [
    ...['login', 'brightpattern', '--client-id', CLIENTS.brightpattern.clientId],
    ...['--tenant', CLIENTS.brightpattern.tenant, '--url', sb.bpUrl],
  ],
  prism: () => ['login', 'prism', '--client-id', CLIENTS.prism.clientId, '--service-url', sb.prismServiceUrl],
};
const env = (client: { clientSecret: string }) => ({ ...cfg.env, TOKEN_CLIENT_SECRET: client.clientSecret });

describe('the CLI', () => {
  const PASSWORD = 'pa55-w0rd-xyz';
  const prismArgs = ['login', 'prism', '--client-id', 'cid', '--no-browser', '-v'];
  const priavaArgs = ['login', 'priava', '--client-id', 'cid', '--region', 'EU', '--no-browser', '-v'];
  const bpArgs = ['login', 'bp', '--client-id', 'cid', '--tenant', 'example.brightpattern.com', '-v'];
  const userUrl = (path = '') => `http://user:${PASSWORD}@127.0.0.1:9${path}`;
  const USERINFO: [string, string[]][] = [
    ['--service-url', [...prismArgs, '--service-url', userUrl()]],
    [
      '--authorize-url',
      [...prismArgs, '--service-url', 'http://127.0.0.1:9', '--authorize-url', userUrl('/authorize')],
    ],
    ['--redirect-uri', [...prismArgs, '--service-url', 'http://127.0.0.1:9', '--redirect-uri', userUrl('/cb')]],
    ['--api-url', [...priavaArgs, '--redirect-uri', 'http://127.0.0.1:9/cb', '--api-url', userUrl('/api')]],
    ['--token-url', [...priavaArgs, '--redirect-uri', 'http://127.0.0.1:9/cb', '--token-url', userUrl('/token')]],
    ['--redirect-uri', [...priavaArgs, '--redirect-uri', userUrl('/cb')]],
    ['--url', [...bpArgs, '--url', userUrl('/bp')]],
  ];
  const refusesUserinfo = (run: typeof runCli | typeof inProcess) => async (flag: string, args: string[]) => {
    const r = await run(args, { env: { ...cfg.env, TOKEN_CLIENT_SECRET: 'client-secret-1' } });
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toBe(
      `token: ${flag} must not hold a user name or password (user:password@)\ngive the URL without them; the client secret comes from TOKEN_CLIENT_SECRET, --client-secret-stdin or a prompt\n`,
    );
    expect(await profileNames()).toEqual([]);
  };
  it.each(USERINFO)('refuses %s with user:password (exit 2), the password never printed', refusesUserinfo(inProcess));
  it.each(USERINFO.slice(0, 1))('the built CLI refuses %s with user:password (exit 2)', refusesUserinfo(runCli));

  it.each([
    ['a line break', 'prism-demo\nsecret', 'the client secret has a line break'],
    ['a non-ASCII letter', 'prism-démo-secret', 'the client secret has a character outside ASCII'],
  ])('refuses a PRISM client secret with %s before any request (exit 2)', async (_name, secret, message) => {
    const r = await inProcess(
      [
        'login',
        'prism',
        '--client-id',
        CLIENTS.prism.clientId,
        '--service-url',
        sb.prismServiceUrl,
        '--code',
        'c0de',
        '--redirect-uri',
        'http://127.0.0.1:9/cb',
      ],
      {
        env: { ...cfg.env, TOKEN_CLIENT_SECRET: secret },
      },
    );
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toBe(
      `token: ${message}, which PRISM cannot receive: it goes in the x-prism-client-secret header\ncheck the value given; it is sent exactly as given\n`,
    );
    expect(sb.requests).toEqual([]);
    expect(await profileNames()).toEqual([]);
  });

  const dir = () => cfg.env.TOKEN_CONFIG_DIR!;
  /** A hand edit of one stored value, wherever this store keeps it. */
  const edit = (from: string, to: string) => expect(replaceStored(dir(), from, to)).toBeGreaterThan(0);

  it('refuses a hand-edited stored URL with user:password on refresh (exit 2), never showing the password, also with -v', async () => {
    expect((await inProcess(loginArgs.bp(), { env: env(CLIENTS.brightpattern) })).code).toBe(0);
    edit(sb.bpUrl, sb.bpUrl.replace('//', '//me:pw-secret-9@'));
    sb.requests.length = 0;
    const r = await inProcess(['refresh', '-v']);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toBe(
      `token: the URL for 127.0.0.1:${sb.port} holds a user name or password (user:password@)\nremove them from the profile: token login -p <profile> --force\n`,
    );
    expect(sb.requests).toEqual([]);
  });

  it('refuses a stored secret a header cannot carry on refresh (exit 2), sending nothing', async () => {
    expect((await inProcess(loginArgs.prism(), { env: env(CLIENTS.prism) })).code).toBe(0);
    edit(CLIENTS.prism.clientSecret, `${CLIENTS.prism.clientSecret}\nX-Evil: 1`);
    sb.requests.length = 0;
    const r = await inProcess(['refresh']);
    expect(r).toMatchObject({
      code: 2,
      stdout: '',
      stderr:
        'token: the value for the x-prism-client-secret header has a line break, which no HTTP header can carry\ncheck the value given (or stored) for it\n',
    });
    expect(sb.requests).toEqual([]);
  });

  it.each([
    ['an access token with a line break', 'access token', (at: string) => edit(at, `${at}\nX-Evil: 1`)],
    ['an access token with a C1 control', 'access token', (at: string) => edit(at, `${at}\u009b2J`)],
    ['a token type with a line break', 'token type', () => edit('Bearer', 'Bearer\nX-Evil: 1')],
  ])('refuses %s for show --raw, --header, curl and exec (exit 2), printing nothing', async (_name, what, damage) => {
    expect((await inProcess(loginArgs.bp(), { env: env(CLIENTS.brightpattern) })).code).toBe(0);
    const at = storedValues(dir(), /access_?token/i);
    expect(at).toHaveLength(1);
    damage(at[0]!);
    const want = `token: the stored ${what} of profile brightpattern is damaged (it has a space, a line break or another character no token has); not printing it\nlog in again to replace it: token login -p brightpattern --force\n`;
    const commands = [
      ['show', '--raw'],
      ['show', '--header'],
      ['show', '--raw', '-v'],
      ['curl'],
      ['exec', '--', 'true'],
    ];
    const results = await Promise.all(commands.map((args) => inProcess(args)));
    for (const [i, args] of commands.entries())
      expect({ args, ...results[i] }).toMatchObject({ args, code: 2, stdout: '', stderr: want });
  });

  it('escapes C1 and DEL in a JWT header and claims of every type (show, show --json)', async () => {
    const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const evil = '\u009b31mred\u007f\u001b[2J';
    const jwt = `${part({ alg: 'none', kid: evil })}.${part({ sub: evil, roles: [evil, 1], nested: { x: evil }, n: 5 })}.sig`;
    sb.failNext('bp-token', {
      status: 200,
      body: JSON.stringify({ access_token: jwt, token_type: 'bearer', expires_in: 3600 }),
    });
    expect((await inProcess(loginArgs.bp(), { env: env(CLIENTS.brightpattern) })).code).toBe(0);
    const results = await Promise.all([['show'], ['show', '--json']].map((args) => inProcess(args)));
    for (const r of results) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
      expect(r.stdout).toContain('\\u009b31mred\\u007f');
    }
    const json = JSON.parse(results[1]!.stdout);
    expect(json.jwt.claims.roles[0]).toBe(evil); // escaped for the terminal, the same string to a parser
  });
});

describe('a proxy that refuses CONNECT', () => {
  let proxy: Server;
  let proxyUrl: string;
  let status = 407;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    proxy = createServer((_req, res) => res.writeHead(405).end());
    proxy.on('connect', (_req, socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      // Answers and keeps the connection open, as real proxies do.
      socket.write(`HTTP/1.1 ${status} Refused\r\nProxy-Authenticate: Basic realm="p"\r\nContent-Length: 0\r\n\r\n`);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  afterAll(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        proxy.close(() => resolve());
      }),
  );

  it.each([
    [
      407,
      'Proxy Authentication Required',
      'the proxy wants credentials: check the user name and password in the proxy variable',
    ],
    [403, 'Forbidden', "check the proxy variables (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) or ask the proxy's admin"],
  ])('is reported at once, naming the proxy and its answer (HTTP %i), in-process', async (s, text, hint) => {
    status = s;
    const started = Date.now();
    const env = { HTTPS_PROXY: proxyUrl.replace('//', `//user:${'pr0xy-pa55'}@`), TOKEN_HTTP_TIMEOUT: '20' };
    const err = await failure(send({ method: 'GET', url: 'https://svc.example/token', headers: {} }, { env }));
    expect(Date.now() - started).toBeLessThan(5000);
    expect([err.code, err.message, err.hint]).toEqual([
      'network',
      `the proxy ${new URL(proxyUrl).host} refused to connect to svc.example:443: HTTP ${s} ${text}`,
      hint,
    ]);
  });

  it('is exit 4 from the CLI (in-process) at once, the proxy password never shown, also with -v', async () => {
    status = 407;
    const env = {
      ...cfg.env,
      TOKEN_CLIENT_SECRET: 'client-secret-1',
      HTTPS_PROXY: proxyUrl.replace('//', '//me:pr0xy-pa55@'),
    };
    const r = await inProcess(
      [...['login', 'bp', '--client-id', 'cid', '--tenant', 'example.brightpattern.com'], '-v'],
      {
        env,
      },
    );
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        `\\ntoken: the proxy 127\\.0\\.0\\.1:\\d+ refused to connect to example\\.brightpattern\\.com:443: HTTP 407 Proxy Authentication Required\\nthe proxy wants credentials: check the user name and password in the proxy variable\\n$`,
      ),
    );
    for (const s of ['pr0xy-pa55', 'client-secret-1', Buffer.from('me:pr0xy-pa55').toString('base64')])
      expect(r.stderr).not.toContain(s);
    expect(await profileNames()).toEqual([]);
  });
});
