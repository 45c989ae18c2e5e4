// The file store (credentials.json), read the way currentToken reads it.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileStore } from '../../src/store/file-store.js';

describe('file store reads', () => {
  let dir: string | undefined;
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('returns the kinds asked for, and all of them by default', async () => {
    dir = mkdtempSync(join(tmpdir(), 'token-unit-'));
    const store = createFileStore(dir);
    await store.write('p', { client_secret: 'cs', refresh_token: 'rt', access_token: 'at' });
    expect(await store.read('p', ['access_token'])).toEqual({ access_token: 'at' });
    expect(await store.read('p', ['refresh_token', 'client_secret'])).toEqual({ refresh_token: 'rt', client_secret: 'cs' });
    expect(await store.read('p')).toEqual({ client_secret: 'cs', refresh_token: 'rt', access_token: 'at' });
  });
});
