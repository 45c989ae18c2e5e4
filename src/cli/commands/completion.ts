// token completion <bash|zsh|fish>; and the hidden `token __complete profiles` the scripts call.
import type { Command } from 'commander';
import type { Deps } from '../deps.js';
import { UsageError } from '../errors.js';
import { openStorage } from '../../store/index.js';

export function register(program: Command, deps: Deps): Command {
  program
    .command('__complete', { hidden: true })
    .argument('<what>')
    .action(async (what: string) => {
      if (what !== 'profiles') throw new UsageError(`cannot complete ${JSON.stringify(what)}`);
      const names = Object.keys(openStorage(deps.env).read().profiles);
      deps.stdout.write(names.map((n) => `${n}\n`).join(''));
    });
  return program
    .command('completion')
    .description('print the shell completion script')
    .argument('<shell>', 'bash | zsh | fish')
    .action(async (shell: string) => {
      const { SHELLS } = await import('../../completion/scripts.js');
      const { completionModel } = await import('../../completion/model.js');
      const generate = SHELLS[shell as keyof typeof SHELLS];
      if (!generate) throw new UsageError(`unknown shell ${JSON.stringify(shell)}`, 'shells: bash, zsh, fish');
      deps.stdout.write(generate(completionModel(program)));
    });
}
