// token logout [--all]: delete the profile's secrets and settings.
import type { Command } from 'commander';
import type { Deps } from '../deps.js';
import { optionsOf } from '../flags.js';
import { selectProfile } from '../profile.js';
import { openStorage, type Storage } from '../../store/index.js';
import { withLock } from '../../store/lock.js';

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
    // Under the refresh lock: a refresh running now must not write its tokens back after us.
    await withLock(storage.dir, `refresh-${name}`, () => logout(storage, name));
    deps.stderr.write(`Logged out of ${name}\n`);
  }
  if (names.length === 0) deps.stderr.write('no profiles to log out of\n');
}

async function logout(storage: Storage, name: string): Promise<void> {
  const profile = storage.read().profiles[name];
  if (!profile) return;
  // Secrets first: a crash after this leaves a profile that says "log in again", never an
  // orphaned secret. A keychain that cannot be reached fails the logout and changes nothing.
  await (await storage.secretsOf(profile)).remove(name);
  await storage.update((s) => {
    delete s.profiles[name];
    if (s.default === name) delete s.default;
  });
}
