// The lookup index beside a large profiles.json / credentials.json: it answers exactly what
// JSON.parse of the file would, or not at all.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INDEX_MIN_CHARS, indexPath, openIndex, writeIndexed } from '../../src/store/json-index.js';
import { TokenError } from '../../src/cli/errors.js';
import { createFileStore } from '../../src/store/file-store.js';

interface Doc {
  head: string;
  items: Record<string, unknown>;
}

const describeDoc = (doc: Doc) => ({ head: doc.head, entries: doc.items });

/** A document of n items, large enough for an index from about 40 items on. */
function doc(n: number, extra: Record<string, unknown> = {}): Doc {
  const items: Record<string, unknown> = { ...extra };
  for (let i = 0; i < n; i++) items[`p${i}`] = { provider: 'brightpattern', clientId: `client-${i}`, options: { url: `http://127.0.0.1:1/${i}`, n: i } };
  return { head: 'p1', items };
}

const text = (d: Doc) => JSON.stringify(d, null, 2) + '\n';

describe('json index', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'token-index-'));
    path = join(dir, 'profiles.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('answers every key exactly as JSON.parse of the file does, and misses keys the file lacks', () => {
    const awkward = { 'with "quotes"': 'a', 'tab\there': { 'x\ny': '\n"p3"\t{}' }, 'ünï\u2028code': [1, null, true], ...JSON.parse('{"__proto__": {"own": true}}') };
    const d = doc(200, awkward);
    writeIndexed(path, text(d), describeDoc);
    const written = readFileSync(path, 'utf8');
    const parsed = JSON.parse(written) as Doc;
    const index = openIndex(path, written);
    expect(index).toBeDefined();
    expect(index!.head).toBe('p1');
    for (const key of Object.keys(parsed.items)) expect(index!.get(key)).toEqual(parsed.items[key]);
    expect(index!.get('p200')).toBeUndefined();
    expect(index!.get('p1"')).toBeUndefined();
    expect(index!.get('constructor')).toBeUndefined();
    expect(index!.get('__proto__')).toEqual({ own: true });
  });

  it('writes none for a small file, and removes the one a large file had', () => {
    writeIndexed(path, text(doc(200)), describeDoc);
    expect(existsSync(indexPath(path))).toBe(true);
    const small = text(doc(2));
    expect(small.length).toBeLessThan(INDEX_MIN_CHARS);
    writeIndexed(path, small, describeDoc);
    expect(existsSync(indexPath(path))).toBe(false);
    expect(openIndex(path, small)).toBeUndefined();
  });

  it('is written 0600 like the file it describes', () => {
    writeIndexed(path, text(doc(200)), describeDoc);
    expect(statSync(indexPath(path)).mode & 0o777).toBe(0o600);
  });

  it('is ignored once the file differs by a single character, even at the same length', () => {
    writeIndexed(path, text(doc(200)), describeDoc);
    const written = readFileSync(path, 'utf8');
    const edited = written.replace('"client-150"', '"client-151"');
    expect(edited.length).toBe(written.length);
    expect(edited).not.toBe(written);
    expect(openIndex(path, edited)).toBeUndefined();
    expect(openIndex(path, written + ' ')).toBeUndefined();
    expect(openIndex(path, written.slice(1))).toBeUndefined();
  });

  it('is ignored when it is cut short or is not an index', () => {
    writeIndexed(path, text(doc(200)), describeDoc);
    const written = readFileSync(path, 'utf8');
    const whole = readFileSync(indexPath(path), 'utf8');
    writeFileSync(indexPath(path), whole.slice(0, -3));
    expect(openIndex(path, written)).toBeUndefined();
    writeFileSync(indexPath(path), whole.replace('token-index 1', 'token-index 2'));
    expect(openIndex(path, written)).toBeUndefined();
    writeFileSync(indexPath(path), written);
    expect(openIndex(path, written)).toBeUndefined();
    rmSync(indexPath(path));
    expect(openIndex(path, written)).toBeUndefined();
  });

  it('says which file is damaged when an entry was edited but its copy of the file still matches', () => {
    writeIndexed(path, text(doc(200)), describeDoc);
    const written = readFileSync(path, 'utf8');
    writeFileSync(indexPath(path), readFileSync(indexPath(path), 'utf8').replace('\n"p7"\t{', '\n"p7"\t{{'));
    const index = openIndex(path, written)!;
    expect(index.get('p6')).toEqual(doc(200).items.p6);
    let caught: unknown;
    try {
      index.get('p7');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TokenError);
    expect((caught as TokenError).message).toBe(`${indexPath(path)} is damaged`);
  });

  it('removes the old index before replacing the file, so a failed write leaves none behind', () => {
    const d = doc(200);
    // A directory where the file should go: the rename fails after the old index was removed.
    const blocked = join(dir, 'blocked.json');
    writeIndexed(blocked, text(d), describeDoc);
    rmSync(blocked);
    mkdirSync(join(blocked, 'x'), { recursive: true });
    expect(() => writeIndexed(blocked, text(doc(201)), describeDoc)).toThrow();
    expect(existsSync(indexPath(blocked))).toBe(false);
  });
});

describe('file store with many profiles', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'token-index-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads each profile the same through the index as from the file alone, and logout leaves no copy behind', async () => {
    const store = createFileStore(dir);
    for (let i = 0; i < 60; i++) await store.write(`p${i}`, { client_secret: `cs-${i}`, access_token: `at-${i}-${'x'.repeat(200)}` });
    const creds = join(dir, 'credentials.json');
    expect(existsSync(indexPath(creds))).toBe(true);
    const viaIndex = [];
    for (let i = 0; i < 60; i++) viaIndex.push(await store.read(`p${i}`));
    rmSync(indexPath(creds));
    for (let i = 0; i < 60; i++) expect(await store.read(`p${i}`)).toEqual(viaIndex[i]);
    expect(viaIndex[42]).toEqual({ client_secret: 'cs-42', access_token: `at-42-${'x'.repeat(200)}` });

    await store.write('p0', { access_token: 'renewed' }); // writes the index again
    await store.remove('p42');
    expect(await store.read('p42')).toEqual({});
    expect(await store.read('p0', ['access_token'])).toEqual({ access_token: 'renewed' });
    for (const file of [creds, indexPath(creds)]) expect(readFileSync(file, 'utf8')).not.toContain('at-42-');
  });
});
