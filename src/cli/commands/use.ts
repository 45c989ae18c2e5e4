// token use <profile>: set the default profile.
import type { Command } from 'commander';
import type { Deps } from '../deps.js';
import { UsageError } from '../../errors.js';
import { checkProfileName } from '../../store/settings.js';

export function register(program: Command, deps: Deps): Command {
  return program
    .command('use')
    .description('set the default profile')
    .argument('<profile>', 'profile name')
    .action(async (name: string) => run(name, deps));
}

export async function run(name: string, deps: Deps): Promise<void> {
  const storage = deps.storage();
  await storage.config(); // a version 1 dir is migrated first
  checkProfileName(name);
  await storage.updateConfig((config) => {
    if (!storage.profile(name)) {
      const names = storage.names();
      throw new UsageError(
        `unknown profile ${JSON.stringify(name)}`,
        names.length ? `profiles: ${names.join(', ')}` : 'run: token login <provider>',
      );
    }
    config.default = name;
  });
  deps.stderr.write(`Default profile is now ${name}\n`);
}
