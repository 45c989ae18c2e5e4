// A lookup index beside a large JSON file (issue 6: `show --raw` with 200 profiles no
// slower than with one). Parsing profiles.json and credentials.json whole costs ~5 M
// instructions at 200 profiles; reading one entry's line costs almost nothing.
//
// The index holds the file's exact text, so a reader trusts it only when the file is
// still byte for byte what the index was made from: after a hand edit, a crash between
// the two writes, or a file from an older version, the index is ignored and the file
// parsed, and either way the answer is the one JSON.parse gives. Only writers (already
// under the file's lock) write indexes; readers never do.
//
//   token-index 1\n <text length>\n <text> \n <head JSON>\n (<key JSON>\t<value JSON>\n)* .\n
//
// JSON.stringify never emits a raw newline or tab, so `\n<key JSON>\t` after the head
// can only be the start of that key's line.
import { readFileSync, rmSync } from 'node:fs';
import { TokenError } from '../cli/errors.js';
import { writeFileAtomic } from './atomic.js';

const MAGIC = 'token-index 1\n';
const END = '\n.\n';
/** Below this a file parses faster than its index can be read (~15 profiles). */
export const INDEX_MIN_CHARS = 8 * 1024;

export interface JsonIndex {
  /** What the writer put in the head (for profiles.json: the profile chosen when none is asked). */
  head: unknown;
  /** The entry's value, or undefined when the file has no such key. */
  get(key: string): unknown;
}

export function indexPath(path: string): string {
  return `${path}.index`;
}

/**
 * Writes `text` to `path` atomically, and its index when it is large. The old index goes
 * first: a crash at any point leaves no index that describes (or holds secrets from)
 * anything but the file as it is.
 */
export function writeIndexed<T>(path: string, text: string, describe: (parsed: T) => { head: unknown; entries: Record<string, unknown> }): void {
  rmSync(indexPath(path), { force: true });
  writeFileAtomic(path, text);
  if (text.length < INDEX_MIN_CHARS) return;
  // From the text as written, parsed again: the index says exactly what a reader's JSON.parse would.
  const { head, entries } = describe(JSON.parse(text) as T);
  let out = `${MAGIC}${text.length}\n${text}\n${JSON.stringify(head ?? null)}\n`;
  for (const [key, value] of Object.entries(entries)) out += `${JSON.stringify(key)}\t${JSON.stringify(value)}\n`;
  writeFileAtomic(indexPath(path), `${out}.\n`); // with the newline before it: END
}

/** The index of `path` when it was made from exactly `text`; undefined means: parse the text. */
export function openIndex(path: string, text: string): JsonIndex | undefined {
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
  if (!idx.startsWith(`${MAGIC}${text.length}\n`) || idx.slice(start, end) !== text || idx[end] !== '\n' || !idx.endsWith(END)) return undefined;
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
        // Only an edit of the index itself gets here: its copy of the file still matched.
        throw new TokenError('internal', `${indexPath(path)} is damaged`, 'remove it; token writes a new one with its next change');
      }
    },
  };
}
