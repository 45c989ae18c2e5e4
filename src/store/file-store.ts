// credentials.json: the fallback secret store, 0600 in the 0700 config dir.
import { join } from 'node:path';
import { TokenError } from '../errors.js';
import { openIndex, readIfExists, UNREADABLE, writeIndexed } from './json-index.js';
import { withLock } from './lock.js';
import { CREDENTIALS_FILE } from './paths.js';
import { account, SECRET_KINDS, type SecretChanges, type Secrets, type SecretStore } from './secrets.js';

interface CredentialsFile {
  version: 1;
  secrets: Record<string, string>;
}

function loadCredentials(path: string, text = readIfExists(path)): CredentialsFile {
  if (text === undefined) return { version: 1, secrets: {} };
  try {
    const parsed = JSON.parse(text) as CredentialsFile;
    if (parsed && typeof parsed.secrets === 'object' && parsed.secrets) return parsed;
  } catch {
    // reported below
  }
  throw new TokenError('internal', `${path} is not a valid credentials file`, 'fix or remove it, then log in again');
}

/** The accounts (`<profile>:<kind>`) credentials.json holds, from one read of it: for `list`. */
export function fileAccounts(dir: string): Set<string> {
  return new Set(Object.keys(loadCredentials(join(dir, CREDENTIALS_FILE)).secrets));
}

export function createFileStore(dir: string): SecretStore {
  const path = join(dir, CREDENTIALS_FILE);
  const load = (text?: string) => loadCredentials(path, text);

  /** Read-modify-write under a lock: two profiles refreshing at once must not undo each other. */
  const update = (change: (file: CredentialsFile) => void) =>
    withLock(dir, 'credentials', async () => {
      const file = load();
      change(file);
      // Its index (when large) holds copies of the secrets too: written and removed with it.
      writeIndexed<CredentialsFile>(path, JSON.stringify(file, null, 2) + '\n', () => ({ head: null, member: 'secrets' }));
    });

  return {
    kind: 'file',
    location: path,
    async read(profile, kinds = SECRET_KINDS) {
      const text = readIfExists(path);
      const index = openIndex(path, text);
      const keys = kinds.map((kind) => account(profile, kind));
      let values = index && keys.map((key) => index.get(key) as string | undefined | typeof UNREADABLE);
      if (!values || values.includes(UNREADABLE)) {
        const { secrets } = load(text);
        values = keys.map((key) => secrets[key]);
      }
      const out: Secrets = {};
      kinds.forEach((kind, i) => {
        const value = values[i];
        if (value !== undefined && value !== UNREADABLE) out[kind] = value;
      });
      return out;
    },
    // One atomic rewrite: all of a profile's secrets change together or not at all.
    write: (profile, changes: SecretChanges) =>
      update((file) => {
        for (const kind of SECRET_KINDS) {
          const value = changes[kind];
          if (value === undefined) continue;
          if (value === null) delete file.secrets[account(profile, kind)];
          else file.secrets[account(profile, kind)] = value;
        }
      }),
    remove: (profile) =>
      update((file) => {
        for (const kind of SECRET_KINDS) delete file.secrets[account(profile, kind)];
      }),
  };
}
