// The profile `login` logs in to again: read by the flags half (to reuse its settings)
// and by login() (to ask before overwriting it).
import type { Storage } from '../store/index.js';
import type { ProfileSettings } from '../store/settings.js';
import { UsageError } from '../errors.js';

/** The profile to log in to again; with --force a damaged file is replaced rather than read. */
export function readExisting(storage: Storage, name: string, force: boolean): ProfileSettings | undefined {
  try {
    return storage.profile(name);
  } catch (err) {
    if (force && err instanceof UsageError) return undefined;
    throw err;
  }
}
