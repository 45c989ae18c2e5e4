// Which profile a command acts on: -p, else TOKEN_PROFILE, else the default, else the only one.
import { defaultProfileName, type ProfileSettings, type Settings, type SettingsView } from '../store/settings.js';
import { NotLoggedInError, UsageError } from '../errors.js';
import { UNREADABLE } from '../store/json-index.js';

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
  const name = defaultProfileName(settings);
  if (name !== undefined) return { name, profile: settings.profiles[name]! };
  throw new UsageError(`several profiles and no default: ${names.join(', ')}`, 'pass -p <profile>, or run: token use <profile>');
}

/**
 * selectProfile for commands scripts run in loops (`show --raw`, `curl`, `exec`): one line of
 * profiles.json's index when it has a current one. Anything the index cannot answer — no
 * index, an unknown name, no default — goes to selectProfile on the whole file, errors included.
 */
export function selectFromView(view: SettingsView, flag: string | undefined, env: NodeJS.ProcessEnv): Selected {
  const name = flag ?? (env.TOKEN_PROFILE || undefined) ?? view.index?.head;
  const profile = view.index && typeof name === 'string' ? view.index.get(name) : undefined;
  if (profile && profile !== UNREADABLE) return { name: name as string, profile: profile as ProfileSettings };
  return selectProfile(view.parse(), flag, env);
}
