// The store in-process (SPEC "Profiles and storage (version 2)"): a temp config dir, an
// in-memory keychain, the sandbox as the server. Fast, and what mutation testing runs.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStorage, type Storage } from '../../src/store/index.js';
import { KeychainUnavailableError } from '../../src/store/keychain-store.js';
import { lockAddress, lockTimeoutMs, withLock } from '../../src/store/lock.js';
import { parseProfile, type LongSecrets, type ProfileSettings } from '../../src/store/settings.js';
import { currentToken, renew } from '../../src/cli/tokens.js';
import { NotLoggedInError, ProviderError, TokenError, UsageError } from '../../src/errors.js';
import type { Deps } from '../../src/cli/deps.js';
import { CLIENTS, startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { memoryKeychain } from '../helpers/fake-deps.js';
import { writeV1 } from '../helpers/v1.js';

let dir: string;
let sb: Sandbox;
let kc: ReturnType<typeof memoryKeychain>;
let storage: Storage;
const env = () => ({ TOKEN_CONFIG_DIR: dir, TOKEN_STORE: 'keychain' }) as NodeJS.ProcessEnv;
let now = 1_800_000_000_000;

function deps(): Deps {
  const err: string[] = [];
  return {
    env: env(),
    now: () => now,
    startedAt: now,
    stderr: { write: (s: string) => (err.push(s), true) },
    stdout: { write: () => true },
    _err: err,
  } as unknown as Deps;
}

beforeAll(async () => (sb = await startSandbox()));
afterAll(async () => sb.close());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'token-store-'));
  kc = memoryKeychain();
  storage = openStorage(env(), { keychain: () => kc.store });
  now = Date.now();
  sb.requests.length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const secrets = (refreshToken?: string): LongSecrets => ({
  origin: sb.url,
  clientId: CLIENTS.prism.clientId,
  clientSecret: CLIENTS.prism.clientSecret,
  ...(refreshToken ? { refreshToken } : {}),
});
function prismProfile(store: 'file' | 'keychain', expiresAt = now + 3_600_000): ProfileSettings {
  return {
    provider: 'prism',
    clientId: CLIENTS.prism.clientId,
    store,
    options: { serviceUrl: sb.prismServiceUrl, authorizeUrl: `${sb.prismServiceUrl}/oauth/authorize` },
    token: { accessToken: 'at-old', tokenType: 'Bearer', expiresAt, obtainedAt: expiresAt - 3_600_000 },
    hasRefreshToken: true,
  };
}

/** A prism profile whose refresh token the sandbox knows. */
async function seeded(name: string, store: 'file' | 'keychain', expiresAt?: number): Promise<string> {
  const t = sb.state.issueTokens({ provider: 'prism', clientId: CLIENTS.prism.clientId }, true);
  await storage.withProfileLock(name, () =>
    storage.save(name, prismProfile(store, expiresAt), secrets(t.refreshToken)),
  );
  return t.refreshToken!;
}

describe('profiles on disk', () => {
  it('keeps a file-store profile’s secrets in its own 0600 file, in a 0700 dir, and config.json has none', async () => {
    await seeded('a', 'file');
    const path = join(dir, 'profiles', 'a.json');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'profiles')).mode & 0o777).toBe(0o700);
    expect(storage.profile('a')!.secrets).toMatchObject({ clientSecret: CLIENTS.prism.clientSecret, origin: sb.url });
    expect(await storage.secrets('a', storage.profile('a')!)).toEqual(storage.profile('a')!.secrets);
    expect(kc.calls).toEqual([]);
  });

  it('a keychain profile: the entry `<storeId>/<name>` is written before the file, and the file holds no long-lived secret', async () => {
    let fileExistedAtWrite: boolean | undefined;
    const write = kc.store.write.bind(kc.store);
    kc.store.write = async (account, s) => {
      fileExistedAtWrite =
        readdirSync(dir).includes('profiles') && readdirSync(join(dir, 'profiles')).includes('k.json');
      return write(account, s);
    };
    const rt = await seeded('k', 'keychain');
    expect(fileExistedAtWrite).toBe(false);
    const storeId = (await storage.config())!.storeId;
    expect([...kc.entries.keys()]).toEqual([`${storeId}/k`]);
    expect(readFileSync(join(dir, 'profiles', 'k.json'), 'utf8')).not.toContain(rt);
    expect(readFileSync(join(dir, 'profiles', 'k.json'), 'utf8')).not.toContain(CLIENTS.prism.clientSecret);
    expect(await storage.secrets('k', storage.profile('k')!)).toEqual(secrets(rt));
  });

  it('a keychain that fails on save leaves the profile file as it was', async () => {
    await seeded('k', 'keychain');
    const before = readFileSync(join(dir, 'profiles', 'k.json'), 'utf8');
    kc.fail(true);
    await expect(
      storage.withProfileLock('k', () =>
        storage.save('k', { ...prismProfile('keychain'), clientId: 'x' }, secrets('rt2')),
      ),
    ).rejects.toBeInstanceOf(KeychainUnavailableError);
    expect(readFileSync(join(dir, 'profiles', 'k.json'), 'utf8')).toBe(before);
  });

  it('remove deletes the keychain entry first; a keychain that fails keeps the profile', async () => {
    await seeded('k', 'keychain');
    kc.fail(true);
    await expect(storage.withProfileLock('k', () => storage.remove('k', storage.profile('k')!))).rejects.toBeInstanceOf(
      KeychainUnavailableError,
    );
    expect(storage.names()).toEqual(['k']);
    kc.fail(false);
    await storage.withProfileLock('k', () => storage.remove('k', storage.profile('k')!));
    expect(storage.names()).toEqual([]);
    expect(kc.entries.size).toBe(0);
  });

  it('names come from the file names alone: sorted, temp files and other names ignored', async () => {
    await seeded('b', 'file');
    await seeded('a', 'file');
    writeFileSync(join(dir, 'profiles', '.a.json.123.1.tmp'), '{}');
    writeFileSync(join(dir, 'profiles', 'notes.txt'), '');
    writeFileSync(join(dir, 'profiles', '-x.json'), '{}');
    expect(storage.names()).toEqual(['a', 'b']);
  });

  it('a save removes what a killed writer of the same file left, whatever its pid', async () => {
    await seeded('a', 'file');
    writeFileSync(join(dir, 'profiles', `.a.json.${process.pid}.99.tmp`), 'secret');
    writeFileSync(join(dir, 'profiles', '.a.json.1.1.tmp'), 'secret');
    await storage.withProfileLock('a', () => storage.save('a', storage.profile('a')!));
    expect(readdirSync(join(dir, 'profiles')).sort()).toEqual(['a.json']);
  });

  it('a save also removes other profiles’ leftovers, unless a live writer holds that profile’s lock', async () => {
    await seeded('a', 'file');
    writeFileSync(join(dir, 'profiles', '.b.json.1.1.tmp'), 'secret');
    writeFileSync(join(dir, 'profiles', '.c.json.1.1.tmp'), 'secret');
    let release!: () => void;
    const holdingC = storage.withProfileLock('c', () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 20));
    await storage.withProfileLock('a', () => storage.save('a', storage.profile('a')!));
    expect(readdirSync(join(dir, 'profiles')).sort()).toEqual(['.c.json.1.1.tmp', 'a.json']);
    release();
    await holdingC;
    await storage.withProfileLock('a', () => storage.save('a', storage.profile('a')!));
    expect(readdirSync(join(dir, 'profiles')).sort()).toEqual(['a.json']);
  });

  it('config.json gets 128 random bits as storeId once, and keeps it', async () => {
    const first = await storage.updateConfig((c) => (c.default = 'x'));
    expect(first.storeId).toMatch(/^[0-9a-f]{32}$/);
    const second = await storage.updateConfig(() => undefined);
    expect(second).toEqual({ version: 2, storeId: first.storeId, default: 'x' });
    const otherDir = mkdtempSync(join(tmpdir(), 'token-store-'));
    try {
      expect((await openStorage({ TOKEN_CONFIG_DIR: otherDir }).updateConfig(() => undefined)).storeId).not.toBe(
        first.storeId,
      );
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
  });

  it.each([
    ['not JSON', '{', 'it is not valid JSON'],
    ['a list', '[]', 'the file must be a JSON object'],
    ['null', 'null', 'the file must be a JSON object'],
    ['no version', '{"provider":"prism"}', 'version must be 2'],
    ['an unknown provider', '{"version":2,"provider":"x"}', 'provider must be one of prism, priava, brightpattern'],
    ['a wrong store', '{"version":2,"provider":"prism","store":"disk"}', 'store must be "keychain" or "file"'],
    [
      'no client id',
      '{"version":2,"provider":"prism","store":"file","clientId":5}',
      'clientId must be a non-empty string',
    ],
    [
      'options as a list',
      '{"version":2,"provider":"prism","store":"file","clientId":"c","options":[]}',
      'options must be an object',
    ],
    [
      'an option as a number',
      '{"version":2,"provider":"prism","store":"file","clientId":"c","options":{"a":1}}',
      'options.a must be a string or a boolean',
    ],
    [
      'token as null',
      '{"version":2,"provider":"prism","store":"file","clientId":"c","options":{},"token":null}',
      'token must be an object',
    ],
    [
      'expiresAt as a string',
      '{"version":2,"provider":"prism","store":"file","clientId":"c","options":{},"token":{"accessToken":"a","tokenType":"B","expiresAt":"soon","obtainedAt":1}}',
      'token.expiresAt must be a number (epoch ms)',
    ],
    [
      'a secret as a number',
      '{"version":2,"provider":"prism","store":"file","clientId":"c","options":{},"secrets":{"origin":"o","clientId":"c","clientSecret":7}}',
      'secrets.clientSecret must be a non-empty string',
    ],
    [
      'a refresh token as a list',
      '{"version":2,"provider":"prism","store":"file","clientId":"c","options":{},"secrets":{"origin":"o","clientId":"c","clientSecret":"s","refreshToken":[]}}',
      'secrets.refreshToken must be a string',
    ],
  ])('a hand-edited profile with %s is a usage error naming the file and the field', (_what, text, words) => {
    const err = (() => {
      try {
        parseProfile('/x/p.json', text);
      } catch (e) {
        return e;
      }
    })() as TokenError;
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe(`/x/p.json is damaged: ${words}`);
  });
});

describe('renewing', () => {
  it.each(['file', 'keychain'] as const)(
    'rotates and stores the new refresh token before returning (%s store)',
    async (store) => {
      const rt = await seeded('p', store, now - 1000);
      const cur = await renew({ deps: deps(), storage, verbose: false }, 'p', { force: false, since: now });
      expect(cur.refreshed).toBe(true);
      const stored = await storage.secrets('p', storage.profile('p')!);
      expect(stored!.refreshToken).not.toBe(rt);
      expect(sb.state.refreshGrant(stored!.refreshToken!)).toBeDefined();
      expect(storage.profile('p')!.token!.accessToken).toBe(cur.accessToken);
    },
  );

  it('keeps the stored refresh token when the response has none', async () => {
    sb.state.config.rotateRefreshTokens = false;
    try {
      const rt = await seeded('p', 'file', now - 1000);
      await renew({ deps: deps(), storage, verbose: false }, 'p', { force: true, since: now });
      expect(storage.profile('p')!.secrets!.refreshToken).toBe(rt);
    } finally {
      sb.state.config.rotateRefreshTokens = true;
    }
  });

  it('a fresh token is used as it is: no request', async () => {
    await seeded('p', 'file');
    const cur = await currentToken(
      { deps: deps(), storage, verbose: false },
      { name: 'p', profile: storage.profile('p')!, isDefault: true },
      false,
    );
    expect(cur).toMatchObject({ accessToken: 'at-old', refreshed: false, hasRefreshToken: true });
    expect(sb.requests).toEqual([]);
  });

  it('a token obtained after this process started (by another) is used without a request', async () => {
    await seeded('p', 'file', now + 30_000);
    const cur = await renew({ deps: deps(), storage, verbose: false }, 'p', { force: true, since: now - 3_600_000 });
    expect(cur.refreshed).toBe(false);
    expect(sb.requests).toEqual([]);
  });

  it('secrets bound to another origin or client id are never sent (exit 5)', async () => {
    await seeded('p', 'file', now - 1000);
    for (const bad of [{ origin: 'https://evil.example' }, { clientId: 'other' }]) {
      const p = storage.profile('p')!;
      await storage.withProfileLock('p', () => storage.save('p', p, { ...p.secrets!, ...bad }));
      await expect(
        renew({ deps: deps(), storage, verbose: false }, 'p', { force: true, since: now }),
      ).rejects.toBeInstanceOf(NotLoggedInError);
    }
    expect(sb.requests).toEqual([]);
  });

  it('invalid_grant marks the refresh token refused; it is never sent again', async () => {
    const rt = await seeded('p', 'file', now - 1000);
    sb.state.retireRefreshToken(rt);
    await expect(
      renew({ deps: deps(), storage, verbose: false }, 'p', { force: true, since: now }),
    ).rejects.toMatchObject({
      error: 'invalid_grant',
      hint: 'the login has expired or was revoked; run: token login -p p --force',
    });
    expect(storage.profile('p')!.refreshRefused).toMatchObject({ error: 'invalid_grant' });
    expect(storage.profile('p')!.secrets!.refreshToken).toBe(rt);
    now += 10;
    await expect(
      renew({ deps: deps(), storage, verbose: false }, 'p', { force: true, since: now }),
    ).rejects.toBeInstanceOf(ProviderError);
    expect(sb.requests).toHaveLength(1);
  });

  /** deps() whose HTTP client runs `before` on the way out, then sends the request. */
  const sendingAfter = (before: () => Promise<void>): Deps => ({
    ...deps(),
    fetch: (async (input: string, init: RequestInit) => {
      await before();
      return fetch(input, init);
    }) as typeof fetch,
  });

  it.each([
    ['fresh', true],
    ['expired', false],
  ])(
    'invalid_grant after another writer stored a newer refresh token (its token %s): that login is kept, not marked refused',
    async (_state, fresh) => {
      const rt = await seeded('p', 'file', now - 1000);
      sb.state.retireRefreshToken(rt);
      const newer = prismProfile('file', fresh ? now + 3_600_000 : now - 500);
      newer.token!.accessToken = 'at-newer';
      // A writer that does not hold this process's lock (a login elsewhere, a hand copy).
      const d = sendingAfter(() => storage.save('p', newer, secrets('rt-newer')));
      const result = renew({ deps: d, storage, verbose: false }, 'p', { force: true, since: now });
      if (fresh) {
        await expect(result).resolves.toMatchObject({ accessToken: 'at-newer', refreshed: false });
      } else {
        await expect(result).rejects.toMatchObject({ error: 'invalid_grant' });
      }
      expect(storage.profile('p')!.refreshRefused).toBeUndefined();
      expect(storage.profile('p')!.secrets!.refreshToken).toBe('rt-newer');
    },
  );

  it('a refused client (invalid_client) is shared with the processes queued behind it, without a request', async () => {
    await seeded('p', 'file', now - 1000);
    sb.failNext('prism-token', {
      status: 401,
      body: JSON.stringify({ error: 'invalid_client' }),
      contentType: 'application/json',
    });
    const first = await renew({ deps: deps(), storage, verbose: false }, 'p', { force: false, since: now }).catch(
      (e: TokenError) => e,
    );
    expect(first).toMatchObject({ code: 'provider_refused', error: 'invalid_client' });
    const queued = await renew({ deps: deps(), storage, verbose: false }, 'p', { force: false, since: now - 1 }).catch(
      (e: TokenError) => e,
    );
    expect(queued).toMatchObject({ code: 'provider_refused', message: (first as TokenError).message });
    expect(sb.requests).toHaveLength(1);
  });

  it('a refresh answered with the same refresh token does not write the keychain entry again', async () => {
    const rt = await seeded('k', 'keychain', now - 1000);
    kc.calls.length = 0;
    const sameToken = {
      ...deps(),
      fetch: (async (input: string, init: RequestInit) => {
        const res = await fetch(input, init);
        const body = (await res.json()) as Record<string, unknown>;
        return new Response(JSON.stringify({ ...body, refresh_token: rt }), {
          status: res.status,
          headers: { 'content-type': 'application/json' },
        });
      }) as typeof fetch,
    } as Deps;
    const cur = await renew({ deps: sameToken, storage, verbose: false }, 'k', {
      force: true,
      since: now,
      store: 'keychain',
    });
    expect(cur.refreshed).toBe(true);
    const storeId = (await storage.config())!.storeId;
    expect(kc.calls).toEqual(['warm', `read ${storeId}/k`]);
  });

  it('a keychain profile warms the keychain before taking its lock, lets it go while another holds the lock, and reads once it has it', async () => {
    const rt = await seeded('k', 'keychain', now - 1000);
    await seeded('f', 'file', now - 1000);
    kc.calls.length = 0;
    await renew({ deps: deps(), storage, verbose: false }, 'f', { force: false, since: now, store: 'file' });
    expect(kc.calls).toEqual([]); // a file-store profile never touches the keychain
    sb.requests.length = 0;

    let taken!: () => void;
    let release!: () => void;
    const holding = new Promise<void>((r) => (taken = r));
    const held = new Promise<void>((r) => (release = r));
    const holder = storage.withProfileLock('k', async () => (taken(), held));
    await holding;
    const waiter = renew({ deps: deps(), storage, verbose: false }, 'k', {
      force: false,
      since: now,
      store: 'keychain',
    });
    for (let i = 0; i < 200 && !kc.calls.includes('idle'); i++) await new Promise((r) => setTimeout(r, 5));
    expect(kc.calls).toEqual(['warm', 'idle']);
    release();
    await holder;
    expect((await waiter).refreshed).toBe(true);
    const storeId = (await storage.config())!.storeId;
    expect(kc.calls).toEqual(['warm', 'idle', `read ${storeId}/k`, `write ${storeId}/k`]);
    expect(sb.requests.map((r) => r.query.refresh_token)).toEqual([rt]);
  });

  it('a process queued behind a failed refresh fails the same way without a request; a later one tries again', async () => {
    await seeded('p', 'file', now - 1000);
    sb.failNext('prism-token', { status: 503, body: 'down', contentType: 'text/plain' });
    const first = await renew({ deps: deps(), storage, verbose: false }, 'p', { force: false, since: now }).catch(
      (e: TokenError) => e,
    );
    expect(first).toBeInstanceOf(TokenError);
    // Started before that failure ended: the same error, no request.
    const queued = await renew({ deps: deps(), storage, verbose: false }, 'p', { force: false, since: now - 1 }).catch(
      (e: TokenError) => e,
    );
    expect([(queued as TokenError).code, (queued as TokenError).message]).toEqual([
      (first as TokenError).code,
      (first as TokenError).message,
    ]);
    expect(sb.requests).toHaveLength(1);
    // Started after it: its own request.
    const later = await renew({ deps: deps(), storage, verbose: false }, 'p', { force: false, since: Date.now() + 1 });
    expect(later.refreshed).toBe(true);
    expect(sb.requests).toHaveLength(2);
  });
});

describe('locks', () => {
  it('hold one holder at a time within a process too, and release on return and on throw', async () => {
    const order: string[] = [];
    const opts = { timeoutMs: 5_000 };
    const a = withLock(dir, 'x', opts, async () => {
      order.push('a in');
      await new Promise((r) => setTimeout(r, 100));
      order.push('a out');
    });
    await new Promise((r) => setTimeout(r, 10));
    const b = withLock(dir, 'x', opts, async () => void order.push('b'));
    await Promise.all([a, b]);
    expect(order).toEqual(['a in', 'a out', 'b']);
    await expect(withLock(dir, 'x', opts, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await withLock(dir, 'x', opts, async () => void order.push('c'));
    expect(order.at(-1)).toBe('c');
  });

  it('a waiter gives up after the timeout with exit 4 naming the holder’s pid', async () => {
    let release!: () => void;
    const held = withLock(dir, 'y', { timeoutMs: 5_000 }, () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 20));
    const err = await withLock(dir, 'y', { timeoutMs: 50 }, async () => undefined).catch((e: TokenError) => e);
    expect(err).toMatchObject({
      code: 'network',
      message: `timed out after 0 s waiting for the lock on y, held by pid ${process.pid}`,
    });
    release();
    await held;
  });

  it('where sockets are files (macOS, BSD): one holder at a time, and a dead holder’s socket file is taken over', async () => {
    const opts = { timeoutMs: 2_000, platform: 'darwin' as const };
    let release!: () => void;
    const held = withLock(dir, 'z', opts, () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 20));
    const err = await withLock(dir, 'z', { ...opts, timeoutMs: 50 }, async () => undefined).catch((e: TokenError) => e);
    expect(err).toMatchObject({ code: 'network' });
    release();
    await held;
    // A socket file nobody listens on (its holder was killed): removed and bound again at once.
    const { spawn } = await import('node:child_process');
    const address = lockAddress(dir, 'z', 'darwin');
    const holder = spawn(
      process.execPath,
      ['-e', `require('net').createServer().listen(${JSON.stringify(address)}, () => console.log('up'))`],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    await new Promise((r) => holder.stdout.once('data', r));
    holder.kill('SIGKILL'); // a killed holder leaves its socket file behind
    await new Promise((r) => holder.once('exit', r));
    expect(readdirSync(join(dir, 'locks')).some((f) => f.endsWith('.sock'))).toBe(true);
    const started = Date.now();
    await withLock(dir, 'z', opts, async () => undefined);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('has one address per config dir and name', () => {
    expect(lockAddress('/a', 'x', 'linux')).not.toBe(lockAddress('/b', 'x', 'linux'));
    expect(lockAddress('/a', 'x', 'linux')).not.toBe(lockAddress('/a', 'y', 'linux'));
    expect(lockAddress('/a', 'x', 'linux').startsWith('\0')).toBe(true);
    expect(lockAddress('/a', 'x', 'win32')).toMatch(/^\\\\\.\\pipe\\token-cli-[0-9a-f]{40}$/);
    expect(lockAddress('/a', 'x', 'darwin')).toMatch(/^\/a\/locks\/[0-9a-f]{16}\.sock$/);
  });

  it.each([
    [undefined, 60_000],
    ['', 60_000],
    ['0.5', 500],
    ['120', 120_000],
  ])('TOKEN_LOCK_TIMEOUT=%s waits %i ms', (value, ms) => {
    expect(lockTimeoutMs({ TOKEN_LOCK_TIMEOUT: value })).toBe(ms);
  });

  it.each(['-1', 'soon', '86401'])('TOKEN_LOCK_TIMEOUT=%s is a usage error', (value) => {
    expect(() => lockTimeoutMs({ TOKEN_LOCK_TIMEOUT: value })).toThrow(UsageError);
  });
});

describe('peekStore: where a profile keeps its secrets, before the command tree loads', () => {
  it('names the store of the named or default profile; anything unclear is undefined, never an error', async () => {
    expect(storage.peekStore(undefined)).toBeUndefined(); // no config.json yet
    await seeded('k', 'keychain');
    await seeded('f', 'file');
    await storage.updateConfig((c) => (c.default = 'k'));
    expect(storage.peekStore(undefined)).toBe('keychain');
    expect(storage.peekStore('f')).toBe('file');
    expect(storage.peekStore('k')).toBe('keychain');
    expect(storage.peekStore('nobody')).toBeUndefined();
    expect(storage.peekStore('../k')).toBeUndefined();
    writeFileSync(join(dir, 'profiles', 'f.json'), '{ damaged');
    expect(storage.peekStore('f')).toBeUndefined();
  });

  it('never migrates a version 1 dir: that is the command’s, after its arguments are checked', () => {
    writeV1(dir, sb, undefined, 'keychain');
    const before = readdirSync(dir).sort();
    expect(storage.peekStore(undefined)).toBeUndefined();
    expect(storage.peekStore('prism')).toBeUndefined();
    expect(readdirSync(dir).sort()).toEqual(before);
  });
});

describe('migrating a version 1 keychain dir', () => {
  it('a migration that stops after writing a keychain entry leaves none the next one does not own', async () => {
    const v1 = writeV1(dir, sb, undefined, 'keychain');
    for (const [account, value] of Object.entries(v1.secrets)) kc.entries.set(account, value);
    // The first migration dies after its first keychain entry, before any file or config.json.
    const { store } = kc;
    const write = store.write.bind(store);
    store.write = async (account, secrets) => {
      await write(account, secrets);
      throw new Error('killed');
    };
    await expect(storage.config()).rejects.toThrow('killed');
    expect([...kc.entries.keys()].filter((a) => a.includes('/'))).toHaveLength(1);
    store.write = write;

    // The next command finishes it, as a new process would (a fresh storage).
    const next = openStorage(env(), { keychain: () => kc.store });
    try {
      const config = (await next.config())!;
      const entries = [...kc.entries.keys()].sort();
      expect(entries).toEqual([`${config.storeId}/prism`, `${config.storeId}/work.bp`].sort());
      expect(await next.secrets('prism', next.profile('prism')!)).toMatchObject({ refreshToken: v1.prism.refresh });
      expect(readdirSync(dir).sort()).toEqual(['config.json', 'locks', 'profiles']);
    } finally {
      next.close();
    }
  });
});
