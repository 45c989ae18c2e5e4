// The sandbox's in-memory world: clients, codes (single use), refresh tokens
// (rotating), access tokens (with expiry), recorded requests and injected faults.
import { randomBytes } from 'node:crypto';
import type { PrismQuirk } from './quirks.js';

export type Endpoint =
  | 'prism-authorize'
  | 'prism-token'
  | 'prism-user'
  | 'priava-authorize'
  | 'priava-token'
  | 'priava-api'
  | 'bp-token'
  | 'bp-api';

export interface RecordedRequest {
  endpoint: Endpoint | 'unknown';
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  form?: Record<string, string>;
  body: string;
  status: number;
}

export interface Fault {
  status?: number;
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
  /** Never answer. */
  hang?: boolean;
  /** Answer with this many bytes of JSON-ish filler. */
  bytes?: number;
  /** How many requests it applies to (default 1). */
  times?: number;
}

export interface SandboxConfig {
  /** Lifetime of issued access tokens, in seconds. */
  accessTokenTtl: number;
  /** Issue a new refresh token on every refresh (the old one then fails with invalid_grant). */
  rotateRefreshTokens: boolean;
  /** Departures of the PRISM service from its pages (quirks.ts); none by default. */
  prismQuirks: PrismQuirk[];
}

export const CLIENTS = {
  prism: { clientId: 'prism-demo-client', clientSecret: 'prism-demo-secret' },
  priava: { clientId: 'priava-demo-client', clientSecret: 'priava-demo-secret' },
  brightpattern: { clientId: 'demo.user', clientSecret: 'bp-demo-api-secret', tenant: 'example.brightpattern.com' },
} as const;

interface Grant {
  provider: 'prism' | 'priava' | 'brightpattern';
  clientId: string;
  redirectUri?: string;
  region?: string;
}

export class SandboxState {
  readonly requests: RecordedRequest[] = [];
  readonly config: SandboxConfig = { accessTokenTtl: 3600, rotateRefreshTokens: true, prismQuirks: [] };
  private readonly faults = new Map<Endpoint, Fault[]>();
  private readonly codes = new Map<string, Grant>();
  private readonly refreshTokens = new Map<string, Grant>();
  private readonly accessTokens = new Map<string, Grant & { expiresAt: number }>();

  failNext(endpoint: Endpoint, fault: Fault): void {
    const list = this.faults.get(endpoint) ?? [];
    list.push({ times: 1, ...fault });
    this.faults.set(endpoint, list);
  }

  takeFault(endpoint: Endpoint): Fault | undefined {
    const list = this.faults.get(endpoint);
    const fault = list?.[0];
    if (!fault) return undefined;
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) list.shift();
    return fault;
  }

  issueCode(grant: Grant): string {
    const code = `code-${randomBytes(12).toString('base64url')}`;
    this.codes.set(code, grant);
    return code;
  }

  /** Single use: a second exchange of the same code fails (unless `keep`, a quirk). */
  redeemCode(code: string, keep = false): Grant | undefined {
    const grant = this.codes.get(code);
    if (!keep) this.codes.delete(code);
    return grant;
  }

  quirk(name: PrismQuirk): boolean {
    return this.config.prismQuirks.includes(name);
  }

  issueTokens(
    grant: Grant,
    withRefresh: boolean,
    jwt = false,
  ): { accessToken: string; refreshToken?: string; expiresIn: number } {
    const expiresIn = this.config.accessTokenTtl;
    const accessToken = jwt
      ? fakeJwt(grant, expiresIn)
      : `at-${grant.provider}-${randomBytes(18).toString('base64url')}`;
    this.accessTokens.set(accessToken, { ...grant, expiresAt: Date.now() + expiresIn * 1000 });
    if (!withRefresh) return { accessToken, expiresIn };
    const refreshToken = `rt-${grant.provider}-${randomBytes(18).toString('base64url')}`;
    this.refreshTokens.set(refreshToken, grant);
    return { accessToken, refreshToken, expiresIn };
  }

  refreshGrant(token: string): Grant | undefined {
    return this.refreshTokens.get(token);
  }

  retireRefreshToken(token: string): void {
    this.refreshTokens.delete(token);
  }

  /** The grant behind a live access token, or undefined when unknown or expired. */
  accessGrant(token: string, provider: Grant['provider']): Grant | undefined {
    const g = this.accessTokens.get(token);
    return g && g.provider === provider && g.expiresAt > Date.now() ? g : undefined;
  }
}

function fakeJwt(grant: Grant, expiresIn: number): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const header = { alg: 'RS256', typ: 'JWT', kid: 'sandbox' };
  const claims = {
    iss: 'token-sandbox',
    sub: grant.clientId,
    tenant: CLIENTS.brightpattern.tenant,
    iat: now,
    exp: now + expiresIn,
    jti: randomBytes(8).toString('hex'),
  };
  return `${part(header)}.${part(claims)}.${randomBytes(32).toString('base64url')}`;
}
