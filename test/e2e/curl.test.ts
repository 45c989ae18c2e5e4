// token curl: curl's own arguments after --, a path joined to the profile's API base, and
// --run, which runs curl with the auth header on its stdin. A shim `curl` first in PATH
// records what curl would be given (argv, stdin, its parent's argv); a real curl runs
// against the sandbox and is caught mid-request to read its command line from /proc.
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { BIN, runCli, tempConfig, type TempConfig } from '../helpers/cli.js';
import { loginBpInProcess as loginBp, loginPrismInProcess as loginPrism } from '../helpers/logins.js';
import { runFresh } from '../helpers/fake-deps.js';
import { missingParts } from '../helpers/real.js';

let sb: Sandbox;
let cfg: TempConfig;
let bp: string; // the Bright Pattern access token
let prism: string;
beforeAll(async () => {
  sb = await startSandbox();
  cfg = tempConfig();
  expect((await loginBp(sb, cfg.env)).code).toBe(0);
  expect((await loginPrism(sb, cfg.env)).code).toBe(0);
  bp = cfg.secret('brightpattern', 'access_token')!;
  prism = cfg.secret('prism', 'access_token')!;
});
afterAll(async () => {
  await sb.close();
  cfg.cleanup();
});
beforeEach(() => void (sb.requests.length = 0));

describe('printing the curl line', () => {
  it('puts everything after -- at the end, quoted, as given (-s is no longer refused)', async () => {
    const r = await runFresh(
      [
        'curl',
        '-p',
        'brightpattern',
        `${sb.bpUrl}/configapi/v2/phone/user`,
        '--',
        '-sS',
        '--fail',
        '-i',
        '-H',
        "X-Note: it's me",
        '-o',
        'out file.json',
      ],
      cfg.env,
    );
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(
      `curl -H 'Authorization: Bearer ${bp}' ${sb.bpUrl}/configapi/v2/phone/user -sS --fail -i -H 'X-Note: it'\\''s me' -o 'out file.json'\n`,
    );
  });

  it('a path alone joins the profile’s API base; -- with no URL keeps the provider default', async () => {
    const path = await runFresh(['curl', '-p', 'brightpattern', '/configapi/v2/phone/user?x=1'], cfg.env);
    expect(path.stdout).toBe(`curl -H 'Authorization: Bearer ${bp}' '${sb.bpUrl}/configapi/v2/phone/user?x=1'\n`);
    const prismPath = await runFresh(['curl', '-p', 'prism', '/prism/v1/service/user', '--', '-i'], cfg.env);
    expect(prismPath.stdout).toBe(`curl -H 'x-prism-access-token: ${prism}' ${sb.url}/prism/v1/service/user -i\n`);
    const none = await runFresh(['curl', '-p', 'prism', '--', '-sS'], cfg.env);
    expect(none.stdout).toBe(`curl -H 'x-prism-access-token: ${prism}' ${sb.url}/prism/v1/service/user -sS\n`);
  });

  it('curl’s options without -- are refused as before, and a second URL before -- points at --', async () => {
    const r = await runFresh(['curl', '-p', 'prism', `${sb.url}/x`, '-sS'], cfg.env);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      "token: unknown option '-sS'\ncurl's own options go after --, e.g. token curl URL -- -sS --fail\n",
    );
    const two = await runFresh(['curl', '-p', 'prism', `${sb.url}/x`, 'extra'], cfg.env);
    expect(two.code).toBe(2);
    expect(two.stderr).toBe(
      "token: one URL only, got 2\ncurl's own arguments go after --, e.g. token curl URL -- -sS --fail\n",
    );
  });

  it.skipIf(!!missingParts(['curl'], 'running the printed line'))('the printed line runs as is', async () => {
    const line = (
      await runFresh(['curl', '-p', 'brightpattern', '/configapi/v2/phone/user', '--', '-sS', '--fail'], cfg.env)
    ).stdout;
    // Asynchronously: the sandbox answering curl lives in this process.
    const { stdout } = await promisify(execFile)('sh', ['-c', line], { encoding: 'utf8', timeout: 20_000 });
    expect(JSON.parse(stdout)).toEqual([{ loginId: 'demo.user', phone: '+1 555 0100' }]);
  });
});

/** A `curl` that records its argv, its stdin and its parent's command line, then exits with $SHIM_EXIT. */
function shim(): { env: NodeJS.ProcessEnv; argv(): string[]; stdin(): string; parent(): string[] } {
  const bin = join(cfg.dir, `shim-${Math.random().toString(36).slice(2)}`);
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'curl'),
    `#!/bin/sh
for a in "$@"; do printf '%s\\0' "$a"; done > "${bin}/argv"
cat > "${bin}/stdin"
cat /proc/$PPID/cmdline > "${bin}/parent" 2>/dev/null
[ -n "$SHIM_SIGNAL" ] && kill -"$SHIM_SIGNAL" $$
exit \${SHIM_EXIT:-0}
`,
  );
  chmodSync(join(bin, 'curl'), 0o755);
  const nul = (file: string) => readFileSync(join(bin, file), 'utf8').split('\0').slice(0, -1);
  return {
    env: { ...cfg.env, PATH: `${bin}:${process.env.PATH}` },
    argv: () => nul('argv'),
    stdin: () => readFileSync(join(bin, 'stdin'), 'utf8'),
    parent: () => (existsSync(join(bin, 'parent')) ? nul('parent') : []),
  };
}

describe('token curl --run', () => {
  it('gives curl an argument array with -H @- and the header line on stdin, never the token on any argv', async () => {
    const s = shim();
    const r = await runCli(
      [
        'curl',
        '--run',
        '-p',
        'brightpattern',
        '-X',
        'GET',
        '/configapi/v2/phone/user',
        '--',
        '-sS',
        '--fail',
        "it's one arg",
      ],
      { env: s.env },
    );
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(s.argv()).toEqual([
      '-H',
      '@-',
      '-X',
      'GET',
      `${sb.bpUrl}/configapi/v2/phone/user`,
      '-sS',
      '--fail',
      "it's one arg",
    ]);
    expect(s.stdin()).toBe(`Authorization: Bearer ${bp}\n`);
    expect(s.argv().join(' ')).not.toContain(bp);
    if (existsSync('/proc/self/cmdline')) {
      expect(s.parent()).toEqual([
        process.execPath,
        BIN,
        'curl',
        '--run',
        '-p',
        'brightpattern',
        '-X',
        'GET',
        '/configapi/v2/phone/user',
        '--',
        '-sS',
        '--fail',
        "it's one arg",
      ]);
    }
  });

  it('PRISM: the x-prism-access-token header, or Authorization: Bearer with --bearer', async () => {
    const s = shim();
    expect((await runCli(['curl', '--run', '-p', 'prism'], { env: s.env })).code).toBe(0);
    expect(s.stdin()).toBe(`x-prism-access-token: ${prism}\n`);
    expect(s.argv()).toEqual(['-H', '@-', `${sb.url}/prism/v1/service/user`]);
    expect((await runCli(['curl', '--run', '--bearer', '-p', 'prism'], { env: s.env })).code).toBe(0);
    expect(s.stdin()).toBe(`Authorization: Bearer ${prism}\n`);
  });

  it.each([
    [{ SHIM_EXIT: '7' }, 7],
    [{ SHIM_EXIT: '22' }, 22],
    [{ SHIM_SIGNAL: 'TERM' }, 128 + 15],
    [{ SHIM_SIGNAL: 'KILL' }, 128 + 9],
  ])('exits with curl’s status: %j → %i, adding nothing', async (extra, code) => {
    const s = shim();
    const r = await runCli(['curl', '--run', '-p', 'prism'], { env: { ...s.env, ...extra } });
    expect(r).toMatchObject({ code, stdout: '', stderr: '' });
  });

  it('without curl on PATH: exit 2 saying so, and nothing is sent', async () => {
    const empty = join(cfg.dir, 'empty-bin');
    mkdirSync(empty, { recursive: true });
    const r = await runFresh(['curl', '--run', '-p', 'prism'], { ...cfg.env, PATH: empty });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('token: curl is not on PATH\ninstall curl, or leave out --run to print the command\n');
    expect(sb.requests).toHaveLength(0);
  });

  it('without curl on PATH, an expired token is not renewed first: curl is looked for before anything is sent', async () => {
    const other = tempConfig();
    onTestFinished(() => other.cleanup());
    sb.state.config.accessTokenTtl = 1;
    onTestFinished(() => void (sb.state.config.accessTokenTtl = 3600));
    expect((await loginBp(sb, other.env)).code).toBe(0);
    other.age('brightpattern', 1100);
    sb.requests.length = 0;
    const empty = join(other.dir, 'empty-bin');
    mkdirSync(empty);
    const r = await runFresh(['curl', '--run'], { ...other.env, PATH: empty });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^token: curl is not on PATH\n/);
    expect(sb.requests).toHaveLength(0);
  });

  it.each([
    [['-d', '@-'], /cannot read data from it too/],
    [['--', '--data-binary', '@-'], /cannot read data from it too/],
    [['--', '-T', '-'], /cannot read data from it too/],
    [['--hide-token'], /--run and --hide-token conflict/],
  ])('%j with --run is exit 2 (stdin carries the header)', async (args, message) => {
    const s = shim();
    const flags = args[0] === '--' ? [] : args;
    const after = args[0] === '--' ? args : [];
    const r = await runFresh(
      ['curl', '--run', '-p', 'prism', ...flags, `${sb.url}/prism/v1/service/user`, ...after],
      s.env,
    );
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(existsSync(join(s.env.PATH!.split(':')[0]!, 'argv'))).toBe(false);
  });

  describe.skipIf(!!missingParts(['curl'], 'running the real curl'))('with the real curl', () => {
    it('authenticates against the sandbox and passes the response through', async () => {
      const r = await runCli(
        ['curl', '--run', '-p', 'brightpattern', '/configapi/v2/phone/user', '--', '-sS', '--fail'],
        { env: cfg.env },
      );
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(r.stdout)).toEqual([{ loginId: 'demo.user', phone: '+1 555 0100' }]);
      expect(sb.requests).toHaveLength(1);
      expect(sb.requests[0]!.headers.authorization).toBe(`Bearer ${bp}`);
    });

    it('exits with curl’s own code: --fail on a 401 is 22', async () => {
      sb.failNext('bp-api', { status: 401, body: '{"error":"invalid_token"}' });
      const r = await runCli(
        ['curl', '--run', '-p', 'brightpattern', '/configapi/v2/phone/user', '--', '-sS', '--fail'],
        { env: cfg.env },
      );
      expect(r.code).toBe(22);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^curl: \(22\) .*401/);
    });

    it.skipIf(!existsSync('/proc/self/cmdline'))(
      'the token is on no command line while curl runs; a SIGTERM to curl is 143',
      async () => {
        sb.failNext('bp-api', { hang: true });
        const token = spawn(
          process.execPath,
          [BIN, 'curl', '--run', '-p', 'brightpattern', '/configapi/v2/phone/user', '--', '-sS'],
          { env: cfg.env, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        onTestFinished(() => void token.kill('SIGKILL'));
        const exited = new Promise<number | null>((resolve) => token.on('close', (code) => resolve(code)));
        let curlPid: number | undefined;
        for (let i = 0; i < 200 && !curlPid; i++) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          // curl has the request out once the sandbox has recorded it.
          if (!sb.requests.some((q) => q.endpoint === 'bp-api')) continue;
          curlPid = childrenOf(token.pid!).find((pid) => readCmdline(pid)[0] === 'curl');
        }
        expect(curlPid).toBeDefined();
        const argv = readCmdline(curlPid!);
        expect(argv).toEqual(['curl', '-H', '@-', `${sb.bpUrl}/configapi/v2/phone/user`, '-sS']);
        expect(readCmdline(token.pid!).join(' ')).not.toContain(bp);
        expect(sb.requests.find((q) => q.endpoint === 'bp-api')!.headers.authorization).toBe(`Bearer ${bp}`);
        process.kill(curlPid!, 'SIGTERM');
        expect(await exited).toBe(143);
      },
    );
  });
});

function readCmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
  } catch {
    return [];
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}
