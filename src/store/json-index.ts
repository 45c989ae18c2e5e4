// A lookup index beside a large JSON file (issue 6: `show --raw` with 200 profiles no
// slower than with one). Parsing profiles.json and credentials.json whole costs 5.3 M
// instructions at 200 profiles; reading them and their indexes, then one line, 2.0 M.
//
// The index holds the file's exact text, so a reader trusts it only when the file is
// still byte for byte what the index was made from: after a hand edit, a crash between
// the two writes, or a file from an older version, the index is ignored and the file
// parsed, and either way the answer is the one JSON.parse gives. Only writers (already
// under the file's lock) write indexes; a reader only removes one that no longer matches
// its file, or has none.
//
//   token-index 1\n <text length>\n <text> \n <head JSON>\n (<key JSON>\t<value JSON>\n)* .\n
//
// JSON.stringify never emits a raw newline or tab, so `\n<key JSON>\t` after the head
// can only be the start of that key's line.
import { readFileSync, rmSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { ensurePrivateDir, removeOrphans, writeFileAtomic } from './atomic.js';

const MAGIC = 'token-index 1\n';
const END = '\n.\n';
/** Below this a file parses faster than its index can be read (~15 profiles). */
export const INDEX_MIN_CHARS = 8 * 1024;

/** What get returns for a line it cannot read (only an edit of the index does that): parse the file. */
export const UNREADABLE: unique symbol = Symbol('unreadable index line');

export interface JsonIndex {
  /** What the writer put in the head (for profiles.json: the profile chosen when none is asked). */
  head: unknown;
  /** The entry's value; undefined when the file has no such key; UNREADABLE: parse the file. */
  get(key: string): unknown;
}

/** A file's text, or undefined when there is none. */
export function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export function indexPath(path: string): string {
  return `${path}.index`;
}

/**
 * Writes `text` to `path` atomically, and its index when it is large. The old index goes
 * first: a crash at any point leaves no index that describes (or holds secrets from)
 * anything but the file as it is. The index is only a shortcut, so failing to write it
 * fails nothing: readers then parse the file, which is saved.
 */
export function writeIndexed<T>(path: string, text: string, describe: (parsed: T) => { head: unknown; entries: Record<string, unknown> }): void {
  const index = indexPath(path);
  removeQuietly(index);
  // Temp files of a writer killed while writing an index hold its secrets too. Before the
  // file is written, like writeFileAtomic's own clean-up, so a failure here saves nothing.
  ensurePrivateDir(dirname(index));
  removeOrphans(dirname(index), basename(index));
  writeFileAtomic(path, text);
  if (text.length < INDEX_MIN_CHARS) return;
  // From the text as written, parsed again: the index says exactly what a reader's JSON.parse would.
  const { head, entries } = describe(JSON.parse(text) as T);
  let out = `${MAGIC}${text.length}\n${text}\n${JSON.stringify(head ?? null)}\n`;
  for (const [key, value] of Object.entries(entries)) out += `${JSON.stringify(key)}\t${JSON.stringify(value)}\n`;
  try {
    writeFileAtomic(index, `${out}.\n`); // with the newline before it: END
  } catch {
    // A full disk, say: writeFileAtomic removed its temp file, the old index is gone, the file is saved.
  }
}

/**
 * The index of `path` when it was made from exactly `text`; undefined means: parse the text.
 * `text` undefined: the file is gone, and so goes an index left beside it.
 */
export function openIndex(path: string, text: string | undefined): JsonIndex | undefined {
  if (text === undefined) {
    removeQuietly(indexPath(path));
    return undefined;
  }
  if (text.length < INDEX_MIN_CHARS) return undefined;
  let idx: string;
  try {
    idx = readFileSync(indexPath(path), 'utf8');
  } catch {
    return undefined; // none yet (an older version wrote the file) or unreadable: parse instead
  }
  const start = MAGIC.length + String(text.length).length + 1;
  const end = start + text.length;
  // `===` on the slice is a memcmp; startsWith(text, start) walks it a character at a time.
  if (!idx.startsWith(`${MAGIC}${text.length}\n`) || idx.slice(start, end) !== text || idx[end] !== '\n' || !idx.endsWith(END)) {
    // Stale (the file was edited, or written by an older version): it would be read in vain
    // on every call, and may hold secrets the file no longer has. At worst this removes an
    // index a writer made a moment ago, which costs the next reader its shortcut.
    removeQuietly(indexPath(path));
    return undefined;
  }
  const headEnd = idx.indexOf('\n', end + 1);
  let head: unknown;
  try {
    head = JSON.parse(idx.slice(end + 1, headEnd));
  } catch {
    return undefined;
  }
  return {
    head,
    get(key) {
      const marker = `\n${JSON.stringify(key)}\t`;
      const at = idx.indexOf(marker, headEnd);
      if (at < 0) return undefined;
      const from = at + marker.length;
      try {
        return JSON.parse(idx.slice(from, idx.indexOf('\n', from)));
      } catch {
        return UNREADABLE;
      }
    },
  };
}

/** Removes a file if it can: what stays is ignored by readers, its copy no longer matching. */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // a directory or a file we may not remove at that name: not an index token wrote
  }
}
