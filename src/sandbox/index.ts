// One local server with PRISM, Priava and Bright Pattern endpoints. Used by
// `token sandbox`, `npm run demo` and the tests alike.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { bpApi, bpToken } from './brightpattern.js';
import { json, type Req } from './http-util.js';
import { priavaApi, priavaAuthorize, priavaToken } from './priava.js';
import { prismAuthorize, prismToken, prismUser } from './prism.js';
import { isPrismQuirk, PRISM_QUIRKS, type PrismQuirk } from './quirks.js';
import { CLIENTS, SandboxState, type Endpoint, type Fault, type RecordedRequest, type SandboxConfig } from './state.js';

export {
  CLIENTS,
  PRISM_QUIRKS,
  isPrismQuirk,
  type PrismQuirk,
  type Endpoint,
  type Fault,
  type RecordedRequest,
  type SandboxConfig,
};

export interface Sandbox {
  port: number;
  url: string;
  /** Base URLs to log in against. */
  prismServiceUrl: string;
  priavaApiUrl: string;
  priavaAuthorizeUrl: string;
  bpUrl: string;
  state: SandboxState;
  requests: RecordedRequest[];
  failNext(endpoint: Endpoint, fault: Fault): void;
  close(): Promise<void>;
}

type Handler = (req: Req, res: ServerResponse, state: SandboxState) => number;

const ROUTES: [RegExp, Endpoint, Handler][] = [
  [/^\/oauth\/authorize$/, 'prism-authorize', prismAuthorize],
  [/^\/prism\/v1\/service\/oauth2\/token$/, 'prism-token', prismToken],
  [/^\/prism\/v1\/service\/user$/, 'prism-user', prismUser],
  [/^\/priava\/authorize$/, 'priava-authorize', priavaAuthorize],
  [/^\/priava\/api\/rest\/oauth\/token$/, 'priava-token', priavaToken],
  [/^\/priava\/api\/rest(\/.*)?$/, 'priava-api', priavaApi],
  [/^\/bp\/configapi\/v2\/oauth\/token$/, 'bp-token', bpToken],
  [/^\/bp\/configapi\/v2(\/.*)?$/, 'bp-api', bpApi],
];

export interface SandboxOptions {
  port?: number;
  config?: Partial<SandboxConfig>;
  /** Called once per answered request (not the /_sandbox/ controls), e.g. `token sandbox`'s log. */
  onRequest?: (request: RecordedRequest) => void;
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const state = new SandboxState();
  Object.assign(state.config, opts.config);
  state.config.prismQuirks = [...state.config.prismQuirks];
  const sockets = new Set<Socket>();

  const server = createServer((incoming, res) => {
    handle(incoming, res).catch((err: Error) => {
      // A malformed request (bad control JSON, a broken body) is the client's problem, never a crash.
      if (!res.headersSent) json(res, 400, { error: 'invalid_request', error_description: err.message });
      else res.destroy();
    });
  });
  async function handle(incoming: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const url = new URL(incoming.url ?? '/', 'http://127.0.0.1');
    const body = Buffer.concat(chunks).toString('utf8');
    const req: Req = {
      method: incoming.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: incoming.headers,
      body,
    };
    if (/x-www-form-urlencoded/i.test(String(incoming.headers['content-type'] ?? '')))
      req.form = new URLSearchParams(body);

    const route = ROUTES.find(([re]) => re.test(url.pathname));
    const record: RecordedRequest = {
      endpoint: route?.[1] ?? 'unknown',
      method: req.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: Object.fromEntries(Object.entries(incoming.headers).map(([k, v]) => [k, String(v)])),
      ...(req.form ? { form: Object.fromEntries(req.form) } : {}),
      body,
      status: 0,
    };
    if (url.pathname.startsWith('/_sandbox/')) {
      control(req, res, state);
      return;
    }
    state.requests.push(record);
    const fault = route && state.takeFault(route[1]);
    if (fault) record.status = applyFault(fault, res);
    else
      record.status = route
        ? route[2](req, res, state)
        : json(res, 404, { error: 'not_found', error_description: `no sandbox endpoint at ${url.pathname}` });
    opts.onRequest?.(record);
  }
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const url = `http://127.0.0.1:${port}`;
  return {
    port,
    url,
    prismServiceUrl: url,
    priavaApiUrl: `${url}/priava/api`,
    priavaAuthorizeUrl: `${url}/priava/authorize`,
    bpUrl: `${url}/bp`,
    state,
    requests: state.requests,
    failNext: (endpoint, fault) => state.failNext(endpoint, fault),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function applyFault(fault: Fault, res: ServerResponse): number {
  if (fault.hang) return 0; // never answered; the socket is destroyed on close()
  const status = fault.status ?? 200;
  const body = fault.bytes ? `{"access_token":"${'x'.repeat(fault.bytes)}"}` : (fault.body ?? '');
  res.writeHead(status, { 'Content-Type': fault.contentType ?? 'application/json', ...fault.headers });
  res.end(body);
  return status;
}

/** Control endpoints for a sandbox in another process (demo, `token sandbox`). */
function control(req: Req, res: ServerResponse, state: SandboxState): void {
  if (req.path === '/_sandbox/requests') {
    json(res, 200, state.requests);
    return;
  }
  if (req.path === '/_sandbox/config' && req.method === 'POST') {
    const patch = JSON.parse(req.body || '{}') as Partial<SandboxConfig>;
    if (typeof patch.accessTokenTtl === 'number') state.config.accessTokenTtl = patch.accessTokenTtl;
    if (typeof patch.rotateRefreshTokens === 'boolean') state.config.rotateRefreshTokens = patch.rotateRefreshTokens;
    if (Array.isArray(patch.prismQuirks)) state.config.prismQuirks = patch.prismQuirks.filter(isPrismQuirk);
    json(res, 200, state.config);
    return;
  }
  if (req.path === '/_sandbox/fail-next' && req.method === 'POST') {
    const { endpoint, ...fault } = JSON.parse(req.body || '{}') as Fault & { endpoint: Endpoint };
    state.failNext(endpoint, fault);
    json(res, 200, { ok: true });
    return;
  }
  json(res, 404, { error: 'not_found' });
}
