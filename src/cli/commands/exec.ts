// token exec -- <command...>: run a command with TOKEN_ACCESS_TOKEN and TOKEN_AUTH_HEADER set.
import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Deps } from '../deps.js';
import { optionsOf } from '../flags.js';
import { selectFromView } from '../profile.js';
import { openStorage } from '../../store/index.js';
import { currentToken } from '../tokens.js';
import { providerById } from '../../providers/index.js';
import { ChildExitError, UsageError } from '../../errors.js';

export interface ExecOptions {
  profile?: string;
  bearer?: boolean;
  verbose?: boolean;
}

export function register(program: Command, deps: Deps): Command {
  return program
    .command('exec')
    .description('run a command with TOKEN_ACCESS_TOKEN and TOKEN_AUTH_HEADER in its environment')
    .argument('<command...>', 'the command and its arguments, after --')
    .option('--bearer', 'TOKEN_AUTH_HEADER as Authorization: Bearer even for PRISM')
    .action(async (command: string[], _opts, cmd: Command) => {
      const code = await run(command, optionsOf<ExecOptions>(cmd), deps);
      if (code !== 0) throw new ChildExitError(code);
    });
}

export async function run(command: string[], opts: ExecOptions, deps: Deps): Promise<number> {
  if (command.length === 0) throw new UsageError('nothing to run', 'usage: token exec -- <command...>');
  const storage = openStorage(deps.env);
  const selected = selectFromView(storage.view(), opts.profile, deps.env);
  const cur = await currentToken({ deps, storage, verbose: !!opts.verbose }, selected, false);
  const h = providerById(cur.profile.provider).authHeader(cur.accessToken, cur.meta.tokenType, opts.bearer);
  const env = { ...deps.env, TOKEN_ACCESS_TOKEN: cur.accessToken, TOKEN_AUTH_HEADER: `${h.name}: ${h.value}` };
  const [file, ...args] = command;
  const child = spawn(file!, args, { stdio: 'inherit', env });
  // The child gets Ctrl-C from the terminal itself; we only wait for it and pass its
  // exit code through, so main's "cancelled" handler is set aside meanwhile. A SIGTERM
  // sent to token alone is passed on to the child.
  const ignore = () => undefined;
  const forward = () => void child.kill('SIGTERM');
  const onInterrupt = process.rawListeners('SIGINT') as (() => void)[];
  process.removeAllListeners('SIGINT');
  process.on('SIGINT', ignore);
  process.on('SIGTERM', forward);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', (err: NodeJS.ErrnoException) =>
        reject(new UsageError(`cannot run ${JSON.stringify(file)}: ${err.code === 'ENOENT' ? 'command not found' : err.message}`)),
      );
      child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)));
    });
  } finally {
    process.off('SIGINT', ignore);
    process.off('SIGTERM', forward);
    for (const listener of onInterrupt) process.on('SIGINT', listener);
  }
}
