// Help texts are written out at build time (static-output.ts); they must be exactly
// what commander produces from the current command tree.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { buildProgram } from '../../src/cli/program.js';
import type { Deps } from '../../src/cli/deps.js';
import { staticOutputFor } from '../../src/cli/static-output.js';
import { ROOT, runCli } from '../helpers/cli.js';

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
    const shown = await runCli(name === 'token' ? ['--help'] : [name, '--help']);
    expect(shown).toMatchObject({ code: 0, stdout: file, stderr: '' });
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
    const shown = await runCli([name, '--help']);
    expect(shown.stdout).toMatch(/^Global Options:$/m);
    expect(shown.stdout).toMatch(/^ {2}-p, --profile <name> +the profile to use/m);
    expect(shown.stdout).toMatch(/^ {2}-v, --verbose +trace HTTP exchanges/m);
  });

  it('login --help shows the --timeout default as a number', async () => {
    const shown = (await runCli(['login', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(shown).toContain('--timeout <s> seconds to wait for the browser callback (default: 300)');
  });

  it('a usage error points at the help of its own command', async () => {
    expect(await runCli(['-p', 'x', 'curl', '--nope'])).toMatchObject({
      code: 2,
      stderr: "token: unknown option '--nope'\nsee: token curl --help\n",
    });
    expect(await runCli(['nope'])).toMatchObject({
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
    expect(await runCli(['nope', '--help'])).toMatchObject({ code: 0, stdout: top, stderr: '' });
  });
});
