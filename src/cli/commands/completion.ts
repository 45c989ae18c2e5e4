// token completion <bash|zsh|fish>; and the hidden `token __complete profiles` the scripts call.
import type { Command } from 'commander';
import type { Deps } from '../deps.js';
import { UsageError } from '../../errors.js';

export function register(program: Command, deps: Deps): Command {
  program
    .command('__complete', { hidden: true })
    .argument('<what>')
    .action(async (what: string) => {
      if (what !== 'profiles' && what !== 'profiles-with-provider')
        throw new UsageError(`cannot complete ${JSON.stringify(what)}`);
      const storage = deps.storage();
      await storage.config();
      const provider = (name: string) => {
        try {
          return storage.profile(name)?.provider ?? '';
        } catch {
          return 'damaged';
        }
      };
      // fish shows what follows a tab beside the name: the provider (only its own file is read).
      const line = (name: string) => (what === 'profiles' ? name : `${name}	${provider(name)}`);
      deps.stdout.write(
        storage
          .names()
          .map(
            (n) => `${line(n)}
`,
          )
          .join(''),
      );
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
