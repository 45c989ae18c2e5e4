// Many profiles, one file each (SPEC "Profiles and storage (version 2)"): reading one
// profile never reads the others, so 200 profiles answer as one does; and which profile
// -p, TOKEN_PROFILE, the default or a provider's name selects. In-process (runFresh, as
// main() runs it); one `show --raw` among 200 profiles with the built CLI.
import { beforeEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { runFresh } from '../helpers/fake-deps.js';
import { useSandboxConfig } from '../helpers/sandbox-config.js';
import { loginBpInProcess as loginBp, loginPrismInProcess as loginPrism } from '../helpers/logins.js';

const { sb, cfg } = useSandboxConfig();

const token = (i: number) => `at-p${i}-${String(i).padStart(3, '0')}`;
const show = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  runFresh(['show', '--raw', ...args], { ...cfg.env, ...env });

describe('200 profiles', () => {
  beforeEach(async () => {
    expect((await loginBp(sb, cfg.env)).code).toBe(0);
    const bp = cfg.profile('brightpattern');
    for (let i = 0; i < 200; i++)
      cfg.writeProfile(`p${i}`, { ...bp, token: { ...bp.token, accessToken: token(i), tokenType: `Type${i}` } });
    expect((await runFresh(['use', 'p33'], cfg.env)).code).toBe(0);
  });

  it('show --raw prints each profile’s own token, by -p, --profile=, TOKEN_PROFILE and the default', async () => {
    const rs = await Promise.all([
      // The built CLI once: its `show --raw` fast path reads the one profile asked for.
      runCli(['show', '--raw', '-p', 'p150'], { env: cfg.env }),
      show(['--profile=p199']),
      show([], { TOKEN_PROFILE: 'p7' }),
      show([]),
      show(['-p', 'p0'], { TOKEN_PROFILE: 'p7' }),
    ]);
    for (const r of rs) expect([r.code, r.stderr]).toEqual([0, '']);
    expect(rs.map((r) => r.stdout)).toEqual(
      [token(150), token(199), token(7), token(33), token(0)].map((t) => `${t}\n`),
    );
  });

  it('reads only the profile asked for: a damaged file of another profile changes nothing', async () => {
    writeFileSync(join(cfg.env.TOKEN_CONFIG_DIR!, 'profiles', 'p5.json'), '{ not json');
    const [other, byDefault, r] = await Promise.all([show(['-p', 'p150']), show([]), show(['-p', 'p5'])]);
    expect(other).toMatchObject({ code: 0, stdout: `${token(150)}\n`, stderr: '' });
    expect(byDefault).toMatchObject({ code: 0, stdout: `${token(33)}\n` });
    // The damaged one itself is one clear line naming its file, exit 2, nothing on stdout.
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toMatch(/^token: .*profiles\/p5\.json is damaged: it is not valid JSON\n/);
  });

  it('list shows every profile and the default', async () => {
    const r = await runFresh(['list', '--json'], cfg.env);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { name: string; default: boolean }[];
    expect(rows).toHaveLength(201);
    expect(rows.filter((row) => row.default).map((row) => row.name)).toEqual(['p33']);
  });
});

describe('-p naming a provider', () => {
  it('selects the only profile of that provider (its alias too), and lists them when there are several', async () => {
    expect((await loginBp(sb, cfg.env, ['-p', 'work'])).code).toBe(0);
    expect((await loginPrism(sb, cfg.env, ['-p', 'live'])).code).toBe(0);
    const work = cfg.profile('work').token.accessToken;
    const [bp, brightpattern, prism] = await Promise.all([
      show(['-p', 'bp']),
      show(['-p', 'brightpattern']),
      show([], { TOKEN_PROFILE: 'prism' }),
    ]);
    for (const r of [bp, brightpattern]) expect(r).toMatchObject({ code: 0, stdout: `${work}\n`, stderr: '' });
    expect(prism).toMatchObject({ code: 0, stdout: `${cfg.profile('live').token.accessToken}\n` });

    expect((await loginBp(sb, cfg.env, ['-p', 'other'])).code).toBe(0);
    const r = await show(['-p', 'bp']);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toBe('token: several Bright Pattern profiles: other, work\npass -p <profile> with one of them\n');
    // A profile of that very name wins over the provider lookup.
    expect((await loginBp(sb, cfg.env, ['-p', 'bp'])).code).toBe(0);
    expect(await show(['-p', 'bp'])).toMatchObject({ code: 0, stdout: `${cfg.profile('bp').token.accessToken}\n` });
  });

  it('a name no profile may have is exit 2 before anything is read', async () => {
    expect((await loginBp(sb, cfg.env)).code).toBe(0);
    const names = ['../x', 'a b', '.hidden', 'x'.repeat(65)];
    const results = await Promise.all(names.map((name) => show(['-p', name])));
    for (const [i, name] of names.entries()) {
      const r = results[i]!;
      expect([r.code, r.stdout], name).toEqual([2, '']);
      expect(r.stderr, name).toMatch(/^token: invalid profile name /);
    }
  });
});
