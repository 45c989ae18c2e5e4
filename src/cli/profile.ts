// Which profile a command acts on: -p, else TOKEN_PROFILE, else the default, else the only one.
import type { ProfileSettings, Settings } from '../store/settings.js';
import { NotLoggedInError, UsageError } from './errors.js';

export interface Selected {
  name: string;
  profile: ProfileSettings;
}

export function selectProfile(settings: Settings, flag: string | undefined, env: NodeJS.ProcessEnv): Selected {
  const names = Object.keys(settings.profiles);
  const asked = flag ?? (env.TOKEN_PROFILE || undefined);
  if (asked !== undefined) {
    const profile = settings.profiles[asked];
    if (!profile) {
      if (names.length === 0) throw new NotLoggedInError(`not logged in: no profile ${JSON.stringify(asked)}`, 'run: token login <provider>');
      throw new UsageError(`unknown profile ${JSON.stringify(asked)}`, `profiles: ${names.join(', ')}`);
    }
    return { name: asked, profile };
  }
  if (names.length === 0) throw new NotLoggedInError('not logged in', 'run: token login <prism|priava|brightpattern>');
  if (settings.default && settings.profiles[settings.default]) {
    return { name: settings.default, profile: settings.profiles[settings.default]! };
  }
  if (names.length === 1) return { name: names[0]!, profile: settings.profiles[names[0]!]! };
  throw new UsageError(`several profiles and no default: ${names.join(', ')}`, 'pass -p <profile>, or run: token use <profile>');
}
