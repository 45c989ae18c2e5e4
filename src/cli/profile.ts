// Which profile a command acts on (SPEC "Profiles and storage"): -p, else TOKEN_PROFILE,
// else the default, else the only one. A -p naming no profile but a provider (or its
// alias) with exactly one profile selects that one.
import type { ProfileSettings } from '../store/settings.js';
import type { Storage } from '../store/index.js';
import { NotLoggedInError, UsageError } from '../errors.js';
import { PROVIDERS, PROVIDER_NAMES, providerById } from '../providers/index.js';
import { checkProfileName } from '../store/settings.js';

export interface Selected {
  name: string;
  profile: ProfileSettings;
  isDefault: boolean;
}

export async function selectProfile(
  storage: Storage,
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<Selected> {
  const config = await storage.config();
  const isDefault = (name: string) => config?.default === name;
  const asked = flag ?? (env.TOKEN_PROFILE || undefined);
  if (asked !== undefined) {
    checkProfileName(asked);
    const profile = storage.profile(asked);
    if (profile) return { name: asked, profile, isDefault: isDefault(asked) };
    const names = storage.names();
    if (names.length === 0)
      throw new NotLoggedInError(`not logged in: no profile ${JSON.stringify(asked)}`, 'run: token login <provider>');
    if ((PROVIDER_NAMES as readonly string[]).includes(asked)) {
      const id = providerById(asked).id;
      const matches = names.flatMap((name) => {
        const p = readQuietly(storage, name);
        return p?.provider === id ? [{ name, profile: p }] : [];
      });
      if (matches.length === 1) return { ...matches[0]!, isDefault: isDefault(matches[0]!.name) };
      if (matches.length > 1) {
        throw new UsageError(
          `several ${PROVIDERS[id].name} profiles: ${matches.map((m) => m.name).join(', ')}`,
          'pass -p <profile> with one of them',
        );
      }
    }
    throw new UsageError(`unknown profile ${JSON.stringify(asked)}`, `profiles: ${names.join(', ')}`);
  }
  if (config?.default) {
    const profile = storage.profile(config.default);
    if (profile) return { name: config.default, profile, isDefault: true };
  }
  const names = storage.names();
  if (names.length === 0) throw new NotLoggedInError('not logged in', 'run: token login <prism|priava|brightpattern>');
  if (names.length === 1) {
    const profile = storage.profile(names[0]!);
    if (profile) return { name: names[0]!, profile, isDefault: false };
  }
  throw new UsageError(
    `several profiles and no default: ${names.join(', ')}`,
    'pass -p <profile>, or run: token use <profile>',
  );
}

/** A profile for a provider lookup: a damaged file of another profile does not stop it. */
function readQuietly(storage: Storage, name: string): ProfileSettings | undefined {
  try {
    return storage.profile(name);
  } catch {
    return undefined;
  }
}
