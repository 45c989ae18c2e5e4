// Builds the commander tree from Deps. exitOverride: commander never exits the
// process; its errors become UsageErrors that main.ts reports.
import { Command, CommanderError } from 'commander';
import type { Deps } from './deps.js';
import { UsageError } from '../errors.js';
import * as login from './commands/login.js';
import * as refresh from './commands/refresh.js';
import * as show from './commands/show.js';
import * as curl from './commands/curl.js';
import * as exec from './commands/exec.js';
import * as list from './commands/list.js';
import * as use from './commands/use.js';
import * as logout from './commands/logout.js';
import * as completion from './commands/completion.js';
import * as sandbox from './commands/sandbox.js';
import * as check from './commands/check.js';
import * as status from './commands/status.js';
import { VERSION } from '../version.js';

export function buildProgram(deps: Deps): Command {
  const program = new Command('token')
    .description('Obtain, store, refresh, inspect and use OAuth 2.0 access tokens (PRISM, Priava, Bright Pattern)')
    .version(VERSION, '--version', 'print the version')
    .option('-p, --profile <name>', 'the profile to use (env TOKEN_PROFILE)')
    .option('-v, --verbose', 'trace HTTP exchanges to stderr, secrets redacted')
    .option('--no-color', 'no colour (also NO_COLOR)')
    .helpCommand('help [command]', 'show help for a command')
    // A fixed width: the build writes help texts out once (static-output.ts). Every
    // command's help lists -p and -v too (subcommands inherit this setting).
    .configureHelp({ helpWidth: 80, showGlobalOptions: true })
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void deps.stdout.write(s),
      writeErr: (s) => void deps.stderr.write(s),
      outputError: () => undefined, // main.ts prints the one `token: ...` line
    });
  for (const command of [login, refresh, show, curl, exec, list, status, use, logout, check, completion, sandbox]) {
    const sub = command.register(program, deps);
    sub.exitOverride().configureOutput({ outputError: () => undefined });
  }
  return program;
}

export async function runProgram(argv: string[], deps: Deps): Promise<void> {
  const end = argv.indexOf('--');
  if ((end === -1 ? argv : argv.slice(0, end)).includes('--no-color')) deps.noColor = true;
  const program = buildProgram(deps);
  const upTo = end === -1 ? argv : argv.slice(0, end);
  if (upTo.includes('--version') && (upTo.includes('-v') || upTo.includes('--verbose'))) {
    await (await import('./version.js')).printVersionReport(VERSION, deps);
    return;
  }
  if (argv.length === 0) {
    program.outputHelp();
    return;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
      return;
    // Commander puts its "(Did you mean ...?)" on a line of its own: it joins the hint.
    const [message = '', ...more] = err.message.replace(/^error: /, '').split('\n');
    const suggestion = /^\(Did you mean (.+)\?\)$/.exec(more.join(' ').trim())?.[1];
    const help = `see: token ${commandOf(program, argv)}--help`;
    // `token curl URL -sS`: curl's own options are welcome, after -- (they would shadow ours otherwise).
    if (err.code === 'commander.unknownOption' && !suggestion && argv.find((a) => !a.startsWith('-')) === 'curl') {
      throw new UsageError(message, "curl's own options go after --, e.g. token curl URL -- -sS --fail");
    }
    throw new UsageError(message, suggestion ? `did you mean ${suggestion}? ${help}` : help);
  }
}

/** "show " when argv runs `token show ...` (skipping -p's value), else "": hints name the command's own help. */
export function commandOf(program: Command, argv: string[]): string {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a === '-p' || a === '--profile') i++;
    else if (!a.startsWith('-')) {
      const sub = program.commands.find((c) => c.name() === a || c.aliases().includes(a));
      return sub && sub.name() !== 'help' ? `${sub.name()} ` : '';
    }
  }
  return '';
}
