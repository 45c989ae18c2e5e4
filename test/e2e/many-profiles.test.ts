// 200 profiles in one profiles.json and credentials.json: the built CLI reads one
// profile through the index beside each file, and answers exactly as it does without one.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { runCli, tempConfig, type TempConfig } from '../helpers/cli.js';
import { loginBp } from '../helpers/logins.js';

let sb: Sandbox;
let cfg: TempConfig;
let config: string;
beforeAll(async () => (sb = await startSandbox()));
afterAll(() => sb.close());
afterEach(() => cfg.cleanup());

const token = (i: number) => `at-p${i}-${String(i).padStart(3, '0')}`;
const file = (name: string) => join(config, name);
const show = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(['show', '--raw', ...args], { env: { ...cfg.env, ...env } });

/** Every file under the config dir, for "no copy of this secret anywhere". */
function allFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? allFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

beforeEach(async () => {
  cfg = tempConfig();
  config = cfg.env.TOKEN_CONFIG_DIR!;
  expect((await loginBp(sb, cfg.env)).code).toBe(0);
  // p0..p199 as an older version (or a hand) would leave them: no index yet.
  const settings = cfg.read('profiles.json');
  const creds = cfg.read('credentials.json');
  for (let i = 0; i < 200; i++) {
    const bp = settings.profiles.brightpattern;
    settings.profiles[`p${i}`] = { ...bp, token: { ...bp.token, tokenType: `Type${i}` } };
    creds.secrets[`p${i}:access_token`] = token(i);
  }
  writeFileSync(file('profiles.json'), JSON.stringify(settings, null, 2));
  writeFileSync(file('credentials.json'), JSON.stringify(creds, null, 2));
  expect(existsSync(file('profiles.json.index'))).toBe(false);
  // The next write of each file writes its index.
  expect((await loginBp(sb, cfg.env, ['-p', 'p200'])).code).toBe(0);
  expect((await runCli(['use', 'p33'], { env: cfg.env })).code).toBe(0);
});

describe('token show --raw with 200 profiles', () => {
  it('prints each profile’s own token, by -p, TOKEN_PROFILE and the default, with and without the index', async () => {
    const real = cfg.read('credentials.json').secrets['p200:access_token'];
    const expected = [`${token(150)}\n`, `${real}\n`, `${token(7)}\n`, `${token(33)}\n`, `${token(0)}\n`];
    const ask = () => Promise.all([show(['-p', 'p150']), show(['--profile=p200']), show([], { TOKEN_PROFILE: 'p7' }), show([]), show(['-p', 'p0'], { TOKEN_PROFILE: 'p7' })]);
    for (const name of ['profiles.json.index', 'credentials.json.index']) expect(statSync(file(name)).mode & 0o777).toBe(0o600);
    const withIndex = await ask();
    for (const r of withIndex) expect(r.stderr).toBe('');
    expect(withIndex.map((r) => r.stdout)).toEqual(expected);
    rmSync(file('profiles.json.index'));
    rmSync(file('credentials.json.index'));
    expect((await ask()).map((r) => r.stdout)).toEqual(expected);
  });

  /**
   * The same edit, at the same length, to a file and to the index's copy of it: the index
   * still vouches for the text, so what the CLI answers from it shows the index was read.
   */
  function editBoth(name: string, from: string, to: string): void {
    expect(to.length).toBe(from.length);
    for (const f of [name, `${name}.index`]) {
      const before = readFileSync(file(f), 'utf8');
      expect(before).toContain(from);
      writeFileSync(file(f), before.replace(from, to));
    }
  }

  it('gives each profile its own settings, through the index', async () => {
    expect((await runCli(['show', '--header', '-p', 'p150'], { env: cfg.env })).stdout).toBe(`Authorization: Type150 ${token(150)}\n`);
    // p10 broken in the file and in the index's copy: the whole file no longer parses...
    editBoth('profiles.json', '"p10": {', '"p10": [');
    const broken = await runCli(['show', '--header', '-p', 'p10'], { env: cfg.env });
    expect(broken.stdout).toBe('');
    expect(broken.code).toBe(1);
    expect(broken.stderr.split('\n')[0]).toBe(`token: ${file('profiles.json')} is not a valid settings file`);
    // ...yet p150 and p151 are read from the index, each its own.
    expect((await runCli(['show', '--header', '-p', 'p150'], { env: cfg.env })).stdout).toBe(`Authorization: Type150 ${token(150)}\n`);
    expect((await runCli(['show', '--header', '-p', 'p151'], { env: cfg.env })).stdout).toBe(`Authorization: Type151 ${token(151)}\n`);
    rmSync(file('profiles.json.index'));
    expect((await runCli(['show', '--header', '-p', 'p150'], { env: cfg.env })).code).toBe(1);
  });

  it('answers from the index only while the file is exactly what it was made from', async () => {
    // p10's token broken in the file and in the index's copy: p150's is still read, from the index...
    editBoth('credentials.json', `"${token(10)}"`, `"${token(10)}\\`);
    expect((await show(['-p', 'p150'])).stdout).toBe(`${token(150)}\n`);
    const broken = await show(['-p', 'p10']);
    expect(broken.stdout).toBe('');
    expect(broken.code).toBe(1);
    expect(broken.stderr.split('\n')[0]).toBe(`token: ${file('credentials.json')} is not a valid credentials file`);
    editBoth('credentials.json', `"${token(10)}\\`, `"${token(10)}"`);
    // ...and a hand edit of the file alone, keeping its length, makes the index be ignored.
    const creds = readFileSync(file('credentials.json'), 'utf8');
    writeFileSync(file('credentials.json'), creds.replace(`"${token(150)}"`, `"${token(150).replace('p150', 'x150')}"`));
    const r = await show(['-p', 'p150']);
    expect(r.stdout).toBe('at-x150-150\n');
    expect(r.code).toBe(0);
    expect(existsSync(file('credentials.json.index'))).toBe(false);
  });

  it('refuses a hand-broken profiles.json as it does without an index, changing no stored file', async () => {
    const broken = readFileSync(file('profiles.json'), 'utf8').replace('"p150": {', '"p150": {,');
    writeFileSync(file('profiles.json'), broken);
    const stored = ['profiles.json', 'credentials.json', 'credentials.json.index'];
    const before = stored.map((f) => readFileSync(file(f), 'latin1'));
    const r = await show(['-p', 'p150']);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(`token: ${file('profiles.json')} is not a valid settings file`);
    expect(stored.map((f) => readFileSync(file(f), 'latin1'))).toEqual(before);
    // The index of the file as it was is of no use now, and goes.
    expect(existsSync(file('profiles.json.index'))).toBe(false);
  });

  it('an unknown profile is the same usage error with the index as without', async () => {
    const withIndex = await show(['-p', 'p999']);
    rmSync(file('profiles.json.index'));
    const without = await show(['-p', 'p999']);
    expect(withIndex.code).toBe(2);
    expect(withIndex.stdout).toBe('');
    expect(withIndex.stderr.split('\n')[0]).toBe('token: unknown profile "p999"');
    expect(without).toEqual(withIndex);
  });

  it('logout takes the profile’s secrets out of the index as well as the file', async () => {
    expect(readFileSync(file('credentials.json.index'), 'utf8')).toContain(token(150));
    const r = await runCli(['logout', '-p', 'p150'], { env: cfg.env });
    expect(r.code).toBe(0);
    for (const f of allFiles(config)) expect(readFileSync(f, 'latin1')).not.toContain(token(150));
    expect((await show(['-p', 'p150'])).code).toBe(2);
    expect((await show(['-p', 'p151'])).stdout).toBe(`${token(151)}\n`);
  });
});
