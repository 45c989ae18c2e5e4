// The store's file operations in-process: what each errno becomes (exit code, the line
// naming the file, the hint), and what a failed write leaves behind.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readIfExists, removeLeftovers, reserve, storeIoError, writeFileAtomic } from '../../src/store/atomic.js';
import { EXIT_CODES, TokenError, UsageError } from '../../src/errors.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'token-atomic-'));
  dirs.push(d);
  return d;
}

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: raw`), { code });
}

const SPACE = 'free some space, then run the command again';
const PATH_HINT = 'fix the path, or set TOKEN_CONFIG_DIR to another directory';

describe('storeIoError', () => {
  it.each([
    ['ENOSPC', 'write', 4, 'cannot write /c/p.json: no space left on the device', SPACE],
    ['EDQUOT', 'write', 4, 'cannot write /c/p.json: the disk quota is exceeded', SPACE],
    ['EIO', 'read', 4, 'cannot read /c/p.json: an I/O error', 'check the disk, then run the command again'],
    ['EROFS', 'write', 2, 'cannot write /c/p.json: the file system is read-only', PATH_HINT],
    ['EISDIR', 'read', 2, 'cannot read /c/p.json: it is a directory', PATH_HINT],
    ['ENOTDIR', 'create', 2, 'cannot create /c/p.json: a part of its path is not a directory', PATH_HINT],
    ['EACCES', 'write', 2, 'cannot write /c/p.json: permission denied', PATH_HINT],
    ['EPERM', 'write', 2, 'cannot write /c/p.json: permission denied', PATH_HINT],
    ['EEXIST', 'create', 2, 'cannot create /c/p.json: something else is in the way', PATH_HINT],
    ['ELOOP', 'read', 1, 'cannot read /c/p.json: ELOOP', undefined],
  ] as const)('%s while %s: exit %i, one line naming the file', (code, doing, exit, message, hint) => {
    const cause = errno(code);
    const err = storeIoError(cause, '/c/p.json', doing) as TokenError;
    expect(err).toBeInstanceOf(TokenError);
    expect({ exit: EXIT_CODES[err.code], message: err.message, hint: err.hint, cause: err.cause }).toEqual({
      exit,
      message,
      hint,
      cause,
    });
  });

  it('passes our own errors and errors without an errno through unchanged', () => {
    const ours = new UsageError('already said');
    expect(storeIoError(ours, '/c/p.json', 'write')).toBe(ours);
    const plain = new Error('no code');
    expect(storeIoError(plain, '/c/p.json', 'write')).toBe(plain);
  });
});

describe('the file operations', () => {
  it('readIfExists: undefined for a missing file, the text for one, exit 2 naming a directory in its place', () => {
    const dir = tempDir();
    expect(readIfExists(join(dir, 'none.json'))).toBeUndefined();
    writeFileSync(join(dir, 'a.json'), '{"a":1}');
    expect(readIfExists(join(dir, 'a.json'))).toBe('{"a":1}');
    mkdirSync(join(dir, 'd.json'));
    expect(() => readIfExists(join(dir, 'd.json'))).toThrow(
      expect.objectContaining({ code: 'usage', message: `cannot read ${join(dir, 'd.json')}: it is a directory` }),
    );
  });

  it('writeFileAtomic: 0600, the whole new text, no temp file left; a directory in the way is exit 2 and leaves no temp file', () => {
    const dir = tempDir();
    const path = join(dir, 'sub', 'p.json');
    writeFileAtomic(path, 'old');
    writeFileAtomic(path, 'new text');
    expect(readFileSync(path, 'utf8')).toBe('new text');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'sub')).mode & 0o777).toBe(0o700);
    expect(readdirSync(join(dir, 'sub'))).toEqual(['p.json']);
    mkdirSync(join(dir, 'sub', 'q.json'));
    expect(() => writeFileAtomic(join(dir, 'sub', 'q.json'), 'x')).toThrow(
      expect.objectContaining({
        code: 'usage',
        message: `cannot write ${join(dir, 'sub', 'q.json')}: it is a directory`,
      }),
    );
    expect(readdirSync(join(dir, 'sub')).sort()).toEqual(['p.json', 'q.json']);
  });

  it('reserve: the space is taken before commit; release leaves the old file; commit replaces it with exactly the data', () => {
    const dir = tempDir();
    const path = join(dir, 'p.json');
    writeFileAtomic(path, 'old');
    const r = reserve(path, 4096);
    const temps = readdirSync(dir).filter((n) => n.endsWith('.tmp'));
    expect(temps).toHaveLength(1);
    expect(statSync(join(dir, temps[0]!)).size).toBe(4096);
    r.release();
    expect(readdirSync(dir)).toEqual(['p.json']);
    expect(readFileSync(path, 'utf8')).toBe('old');
    const r2 = reserve(path, 4096);
    r2.commit('short');
    expect(readFileSync(path, 'utf8')).toBe('short');
    expect(readdirSync(dir)).toEqual(['p.json']);
  });

  it("removeLeftovers: only this file's temp files, whatever pid they name", () => {
    const dir = tempDir();
    const path = join(dir, 'p.json');
    for (const name of ['.p.json.1.1.tmp', '.p.json.99999.7.tmp', '.q.json.1.1.tmp', 'p.json', '.p.json.note'])
      writeFileSync(join(dir, name), 'x');
    removeLeftovers(path);
    expect(readdirSync(dir).sort()).toEqual(['.p.json.note', '.q.json.1.1.tmp', 'p.json']);
    removeLeftovers(join(dir, 'nodir', 'p.json')); // no dir: nothing to do, no error
  });
});
