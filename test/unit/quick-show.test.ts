// The start-up quick path (src/cli/quick-show.ts, dist/quick.cjs) answers `show --raw` and
// `--header` without main.cjs. It must never print what main would not: whenever it
// answers, main's own dispatch over the same files at the same time prints exactly that,
// with nothing on stderr; and it declines everything that needs more than the files (a
// renewal, a warning, an error), which main.cjs then handles. No server is needed: every
// case it answers reads the files alone.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { quickShow, showQuickly } from '../../src/cli/quick-show.js';
import { fakeDeps, runInProcess, type FakeDeps } from '../helpers/fake-deps.js';

const NOW = Date.now();
const MIN = 60_000;

type Profile = Record<string, any>;

function profile(provider: string, store = 'file'): Profile {
  const url = 'https://svc.example';
  const options =
    provider === 'prism'
      ? { serviceUrl: url, authorizeUrl: `${url}/oauth/authorize` }
      : provider === 'priava'
        ? { region: 'EU', apiUrl: url, tokenUrl: `${url}/token`, redirectUri: `${url}/cb` }
        : { tenant: 'example.brightpattern.com', url };
  return {
    version: 2,
    provider,
    clientId: `${provider}-client`,
    store,
    options,
    loginFlags: { ...options },
    token: {
      accessToken: `${provider}.access.token`,
      tokenType: 'Bearer',
      expiresAt: NOW + 50 * MIN,
      obtainedAt: NOW - 10 * MIN,
    },
    hasRefreshToken: provider !== 'brightpattern',
    ...(store === 'file'
      ? { secrets: { origin: url, clientId: `${provider}-client`, clientSecret: 's3cret', refreshToken: 'r1' } }
      : {}),
  };
}

let deps: FakeDeps;
let dir: string;
beforeEach(() => {
  deps = fakeDeps({ now: () => NOW });
  dir = deps.env.TOKEN_CONFIG_DIR!;
  for (const [name, p] of Object.entries({
    prism: profile('prism'),
    priava: profile('priava'),
    bp: profile('brightpattern'),
    kc: profile('brightpattern', 'keychain'),
  }))
    deps.cfg.writeProfile(name, p);
  writeConfig({ version: 2, storeId: 'a'.repeat(32), default: 'prism' });
});
afterEach(() => deps.cleanup());

function writeConfig(value: unknown): void {
  writeFileSync(join(dir, 'config.json'), typeof value === 'string' ? value : JSON.stringify(value));
}

function edit(name: string, change: (p: Profile) => void): void {
  const p = deps.cfg.profile(name);
  change(p);
  deps.cfg.writeProfile(name, p);
}

/** The quick path's answer and main's, for one command line over the same files. */
async function both(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const quick = quickShow(argv, { ...deps.env, ...env }, NOW);
  return { quick, main: await runInProcess(deps, argv, env) };
}

describe('quickShow answers what main prints', () => {
  it.each<[string, string[], NodeJS.ProcessEnv, string]>([
    ['the default profile, raw', ['show', '--raw'], {}, 'prism.access.token\n'],
    ['PRISM, its own header', ['show', '--header'], {}, 'x-prism-access-token: prism.access.token\n'],
    ['PRISM with --bearer', ['show', '--header', '--bearer'], {}, 'Authorization: Bearer prism.access.token\n'],
    ['Priava', ['show', '--header', '-p', 'priava'], {}, 'Authorization: Bearer priava.access.token\n'],
    ['Bright Pattern', ['show', '--header', '--profile=bp'], {}, 'Authorization: Bearer brightpattern.access.token\n'],
    ['--profile', ['show', '--raw', '--profile', 'bp'], {}, 'brightpattern.access.token\n'],
    ['TOKEN_PROFILE', ['show', '--raw'], { TOKEN_PROFILE: 'priava' }, 'priava.access.token\n'],
    ['an empty TOKEN_PROFILE: the default', ['show', '--raw'], { TOKEN_PROFILE: '' }, 'prism.access.token\n'],
    [
      '-p over TOKEN_PROFILE',
      ['show', '--raw', '-p', 'bp'],
      { TOKEN_PROFILE: 'priava' },
      'brightpattern.access.token\n',
    ],
    ['a keychain profile (no keychain call)', ['show', '--raw', '-p', 'kc'], {}, 'brightpattern.access.token\n'],
    ['--min-ttl that is met', ['show', '--raw', '--min-ttl', '30m'], {}, 'prism.access.token\n'],
    ['--min-ttl= that is met', ['show', '--raw', '--min-ttl=2999'], {}, 'prism.access.token\n'],
    ['TOKEN_MIN_TTL that is met', ['show', '--raw'], { TOKEN_MIN_TTL: '45m' }, 'prism.access.token\n'],
    ['--no-refresh', ['show', '--raw', '--no-refresh'], {}, 'prism.access.token\n'],
    [
      '--no-refresh over TOKEN_MIN_TTL',
      ['show', '--raw', '--no-refresh'],
      { TOKEN_MIN_TTL: '2h' },
      'prism.access.token\n',
    ],
  ])('%s', async (_what, argv, env, line) => {
    const { quick, main } = await both(argv, env);
    expect(quick).toBe(line);
    expect(main).toEqual({ code: 0, stdout: line, stderr: '' });
    expect(deps.keychain.calls).toEqual([]);
  });

  it.each<[string, () => void]>([
    ['an unknown expiry', () => edit('prism', (p) => (p.token.expiresAt = null))],
    [
      'a refused refresh token while the token is fresh',
      () => edit('prism', (p) => (p.refreshRefused = { at: NOW, error: 'invalid_grant' })),
    ],
    ['a field version 2 does not know', () => edit('prism', (p) => (p.colour = 'blue'))],
    ['an option set to null', () => edit('prism', (p) => (p.loginFlags.scope = null))],
    ['a token scope', () => edit('prism', (p) => (p.token.scope = 'read write'))],
    [
      // a 90 s token counts as fresh until half its life is left: 50 s left is fresh, though under 60 s
      'a token that lives under 2 minutes, with less than 60 s but more than half its life left',
      () => edit('prism', (p) => Object.assign(p.token, { obtainedAt: NOW - 40_000, expiresAt: NOW + 50_000 })),
    ],
  ])('with %s', async (_what, change) => {
    change();
    const { quick, main } = await both(['show', '--raw']);
    expect(quick).toBe('prism.access.token\n');
    expect(main).toEqual({ code: 0, stdout: quick, stderr: '' });
  });
});

describe('quickShow at the edge of --min-ttl', () => {
  it('gives out a token with exactly the minimum left when it counts as fresh (obtained "in the future": a clock set back)', async () => {
    edit('prism', (p) => Object.assign(p.token, { obtainedAt: NOW + 10 * MIN, expiresAt: NOW + 30 * MIN }));
    const { quick, main } = await both(['show', '--raw', '--min-ttl', '30m']);
    expect(quick).toBe('prism.access.token\n');
    expect(main).toEqual({ code: 0, stdout: quick, stderr: '' });
  });
});

describe('quickShow leaves to main.cjs', () => {
  // Each needs a renewal, a warning, an error or a judgement of main's own (--no-refresh
  // gives out a token past the margin as it is): main.cjs's to give.
  it.each<[string, string[], NodeJS.ProcessEnv, () => void]>([
    ['another command', ['list'], {}, () => undefined],
    ['show without a format', ['show'], {}, () => undefined],
    ['both formats', ['show', '--raw', '--header'], {}, () => undefined],
    ['another flag', ['show', '--raw', '--json'], {}, () => undefined],
    ['-p without a name', ['show', '--raw', '-p'], {}, () => undefined],
    [
      'a token within 60 s of expiry',
      ['show', '--raw'],
      {},
      () => edit('prism', (p) => (p.token.expiresAt = NOW + 59_000)),
    ],
    ['exactly 60 s left', ['show', '--raw'], {}, () => edit('prism', (p) => (p.token.expiresAt = NOW + 60_000))],
    ['an expired token', ['show', '--raw'], {}, () => edit('prism', (p) => (p.token.expiresAt = NOW - 1))],
    ['no token', ['show', '--raw'], {}, () => edit('prism', (p) => delete p.token)],
    ['--min-ttl that is not met', ['show', '--raw', '--min-ttl', '51m'], {}, () => undefined],
    [
      'exactly --min-ttl left (renewed)',
      ['show', '--raw', '--min-ttl', '30m'],
      {},
      () => edit('prism', (p) => (p.token.expiresAt = NOW + 30 * MIN)),
    ],
    ['TOKEN_MIN_TTL that is not met', ['show', '--raw'], { TOKEN_MIN_TTL: '2h' }, () => undefined],
    // fresh for a 2h minimum (a one-hour token just obtained), yet with less than 2h left: a warning
    [
      'a minimum longer than the tokens live',
      ['show', '--raw', '--min-ttl', '2h'],
      {},
      () => edit('prism', (p) => Object.assign(p.token, { obtainedAt: NOW - 30_000, expiresAt: NOW + 59.5 * MIN })),
    ],
    [
      'an unknown expiry with a minimum (renewed)',
      ['show', '--raw', '--min-ttl', '1m'],
      {},
      () => edit('prism', (p) => (p.token.expiresAt = null)),
    ],
    [
      '--no-refresh with less than 60 s left',
      ['show', '--raw', '--no-refresh'],
      {},
      () => edit('prism', (p) => (p.token.expiresAt = NOW + 30_000)),
    ],
    ['--min-ttl with --no-refresh', ['show', '--raw', '--no-refresh', '--min-ttl', '1m'], {}, () => undefined],
    ['a --min-ttl that is not a duration', ['show', '--raw', '--min-ttl', 'soon'], {}, () => undefined],
    ['a TOKEN_MIN_TTL that is not a duration', ['show', '--raw'], { TOKEN_MIN_TTL: '5x' }, () => undefined],
    [
      'a refused refresh token and an expiring token',
      ['show', '--raw'],
      {},
      () =>
        edit('prism', (p) =>
          Object.assign(p, {
            refreshRefused: { at: NOW, error: 'invalid_grant' },
            token: { ...p.token, expiresAt: NOW + 30_000 },
          }),
        ),
    ],
    ['an unknown profile', ['show', '--raw', '-p', 'nosuch'], {}, () => undefined],
    [
      'a provider named instead of a profile',
      ['show', '--raw', '-p', 'priava'],
      {},
      () => rmSync(join(dir, 'profiles', 'priava.json')),
    ],
    // a path to a real profile file, which the name check alone keeps from being read
    ['a name version 2 does not allow', ['show', '--raw', '-p', '../profiles/prism'], {}, () => undefined],
    ['a TOKEN_PROFILE with no file, beside a default', ['show', '--raw'], { TOKEN_PROFILE: 'nosuch' }, () => undefined],
    ['no default', ['show', '--raw'], {}, () => writeConfig({ version: 2, storeId: 'a'.repeat(32) })],
    ['a default whose file is gone', ['show', '--raw'], {}, () => rmSync(join(dir, 'profiles', 'prism.json'))],
    ['no config.json', ['show', '--raw'], {}, () => rmSync(join(dir, 'config.json'))],
    [
      'a damaged config.json, even with -p',
      ['show', '--raw', '-p', 'bp'],
      {},
      () => writeConfig({ version: 2, storeId: 'nope' }),
    ],
    ['a config.json that is not JSON', ['show', '--raw', '-p', 'bp'], {}, () => writeConfig('{ version')],
    ['a version 1 dir to migrate', ['show', '--raw'], {}, () => writeFileSync(join(dir, 'profiles.json'), '{}')],
    [
      'a profile file that is not JSON',
      ['show', '--raw'],
      {},
      () => writeFileSync(join(dir, 'profiles', 'prism.json'), '{'),
    ],
    ['an option that is a number', ['show', '--raw'], {}, () => edit('prism', (p) => (p.options.port = 8080))],
    ['login flags that are a list', ['show', '--raw'], {}, () => edit('prism', (p) => (p.loginFlags = []))],
    ['a secret that is a number', ['show', '--raw'], {}, () => edit('prism', (p) => (p.secrets.clientSecret = 7))],
    ['hasRefreshToken as a word', ['show', '--raw'], {}, () => edit('prism', (p) => (p.hasRefreshToken = 'yes'))],
    [
      'a refusal without its time',
      ['show', '--raw'],
      {},
      () => edit('prism', (p) => (p.refreshRefused = { error: 'invalid_grant' })),
    ],
    ['a provider it does not know', ['show', '--raw'], {}, () => edit('prism', (p) => (p.provider = 'github'))],
    ['a store it does not know', ['show', '--raw'], {}, () => edit('prism', (p) => (p.store = 'disk'))],
    ['an access token with a space', ['show', '--raw'], {}, () => edit('prism', (p) => (p.token.accessToken = 'a b'))],
    [
      'a token type with a line break',
      ['show', '--header'],
      {},
      () => edit('prism', (p) => (p.token.tokenType = 'Bearer\nX-Evil: 1')),
    ],
    ['a token scope that is a number', ['show', '--raw'], {}, () => edit('prism', (p) => (p.token.scope = 7))],
  ])('%s', async (_what, argv, env, change) => {
    change();
    expect(quickShow(argv, { ...deps.env, ...env }, NOW)).toBeUndefined();
  });

  it('a config dir that does not exist', () => {
    expect(quickShow(['show', '--raw'], { ...deps.env, TOKEN_CONFIG_DIR: join(dir, 'nosuch') }, NOW)).toBeUndefined();
  });
});

describe('showQuickly', () => {
  const run = (write: (line: string) => number) => {
    const rest: string[] = [];
    const done = showQuickly(['show', '--raw'], deps.env, write, (line) => rest.push(line));
    return { done, rest };
  };

  it('writes the line and says it answered', () => {
    const written: string[] = [];
    expect(run((line) => (written.push(line), line.length))).toEqual({ done: true, rest: [] });
    expect(written).toEqual(['prism.access.token\n']);
  });

  it('sends what a short write left through the stream', () => {
    expect(run(() => 6)).toEqual({ done: true, rest: ['access.token\n'] });
  });

  it('ends quietly when the reader has gone (EPIPE)', () => {
    const epipe = () => {
      throw Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    };
    expect(run(epipe)).toEqual({ done: true, rest: [] });
  });

  it.each(['EAGAIN', 'EIO'])('leaves a write that fails with %s to main.cjs, which writes it again', (code) => {
    const failing = () => {
      throw Object.assign(new Error(`write ${code}`), { code });
    };
    expect(run(failing)).toEqual({ done: false, rest: [] });
  });

  it('writes nothing when it cannot answer', () => {
    edit('prism', (p) => (p.token.expiresAt = NOW - 1));
    const written: string[] = [];
    expect(run((line) => (written.push(line), line.length))).toEqual({ done: false, rest: [] });
    expect(written).toEqual([]);
  });
});
