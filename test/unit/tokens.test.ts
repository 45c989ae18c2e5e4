// currentToken on storage version 2: the access token is cached in the profile file, so
// a fresh token (or an unexpired one with --no-refresh) never calls the keychain and
// takes no lock; a renewal reads the keychain entry once, and sends its secrets only to
// the token endpoint origin and client id they are bound to. The real storage on a temp
// dir, with an in-memory keychain that records every call, against the sandbox.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { currentToken } from '../../src/cli/tokens.js';
import { isFresh } from '../../src/cli/min-ttl.js';
import { NotLoggedInError } from '../../src/errors.js';
import type { Deps } from '../../src/cli/deps.js';
import { openStorage, type Storage } from '../../src/store/index.js';
import type { KeychainStore } from '../../src/store/keychain-store.js';
import type { LongSecrets, ProfileSettings } from '../../src/store/settings.js';
import { CLIENTS, startSandbox, type Sandbox } from '../../src/sandbox/index.js';

const NAME = 'p';
let sb: Sandbox;
let dir: string;
let storage: Storage;
let calls: string[];
let entries: Map<string, LongSecrets>;
let stderr: string;

beforeAll(async () => (sb = await startSandbox()));
afterAll(() => sb.close());
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'token-unit-'));
  calls = [];
  entries = new Map();
  stderr = '';
  sb.requests.length = 0;
  const keychain: KeychainStore = {
    read: async (account) => (calls.push(`read ${account}`), entries.get(account)),
    write: async (account, secrets) => void (calls.push(`write ${account}`), entries.set(account, secrets)),
    remove: async (account) => void (calls.push(`remove ${account}`), entries.delete(account)),
    probe: async () => void calls.push('probe'),
    readV1: async (account) => void calls.push(`readV1 ${account}`),
    close: () => undefined,
  };
  storage = openStorage({ TOKEN_CONFIG_DIR: dir, TOKEN_STORE: 'keychain' }, { keychain: () => keychain });
  await storage.updateConfig((c) => void (c.default = NAME));
});
afterEach(() => {
  storage.close();
  rmSync(dir, { recursive: true, force: true });
});

const deps = (now: number): Deps =>
  ({
    env: { TOKEN_CONFIG_DIR: dir },
    now: () => now,
    stderr: new Writable({ write: (chunk, _enc, cb) => ((stderr += chunk), cb()) }),
  }) as unknown as Deps;

const bp = (expiresAt: number, extra: Partial<ProfileSettings> = {}): ProfileSettings => ({
  provider: 'brightpattern',
  clientId: CLIENTS.brightpattern.clientId,
  store: 'keychain',
  options: { tenant: CLIENTS.brightpattern.tenant, url: sb.bpUrl },
  token: { accessToken: 'at', tokenType: 'Bearer', expiresAt, obtainedAt: expiresAt - 3_600_000 },
  hasRefreshToken: false,
  ...extra,
});

/** Stores a profile (and its keychain entry) as a login would, then forgets those calls. */
async function stored(profile: ProfileSettings, secrets?: LongSecrets) {
  await storage.save(NAME, profile, secrets);
  calls.length = 0;
  return { name: NAME, profile: storage.profile(NAME)!, isDefault: true };
}

const account = async () => `${(await storage.config())!.storeId}/${NAME}`;
const bound = (): LongSecrets => ({
  origin: new URL(sb.bpUrl).origin,
  clientId: CLIENTS.brightpattern.clientId,
  clientSecret: CLIENTS.brightpattern.clientSecret,
});

describe('currentToken', () => {
  it('gives out a fresh token from the profile file alone: no keychain call, no lock', async () => {
    const now = Date.now();
    const selected = await stored(bp(now + 600_000), bound());
    const cur = await currentToken({ deps: deps(now), storage, verbose: false }, selected, false);
    expect(cur).toMatchObject({ name: NAME, accessToken: 'at', refreshed: false, hasRefreshToken: false });
    expect(calls).toEqual([]);
    expect(existsSync(join(dir, 'locks', 'profile-p.pid'))).toBe(false); // the profile's lock was never taken
    expect(sb.requests).toEqual([]);
  });

  it('with --no-refresh gives out an expiring token from the profile file alone', async () => {
    const now = Date.now();
    const selected = await stored(bp(now + 30_000), bound());
    const cur = await currentToken({ deps: deps(now), storage, verbose: false }, selected, true);
    expect(cur.accessToken).toBe('at');
    expect(calls).toEqual([]);
    expect(sb.requests).toEqual([]);
  });

  it('with --no-refresh an expired token is not logged in (exit 5), without a keychain call', async () => {
    const now = Date.now();
    const selected = await stored(bp(now - 1000), bound());
    await expect(currentToken({ deps: deps(now), storage, verbose: false }, selected, true)).rejects.toThrow(
      NotLoggedInError,
    );
    await expect(currentToken({ deps: deps(now), storage, verbose: false }, selected, true)).rejects.toMatchObject({
      message: 'the token of profile p has expired',
      hint: 'run: token refresh -p p',
    });
    const none = await stored({ ...bp(now), token: undefined }, bound());
    await expect(currentToken({ deps: deps(now), storage, verbose: false }, none, true)).rejects.toMatchObject({
      message: 'profile p has no access token',
      hint: 'run: token refresh -p p',
    });
    expect(calls).toEqual([]);
    expect(sb.requests).toEqual([]);
  });

  it('renews an expiring token: one keychain read, one request, the new token in the profile file', async () => {
    const now = Date.now();
    const selected = await stored(bp(now + 30_000), bound());
    const cur = await currentToken({ deps: deps(now), storage, verbose: false }, selected, false);
    expect(cur.refreshed).toBe(true);
    expect(cur.accessToken).not.toBe('at');
    expect(calls).toEqual([`read ${await account()}`]); // a client-credentials renewal rotates nothing: no write
    expect(existsSync(join(dir, 'locks', 'profile-p.pid'))).toBe(true); // renewed under the profile's lock
    expect(sb.requests.map((q) => [q.endpoint, q.form?.client_secret])).toEqual([
      ['bp-token', CLIENTS.brightpattern.clientSecret],
    ]);
    expect(storage.profile(NAME)!.token!.accessToken).toBe(cur.accessToken);
    expect(storage.profile(NAME)!.secrets).toBeUndefined(); // keychain profile: never a secret in its file
  });

  it.each([
    ['another origin', { origin: 'http://127.0.0.1:1' }],
    ['another client id', { clientId: 'someone.else' }],
  ])('never sends secrets bound to %s: exit 5, nothing sent, nothing stored', async (_what, change) => {
    const now = Date.now();
    const selected = await stored(bp(now - 1000), { ...bound(), ...change });
    const before = storage.profile(NAME);
    const err = await currentToken({ deps: deps(now), storage, verbose: false }, selected, false).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NotLoggedInError);
    expect((err as Error).message).toMatch(/^the stored secrets of profile p belong to .*; nothing was sent$/);
    expect(sb.requests).toEqual([]);
    expect(storage.profile(NAME)).toEqual(before);
  });

  it('a refused refresh token: the unexpired access token is given out with one warning, no keychain call', async () => {
    const now = Date.now();
    const prism: ProfileSettings = {
      provider: 'prism',
      clientId: CLIENTS.prism.clientId,
      store: 'keychain',
      options: { serviceUrl: sb.prismServiceUrl },
      token: { accessToken: 'at', tokenType: 'Bearer', expiresAt: now + 30_000, obtainedAt: now - 3_570_000 },
      hasRefreshToken: true,
      refreshRefused: { at: now - 1000, error: 'invalid_grant' },
    };
    const selected = await stored(prism);
    const cur = await currentToken({ deps: deps(now), storage, verbose: false }, selected, false);
    expect(cur).toMatchObject({ accessToken: 'at', refreshed: false, hasRefreshToken: false });
    expect(stderr).toMatch(
      /^token: warning: PRISM refused the login of profile p \(invalid_grant\); this token stops working .*; run: token login -p p --force\n$/,
    );
    expect(calls).toEqual([]);
    expect(sb.requests).toEqual([]);
  });
});

describe('isFresh', () => {
  const NOW = 1_800_000_000_000;
  const meta = (leftMs: number, lifetimeMs: number) => ({
    accessToken: 'at',
    tokenType: 'Bearer',
    expiresAt: NOW + leftMs,
    obtainedAt: NOW + leftMs - lifetimeMs,
  });
  const HOUR = 3_600_000;
  it.each([
    // SPEC: within 60 s of expiry counts as expired...
    ['an hour token, 60.001 s left', meta(60_001, HOUR), undefined, true],
    ['an hour token, exactly 60 s left', meta(60_000, HOUR), undefined, false],
    // ...and a token living under 2 minutes is renewed within half its lifetime
    ['a 90 s token, 50 s left', meta(50_000, 90_000), undefined, true],
    ['a 90 s token, 45 s left', meta(45_000, 90_000), undefined, false],
    // --min-ttl: more than that must be left
    ['an hour token, 600.001 s left, --min-ttl 600 s', meta(600_001, HOUR), 600_000, true],
    ['an hour token, 600 s left, --min-ttl 600 s', meta(600_000, HOUR), 600_000, false],
    ['an unknown expiry', { ...meta(0, HOUR), expiresAt: null }, undefined, true],
    ['an unknown expiry with --min-ttl', { ...meta(0, HOUR), expiresAt: null }, 600_000, false],
    ['no token at all', undefined, undefined, false],
  ])('%s', (_what, m, minTtl, fresh) => {
    expect(isFresh(m, NOW, minTtl)).toBe(fresh);
  });
});
