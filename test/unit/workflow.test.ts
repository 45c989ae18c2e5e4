// The pure parts of issue 19's features: the --min-ttl duration and when it renews, the
// expiry a JWT access token carries, and how `token curl` tells its URL from curl's arguments.
import { describe, expect, it } from 'vitest';
import { isFresh, minTtlFor, minTtlMs, parseDuration, requiredMs } from '../../src/cli/min-ttl.js';
import { shortTtlWarning } from '../../src/cli/short-ttl.js';
import { jwtExpiry } from '../../src/oauth/jwt.js';
import { toTokenSet } from '../../src/oauth/token-response.js';
import { splitOperands } from '../../src/cli/commands/curl.js';
import { formatDuration } from '../../src/cli/output.js';
import type { ProfileSettings, TokenMeta } from '../../src/store/settings.js';

const NOW = 1_800_000_000_000;
const MIN = 60_000;

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['30m', 30 * MIN],
    ['2h', 2 * 60 * MIN],
    ['300', 300_000],
    ['0', 0],
    [' 45s ', 45_000],
  ])('%j is %i ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', 's', '1.5h', '-5', '5d', '5 m', '5M', '1h30m', 'abc', '9999999999999', '8785h'])(
    '%j is not a duration',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );
});

describe('minTtlMs', () => {
  it('takes the flag over TOKEN_MIN_TTL, even a bad one that is then never read', () => {
    expect(minTtlMs('2m', { TOKEN_MIN_TTL: 'nonsense' })).toBe(2 * MIN);
  });
  it('takes TOKEN_MIN_TTL without the flag; an empty one is unset', () => {
    expect(minTtlMs(undefined, { TOKEN_MIN_TTL: '10m' })).toBe(10 * MIN);
    expect(minTtlMs(undefined, { TOKEN_MIN_TTL: '' })).toBeUndefined();
    expect(minTtlMs(undefined, {})).toBeUndefined();
  });
  it('names where a bad value came from (a usage error, exit 2)', () => {
    expect(() => minTtlMs('5x', {})).toThrow(
      expect.objectContaining({ code: 'usage', message: expect.stringMatching(/^--min-ttl must be .*"5x"/) }),
    );
    expect(() => minTtlMs(undefined, { TOKEN_MIN_TTL: '5x' })).toThrow(
      expect.objectContaining({ code: 'usage', message: expect.stringMatching(/^TOKEN_MIN_TTL must be/) }),
    );
  });
  it('with --no-refresh: the flag conflicts, the environment gives way', () => {
    expect(() => minTtlFor('5m', true, {})).toThrow(expect.objectContaining({ code: 'usage' }));
    expect(minTtlFor(undefined, true, { TOKEN_MIN_TTL: '5m' })).toBeUndefined();
    expect(minTtlFor(undefined, false, { TOKEN_MIN_TTL: '5m' })).toBe(5 * MIN);
  });
});

const meta = (leftMs: number, lifetimeMs: number): TokenMeta => ({
  tokenType: 'Bearer',
  expiresAt: NOW + leftMs,
  obtainedAt: NOW + leftMs - lifetimeMs,
});

describe('isFresh with a minimum', () => {
  it.each([
    // left, lifetime, min-ttl, fresh?
    [10 * MIN, 60 * MIN, 5 * MIN, true],
    [4 * MIN, 60 * MIN, 5 * MIN, false],
    [90_000, 60 * MIN, undefined, true], // the usual 60 s margin
    [90_000, 60 * MIN, 30_000, true], // a minimum under the margin does not lower it
    [50_000, 60 * MIN, 30_000, false],
    // The provider issues 15-minute tokens and 30 are asked: a token younger than the margin is kept ...
    [14.5 * MIN, 15 * MIN, 30 * MIN, true],
    // ... an older one is renewed (it would gain what has passed since it was issued).
    [13 * MIN, 15 * MIN, 30 * MIN, false],
  ])('%i ms left of %i, --min-ttl %s: fresh %s', (left, lifetime, minTtl, fresh) => {
    expect(isFresh(meta(left, lifetime), NOW, minTtl)).toBe(fresh);
  });

  it('an unknown expiry is fresh forever without a minimum, and always renewed with one', () => {
    const unknown: TokenMeta = { tokenType: 'Bearer', expiresAt: null, obtainedAt: NOW - 1000 };
    expect(isFresh(unknown, NOW)).toBe(true);
    expect(isFresh(unknown, NOW, 0)).toBe(false);
  });

  it('requiredMs: the minimum when the lifetime allows it, else the lifetime less the margin', () => {
    expect(requiredMs(60 * MIN, MIN, 5 * MIN)).toBe(5 * MIN);
    expect(requiredMs(15 * MIN, MIN, 30 * MIN)).toBe(14 * MIN);
    expect(requiredMs(100_000, 50_000, 10 * MIN)).toBe(50_000);
  });
});

describe('shortTtlWarning', () => {
  const cur = (m: TokenMeta) => ({ profile: { provider: 'brightpattern' } as ProfileSettings, meta: m });
  it('names the provider and the lifetime it issues when that is under the minimum', () => {
    expect(shortTtlWarning(cur(meta(14 * MIN, 15 * MIN)), 30 * MIN, NOW, formatDuration)).toBe(
      'token: warning: Bright Pattern issues tokens valid for 15m, less than --min-ttl 30m; this one is valid for 14m',
    );
  });
  it('says nothing when enough is left, or without a minimum', () => {
    expect(shortTtlWarning(cur(meta(40 * MIN, 60 * MIN)), 30 * MIN, NOW, formatDuration)).toBeUndefined();
    expect(shortTtlWarning(cur(meta(1 * MIN, 60 * MIN)), undefined, NOW, formatDuration)).toBeUndefined();
  });
  it('says an unknown expiry cannot be checked', () => {
    expect(
      shortTtlWarning(cur({ tokenType: 'Bearer', expiresAt: null, obtainedAt: NOW }), MIN, NOW, formatDuration),
    ).toMatch(/gave no expiry .* --min-ttl 1m cannot be checked$/);
  });
});

const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const jwt = (claims: Record<string, unknown>) => `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.c2ln`;

describe('expiry from a JWT', () => {
  it.each([
    [{ exp: 1_800_003_600 }, 1_800_003_600_000],
    [{ exp: 1_800_003_600.5 }, 1_800_003_600_500],
    [{ exp: '1800003600' }, undefined], // RFC 7519 §2 NumericDate is a number
    [{ exp: -1 }, undefined],
    [{ exp: 1e300 }, undefined], // past what a Date holds
    [{ sub: 'x' }, undefined],
  ])('claims %j: %s', (claims, expected) => expect(jwtExpiry(jwt(claims))).toBe(expected));

  it('a token that is no JWT has none', () => {
    expect(jwtExpiry('at-opaque-token')).toBeUndefined();
    expect(jwtExpiry('a.b.c')).toBeUndefined();
  });

  it('a response without expires_in takes its expiry from exp; expires_in, when there, wins', () => {
    const token = jwt({ exp: 1_800_000_900 });
    expect(toTokenSet({ access_token: token }, NOW, 'X').expiresAt).toBe(1_800_000_900_000);
    expect(toTokenSet({ access_token: token, expires_in: '' }, NOW, 'X').expiresAt).toBe(1_800_000_900_000);
    expect(toTokenSet({ access_token: token, expires_in: 60 }, NOW, 'X').expiresAt).toBe(NOW + 60_000);
  });

  it('without either, the expiry is unknown (null)', () => {
    expect(toTokenSet({ access_token: 'opaque' }, NOW, 'X').expiresAt).toBeNull();
    expect(toTokenSet({ access_token: jwt({ sub: 'x' }) }, NOW, 'X').expiresAt).toBeNull();
  });
});

describe('curl: the URL and curl’s own arguments', () => {
  // What commander hands the action ([url], [curl-args...]) and the argv it parsed.
  it.each([
    [
      ['https://a/b', '-sS', '--fail'],
      ['curl', 'https://a/b', '--', '-sS', '--fail'],
      'https://a/b',
      ['-sS', '--fail'],
    ],
    [['-sS', '-i'], ['curl', '--', '-sS', '-i'], undefined, ['-sS', '-i']],
    [['/path', '-i'], ['-p', 'bp', 'curl', '-X', 'POST', '-d', '--', '/path', '--', '-i'], '/path', ['-i']], // -d's value is "--"
    [['/path'], ['curl', '-H', 'A: b', '/path'], '/path', []],
    [[], ['curl'], undefined, []],
  ])('%j from %j', (operands, argv, target, curlArgs) => {
    expect(splitOperands(operands[0], operands.slice(1), argv)).toEqual({ target, curlArgs });
  });

  it('two operands before -- is a usage error pointing at --', () => {
    expect(() => splitOperands('https://a', ['extra'], ['curl', 'https://a', 'extra'])).toThrow(
      expect.objectContaining({ code: 'usage', hint: expect.stringContaining('after --') }),
    );
  });
});
