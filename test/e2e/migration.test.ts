// Storage version 1 → 2 (SPEC "Migration"): a config dir as version 1 wrote it is
// migrated once, by the first command that finds it, under lock; nothing is lost, a name
// version 2 does not allow is exit 2 with the fix, and a migration killed at any moment
// is finished by the next command.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLIENTS } from '../../src/sandbox/index.js';
import { BIN, runCli } from '../helpers/cli.js';
import { useSandboxConfig } from '../helpers/sandbox-config.js';
import { writeV1 } from '../helpers/v1.js';

const { sb, cfg } = useSandboxConfig();

const configDir = () => cfg.env.TOKEN_CONFIG_DIR!;

describe('a version 1 config dir (file store)', () => {
  it('is migrated by the first command: every profile, secret and the default kept; the old files removed; refresh works', async () => {
    const v1 = writeV1(configDir(), sb);
    const list = await runCli(['list', '--json'], { env: cfg.env });
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject([
      { name: 'prism', provider: 'prism', status: 'valid', default: true, store: 'file' },
      { name: 'work.bp', provider: 'brightpattern', status: 'valid', default: false, store: 'file' },
    ]);
    expect(existsSync(join(configDir(), 'profiles.json'))).toBe(false);
    expect(existsSync(join(configDir(), 'credentials.json'))).toBe(false);
    expect(cfg.config()).toEqual({ version: 2, storeId: expect.stringMatching(/^[0-9a-f]{32}$/), default: 'prism' });
    expect(cfg.profile('prism')).toMatchObject({
      version: 2,
      store: 'file',
      hasRefreshToken: true,
      token: { accessToken: v1.prism.access },
      secrets: {
        origin: sb.url,
        clientId: CLIENTS.prism.clientId,
        clientSecret: CLIENTS.prism.clientSecret,
        refreshToken: v1.prism.refresh,
      },
    });
    expect(cfg.profile('work.bp')).toMatchObject({
      token: { accessToken: v1.bp.access },
      secrets: { clientSecret: CLIENTS.brightpattern.clientSecret },
    });
    for (const f of readdirSync(join(configDir(), 'profiles')))
      expect(readFileSync(join(configDir(), 'profiles', f)).length).toBeGreaterThan(0);

    expect(await runCli(['show', '--raw'], { env: cfg.env })).toMatchObject({
      code: 0,
      stdout: `${v1.prism.access}\n`,
      stderr: '',
    });
    const refresh = await runCli(['refresh', '-p', 'prism'], { env: cfg.env });
    expect(refresh.code, refresh.stderr).toBe(0);
    expect(sb.requests.map((q) => [q.endpoint, q.query.refresh_token])).toEqual([['prism-token', v1.prism.refresh]]);
    expect((await runCli(['refresh', '-p', 'work.bp'], { env: cfg.env })).code).toBe(0);
  });

  it('migrates on `show --raw` too (the hot path), once', async () => {
    const v1 = writeV1(configDir(), sb);
    const results = await Promise.all(Array.from({ length: 5 }, () => runCli(['show', '--raw'], { env: cfg.env })));
    for (const r of results) expect(r).toMatchObject({ code: 0, stdout: `${v1.prism.access}\n`, stderr: '' });
    expect(cfg.names()).toEqual(['prism', 'work.bp']);
    expect(existsSync(join(configDir(), 'profiles.json'))).toBe(false);
  });

  it('a profile name version 2 does not allow is exit 2 naming it and the fix, and nothing changes', async () => {
    writeV1(configDir(), sb, { prism: 'me@work', bp: 'bp' });
    const files = () =>
      readdirSync(configDir(), { withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => [e.name, readFileSync(join(configDir(), e.name), 'utf8')]);
    const before = files();
    const r = await runCli(['list'], { env: cfg.env });
    expect([r.code, r.stdout]).toEqual([2, '']);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^token: cannot migrate .*profiles\.json to storage version 2: profile name "me@work" not allowed/,
    );
    expect(lines[1]).toMatch(/^rename it under "profiles" in .*profiles\.json/);
    expect(files()).toEqual(before);
    expect(existsSync(join(configDir(), 'profiles'))).toBe(false);
  });

  it('a migration killed at any moment is finished by the next command, with nothing lost', async () => {
    for (let i = 0; i < 12; i++) {
      const dir = join(cfg.dir, `run-${i}`);
      const env = { ...cfg.env, TOKEN_CONFIG_DIR: dir };
      const v1 = writeV1(dir, sb);
      const child = spawn(process.execPath, [BIN, 'list'], { env, stdio: 'ignore' });
      setTimeout(() => child.kill('SIGKILL'), 40 + Math.random() * 120);
      await new Promise((resolve) => child.on('close', resolve));
      const r = await runCli(['refresh', '-p', 'prism'], { env });
      expect([r.code, r.stderr], `run ${i}`).toEqual([0, expect.stringMatching(/^Refreshed profile prism/)]);
      expect(existsSync(join(dir, 'profiles.json')), `run ${i}`).toBe(false);
      expect((await runCli(['show', '--raw', '-p', 'work.bp'], { env })).stdout, `run ${i}`).toBe(`${v1.bp.access}\n`);
    }
  });
});
