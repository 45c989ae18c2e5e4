// token exec -- <command...>: run a command with TOKEN_ACCESS_TOKEN and TOKEN_AUTH_HEADER set.
import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Deps } from '../deps.js';
import { optionsOf } from '../flags.js';
import { selectProfile } from '../profile.js';
import { currentToken } from '../tokens.js';
import { authHeader } from '../../providers/auth-header.js';
import { ChildExitError, TokenError, UsageError } from '../../errors.js';
import { addMinTtlOption, minTtlMs } from '../min-ttl.js';
import { warnShortTtl } from '../short-ttl.js';
import { checkStoredToken } from '../stored-token.js';

export interface ExecOptions {
  profile?: string;
  bearer?: boolean;
  verbose?: boolean;
  minTtl?: string;
}

export function register(program: Command, deps: Deps): Command {
  const cmd = program
    .command('exec')
    .description('run a command with TOKEN_ACCESS_TOKEN and TOKEN_AUTH_HEADER in its environment')
    .argument('<command...>', 'the command and its arguments, after --')
    .option('--bearer', 'TOKEN_AUTH_HEADER as Authorization: Bearer even for PRISM');
  return addMinTtlOption(cmd).action(async (command: string[], _opts, cmd: Command) => {
    const code = await run(command, optionsOf<ExecOptions>(cmd), deps);
    if (code !== 0) throw new ChildExitError(code);
  });
}

export async function run(command: string[], opts: ExecOptions, deps: Deps): Promise<number> {
  if (command.length === 0 || command[0] === '')
    throw new UsageError(
      command.length ? 'the command is empty' : 'nothing to run',
      'usage: token exec -- <command...>',
    );
  const minTtl = minTtlMs(opts.minTtl, deps.env);
  const storage = deps.storage();
  const selected = await selectProfile(storage, opts.profile, deps.env);
  const cur = await currentToken({ deps, storage, verbose: !!opts.verbose, minTtlMs: minTtl }, selected, false);
  await warnShortTtl(deps, cur, minTtl);
  checkStoredToken(cur);
  const h = authHeader(cur.profile.provider, cur.accessToken, cur.meta.tokenType, opts.bearer);
  const env = { ...deps.env, TOKEN_ACCESS_TOKEN: cur.accessToken, TOKEN_AUTH_HEADER: `${h.name}: ${h.value}` };
  const [file, ...args] = command;
  const child = spawn(file!, args, { stdio: 'inherit', env });
  // The child gets Ctrl-C from the terminal itself; we only wait for it and pass its
  // exit code through, so main does not cancel meanwhile. A SIGTERM sent to token alone
  // is passed on to the child.
  const release = deps.onInterrupt(() => 'handled');
  const forward = () => void child.kill('SIGTERM');
  process.on('SIGTERM', forward);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', (err: NodeJS.ErrnoException) => reject(spawnError(file!, err)));
      child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)));
    });
  } finally {
    process.off('SIGTERM', forward);
    release();
  }
}

/** As shells do: 127 for a command that is not found, 126 for one that cannot be run. */
function spawnError(file: string, err: NodeJS.ErrnoException): TokenError {
  if (err.code === 'ENOENT')
    return new TokenError('command_not_found', `cannot run ${JSON.stringify(file)}: command not found`);
  if (err.code === 'EACCES')
    return new TokenError('command_not_executable', `cannot run ${JSON.stringify(file)}: permission denied`);
  return new TokenError('command_not_executable', `cannot run ${JSON.stringify(file)}: ${err.message}`);
}
