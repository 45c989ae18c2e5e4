import type { IncomingMessage, ServerResponse } from 'node:http';

export interface Req {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
  form?: URLSearchParams;
}

export function json(res: ServerResponse, status: number, body: unknown): number {
  res.writeHead(status, { 'Content-Type': 'application/json;charset=UTF-8', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
  return status;
}

/** RFC 6749 §5.2 error shape, which all three providers use for token errors. */
export function oauthError(res: ServerResponse, status: number, error: string, description: string): number {
  return json(res, status, { error, error_description: description });
}

export function html(res: ServerResponse, status: number, page: string): number {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(page);
  return status;
}

export function redirect(res: ServerResponse, to: string): number {
  res.writeHead(302, { Location: to, 'Cache-Control': 'no-store' });
  res.end();
  return 302;
}

export function isForm(req: Req): boolean {
  return /^application\/x-www-form-urlencoded\s*(;|$)/i.test(String(req.headers['content-type'] ?? ''));
}

/** Names of required parameters that are absent or empty. */
export function missing(params: URLSearchParams, names: string[]): string[] {
  return names.filter((n) => !params.get(n));
}

export function withParams(base: string, params: Record<string, string | undefined>): string {
  const url = new URL(base);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}
