// token logout [--all]: delete the profile's secrets and settings.
import type { Command } from 'commander';
import { canPrompt, type Deps } from '../deps.js';
import { optionsOf } from '../flags.js';
import { selectProfile } from '../profile.js';
import type { ProfileSettings, Storage } from '../../store/index.js';
import { CancelledError, UsageError } from '../../errors.js';

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
  const storage = deps.storage();
  await storage.config(); // a version 1 dir is migrated first
  const asked = opts.profile ?? (deps.env.TOKEN_PROFILE || undefined);
  // A profile named exactly is logged out without reading it: a damaged file can go too.
  const named = asked !== undefined && storage.names().includes(asked) ? asked : undefined;
  const names = opts.all ? storage.names() : [named ?? (await selectProfile(storage, opts.profile, deps.env)).name];
  // On a terminal, ask first (as gh auth logout does); scripts and --yes are not asked.
  if (names.length > 0 && !opts.yes && canPrompt(deps)) {
    const provider = (name: string) => {
      try {
        return storage.profile(name)?.provider ?? 'unknown';
      } catch {
        return 'damaged';
      }
    };
    const which =
      names.length === 1
        ? `profile ${names[0]} (${provider(names[0]!)})`
        : `${names.length} profiles (${names.join(', ')})`;
    const yes = await (
      await deps.prompter()
    ).confirm(`Log out of ${which}? Its secrets and settings are deleted.`, false);
    if (!yes) throw new CancelledError();
  }
  for (const name of names) {
    // Under the profile's lock: a refresh running now must not write its tokens back after us.
    await storage.withProfileLock(name, () => logout(storage, name));
    deps.stderr.write(`Logged out of ${name}\n`);
  }
  if (names.length === 0) deps.stderr.write('no profiles to log out of\n');
}

async function logout(storage: Storage, name: string): Promise<void> {
  let profile: ProfileSettings | undefined;
  try {
    profile = storage.profile(name);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    // A damaged file: logout removes it, with a keychain entry it may have had.
    await storage.removeDamaged(name);
  }
  if (profile) await storage.remove(name, profile);
  await storage.updateConfig((c) => {
    if (c.default === name) delete c.default;
  });
}
