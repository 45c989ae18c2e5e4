// token logout [--all]: delete the profile's secrets and settings.
import type { Command } from 'commander';
import { canPrompt, type Deps } from '../deps.js';
import { CancelledError } from '../errors.js';
import { optionsOf } from '../program.js';
import { selectProfile } from '../profile.js';
import { openStorage, type Storage } from '../../store/index.js';
import { withLock } from '../../store/lock.js';

export interface LogoutOptions {
  profile?: string;
  all?: boolean;
  yes?: boolean;
}

export function register(program: Command, deps: Deps): Command {
  return program
    .command('logout')
    .description("delete a profile's secrets and settings")
    .option('--all', 'every profile')
    .option('-y, --yes', 'do not ask first (without a terminal nothing is asked)')
    .action(async (_opts, cmd: Command) => run(optionsOf<LogoutOptions>(cmd), deps));
}

export async function run(opts: LogoutOptions, deps: Deps): Promise<void> {
  const storage = openStorage(deps.env);
  const settings = storage.read();
  const names = opts.all ? Object.keys(settings.profiles) : [selectProfile(settings, opts.profile, deps.env).name];
  // On a terminal, ask first (as gh auth logout does); scripts and --yes are not asked.
  if (names.length > 0 && !opts.yes && canPrompt(deps)) {
    const which = names.length === 1 ? `profile ${names[0]} (${settings.profiles[names[0]!]!.provider})` : `${names.length} profiles (${names.join(', ')})`;
    const yes = await (await deps.prompter()).confirm(`Log out of ${which}? Its secrets and settings are deleted.`, false);
    if (!yes) throw new CancelledError();
  }
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
