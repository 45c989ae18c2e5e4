// token logout [--all]: delete the profile's secrets and settings.
import type { Command } from 'commander';
import type { Deps } from '../deps.js';
import { optionsOf } from '../program.js';
import { selectProfile } from '../profile.js';
import { openStorage, type Storage } from '../../store/index.js';

export interface LogoutOptions {
  profile?: string;
  all?: boolean;
}

export function register(program: Command, deps: Deps): Command {
  return program
    .command('logout')
    .description("delete a profile's secrets and settings")
    .option('--all', 'every profile')
    .action(async (_opts, cmd: Command) => run(optionsOf<LogoutOptions>(cmd), deps));
}

export async function run(opts: LogoutOptions, deps: Deps): Promise<void> {
  const storage = openStorage(deps.env);
  await storage.config(); // a version 1 dir is migrated first
  const names = opts.all ? storage.names() : [(await selectProfile(storage, opts.profile, deps.env)).name];
  for (const name of names) {
    // Under the profile's lock: a refresh running now must not write its tokens back after us.
    await storage.withProfileLock(name, () => logout(storage, name));
    deps.stderr.write(`Logged out of ${name}\n`);
  }
  if (names.length === 0) deps.stderr.write('no profiles to log out of\n');
}

async function logout(storage: Storage, name: string): Promise<void> {
  const profile = storage.profile(name);
  if (!profile) return;
  await storage.remove(name, profile);
  await storage.updateConfig((c) => {
    if (c.default === name) delete c.default;
  });
}
