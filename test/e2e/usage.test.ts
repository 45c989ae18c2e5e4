// Bad input from the user: one `token: ...` line naming the value, exit 2, empty
// stdout, nothing stored. And profile selection as SPEC "Profiles and storage" says.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, runCli, tempConfig, type TempConfig } from '../helpers/cli.js';
import { useSandboxConfig } from '../helpers/sandbox-config.js';
import { runFresh, type Outcome } from '../helpers/fake-deps.js';
import { CLIENTS } from '../../src/sandbox/index.js';

const { sb, cfg } = useSandboxConfig({}, { TOKEN_CLIENT_SECRET: 's3cret' });

/** `token <args>` in-process on cfg's config dir. */
const run = (args: string[], env: NodeJS.ProcessEnv = cfg.env): Promise<Outcome> => runFresh(args, env);

/** loginBp in-process. */
function login(env: NodeJS.ProcessEnv, extra: string[] = []): Promise<Outcome> {
  const bp = CLIENTS.brightpattern;
  const args = ['login', 'brightpattern', '--client-id', bp.clientId, '--tenant', bp.tenant, '--url', sb.bpUrl];
  return run([...args, ...extra], { ...env, TOKEN_CLIENT_SECRET: bp.clientSecret });
}

describe('bad input', () => {
  const BAD_INPUT: [string[], RegExp][] = [
    [['login', 'github'], /^token: unknown provider "github"\nproviders: prism, priava, brightpattern, bp\n$/],
    [
      ['login', 'prism', '--client-id', 'c', '--service-url', 'not a url'],
      /^token: --service-url must be an http\(s\) URL, got "not a url"\n$/,
    ],
    [
      ['login', 'prism', '--client-id', 'c', '--service-url', 'ftp://x.example'],
      /^token: --service-url must be an http\(s\) URL, got "ftp:\/\/x.example"\n$/,
    ],
    [['login', 'bp', '--client-id', '', '--tenant', 't.example'], /^token: --client-id is empty\n$/],
    [
      ['login', 'bp', '--client-id', 'c', '--tenant', 'bad host/x'],
      /^token: --tenant must be a host name like example\.brightpattern\.com, got "bad host\/x"\n$/,
    ],
    [
      ['login', 'bp', '--client-id', 'c', '--tenant', 't.example', '--region', 'EU'],
      /^token: --region does not apply to brightpattern\n$/,
    ],
    [
      ['login', 'prism', '--client-id', 'c', '--service-url', 'https://x.example', '--port', '70000'],
      /^token: --port must be a whole number from 0 to 65535, got "70000"\n$/,
    ],
    [
      ['login', 'prism', '--client-id', 'c', '--service-url', 'https://x.example', '--timeout', 'soon'],
      /^token: --timeout must be a whole number from 1 to 86400, got "soon"\n$/,
    ],
    [
      ['login', 'prism', '--client-id', 'c', '--service-url', 'http://x.example'],
      /^token: refusing plain http:\/\/ for x\.example: tokens would cross the network unencrypted\nuse https:\/\/, or pass --allow-http/,
    ],
    [['show', '--bogus'], /^token: unknown option '--bogus'\nsee: token show --help\n$/],
    [['show', '--raw', '--header'], /^token: choose one of --raw, --json, --header\n$/],
    // The start-up fast path for `show --raw` hands anything it does not know to commander.
    [['show', '--raw', '--bogus'], /^token: unknown option '--bogus'\nsee: token show --help\n$/],
    [['show', '--raw', '-p'], /^token: option '-p, --profile <name>' argument missing\nsee: token show --help\n$/],
    [['frobnicate'], /^token: unknown command 'frobnicate'\nsee: token --help\n$/],
    [['logot'], /^token: unknown command 'logot'\ndid you mean logout\? see: token --help\n$/],
    [['completion', 'tcsh'], /^token: unknown shell "tcsh"\nshells: bash, zsh, fish\n$/],
    [
      ['login', 'bp', '-p', '../x', '--client-id', 'c', '--tenant', 't.example'],
      /^token: invalid profile name "\.\.\/x"\nuse 1-64 letters, digits, "\.", "_" or "-", starting with a letter or digit\n$/,
    ],
    [
      ['login', 'prism', '--client-id', 'c', '--service-url', 'https://x.example', '--redirect-uri', 'foo'],
      /^token: --redirect-uri must be an http\(s\) URL, got "foo"\n$/,
    ],
    [
      ['login', 'prism', '--client-id', 'c', '--service-url', 'https://x.example/base?x=1'],
      /^token: --service-url must be a base URL without \?query or #fragment, got "https:\/\/x\.example\/base\?x=1"\n$/,
    ],
    [
      ['login', 'prism', '--client-id', 'c', '--service-url', 'https://x.example', '--code', 'abc'],
      /^token: --code needs --redirect-uri: the redirect URI the code was issued for\nPRISM registers https:\/\/global\.apis\.naver\.com/,
    ],
    [['use', 'ghost'], /^token: unknown profile "ghost"\nrun: token login <provider>\n$/],
    [
      [
        'login',
        'prism',
        '--client-id',
        'c',
        '--service-url',
        'https://x.example',
        '--redirect-uri',
        'http://127.0.0.1:0/cb',
      ],
      /^token: --redirect-uri http:\/\/127\.0\.0\.1:0\/cb has port 0: the provider would send the code to a port nobody listens on\n/,
    ],
  ];
  it.each(BAD_INPUT)('%j', async (args, message) => {
    const r = await run(args);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(cfg.names()).toEqual([]);
    expect(cfg.exists('config.json')).toBe(false);
  });

  // The same from the built CLI, for one error of commander's, one of ours, and one the fast path hands on.
  it.each(BAD_INPUT.filter(([args]) => ['login,github', 'logot', 'show,--raw,--bogus'].includes(String(args))))(
    'the built CLI: %j',
    async (args, message) => {
      const r = await runCli(args, { env: cfg.env });
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(cfg.names()).toEqual([]);
      expect(cfg.exists('config.json')).toBe(false);
    },
  );

  it('an unusable config dir is exit 2 naming the path, not "a bug"', async () => {
    const r = await run(['list'], { ...cfg.env, TOKEN_CONFIG_DIR: '/etc/passwd' });
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toBe(
      'token: cannot read /etc/passwd/config.json: a part of its path is not a directory\nfix the path, or set TOKEN_CONFIG_DIR to another directory\n',
    );
  });

  it('TOKEN_HTTP_TIMEOUT that is not a number is exit 2', async () => {
    const r = await login({ ...cfg.env, TOKEN_HTTP_TIMEOUT: 'abc' });
    expect(r).toMatchObject({
      code: 2,
      stdout: '',
      stderr: 'token: TOKEN_HTTP_TIMEOUT must be a positive number of seconds, at most 2147483, got "abc"\n',
    });
    const tooLong = await login({ ...cfg.env, TOKEN_HTTP_TIMEOUT: '1e9' });
    expect(tooLong).toMatchObject({
      code: 2,
      stdout: '',
      stderr: 'token: TOKEN_HTTP_TIMEOUT must be a positive number of seconds, at most 2147483, got "1e9"\n',
    });
    expect(cfg.names()).toEqual([]);
  });

  it('TOKEN_HTTP_TIMEOUT may have a fraction of a millisecond', async () => {
    expect(await login({ ...cfg.env, TOKEN_HTTP_TIMEOUT: '2.5555' })).toMatchObject({ code: 0 });
  });

  it('TOKEN_STORE with a bad value is exit 2', async () => {
    const r = await login({ ...cfg.env, TOKEN_STORE: 'cloud' });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('token: TOKEN_STORE must be keychain, file or auto, got "cloud"\n');
  });

  it('--json errors are one JSON object on stdout', async () => {
    const r = await runCli(['show', '--json'], { env: cfg.env });
    expect(r.code).toBe(5);
    expect(JSON.parse(r.stdout)).toEqual({
      error: { code: 'not_logged_in', message: 'not logged in', hint: 'run: token login <prism|priava|brightpattern>' },
    });
    expect(r.stderr).toBe('');
  });
});

describe('profile selection', () => {
  // Two real logins once (brightpattern, the first, is the default; then second), and a
  // copy of that config dir for each test: client-credentials tokens, nothing to rotate.
  let logins: TempConfig;
  beforeAll(async () => {
    logins = tempConfig();
    expect((await login(logins.env)).code).toBe(0);
    expect((await login(logins.env, ['-p', 'second'])).code).toBe(0);
  });
  afterAll(() => logins.cleanup());
  beforeEach(() => cpSync(logins.env.TOKEN_CONFIG_DIR!, cfg.env.TOKEN_CONFIG_DIR!, { recursive: true }));

  it('uses the default (the first login), -p, or TOKEN_PROFILE; the flag wins', async () => {
    const name = async (args: string[], env = cfg.env) =>
      JSON.parse((await run(['show', '--json', ...args], env)).stdout).profile;
    const names = await Promise.all([
      name([]),
      name(['-p', 'second']),
      name([], { ...cfg.env, TOKEN_PROFILE: 'second' }),
      name(['-p', 'brightpattern'], { ...cfg.env, TOKEN_PROFILE: 'second' }),
    ]);
    expect(names).toEqual(['brightpattern', 'second', 'second', 'brightpattern']);
  });

  it('several profiles and no default: exit 2 asking for -p or token use', async () => {
    expect((await login(cfg.env, ['-p', 'third'])).code).toBe(0);
    expect((await run(['logout', '-p', 'brightpattern'])).code).toBe(0);
    const r = await run(['show', '--raw']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'token: several profiles and no default: second, third\npass -p <profile>, or run: token use <profile>\n',
    );
    expect((await run(['use', 'third'])).code).toBe(0);
    expect((await run(['show', '--raw'])).code).toBe(0);
  });

  it('an unknown -p is exit 2 listing the profiles', async () => {
    const r = await run(['show', '-p', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('token: unknown profile "nope"\nprofiles: brightpattern, second\n');
  });

  it('list says none for a profile whose access token is gone from its file, and never reads a secret', async () => {
    const second = cfg.profile('second');
    delete second.token;
    cfg.writeProfile('second', second);
    const [list, text] = await Promise.all([run(['list', '--json']), run(['list'])]);
    expect(list).toMatchObject({ code: 0, stderr: '' });
    expect(
      JSON.parse(list.stdout).map((r: { name: string; status: string; expires_at: string | null }) => [
        r.name,
        r.status,
        typeof r.expires_at,
      ]),
    ).toEqual([
      ['brightpattern', 'valid', 'string'],
      ['second', 'none', 'object'],
    ]);
    expect(text.stdout).toMatch(/^ +second +brightpattern +none +file$/m);
    // The status is the profile file's: secrets that are gone do not change it, and list never fails over them.
    const first = cfg.profile('brightpattern');
    delete first.secrets;
    cfg.writeProfile('brightpattern', first);
    const bare = await run(['list', '--json']);
    expect(bare).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(bare.stdout).map((r: { status: string }) => r.status)).toEqual(['valid', 'none']);
  });

  it('a profile a hand edit left without its options is one clear line naming the file and the field; login --force mends it', async () => {
    const second = cfg.profile('second');
    delete second.options;
    second.token.expiresAt = Date.now() - 1000;
    cfg.writeProfile('second', second);
    const before = [cfg.text('profiles/second.json'), cfg.text('config.json')];
    const path = join(cfg.env.TOKEN_CONFIG_DIR!, 'profiles', 'second.json');
    const r = await run(['refresh', '-p', 'second']);
    expect(r).toMatchObject({
      code: 2,
      stdout: '',
      stderr: `token: ${path} is damaged: options must be an object\nfix the file by hand, or remove it and log in again\n`,
    });
    expect([cfg.text('profiles/second.json'), cfg.text('config.json')]).toEqual(before);
    // Another profile does not read that file: it still works.
    expect((await run(['show', '--raw', '-p', 'brightpattern'])).code).toBe(0);
    // list shows it as damaged and the others as they are; without --force login refuses to read it.
    const list = await run(['list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).map((row: { name: string; status: string }) => [row.name, row.status])).toEqual([
      ['brightpattern', 'valid'],
      ['second', 'damaged'],
    ]);
    expect((await login(cfg.env, ['-p', 'second'])).code).toBe(2);
    expect((await login(cfg.env, ['-p', 'second', '--force'])).code).toBe(0);
    expect((await run(['refresh', '-p', 'second'])).code).toBe(0);
    // And logout removes a damaged file.
    cfg.writeProfile('second', { version: 2, provider: 'brightpattern', store: 'file', options: null });
    expect((await run(['logout', '-p', 'second'])).code).toBe(0);
    expect(cfg.names()).toEqual(['brightpattern']);
  });

  it('an expiry past what a Date holds (a hand edit) is shown as such, not a crash', async () => {
    const first = cfg.profile('brightpattern');
    first.token.expiresAt = 1e20;
    cfg.writeProfile('brightpattern', first);
    const [list, show, json] = await Promise.all(
      [
        ['list', '--json'],
        ['show', '-p', 'brightpattern'],
        ['show', '--json'],
      ].map((args) => run(args)),
    );
    expect(list).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(list!.stdout)[0]).toMatchObject({
      profile: 'brightpattern',
      name: 'brightpattern',
      expires_at: null,
    });
    expect(show).toMatchObject({ code: 0, stderr: '' });
    expect(show!.stdout).toMatch(/^expires +out of range \(in /m);
    expect(JSON.parse(json!.stdout)).toMatchObject({ expires_at: null, expired: false });
  });

  it('names of built-in object properties are profile names like any other', async () => {
    const before = [cfg.names(), cfg.text('config.json')];
    const commands = [
      ['show', '--raw', '-p', 'toString'],
      ['use', 'valueOf'],
      ['logout', '-p', 'hasOwnProperty'],
    ];
    const results = await Promise.all(commands.map((args) => run(args)));
    for (const [i, args] of commands.entries()) {
      expect(results[i]).toMatchObject({
        code: 2,
        stdout: '',
        stderr: `token: unknown profile "${args.at(-1)}"\nprofiles: brightpattern, second\n`,
      });
    }
    expect([cfg.names(), cfg.text('config.json')]).toEqual(before);
    expect((await login(cfg.env, ['-p', 'constructor'])).code).toBe(0);
    const r = await run(['show', '--raw', '-p', 'constructor']);
    expect(r).toMatchObject({ code: 0, stdout: `${cfg.secret('constructor', 'access_token')}\n`, stderr: '' });
  });

  it.each(['me@work', 'a+b', '.hidden', 'x'.repeat(65)])(
    'a profile name version 2 does not allow (%s) is exit 2, for every command, and nothing changes',
    async (name) => {
      const before = [cfg.names(), cfg.text('config.json')];
      const commands = [
        ['login', 'bp', '-p', name, '--client-id', 'c', '--tenant', 't.example'],
        ['show', '--raw', '-p', name],
        ['use', name],
        ['logout', '-p', name],
      ];
      const results = await Promise.all(commands.map((args) => run(args)));
      for (const [i, args] of commands.entries()) {
        const r = results[i]!;
        expect([args[0], r.code, r.stdout, r.stderr]).toEqual([
          args[0],
          2,
          '',
          `token: invalid profile name ${JSON.stringify(name)}\nuse 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit\n`,
        ]);
      }
      expect([cfg.names(), cfg.text('config.json')]).toEqual(before);
    },
  );
});

describe('stdout', () => {
  it('a reader that has gone away (EPIPE) is not an error', async () => {
    expect((await login(cfg.env)).code).toBe(0);
    const child = spawn(process.execPath, [BIN, 'show', '--raw'], { env: cfg.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // like `| head -c 0`
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });
});

describe('the show --raw fast path', () => {
  it('gives what the commander path gives', async () => {
    expect((await login(cfg.env, ['-p', 'one'])).code).toBe(0);
    expect((await login(cfg.env, ['-p', 'two'])).code).toBe(0);
    // -v is not on the fast path: the same command through commander.
    const raw = [
      ['show', '--raw', '-p', 'two'],
      ['show', '-p', 'two', '--raw'],
      ['show', '--profile=two', '--raw', '--no-refresh'],
      ['-v', 'show', '--raw', '-p', 'two'],
    ];
    const commands = [
      ['show', '--json', '-p', 'two'],
      ['show', '--header', '--profile', 'two'],
      ['show', '--raw', '-p', 'three'],
      ...raw,
    ];
    const [shown, header, missing, ...results] = await Promise.all(
      commands.map((args) => runCli(args, { env: cfg.env })),
    );
    const json = JSON.parse(shown!.stdout);
    for (const r of results) expect(r).toMatchObject({ code: 0, stdout: `${json.access_token}\n`, stderr: '' });
    expect(header!.stdout).toBe(`Authorization: Bearer ${json.access_token}\n`);
    expect(missing).toMatchObject({
      code: 2,
      stdout: '',
      stderr: 'token: unknown profile "three"\nprofiles: one, two\n',
    });
  });
});
