// The file store (credentials.json), read the way currentToken reads it.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileStore } from '../../src/store/file-store.js';
import { indexPath } from '../../src/store/json-index.js';

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

  it('takes "no such secret" from the file, never from a line missing in its index', async () => {
    dir = mkdtempSync(join(tmpdir(), 'token-unit-'));
    const store = createFileStore(dir);
    const at = (i: number) => `at-${i}-${'x'.repeat(60)}`;
    for (let i = 0; i < 100; i++) await store.write(`p${i}`, { access_token: at(i), ...(i === 7 ? {} : { refresh_token: `rt-${i}` }) });
    const index = indexPath(join(dir, 'credentials.json'));
    expect(existsSync(index)).toBe(true);
    writeFileSync(index, readFileSync(index, 'utf8').replace(/\n"p3:access_token"\t[^\n]*/, ''));
    expect(await store.read('p3', ['access_token'])).toEqual({ access_token: at(3) });
    expect(await store.read('p4', ['access_token'])).toEqual({ access_token: at(4) });
    expect(await store.read('p7')).toEqual({ access_token: at(7) });
  });
});
