// `token __complete profiles` and `profiles-with-provider`: what the completion scripts
// run at each Tab. main's dispatch runs it without commander (a Tab should not wait for
// the command tree); the hidden commander command runs the same function.
import type { Deps } from './deps.js';

export type Completable = 'profiles' | 'profiles-with-provider';

export function isCompletable(what: string | undefined): what is Completable {
  return what === 'profiles' || what === 'profiles-with-provider';
}

/** One profile name a line; with the provider, fish shows what follows a tab beside the name. */
export async function completeProfiles(what: Completable, deps: Deps): Promise<void> {
  const storage = deps.storage();
  await storage.config();
  const provider = (name: string) => {
    try {
      return storage.profile(name)?.provider ?? '';
    } catch {
      return 'damaged';
    }
  };
  // Only each profile's own file is read, and only for the provider.
  const line = (name: string) => (what === 'profiles' ? name : `${name}\t${provider(name)}`);
  deps.stdout.write(
    storage
      .names()
      .map((n) => `${line(n)}\n`)
      .join(''),
  );
}
