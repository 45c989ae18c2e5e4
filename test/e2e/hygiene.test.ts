// Secret hygiene that users see: file modes under any umask, curl --hide-token
// as a real pipeline, secrets never in error messages. The umask and the pipeline run the
// built CLI; the rest is logic, run in-process (fake Deps over the same config dir).
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLIENTS } from '../../src/sandbox/index.js';
import { BIN } from '../helpers/cli.js';
import { useSandboxConfig } from '../helpers/sandbox-config.js';
import { loginBpInProcess, loginPrismInProcess } from '../helpers/logins.js';
import { runFresh } from '../helpers/fake-deps.js';
import { missingParts } from '../helpers/real.js';

const { sb, cfg } = useSandboxConfig();

/** Runs a shell line with `token` on PATH, without blocking the in-process sandbox. */
function sh(line: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const binDir = join(cfg.dir, 'bin');
  mkdirSync(binDir, { recursive: true });
  writeFileSync(join(binDir, 'token'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', line], { env: { ...env, PATH: `${binDir}:${env.PATH}` } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('files', () => {
  it('are 0600 in a 0700 dir even with umask 000', async () => {
    const r = await sh(
      `umask 000; TOKEN_CLIENT_SECRET=${CLIENTS.brightpattern.clientSecret} token login bp --client-id ${CLIENTS.brightpattern.clientId} --tenant ${CLIENTS.brightpattern.tenant} --url ${sb.bpUrl}`,
      cfg.env,
    );
    expect(r.code).toBe(0);
    expect((await sh('umask 000; token refresh', cfg.env)).code).toBe(0);
    const dir = cfg.env.TOKEN_CONFIG_DIR!;
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    // Every file and dir under it, profiles/ and locks/ included.
    const all = (readdirSync(dir, { recursive: true }) as string[]).sort();
    expect(all).toEqual(expect.arrayContaining(['config.json', 'profiles', join('profiles', 'brightpattern.json')]));
    for (const f of all) {
      const mode = statSync(join(dir, f)).mode & 0o777;
      expect([f, mode]).toEqual([f, statSync(join(dir, f)).isDirectory() ? 0o700 : 0o600]);
    }
  });

  it('temp files a killed process left behind (secrets and all) are removed by the next write', async () => {
    expect((await loginBpInProcess(sb, cfg.env)).code).toBe(0);
    const dir = join(cfg.env.TOKEN_CONFIG_DIR!, 'profiles');
    const dead = spawnSync('true').pid; // a pid that has exited
    // Every writer of a profile file holds its lock: a temp file of it found under that lock
    // is a killed writer's, whatever its pid (a live one's included: the refresh below runs
    // in this process, so vitest's main process stands for another live one).
    const orphans = [`.brightpattern.json.${dead}.1.tmp`, `.brightpattern.json.${process.ppid}.1.tmp`];
    for (const f of orphans) writeFileSync(join(dir, f), '{"secrets":{"clientSecret":"leaked"}}', { mode: 0o600 });
    // Another profile's: removed too, under that profile's lock, taken because nobody holds it.
    writeFileSync(join(dir, `.other.json.${dead}.1.tmp`), '{"secrets":{"clientSecret":"leaked"}}', { mode: 0o600 });
    expect((await runFresh(['refresh'], cfg.env)).code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['brightpattern.json']);
  });
});

describe('token curl --hide-token', () => {
  it.skipIf(!!missingParts(['curl'], 'the --hide-token pipeline'))(
    'prints a pipeline that runs, authenticates, and keeps the token out of argv',
    async () => {
      expect((await loginPrismInProcess(sb, cfg.env)).code).toBe(0);
      const token = cfg.secret('prism', 'access_token');
      expect(token).toBeTruthy();
      const line = (await runFresh(['curl', '--hide-token', '-H', 'Accept: application/json'], cfg.env)).stdout.trim();
      expect(line).toBe(
        `token show --header -p prism | curl -H @- -H 'Accept: application/json' ${sb.url}/prism/v1/service/user`,
      );
      expect(line).not.toContain(token);
      sb.requests.length = 0;
      const r = await sh(`${line} --silent --show-error --fail`, cfg.env);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).data.user.userId).toBe('admin');
      expect(sb.requests).toHaveLength(1);
      expect(sb.requests[0]!.headers['x-prism-access-token']).toBe(token);
    },
  );
});

describe('error messages', () => {
  it('carry the provider’s words but never the client secret that was sent', async () => {
    sb.failNext('bp-token', {
      status: 400,
      body: JSON.stringify({ error: 'invalid_request', error_description: 'bad request' }),
    });
    const r = await runFresh(
      ['login', 'bp', '--client-id', 'x', '--tenant', CLIENTS.brightpattern.tenant, '--url', sb.bpUrl],
      { ...cfg.env, TOKEN_CLIENT_SECRET: 'super-secret-value' },
    );
    expect(r.code).toBe(3);
    expect(r.stderr + r.stdout).not.toContain('super-secret-value');
  });
});
