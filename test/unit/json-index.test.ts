// The lookup index beside a large profiles.json / credentials.json: it answers exactly what
// JSON.parse of the file would, or not at all.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { INDEX_MIN_CHARS, indexPath, openIndex, UNREADABLE, writeIndexed } from '../../src/store/json-index.js';
import { createFileStore } from '../../src/store/file-store.js';
import { readSettings, viewSettings, writeSettings, type Settings } from '../../src/store/settings.js';
import { selectFromView, selectProfile, type Selected } from '../../src/cli/profile.js';
import type { TokenError } from '../../src/errors.js';

interface Doc {
  head: string;
  items: Record<string, unknown>;
}

const describeDoc = (doc: Doc) => ({ head: doc.head, member: 'items' as const });

/** What fn returns, and the longest text JSON.parse was given meanwhile: the whole file's, or one entry's. */
async function parsing<T>(fn: () => T | Promise<T>): Promise<{ result: T; longest: number }> {
  const spy = vi.spyOn(JSON, 'parse');
  try {
    const result = await fn();
    return { result, longest: Math.max(0, ...spy.mock.calls.map(([text]) => String(text).length)) };
  } finally {
    spy.mockRestore();
  }
}

/** Replaces the table line of `key` in the index beside `path`; the copy of the file stays as it is. */
function setLine(path: string, key: string, rest: string): void {
  const idx = readFileSync(indexPath(path), 'utf8');
  const at = idx.lastIndexOf(`\n${JSON.stringify(key)}\t`);
  expect(at).toBeGreaterThan(0);
  writeFileSync(indexPath(path), `${idx.slice(0, at)}\n${JSON.stringify(key)}\t${rest}${idx.slice(idx.indexOf('\n', at + 1))}`);
}

/** The table line of `key`: where its value starts in the file, and how long it is. */
function lineOf(path: string, key: string): [number, number] {
  const idx = readFileSync(indexPath(path), 'utf8');
  const at = idx.lastIndexOf(`\n${JSON.stringify(key)}\t`);
  const [start, length] = idx.slice(at + JSON.stringify(key).length + 2, idx.indexOf('\n', at + 1)).split('\t').map(Number);
  return [start!, length!];
}

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

  it('answers every key exactly as JSON.parse of the file does, parsing only its value, and misses keys the file lacks', async () => {
    const awkward = { 'with "quotes"': 'a', 'tab\there': { 'x\ny': '\n"p3"\t{}' }, 'ünï\u2028code': [1, null, true], ...JSON.parse('{"__proto__": {"own": true}}') };
    const d = doc(200, awkward);
    writeIndexed(path, text(d), describeDoc);
    const written = readFileSync(path, 'utf8');
    const parsed = JSON.parse(written) as Doc;
    const { result: index, longest } = await parsing(() => openIndex(path, written));
    expect(index).toBeDefined();
    expect(index!.head).toBe('p1');
    expect(longest).toBeLessThan(10);
    for (const key of Object.keys(parsed.items)) {
      const got = await parsing(() => index!.get(key));
      expect(got.result).toEqual(parsed.items[key]);
      expect(got.longest).toBe(JSON.stringify(parsed.items[key], null, 2).replaceAll('\n', '\n    ').length);
    }
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

  it('is ignored, and removed, when it is cut short or is not an index', () => {
    writeIndexed(path, text(doc(200)), describeDoc);
    const written = readFileSync(path, 'utf8');
    const whole = readFileSync(indexPath(path), 'utf8');
    for (const bad of [whole.slice(0, -3), whole.replace('token-index 2', 'token-index 1'), written, '']) {
      writeFileSync(indexPath(path), bad);
      expect(openIndex(path, written)).toBeUndefined();
      expect(existsSync(indexPath(path))).toBe(false);
    }
    expect(openIndex(path, written)).toBeUndefined();
    writeFileSync(indexPath(path), whole);
    expect(openIndex(path, written)?.head).toBe('p1');
  });

  it('leaves an entry it cannot read to the file, never hands out another key’s value, and removes an index that no longer matches', () => {
    writeIndexed(path, text(doc(200)), describeDoc);
    const written = readFileSync(path, 'utf8');
    const [start, length] = lineOf(path, 'p7');
    const [start8, length8] = lineOf(path, 'p8');
    expect(JSON.parse(written.slice(start, start + length))).toEqual(doc(200).items.p7);
    for (const bad of ['x\ty', `${start}`, `${start8}\t${length8}`, `${start}\t${length - 1}`, `${start}\t${length + 1}`, `${start + 1}\t${length - 1}`, `-5\t${length}`, `${start}\t0`, `${start}\t1e9`]) {
      setLine(path, 'p7', bad);
      const index = openIndex(path, written)!;
      expect(index.get('p6')).toEqual(doc(200).items.p6);
      expect(index.get('p7')).toBe(UNREADABLE);
    }
    // A number cut short still parses: the character after the slice must end the value.
    writeIndexed(path, text(doc(200, { n: 12345 })), describeDoc);
    const [nStart, nLength] = lineOf(path, 'n');
    setLine(path, 'n', `${nStart}\t${nLength - 1}`);
    expect(openIndex(path, readFileSync(path, 'utf8'))!.get('n')).toBe(UNREADABLE);
    expect(openIndex(path, readFileSync(path, 'utf8'))!.get('p7')).toEqual(doc(200).items.p7);
    writeIndexed(path, written, describeDoc);
    const edited = written.replace('"client-150"', '"client-151"');
    writeFileSync(path, edited); // a hand edit
    expect(openIndex(path, edited)).toBeUndefined();
    expect(existsSync(indexPath(path))).toBe(false);
  });

  it('stays when a writer replaced the file and the index after the reader read the file', () => {
    writeIndexed(path, text(doc(200)), describeDoc);
    const before = readFileSync(path, 'utf8');
    const after = text(doc(201));
    writeIndexed(path, after, describeDoc); // between this reader's read of the file and of the index
    expect(openIndex(path, before)).toBeUndefined();
    expect(openIndex(path, after)?.get('p200')).toEqual(doc(201).items.p200);
    writeIndexed(path, text(doc(2)), describeDoc);
    writeIndexed(path, after, describeDoc);
    expect(openIndex(path, text(doc(2)))).toBeUndefined(); // it read the small file before
    expect(openIndex(path, undefined)).toBeUndefined(); // it found no file before
    expect(openIndex(path, after)?.head).toBe('p1');
  });

  it('removes the index temp files of a killed writer, even when the file has become small', () => {
    writeIndexed(path, text(doc(200)), describeDoc);
    const dead = spawnSync('true').pid; // a pid that has exited
    writeFileSync(join(dir, `.profiles.json.index.${dead}.7.abc.tmp`), readFileSync(indexPath(path)));
    writeIndexed(path, text(doc(2)), describeDoc);
    expect(readdirSync(dir).sort()).toEqual(['profiles.json']);
  });

  it('cleans up before it writes: a clean-up that fails leaves the file as it was', () => {
    const before = text(doc(200));
    writeIndexed(path, before, describeDoc);
    mkdirSync(join(dir, `.profiles.json.index.${spawnSync('true').pid}.7.abc.tmp`, 'x'), { recursive: true });
    expect(() => writeIndexed(path, text(doc(201)), describeDoc)).toThrow();
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  it('goes when another program has made its file small (the index may hold what the file no longer does)', () => {
    writeIndexed(path, text(doc(200)), describeDoc);
    const small = text(doc(2));
    writeFileSync(path, small);
    expect(existsSync(indexPath(path))).toBe(true);
    expect(openIndex(path, small)).toBeUndefined();
    expect(existsSync(indexPath(path))).toBe(false);
  });

  it('goes when its file is gone', () => {
    writeIndexed(path, text(doc(200)), describeDoc);
    rmSync(path);
    expect(openIndex(path, undefined)).toBeUndefined();
    expect(existsSync(indexPath(path))).toBe(false);
  });

  it('still saves the file when the index cannot be written, or a directory sits at its name', () => {
    mkdirSync(join(indexPath(path), 'x'), { recursive: true });
    const big = text(doc(200));
    expect(() => writeIndexed(path, big, describeDoc)).not.toThrow();
    expect(readFileSync(path, 'utf8')).toBe(big);
    expect(openIndex(path, big)).toBeUndefined();
    expect(() => writeIndexed(path, text(doc(2)), describeDoc)).not.toThrow();
  });

  it('writes none for a file not laid out as JSON.stringify(_, null, 2) lays it out, and saves the file', () => {
    const d = doc(200);
    for (const other of [JSON.stringify(d), JSON.stringify(d, null, 4), JSON.stringify(d, null, '\t'), text(d).replace('"p5": {\n      "provider"', '"p5": {"provider"')]) {
      expect(other.length).toBeGreaterThan(INDEX_MIN_CHARS);
      writeIndexed(path, other, describeDoc);
      expect(readFileSync(path, 'utf8')).toBe(other);
      expect(existsSync(indexPath(path))).toBe(false);
    }
    writeIndexed(path, text({ head: 'x'.repeat(INDEX_MIN_CHARS), items: [1, 2] as unknown as Record<string, unknown> }), describeDoc);
    expect(existsSync(indexPath(path))).toBe(false);
  });

  it('indexes an empty member: every key is absent', () => {
    const d = { head: 'x'.repeat(INDEX_MIN_CHARS), items: {} };
    writeIndexed(path, text(d), describeDoc);
    const index = openIndex(path, readFileSync(path, 'utf8'))!;
    expect(index.head).toBe(d.head);
    expect(index.get('p1')).toBeUndefined();
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

  const secret = (kind: string, i: number) => `${kind}-${i}-${'x'.repeat(100)}`;

  async function fill(store: ReturnType<typeof createFileStore>, n: number) {
    for (let i = 0; i < n; i++) {
      await store.write(`p${i}`, { client_secret: secret('cs', i), refresh_token: secret('rt', i), access_token: secret('at', i) });
    }
  }

  it('reads every kind of secret through the index, as the file has it, parsing only the values', async () => {
    const store = createFileStore(dir);
    await fill(store, 60);
    const creds = join(dir, 'credentials.json');
    const viaIndex = [];
    for (let i = 0; i < 60; i++) {
      const { result, longest } = await parsing(() => store.read(`p${i}`));
      expect(longest).toBeLessThan(200);
      viaIndex.push(result);
    }
    expect(viaIndex[42]).toEqual({ client_secret: secret('cs', 42), refresh_token: secret('rt', 42), access_token: secret('at', 42) });
    // A line pointing at another secret is left to the file: parsed whole, the same answer.
    setLine(creds, 'p7:client_secret', lineOf(creds, 'p8:client_secret').join('\t'));
    const fallback = await parsing(() => store.read('p7'));
    expect(fallback.result).toEqual(viaIndex[7]);
    expect(fallback.longest).toBe(readFileSync(creds, 'utf8').length);
    rmSync(indexPath(creds));
    for (let i = 0; i < 60; i++) expect(await store.read(`p${i}`)).toEqual(viaIndex[i]);
  });

  it('answers a secret the profile lacks from the index, and an unreadable line from the file', async () => {
    const store = createFileStore(dir);
    await fill(store, 60);
    await store.write('p9', { refresh_token: null });
    const creds = join(dir, 'credentials.json');
    const viaIndex = await parsing(() => store.read('p9', ['access_token', 'refresh_token']));
    expect(viaIndex.result).toEqual({ access_token: secret('at', 9) });
    expect(viaIndex.longest).toBeLessThan(200);
    setLine(creds, 'p9:access_token', 'cut short');
    const fallback = await parsing(() => store.read('p9', ['access_token', 'refresh_token']));
    expect(fallback.result).toEqual({ access_token: secret('at', 9) });
    expect(fallback.longest).toBe(readFileSync(creds, 'utf8').length);
  });

  it('leaves no copy of a secret behind after logout, and none once the file is gone', async () => {
    const store = createFileStore(dir);
    await fill(store, 60);
    const creds = join(dir, 'credentials.json');
    expect(readFileSync(indexPath(creds), 'utf8')).toContain(secret('at', 42));
    await store.remove('p42');
    expect(await store.read('p42')).toEqual({});
    for (const file of [creds, indexPath(creds)]) expect(readFileSync(file, 'utf8')).not.toContain('-42-');
    rmSync(creds);
    expect(await store.read('p1')).toEqual({});
    expect(readdirSync(dir).filter((f) => !f.startsWith('locks'))).toEqual([]);
  });
});

describe('choosing a profile through the index', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'token-index-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** What a selection gives, errors included, in a form toEqual can compare. */
  function outcome(select: () => Selected): unknown {
    try {
      return select();
    } catch (err) {
      const e = err as TokenError;
      return { error: e.constructor.name, code: e.code, message: e.message, hint: e.hint };
    }
  }

  function profiles(n: number, pad = ''): Settings['profiles'] {
    const out: Settings['profiles'] = {};
    for (let i = 0; i < n; i++) {
      out[`p${i}`] = {
        provider: i % 2 ? 'prism' : 'brightpattern',
        clientId: `client-${i}${pad}`,
        store: i % 3 ? 'file' : 'keychain',
        options: { url: `http://127.0.0.1:1/${i}` },
        token: { tokenType: `Type${i}`, expiresAt: 1_800_000_000_000 + i, obtainedAt: 1_700_000_000_000 },
      };
    }
    return out;
  }

  it.each([
    ['a default', { version: 1, default: 'p5', profiles: profiles(60) }],
    ['no default', { version: 1, profiles: profiles(60) }],
    ['a default that was removed', { version: 1, default: 'gone', profiles: profiles(60) }],
    ['one large profile', { version: 1, profiles: profiles(1, 'x'.repeat(9000)) }],
  ] as Array<[string, Settings]>)('gives what the whole file gives, with %s', (_, settings) => {
    writeSettings(dir, settings);
    expect(existsSync(join(dir, 'profiles.json.index'))).toBe(true);
    for (const flag of [undefined, 'p0', 'p3', 'nope', '__proto__', 'constructor']) {
      for (const env of [{}, { TOKEN_PROFILE: '' }, { TOKEN_PROFILE: 'p9' }, { TOKEN_PROFILE: 'nope' }]) {
        const viaIndex = outcome(() => selectFromView(viewSettings(dir), flag, env));
        expect(viaIndex).toEqual(outcome(() => selectProfile(readSettings(dir), flag, env)));
      }
    }
  });

  it('reads the profile from the index, not from the file', async () => {
    const all = profiles(60);
    writeSettings(dir, { version: 1, default: 'p5', profiles: all });
    const path = join(dir, 'profiles.json');
    const viaIndex = await parsing(() => selectFromView(viewSettings(dir), undefined, {}));
    expect(viaIndex.result).toEqual({ name: 'p5', profile: all.p5 });
    expect(viaIndex.longest).toBeLessThan(1000);
    setLine(path, 'p6', 'x');
    const fallback = await parsing(() => selectFromView(viewSettings(dir), 'p6', {}));
    expect(fallback.result).toEqual({ name: 'p6', profile: all.p6 });
    expect(fallback.longest).toBe(readFileSync(path, 'utf8').length);
  });
});
