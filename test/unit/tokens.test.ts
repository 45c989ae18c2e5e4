// currentToken reads only the secrets it needs: with the keychain each one is a call
// to the keyring, and `show --raw` of a fresh token needs its access token alone.
import { describe, expect, it } from 'vitest';
import { currentToken } from '../../src/cli/tokens.js';
import type { Deps } from '../../src/cli/deps.js';
import type { Storage } from '../../src/store/index.js';
import type { SecretKind, Secrets, SecretStore } from '../../src/store/secrets.js';
import type { ProfileSettings } from '../../src/store/settings.js';

const NOW = 1_800_000_000_000;
const profile = (expiresAt: number): ProfileSettings => ({
  provider: 'brightpattern',
  clientId: 'c',
  store: 'file',
  options: { tenant: 't.example', url: 'https://t.example' },
  token: { tokenType: 'Bearer', expiresAt, obtainedAt: expiresAt - 3_600_000 },
});

/** A store that answers from `secrets` and records which kinds each read asked for. */
function recordingStorage(secrets: Secrets) {
  const reads: (readonly SecretKind[] | undefined)[] = [];
  const store: SecretStore = {
    kind: 'file',
    location: 'memory',
    async read(_name, kinds) {
      reads.push(kinds);
      return Object.fromEntries(Object.entries(secrets).filter(([k]) => !kinds || kinds.includes(k as SecretKind)));
    },
    write: async () => undefined,
    remove: async () => undefined,
  };
  const storage = { dir: '/nonexistent', secretsOf: async () => store } as unknown as Storage;
  return { storage, reads };
}

const deps = { env: {}, now: () => NOW } as unknown as Deps;
const all: Secrets = { access_token: 'at', refresh_token: 'rt', client_secret: 'cs' };

describe('currentToken', () => {
  it('reads only the access token of a fresh token', async () => {
    const { storage, reads } = recordingStorage(all);
    const cur = await currentToken({ deps, storage, verbose: false }, { name: 'p', profile: profile(NOW + 600_000) }, false);
    expect(reads).toEqual([['access_token']]);
    expect(cur).toMatchObject({ accessToken: 'at', refreshed: false, hasRefreshToken: undefined });
  });

  it('also reads the refresh token when asked whether there is one (show)', async () => {
    const { storage, reads } = recordingStorage({ access_token: 'at', client_secret: 'cs' });
    const cur = await currentToken({ deps, storage, verbose: false }, { name: 'p', profile: profile(NOW + 600_000) }, false, true);
    expect(reads).toEqual([['access_token', 'refresh_token']]);
    expect(cur.hasRefreshToken).toBe(false);
  });

  it('with --no-refresh gives out an expiring token from its access token alone', async () => {
    const { storage, reads } = recordingStorage(all);
    const cur = await currentToken({ deps, storage, verbose: false }, { name: 'p', profile: profile(NOW + 30_000) }, true);
    expect(reads).toEqual([['access_token']]);
    expect(cur.accessToken).toBe('at');
  });
});
