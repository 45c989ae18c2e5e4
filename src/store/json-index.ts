// A lookup index beside a large JSON file, so that `show --raw` with 200 profiles is no
// slower than with one: reading profiles.json and credentials.json and their indexes,
// then one value, costs far less than parsing them whole (docs/performance.md).
//
// The index holds the file's exact text, so a reader trusts it only when the file is
// still byte for byte what the index was made from: after a hand edit, a crash between
// the two writes, or a file from an older version, the index is ignored and the file
// parsed, and either way the answer is the one JSON.parse gives. Beside the copy it holds
// where, in that text, each member of one top-level object (`profiles`, `secrets`) has
// its value: the reader parses that slice of the file and nothing else. Only writers
// (already under the file's lock) write indexes; a reader only removes one that no
// longer matches its file as it is now, or has none, or one beside a file made small.
//
//   token-index 2\n <text length>\n <text> \n <head JSON>\n (<key JSON>\t<start>\t<length>\n)* .\n
//
// JSON.stringify never emits a raw newline or tab, so `\n<key JSON>\t` after the head
// can only be the start of that key's line. An older version's index (`token-index 1`,
// which held each value itself) is stale to this one and is removed like any other.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { ensurePrivateDir, removeOrphans, writeFileAtomic } from './atomic.js';

const MAGIC = 'token-index 2\n';
const END = '\n.\n';
/** Below this a file parses faster than its index can be read. */
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
 * Writes `text` to `path` atomically, and its index when it is large. `describe` names,
 * from the text as written and parsed again, the head and the top-level member whose
 * own members are looked up (the file is JSON.stringify(value, null, 2) + '\n'). The old
 * index goes first: a crash at any point leaves no index that describes (or holds
 * secrets from) anything but the file as it is. The index is only a shortcut, so failing
 * to write it fails nothing: readers then parse the file, which is saved.
 */
export function writeIndexed<T>(path: string, text: string, describe: (parsed: T) => { head: unknown; member: keyof T & string }): void {
  const index = indexPath(path);
  removeQuietly(index);
  // Temp files of a writer killed while writing an index hold its secrets too. Before the
  // file is written, like writeFileAtomic's own clean-up, so a failure here saves nothing.
  ensurePrivateDir(dirname(index));
  removeOrphans(dirname(index), basename(index));
  writeFileAtomic(path, text);
  if (text.length < INDEX_MIN_CHARS) return;
  const parsed = JSON.parse(text) as T;
  const { head, member } = describe(parsed);
  const table = locate(text, member, parsed[member]);
  if (table === undefined) return; // not laid out as expected: readers parse the file
  try {
    writeFileAtomic(index, `${MAGIC}${text.length}\n${text}\n${JSON.stringify(head ?? null)}\n${table}.\n`); // END: the newline before the dot
  } catch {
    // A full disk, say: writeFileAtomic removed its temp file, the old index is gone, the file is saved.
  }
}

/**
 * The table lines for the members of top-level `member`, each the start and length of its
 * value in `text`; undefined unless the text is, character for character, laid out as
 * JSON.stringify(_, null, 2) lays out these values, in this order, and nothing else.
 */
function locate(text: string, member: string, entries: unknown): string | undefined {
  if (!entries || typeof entries !== 'object' || Array.isArray(entries)) return undefined;
  const open = `\n  ${JSON.stringify(member)}: {`;
  let at = text.indexOf(open);
  if (at < 0) return undefined;
  at += open.length;
  let table = '';
  let first = true;
  for (const [key, value] of Object.entries(entries)) {
    const prefix = `${first ? '' : ','}${memberPrefix(key)}`;
    const json = JSON.stringify(value, null, 2).replaceAll('\n', '\n    ');
    if (!text.startsWith(prefix, at) || !text.startsWith(json, at + prefix.length)) return undefined;
    at += prefix.length;
    table += `${JSON.stringify(key)}\t${at}\t${json.length}\n`;
    at += json.length;
    first = false;
  }
  return text.startsWith(first ? '}' : '\n  }', at) ? table : undefined;
}

/** What comes before a member's value at the second level of a JSON.stringify(_, null, 2) text. */
function memberPrefix(key: string): string {
  return `\n    ${JSON.stringify(key)}: `;
}

/**
 * The index of `path` when it was made from exactly `text`; undefined means: parse the text.
 * `text` undefined: the file is gone, and so goes an index left beside it.
 */
export function openIndex(path: string, text: string | undefined): JsonIndex | undefined {
  if (text === undefined || text.length < INDEX_MIN_CHARS) {
    // No file, or one another program made small (token's own writes remove the index
    // first): an index beside it may hold what the file no longer does, secrets included.
    if (existsSync(indexPath(path))) removeStale(path);
    return undefined;
  }
  let idx: string;
  try {
    idx = readFileSync(indexPath(path), 'utf8');
  } catch {
    return undefined; // none yet (an older version wrote the file) or unreadable: parse instead
  }
  if (!copies(idx, text)) {
    // Stale (the file was edited, or written by an older version): it would be read in vain
    // on every call, and may hold secrets the file no longer has.
    removeStale(path);
    return undefined;
  }
  const end = MAGIC.length + String(text.length).length + 1 + text.length;
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
      const [start = NaN, length = NaN] = idx.slice(at + marker.length, idx.indexOf('\n', at + marker.length)).split('\t').map(Number);
      return valueAt(text, key, start, length);
    },
  };
}

/**
 * Removes the index of `path` unless it describes the file as it is now: a writer may have
 * replaced both since the caller read the file, and its index is then current.
 */
function removeStale(path: string): void {
  try {
    const now = readIfExists(path);
    if (now !== undefined && now.length >= INDEX_MIN_CHARS && copies(readFileSync(indexPath(path), 'utf8'), now)) return;
  } catch {
    // the file or the index cannot be read: stale as far as any reader can tell
  }
  removeQuietly(indexPath(path));
}

/** Whether index text `idx` was made from exactly `text`. */
function copies(idx: string, text: string): boolean {
  const start = MAGIC.length + String(text.length).length + 1;
  const end = start + text.length;
  // `===` on the slice is a memcmp; startsWith(text, start) walks it a character at a time.
  return idx.startsWith(`${MAGIC}${text.length}\n`) && idx.slice(start, end) === text && idx[end] === '\n' && idx.endsWith(END);
}

/** The value the table puts at text[start, start + length): UNREADABLE unless that is exactly `key`'s value. */
function valueAt(text: string, key: string, start: number, length: number): unknown {
  const prefix = memberPrefix(key);
  // So an edited table never hands out another key's value, or a part of one that parses.
  const next = text.charAt(start + length);
  if (!(start >= prefix.length && length > 0) || !text.startsWith(prefix, start - prefix.length) || (next !== ',' && next !== '\n')) return UNREADABLE;
  try {
    return JSON.parse(text.slice(start, start + length));
  } catch {
    return UNREADABLE;
  }
}

/** Removes a file if it can: what stays is ignored by readers, its copy no longer matching. */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // a directory or a file we may not remove at that name: not an index token wrote
  }
}
