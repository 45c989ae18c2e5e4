// token exec -- <command...>: run a command with TOKEN_ACCESS_TOKEN and TOKEN_AUTH_HEADER set.
import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import type { Deps } from '../deps.js';
import { optionsOf } from '../program.js';
import { selectFromView } from '../profile.js';
import { openStorage } from '../../store/index.js';
import { currentToken } from '../tokens.js';
import { providerById } from '../../providers/index.js';
import { ChildExitError, UsageError } from '../errors.js';
import { waitForChild } from '../child.js';
import { addMinTtlOption, minTtlMs, warnShortTtl } from '../min-ttl.js';

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
  if (command.length === 0) throw new UsageError('nothing to run', 'usage: token exec -- <command...>');
  const minTtl = minTtlMs(opts.minTtl, deps.env);
  const storage = openStorage(deps.env);
  const selected = selectFromView(storage.view(), opts.profile, deps.env);
  const cur = await currentToken({ deps, storage, verbose: !!opts.verbose, minTtlMs: minTtl }, selected, false);
  await warnShortTtl(deps, cur, minTtl);
  const h = providerById(cur.profile.provider).authHeader(cur.accessToken, cur.meta.tokenType, opts.bearer);
  const env = { ...deps.env, TOKEN_ACCESS_TOKEN: cur.accessToken, TOKEN_AUTH_HEADER: `${h.name}: ${h.value}` };
  const [file, ...args] = command;
  const child = spawn(file!, args, { stdio: 'inherit', env });
  return waitForChild(child, (err) => new UsageError(`cannot run ${JSON.stringify(file)}: ${err.code === 'ENOENT' ? 'command not found' : err.message}`));
}
