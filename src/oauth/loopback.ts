// The loopback redirect listener (RFC 8252 §7.3): bound to 127.0.0.1 only, up
// before the browser opens, one valid callback, then closed.
import { createServer, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { UsageError } from '../errors.js';
import { callbackPage } from './pages.js';

export interface Callback {
  code?: string;
  /** The state that came back, when the listener was not told to demand one. */
  state?: string;
  error?: string;
  errorDescription?: string;
  /** Typed or pasted on the terminal rather than received by the listener. */
  pasted?: boolean;
}

export interface LoopbackOptions {
  /** The redirect URI's host (default 127.0.0.1); `localhost` listens on 127.0.0.1. */
  host?: string;
  port: number;
  path: string;
  /** The state sent to the authorize URL; null when the flow has none (Priava). */
  state: string | null;
  provider: string;
  /** The port comes from a registered --redirect-uri, so another --port cannot help. */
  registered?: boolean;
}

export interface Loopback {
  port: number;
  /** Resolves with the first valid callback (a code or the provider's error). */
  callback: Promise<Callback>;
  close(): void;
}

export async function startLoopback(opts: LoopbackOptions): Promise<Loopback> {
  let settle!: (cb: Callback) => void;
  const callback = new Promise<Callback>((resolve) => (settle = resolve));
  let done = false;
  let port = opts.port;
  const host = (opts.host ?? '127.0.0.1').replace(/^\[|\]$/g, '');
  const bindAddress = host === 'localhost' ? '127.0.0.1' : host;
  // What a browser may send as Host: the redirect URI's own host (and localhost for 127.0.0.1).
  const names =
    host === '127.0.0.1' || host === 'localhost'
      ? ['127.0.0.1', 'localhost']
      : [host.includes(':') ? `[${host}]` : host];
  const allowedHosts = () => names.flatMap((n) => (port === 80 ? [n, `${n}:80`] : [`${n}:${port}`]));

  const server = createServer((req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Connection', 'close');
    // DNS-rebinding guard: only our own loopback host names may talk to us.
    if (!allowedHosts().includes((req.headers.host ?? '').toLowerCase()))
      return reply(res, 421, 'Wrong host', 'This listener only answers requests for its loopback address.');
    const url = new URL(req.url ?? '/', 'http://loopback.invalid');
    if (req.method !== 'GET' || url.pathname !== opts.path) return reply(res, 404, 'Not found', 'Nothing here.');
    if (done) return reply(res, 410, 'Already used', 'This login has finished; you can close this tab.');
    const q = url.searchParams;
    if (opts.state !== null && !stateMatches(q.get('state'), opts.state)) {
      // RFC 6749 §10.12: a callback without our state may be forged; refuse it and keep waiting.
      return reply(
        res,
        400,
        'Sign-in refused',
        'The response did not carry the state this login sent. Start the login again from the terminal.',
      );
    }
    const error = q.get('error');
    if (error) {
      done = true;
      reply(
        res,
        200,
        'Sign-in failed',
        `${opts.provider} said: ${error}${q.get('error_description') ? ` — ${q.get('error_description')}` : ''}. You can close this tab.`,
      );
      return settle({ error, errorDescription: q.get('error_description') ?? undefined });
    }
    const code = q.get('code');
    if (!code) return reply(res, 400, 'Sign-in refused', 'The response carried no code.');
    done = true;
    reply(res, 200, 'Signed in', 'You are signed in to token. You can close this tab and return to the terminal.');
    settle({ code, ...(opts.state === null && q.get('state') !== null ? { state: q.get('state')! } : {}) });
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new UsageError(
              `port ${opts.port} on ${bindAddress} is already in use`,
              opts.registered
                ? 'the port comes from --redirect-uri: free that port, or register another redirect URI with the provider and pass it as --redirect-uri'
                : 'pass --port <n> with a free port (or 0 for any), or free that one',
            )
          : err.code === 'EACCES'
            ? new UsageError(`not allowed to listen on port ${opts.port}`, 'use a port above 1023')
            : err,
      ),
    );
    server.listen(opts.port, bindAddress, () => resolve());
  });
  port = (server.address() as { port: number }).port;
  return {
    port,
    callback,
    close: () => {
      server.close();
      server.closeAllConnections();
    },
  };
}

function stateMatches(got: string | null, want: string): boolean {
  if (got === null || got.length !== want.length) return false;
  return timingSafeEqual(Buffer.from(got), Buffer.from(want));
}

function reply(res: ServerResponse, status: number, title: string, text: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
  });
  res.end(callbackPage(title, text, status === 200 && title === 'Signed in'));
}
