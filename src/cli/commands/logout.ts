// token logout [--all]: delete the profile's secrets and settings.
import type { Command } from 'commander';
import type { Deps } from '../deps.js';
import { optionsOf } from '../program.js';
import { selectProfile } from '../profile.js';
import { openStorage } from '../../store/index.js';

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
  const settings = storage.read();
  const names = opts.all ? Object.keys(settings.profiles) : [selectProfile(settings, opts.profile, deps.env).name];
  for (const name of names) {
    const profile = settings.profiles[name]!;
    // Secrets first: a crash after this leaves a profile that says "log in again", never an orphaned secret.
    await (await storage.secretsOf(profile)).remove(name);
    await storage.update((s) => {
      delete s.profiles[name];
      if (s.default === name) delete s.default;
    });
    deps.stderr.write(`Logged out of ${name}\n`);
  }
  if (names.length === 0) deps.stderr.write('no profiles to log out of\n');
}
