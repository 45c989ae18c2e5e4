// Help texts are written out at build time (static-output.ts); they must be exactly
// what commander produces from the current command tree. In-process (runFresh: main's
// dispatch, whose printStatic finds no prebuilt file beside the sources and so hands the
// line to commander), but one test that runs the built CLI, which serves the files.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { buildProgram } from '../../src/cli/program.js';
import type { Deps } from '../../src/cli/deps.js';
import { staticOutputFor } from '../../src/cli/static-output.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { runFresh } from '../helpers/fake-deps.js';

let written = '';
function program() {
  const out = new PassThrough();
  out.on('data', (d) => (written += d));
  const deps = {
    env: {},
    stdout: { write: (s: string) => (written += s) },
    stderr: out,
    stdinIsTTY: false,
    stderrIsTTY: false,
    now: Date.now,
  } as unknown as Deps;
  return buildProgram(deps);
}

/** What commander prints for --help, including text added after it (examples). */
function helpOf(cmd: ReturnType<typeof program>): string {
  written = '';
  cmd.outputHelp();
  return written;
}

describe('prebuilt help', () => {
  const p = program();
  const commands = p.commands
    .filter((c) => !(c as unknown as { _hidden: boolean })._hidden)
    .map((c) => c.name())
    .filter((n) => n !== 'help');

  it.each(['token', ...commands])('dist/help/%s.txt is commander’s help', async (name) => {
    const cmd = name === 'token' ? p : p.commands.find((c) => c.name() === name)!;
    const file = readFileSync(join(ROOT, 'dist', 'help', `${name}.txt`), 'utf8');
    expect(file).toBe(helpOf(cmd));
    const argv = name === 'token' ? ['--help'] : [name, '--help'];
    // In-process no prebuilt file is found (none beside the sources): commander makes this output.
    expect(existsSync(staticOutputFor(argv)!)).toBe(false);
    const shown = await runFresh(argv, {});
    expect(shown).toMatchObject({ code: 0, stdout: file, stderr: '' });
  });

  it('the built CLI serves the prebuilt help, and a usage error is its exit 2', async () => {
    const read = (name: string) => readFileSync(join(ROOT, 'dist', 'help', `${name}.txt`), 'utf8');
    expect(await runCli(['--help'])).toMatchObject({ code: 0, stdout: read('token'), stderr: '' });
    expect(await runCli(['show', '--help'])).toMatchObject({ code: 0, stdout: read('show'), stderr: '' });
    expect(await runCli(['nope'])).toMatchObject({
      code: 2,
      stdout: '',
      stderr: "token: unknown command 'nope'\nsee: token --help\n",
    });
  });

  it.each([
    [['--help'], 'help/token.txt'],
    [[], 'help/token.txt'],
    [['help', 'show'], 'help/show.txt'],
    [['show', '-h'], 'help/show.txt'],
    [['completion', 'zsh'], 'completions/_token'],
    [['completion', 'tcsh'], undefined],
    [['show', '--raw', '--help'], undefined],
  ])('%j is served from %s', (argv, file) => {
    const path = staticOutputFor(argv);
    if (file === undefined) expect(path).toBeUndefined();
    else expect(path!.endsWith(`/${file}`)).toBe(true);
  });

  it.each(commands)('token %s --help lists -p/--profile and -v/--verbose too', async (name) => {
    const shown = await runFresh([name, '--help'], {});
    expect(shown.stdout).toMatch(/^Global Options:$/m);
    expect(shown.stdout).toMatch(/^ {2}-p, --profile <name> +the profile to use/m);
    expect(shown.stdout).toMatch(/^ {2}-v, --verbose +trace HTTP exchanges/m);
  });

  it('login --help shows the --timeout default as a number', async () => {
    const shown = (await runFresh(['login', '--help'], {})).stdout.replace(/\s+/g, ' ');
    expect(shown).toContain('--timeout <s> seconds to wait for the browser callback (default: 300)');
  });

  it('a usage error points at the help of its own command', async () => {
    expect(await runFresh(['-p', 'x', 'curl', '--nope'], {})).toMatchObject({
      code: 2,
      stderr: "token: unknown option '--nope'\nsee: token curl --help\n",
    });
    expect(await runFresh(['nope'], {})).toMatchObject({
      code: 2,
      stderr: "token: unknown command 'nope'\nsee: token --help\n",
    });
  });

  it('login --help offers --pkce and --no-state and says what going without state risks', () => {
    const help = helpOf(p.commands.find((c) => c.name() === 'login')!);
    expect(help).toMatch(/--pkce +prism, priava: PKCE \(RFC 7636, S256\)/);
    expect(help).toMatch(/--no-state +prism, priava: no state on the authorize URL/);
    expect(help.replace(/\s+/g, ' ')).toContain(
      'any web page or local process that gets there first can log you in to an account of its choosing (login CSRF)',
    );
  });

  it('an unknown command with --help still goes to commander, which shows the top help', async () => {
    const top = readFileSync(join(ROOT, 'dist', 'help', 'token.txt'), 'utf8');
    expect(await runFresh(['nope', '--help'], {})).toMatchObject({ code: 0, stdout: top, stderr: '' });
  });
});
