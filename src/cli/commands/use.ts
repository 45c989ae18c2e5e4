// token use <profile>: set the default profile.
import type { Command } from 'commander';
import type { Deps } from '../deps.js';
import { openStorage } from '../../store/index.js';
import { UsageError } from '../../errors.js';

export function register(program: Command, deps: Deps): Command {
  return program
    .command('use')
    .description('set the default profile')
    .argument('<profile>', 'profile name')
    .action(async (name: string) => run(name, deps));
}

export async function run(name: string, deps: Deps): Promise<void> {
  const storage = openStorage(deps.env);
  await storage.update((s) => {
    if (!s.profiles[name]) {
      const names = Object.keys(s.profiles);
      throw new UsageError(`unknown profile ${JSON.stringify(name)}`, names.length ? `profiles: ${names.join(', ')}` : 'run: token login <provider>');
    }
    s.default = name;
  });
  deps.stderr.write(`Default profile is now ${name}\n`);
}
