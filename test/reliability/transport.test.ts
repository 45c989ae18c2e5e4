// Transport (SPEC "Commands": http:// only to loopback unless --allow-http; "Exit codes":
// TLS failures are exit 4 naming the host; HTTPS_PROXY/HTTP_PROXY/NO_PROXY honoured).
// Everything stays on 127.0.0.1: a non-loopback host is only ever a name the recording
// CONNECT proxy maps back to the sandbox, never an address a socket is opened to.
// Logic runs in-process (runFresh: the proxy variables reach it through Deps.env); what
// needs the real process stays end to end: NODE_EXTRA_CA_CERTS (Node reads it at start),
// and a login through HTTPS_PROXY / https_proxy / NO_PROXY as the real binary reads them.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLIENTS, startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { runCli, tempConfig, type TempConfig } from '../helpers/cli.js';
import { loginBpInProcess } from '../helpers/logins.js';
import { runFresh } from '../helpers/fake-deps.js';
import { missingParts } from '../helpers/real.js';

const noOpenssl = missingParts(['openssl'], 'the TLS tests (certificates made at test time)');

let sb: Sandbox;
let cfg: TempConfig;
let proxy: RecordingProxy;
/** The CLI's environment: every test has a proxy set, so a socket it should not open would show up there. */
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  sb = await startSandbox();
  proxy = await startProxy({ '10.255.255.1:80': sb.port });
});
afterAll(async () => {
  await proxy.close();
  await sb.close();
});
beforeEach(() => {
  cfg = tempConfig({ TOKEN_HTTP_TIMEOUT: '5' });
  env = { ...cfg.env, HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url };
  sb.requests.length = 0;
  proxy.tunnels.length = 0;
});
afterEach(() => cfg.cleanup());

const bpArgs = (url: string, extra: string[] = []) => [
  'login',
  'bp',
  '--client-id',
  CLIENTS.brightpattern.clientId,
  '--tenant',
  CLIENTS.brightpattern.tenant,
  '--url',
  url,
  ...extra,
];
const LOGGED_IN =
  /^✓ Logged in to Bright Pattern as profile brightpattern \(token valid for [^;]+; secrets in [^\n]+\)\n$/;
const withSecret = (e: NodeJS.ProcessEnv) => ({ ...e, TOKEN_CLIENT_SECRET: CLIENTS.brightpattern.clientSecret });

describe('plain http://', () => {
  it.each([
    ['Bright Pattern --url', bpArgs('http://10.255.255.1/bp'), '10.255.255.1'],
    [
      'PRISM --service-url',
      [
        'login',
        'prism',
        '--client-id',
        CLIENTS.prism.clientId,
        '--service-url',
        'http://example.invalid:8080',
        '--no-browser',
      ],
      'example.invalid:8080',
    ],
    [
      'PRISM --authorize-url',
      [
        'login',
        'prism',
        '--client-id',
        CLIENTS.prism.clientId,
        '--service-url',
        'http://127.0.0.1:9',
        '--authorize-url',
        'http://10.255.255.1/oauth/authorize',
      ],
      '10.255.255.1',
    ],
  ])('to a non-loopback host (%s) is refused with exit 2 before anything is sent', async (_name, args, host) => {
    const r = await runFresh(args, { ...env, TOKEN_CLIENT_SECRET: 'secret' });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `token: refusing plain http:// for ${host}: tokens would cross the network unencrypted\nuse https://, or pass --allow-http if you really mean it\n`,
    );
    expect(proxy.tunnels).toEqual([]);
    expect(sb.requests).toEqual([]);
    expect(cfg.names()).toEqual([]);
  });

  it('to a non-loopback host is sent with --allow-http, and refresh keeps allowing it', async () => {
    // 10.255.255.1 is only a name here: HTTP_PROXY points at the recording proxy, which
    // tunnels it to the sandbox on 127.0.0.1.
    const r = await runFresh(bpArgs('http://10.255.255.1/bp', ['--allow-http']), withSecret(env));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(LOGGED_IN);
    expect(proxy.tunnels).toEqual(['10.255.255.1:80']);
    expect(sb.requests.map((q) => q.endpoint)).toEqual(['bp-token']);
    expect(sb.requests[0]!.headers.host).toBe('10.255.255.1');
    expect((await runFresh(['refresh'], env)).code).toBe(0);
    expect(proxy.tunnels).toEqual(['10.255.255.1:80', '10.255.255.1:80']);
  });

  it('to a loopback host needs no flag', async () => {
    const r = await loginBpInProcess(sb, cfg.env);
    expect(r.code, r.stderr).toBe(0);
    expect(sb.requests).toHaveLength(1);
  });
});

describe.skipIf(!!noOpenssl)('HTTPS', () => {
  let certs: Certs;
  let self: TlsFront;
  let issued: TlsFront;
  let misnamed: TlsFront;
  beforeAll(async () => {
    certs = makeCerts();
    [self, issued, misnamed] = await Promise.all([
      startTlsFront(certs.self, sb.url),
      startTlsFront(certs.leaf, sb.url),
      startTlsFront(certs.misnamed, sb.url),
    ]);
  });
  afterAll(async () => {
    await Promise.all([self, issued, misnamed].map((f) => f?.close()));
    rmSync(certs.dir, { recursive: true, force: true });
  });

  it.each([
    ['a self-signed certificate', () => self, undefined, 'DEPTH_ZERO_SELF_SIGNED_CERT', false],
    ['a certificate from an unknown CA', () => issued, undefined, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', false],
    ['a certificate for another name', () => misnamed, 'ca', 'ERR_TLS_CERT_ALTNAME_INVALID', false],
    ['a self-signed certificate behind HTTPS_PROXY', () => self, undefined, 'DEPTH_ZERO_SELF_SIGNED_CERT', true],
  ] as const)(
    '%s is exit 4 naming the host and the TLS error, and nothing is stored',
    async (_name, front, ca, code, proxied) => {
      const e = {
        ...withSecret(cfg.env),
        ...(ca ? { NODE_EXTRA_CA_CERTS: certs.ca } : {}),
        ...(proxied ? { HTTPS_PROXY: proxy.url } : {}),
      };
      // NODE_EXTRA_CA_CERTS is read by Node at start: only the real process can be given it.
      const r = ca
        ? await runCli(bpArgs(`${front().url}/bp`), { env: e })
        : await runFresh(bpArgs(`${front().url}/bp`), e);
      expect(r.code).toBe(4);
      expect(r.stdout).toBe('');
      const host = new URL(front().url).host;
      expect(r.stderr).toBe(
        `token: TLS error talking to ${host}: ${code}\nfor a private CA, set NODE_EXTRA_CA_CERTS=<ca.pem>\n`,
      );
      expect(sb.requests).toEqual([]);
      expect(cfg.names()).toEqual([]);
      expect(proxy.tunnels).toEqual(proxied ? [host] : []);
    },
  );

  it.each([
    ['the self-signed certificate itself', () => self, () => certs.self.cert],
    ['the issuing CA', () => issued, () => certs.ca],
  ])('succeeds with NODE_EXTRA_CA_CERTS naming %s', async (_name, front, ca) => {
    const r = await runCli(bpArgs(`${front().url}/bp`), { env: { ...withSecret(cfg.env), NODE_EXTRA_CA_CERTS: ca() } });
    expect(r.code, r.stderr).toBe(0);
    expect(sb.requests.map((q) => q.endpoint)).toEqual(['bp-token']);
    expect(cfg.profile('brightpattern').options.url).toBe(`${front().url}/bp`);
  });

  it.each(['HTTPS_PROXY', 'https_proxy'])('a login goes through the CONNECT proxy in %s', async (name) => {
    const e = { ...withSecret(cfg.env), NODE_EXTRA_CA_CERTS: certs.self.cert, [name]: proxy.url };
    const r = await runCli(bpArgs(`${self.url}/bp`), { env: e });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(LOGGED_IN); // and no warning from undici about its proxy agent
    expect(proxy.tunnels).toEqual([new URL(self.url).host]);
    expect(sb.requests.map((q) => q.endpoint)).toEqual(['bp-token']);
  });

  it('a proxy given without a scheme is http://, as curl reads it', async () => {
    const e = {
      ...withSecret(cfg.env),
      NODE_EXTRA_CA_CERTS: certs.self.cert,
      HTTPS_PROXY: proxy.url.replace(/^http:\/\//, ''),
    };
    const r = await runCli(bpArgs(`${self.url}/bp`), { env: e });
    expect(r.code, r.stderr).toBe(0);
    expect(proxy.tunnels).toEqual([new URL(self.url).host]);
  });

  it.each([
    ['HTTPS_PROXY', 'http://user:pw@[bad'],
    ['https_proxy', 'socks5://user:pw@127.0.0.1:1080'],
    ['HTTP_PROXY', 'http://:pw@'],
  ])('%s that is no http(s) proxy URL is exit 2, naming the variable, never its value (%s)', async (name, value) => {
    const r = await runFresh(bpArgs(`${self.url}/bp`), {
      ...withSecret(cfg.env),
      NODE_EXTRA_CA_CERTS: certs.self.cert,
      NO_PROXY: '*',
      [name]: value,
    });
    expect(r).toMatchObject({
      code: 2,
      stdout: '',
      stderr: `token: ${name} is not an http:// or https:// proxy URL\ngive one like http://proxy.example:8080, or unset it\n`,
    });
    expect(sb.requests).toEqual([]);
    expect(cfg.names()).toEqual([]);
  });

  it.each(['127.0.0.1', '127.0.0.1:1,localhost,127.0.0.1', '*'])('NO_PROXY=%s bypasses the proxy', async (noProxy) => {
    const e = {
      ...withSecret(cfg.env),
      NODE_EXTRA_CA_CERTS: certs.self.cert,
      HTTPS_PROXY: proxy.url,
      NO_PROXY: noProxy,
    };
    const r = await runCli(bpArgs(`${self.url}/bp`), { env: e });
    expect(r.code, r.stderr).toBe(0);
    expect(proxy.tunnels).toEqual([]);
    expect(sb.requests.map((q) => q.endpoint)).toEqual(['bp-token']);
  });
});

interface RecordingProxy {
  url: string;
  /** host:port of every CONNECT, in order. */
  tunnels: string[];
  close(): Promise<void>;
}

/**
 * An HTTP CONNECT proxy (what undici's EnvHttpProxyAgent speaks, for http:// and
 * https:// alike) that records each tunnel. It opens sockets to 127.0.0.1 only:
 * `mapped` names a non-loopback host:port and the local port that stands in for it;
 * anything else that is not loopback gets 403.
 */
async function startProxy(mapped: Record<string, number>): Promise<RecordingProxy> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createHttpServer((_req, res) => {
    res.writeHead(405).end('CONNECT only');
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const target = req.url ?? '';
    tunnels.push(target);
    const { hostname, port } = new URL(`http://${target}`);
    const localPort = mapped[target] ?? (hostname === '127.0.0.1' ? Number(port) : undefined);
    if (localPort === undefined) {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const upstream = connect(localPort, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, tunnels, close };
}

interface KeyPair {
  key: string;
  cert: string;
}

interface Certs {
  dir: string;
  /** PEM file paths */
  ca: string;
  self: KeyPair;
  leaf: KeyPair;
  misnamed: KeyPair;
}

/** Certificates made now with openssl (P-256, 2 days): a self-signed one, a CA and two leaves it signed. */
function makeCerts(): Certs {
  const dir = mkdtempSync(join(tmpdir(), 'token-tls-'));
  const p = (name: string) => join(dir, name);
  const make = (name: string, subject: string, extra: string[]) => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-keyout',
        p(`${name}.key`),
        '-out',
        p(`${name}.pem`),
        '-subj',
        subject,
        ...extra,
      ],
      { stdio: 'ignore' },
    );
    return { key: p(`${name}.key`), cert: p(`${name}.pem`) };
  };
  const leaf = (san: string) => [
    '-addext',
    `subjectAltName=${san}`,
    '-addext',
    'basicConstraints=critical,CA:FALSE',
    '-CA',
    p('ca.pem'),
    '-CAkey',
    p('ca.key'),
  ];
  make('ca', '/CN=token test CA', []);
  return {
    dir,
    ca: p('ca.pem'),
    self: make('self', '/CN=127.0.0.1', ['-addext', 'subjectAltName=IP:127.0.0.1']),
    leaf: make('leaf', '/CN=127.0.0.1', leaf('IP:127.0.0.1')),
    misnamed: make('misnamed', '/CN=elsewhere.example', leaf('DNS:elsewhere.example')),
  };
}

interface TlsFront {
  url: string;
  close(): Promise<void>;
}

/** HTTPS on 127.0.0.1 with the given certificate, passing each request on to the sandbox. */
async function startTlsFront(pair: KeyPair, target: string): Promise<TlsFront> {
  const server = createHttpsServer(
    { key: readFileSync(pair.key), cert: readFileSync(pair.cert) },
    (req: IncomingMessage, res: ServerResponse) => {
      forward(req, res, target).catch(() => res.destroy());
    },
  );
  server.on('tlsClientError', () => undefined); // the failing cases end in a TLS alert from the client
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, close };
}

async function forward(req: IncomingMessage, res: ServerResponse, target: string): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const headers = Object.fromEntries(
    Object.entries(req.headers)
      .filter(([k]) => k !== 'host' && k !== 'connection')
      .map(([k, v]) => [k, String(v)]),
  );
  const upstream = await fetch(new URL(req.url ?? '/', target), {
    method: req.method,
    headers,
    body: chunks.length ? Buffer.concat(chunks) : undefined,
    redirect: 'manual',
  });
  res.writeHead(upstream.status, Object.fromEntries(upstream.headers));
  res.end(Buffer.from(await upstream.arrayBuffer()));
}
