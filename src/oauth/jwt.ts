// Decodes (never verifies) a JWT's header and claims for `token show`.

export interface DecodedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

export function decodeJwt(token: string): DecodedJwt | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const header = decodePart(parts[0]!);
  const claims = decodePart(parts[1]!);
  return header && claims ? { header, claims } : null;
}

function decodePart(part: string): Record<string, unknown> | null {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * The `exp` claim (RFC 7519 §4.1.4, seconds since the epoch) in epoch ms, when the token is a
 * JWT that has a numeric one a Date can hold; else undefined. Decoded, not verified: it only
 * says when to renew.
 */
export function jwtExpiry(token: string): number | undefined {
  const exp = decodeJwt(token)?.claims.exp;
  if (typeof exp !== 'number' || !Number.isFinite(exp) || exp <= 0) return undefined;
  const ms = exp * 1000;
  return Number.isNaN(new Date(ms).getTime()) ? undefined : ms;
}
