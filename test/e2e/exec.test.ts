// token exec -- <command...>: the built CLI runs a real child with TOKEN_ACCESS_TOKEN and
// TOKEN_AUTH_HEADER in its environment, renews an expiring token first, and passes the
// child's exit code through. The child (node -e) reports what it was given. What is about
// the process (argv and /proc, exit statuses, signals, Ctrl-C) runs the built CLI; which
// token and header a child gets, and spawn failures, run in-process (fake Deps), the child
// still a real process that reports to a file.
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { BIN, runCli, tempConfig, type RunResult, type TempConfig } from '../helpers/cli.js';
import { loginBpInProcess as loginBp, loginPrismInProcess as loginPrism } from '../helpers/logins.js';
import { runFresh } from '../helpers/fake-deps.js';

/**
 * Prints what the child got: the two variables, its argv, and /proc's view of its own and its
 * parent's command line; to the file in TOKEN_TEST_REPORT when that is set (in-process, the
 * child's stdout is the test runner's).
 */
const REPORT = `
const fs = require('node:fs');
const cmdline = (pid) => { try { return fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8').split('\\0'); } catch { return null; } };
const report = JSON.stringify({
  token: process.env.TOKEN_ACCESS_TOKEN, header: process.env.TOKEN_AUTH_HEADER,
  argv: process.argv, execArgv: process.execArgv, self: cmdline('self'), parent: cmdline(process.ppid),
});
if (process.env.TOKEN_TEST_REPORT) fs.writeFileSync(process.env.TOKEN_TEST_REPORT, report);
else process.stdout.write(report);`;

interface Report {
  token: string;
  header: string;
  argv: string[];
  execArgv: string[];
  self: string[] | null;
  parent: string[] | null;
}

async function execReport(
  env: NodeJS.ProcessEnv,
  flags: string[] = [],
  extraArgs: string[] = [],
): Promise<{ r: RunResult; got: Report }> {
  const r = await runCli(['exec', ...flags, '--', process.execPath, '-e', REPORT, '--', ...extraArgs], { env });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return { r, got: JSON.parse(r.stdout) as Report };
}

/** execReport in-process (runFresh): token prints nothing, and the child's report comes from a file. */
let reports = 0;
async function execReportInProcess(env: NodeJS.ProcessEnv, flags: string[] = []): Promise<Report> {
  const file = join(cfg.dir, `report-${++reports}.json`);
  const r = await runFresh(['exec', ...flags, '--', process.execPath, '-e', REPORT], {
    ...env,
    TOKEN_TEST_REPORT: file,
  });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toBe('');
  return JSON.parse(readFileSync(file, 'utf8')) as Report;
}

let cfg: TempConfig;

describe('with a valid token', () => {
  // Logged in once: exec with a fresh token changes nothing stored.
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox();
    cfg = tempConfig();
    expect((await loginPrism(sb, cfg.env)).code).toBe(0);
    expect((await loginBp(sb, cfg.env, ['-p', 'work'])).code).toBe(0);
  });
  afterAll(async () => {
    await sb.close();
    cfg.cleanup();
  });
  beforeEach(() => void (sb.requests.length = 0));
  const raw = async (profile: string) => (await runFresh(['show', '--raw', '-p', profile], cfg.env)).stdout.trim();

  it('gives a PRISM child the token and the x-prism-access-token header, sending nothing', async () => {
    const got = await execReportInProcess(cfg.env, ['-p', 'prism']);
    expect(got.token).toBe(await raw('prism'));
    expect(got.header).toBe(`x-prism-access-token: ${got.token}`);
    expect(sb.requests).toHaveLength(0);
  });

  it('gives a Bright Pattern child Authorization: Bearer', async () => {
    const got = await execReportInProcess(cfg.env, ['-p', 'work']);
    expect(got.token).toBe(await raw('work'));
    expect(got.header).toBe(`Authorization: Bearer ${got.token}`);
  });

  it('--bearer makes the PRISM header Authorization: Bearer', async () => {
    const got = await execReportInProcess(cfg.env, ['-p', 'prism', '--bearer']);
    expect(got.header).toBe(`Authorization: Bearer ${got.token}`);
  });

  it('passes the arguments after -- through untouched, and never puts the token on a command line', async () => {
    const { got } = await execReport({ ...cfg.env, TOKEN_PROFILE: 'prism' }, [], ['--json', '-p', 'work', 'x y']);
    expect(got.token).toMatch(/^at-prism-/);
    expect(got.argv.slice(1)).toEqual(['--json', '-p', 'work', 'x y']);
    const lines = [got.argv, got.execArgv, got.self ?? [], got.parent ?? []].flat().join('\n');
    expect(lines).not.toContain(got.token);
    if (existsSync('/proc/self/cmdline')) {
      expect(got.self).toContain(REPORT); // /proc really was read: the child's own command line
      expect(got.parent).toEqual(expect.arrayContaining([BIN, 'exec', '--', process.execPath])); // token's, spawned without a shell
    }
  });

  it.each([
    ['exit 7', 7],
    ['exit 0', 0],
    ['exit 255', 255],
    ['kill -TERM $$', 128 + 15],
  ])('passes the child’s exit status through: sh -c %j → %i, printing nothing', async (script, code) => {
    const r = await runCli(['exec', '--', 'sh', '-c', script], { env: cfg.env });
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
  });

  it('Ctrl-C reaches the child from the terminal, and token waits for it and passes its status through', async () => {
    const child = `process.on('SIGINT', () => setTimeout(() => { console.log('child cleaned up'); process.exit(3); }, 300)); console.log('ready'); setInterval(() => {}, 1000);`;
    // A new process group, signalled as a whole: what a terminal does on Ctrl-C.
    const r = await runUntilReady(['exec', '--', process.execPath, '-e', child], cfg.env, (pid) =>
      process.kill(-pid, 'SIGINT'),
    );
    expect(r.stdout).toBe('ready\nchild cleaned up\n');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(3);
  });

  it('a SIGTERM sent to token alone is passed on to the child', async () => {
    const child = `process.on('SIGTERM', () => { console.log('child got SIGTERM'); process.exit(4); }); console.log('ready'); setInterval(() => {}, 1000);`;
    const r = await runUntilReady(['exec', '--', process.execPath, '-e', child], cfg.env, (pid) =>
      process.kill(pid, 'SIGTERM'),
    );
    expect(r.stdout).toBe('ready\nchild got SIGTERM\n');
    expect(r.code).toBe(4);
  });

  it('a command that does not exist is one clean error line, exit 127 as shells say', async () => {
    const r = await runFresh(['exec', '--', 'token-test-no-such-command'], cfg.env);
    expect(r.code).toBe(127);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('token: cannot run "token-test-no-such-command": command not found\n');
  });

  it('a file that cannot be run is exit 126 as shells say', async () => {
    const r = await runFresh(['exec', '--', cfg.dir], cfg.env);
    expect(r.code).toBe(126);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`token: cannot run ${JSON.stringify(cfg.dir)}: permission denied\n`);
  });

  it('an empty command is a usage error, exit 2', async () => {
    const r = await runFresh(['exec', '--', '', 'arg'], cfg.env);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('token: the command is empty\nusage: token exec -- <command...>\n');
  });

  it.each([[['exec']], [['exec', '--']], [['exec', '-p', 'work', '--']]])(
    'no command at all (%j) is a usage error, exit 2',
    async (args) => {
      const r = await runFresh(args, cfg.env);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^token: missing required argument 'command'\n/);
    },
  );
});

describe('with an expired token', () => {
  let sb: Sandbox;
  // Tokens live 1 s: aged past that, every exec must renew first.
  beforeAll(async () => (sb = await startSandbox({ config: { accessTokenTtl: 1 } })));
  afterAll(() => sb.close());
  beforeEach(() => {
    cfg = tempConfig();
    return () => cfg.cleanup();
  });

  it.each([
    ['prism', loginPrism, 'prism-token', 'refresh_token'],
    ['brightpattern', loginBp, 'bp-token', 'client_credentials'],
  ] as const)(
    '%s: renews before running, and the child gets the new token',
    async (profile, login, endpoint, grant) => {
      expect((await login(sb, cfg.env)).code).toBe(0);
      const before = cfg.secret(profile, 'access_token');
      cfg.age(profile, 1100);
      sb.requests.length = 0;

      const got = await execReportInProcess(cfg.env);

      const renewals = sb.requests.filter((q) => q.endpoint === endpoint);
      expect(renewals).toHaveLength(1);
      expect(renewals[0]!.query.grant_type ?? renewals[0]!.form?.grant_type).toBe(grant);
      expect(got.token).not.toBe(before);
      expect(got.token).toBe(cfg.secret(profile, 'access_token')); // stored before the child ran
    },
  );

  it('a refused renewal is exit 3 with the provider’s words, and the command never runs', async () => {
    expect((await loginPrism(sb, cfg.env)).code).toBe(0);
    cfg.age('prism', 1100);
    sb.failNext('prism-token', {
      status: 400,
      body: '{"error":"invalid_grant","error_description":"refresh token revoked"}',
    });
    const marker = join(cfg.dir, 'ran');
    const r = await runFresh(['exec', '--', 'sh', '-c', `touch '${marker}'`], cfg.env);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^token: .*refresh token revoked/);
    expect(existsSync(marker)).toBe(false);
  });
});

it('not logged in is exit 5, and the command never runs', async () => {
  cfg = tempConfig();
  onTestFinished(() => cfg.cleanup());
  const marker = join(cfg.dir, 'ran');
  const r = await runFresh(['exec', '--', 'sh', '-c', `touch '${marker}'`], cfg.env);
  expect(r.code).toBe(5);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^token: not logged in\n/);
  expect(existsSync(marker)).toBe(false);
});

/** Runs the CLI in its own process group; once the child prints "ready", signal(pid) is called. */
function runUntilReady(args: string[], env: NodeJS.ProcessEnv, signal: (pid: number) => void): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stdout.on('data', (d) => {
      stdout += d;
      if (!signalled && stdout.includes('ready\n')) {
        signalled = true;
        signal(child.pid!);
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 10_000);
    child.on('error', reject);
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      resolve({ code, signal: sig, stdout, stderr });
    });
  });
}
