// token completion <bash|zsh|fish>; and the hidden `token __complete profiles` the scripts call.
import type { Command } from 'commander';
import type { Deps } from '../deps.js';
import { UsageError } from '../../errors.js';
import { completeProfiles, isCompletable } from '../complete-profiles.js';

export function register(program: Command, deps: Deps): Command {
  program
    .command('__complete', { hidden: true })
    .argument('<what>')
    .action(async (what: string) => {
      if (!isCompletable(what)) throw new UsageError(`cannot complete ${JSON.stringify(what)}`);
      await completeProfiles(what, deps);
    });
  // `completion <shell>` normally prints the prebuilt file (static-output.ts); this one
  // always generates, for scripts/completions.mjs and the drift test.
  program
    .command('__generate-completion', { hidden: true })
    .argument('<shell>')
    .action(async (shell: string) => generate(program, shell, deps));
  return program
    .command('completion')
    .description('print the shell completion script')
    .argument('<shell>', 'bash | zsh | fish')
    .action(async (shell: string) => generate(program, shell, deps));
}

async function generate(program: Command, shell: string, deps: Deps): Promise<void> {
  const { SHELLS } = await import('../../completion/scripts.js');
  const { completionModel } = await import('../../completion/model.js');
  const script = SHELLS[shell as keyof typeof SHELLS];
  if (!script) throw new UsageError(`unknown shell ${JSON.stringify(shell)}`, 'shells: bash, zsh, fish');
  deps.stdout.write(script(completionModel(program)));
}
