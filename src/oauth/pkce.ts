// PKCE (RFC 7636) with S256, from node:crypto: a random verifier and its challenge.
import { createHash, randomBytes } from 'node:crypto';

/** RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier))). */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

/** RFC 7636 §4.1: 32 random bytes as a 43-character base64url verifier (256 bits). */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: s256(verifier) };
}
