// Ctrl-C (SIGINT) has one owner, main: wherever it lands — a login waiting for the
// browser, a refresh waiting on a hanging token endpoint with its lock held — the built
// CLI says `token: cancelled` (or the JSON error with --json), exits 130 and leaves no
// temp file or lock behind.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CLIENTS } from '../../src/sandbox/index.js';
import { BIN, type RunResult } from '../helpers/cli.js';
import { useSandboxConfig } from '../helpers/sandbox-config.js';
import { loginPrism } from '../helpers/logins.js';
import { profileNames, storedToken } from '../helpers/stored.js';

const { sb, cfg } = useSandboxConfig();

/** Runs the CLI, sends SIGINT to it (only it) once `ready()` holds, and collects the outcome. */
function interruptWhen(args: string[], ready: (stderr: string) => boolean): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // A browser that opens nothing: a login waits for a callback that never comes.
    const env = { ...cfg.env, BROWSER: 'true', TOKEN_CLIENT_SECRET: CLIENTS.prism.clientSecret };
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    const poll = setInterval(() => {
      if (!sent && ready(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    }, 20);
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearInterval(poll);
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end();
  });
}

/** Every file under the config dir other than the profile data itself: temp files, locks. */
function leftovers(): string[] {
  const root = join(cfg.dir, 'config');
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? [join(dir, e.name) + '/', ...walk(join(dir, e.name))] : [join(dir, e.name)],
    );
  return walk(root)
    .map((p) => relative(root, p))
    .filter((p) => /\.tmp$|\.lock\/?$|\.lock\//.test(p));
}

const waiting = (stderr: string) => stderr.includes('Waiting for the redirect');
const prismLogin = ['login', 'prism', '--client-id', CLIENTS.prism.clientId, '--timeout', '60'];

describe('Ctrl-C', () => {
  it('during a non-TTY login wait: token: cancelled, exit 130, nothing stored', async () => {
    const r = await interruptWhen([...prismLogin, '--service-url', sb.prismServiceUrl], waiting);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(130);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/\ntoken: cancelled\n$/);
    expect(await profileNames(cfg.env)).toEqual([]);
  });

  it('during a login wait with --json: the JSON error on stdout, exit 130', async () => {
    const r = await interruptWhen([...prismLogin, '--service-url', sb.prismServiceUrl, '--json'], waiting);
    expect(r.code).toBe(130);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'cancelled', message: 'cancelled' } });
    expect(r.stderr).not.toContain('token: cancelled');
  });

  it.each([[[]], [['--json']]])(
    'during a refresh against a hanging token endpoint %j: cancelled, exit 130, no temp file or lock left',
    async (extra) => {
      const login = await loginPrism(sb, cfg.env, ['--timeout', '20']);
      expect(login.code).toBe(0);
      const before = await storedToken(cfg.env, 'prism');
      sb.failNext('prism-token', { hang: true });
      const hanging = () => sb.requests.filter((q) => q.endpoint === 'prism-token').length === 2;
      const r = await interruptWhen(['refresh', '-p', 'prism', ...extra], hanging);
      expect(r.signal).toBeNull();
      expect(r.code).toBe(130);
      if (extra.length) {
        expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'cancelled', message: 'cancelled' } });
        expect(r.stderr).toBe('');
      } else {
        expect(r.stdout).toBe('');
        expect(r.stderr).toBe('token: cancelled\n');
      }
      expect(leftovers()).toEqual([]);
      expect(await storedToken(cfg.env, 'prism')).toEqual(before);
    },
  );

  it('is how `token sandbox` stops: exit 0, no "cancelled"', async () => {
    const r = await interruptWhen(['sandbox'], (stderr) => stderr.includes('listening on'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\n$/);
    expect(r.stderr).toMatch(/token sandbox stopped\n$/);
    expect(r.stderr).not.toContain('cancelled');
  });
});
