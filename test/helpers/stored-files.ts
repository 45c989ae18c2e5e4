// What a config dir stores, found by shape rather than by layout, so a test of what the
// CLI prints or refuses does not depend on which file holds which secret.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function jsonFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? jsonFiles(p) : n.endsWith('.json') ? [p] : [];
  });
}

/** Every string stored under a key matching `key`, in any JSON file of the config dir. */
export function storedValues(configDir: string, key: RegExp): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (key.test(k) && typeof x === 'string') out.push(x);
        else walk(x);
      }
    }
  };
  for (const f of jsonFiles(configDir)) {
    try {
      walk(JSON.parse(readFileSync(f, 'utf8')));
    } catch {
      // not JSON: not ours to read
    }
  }
  return out;
}

/** Replaces a stored string value wherever it is stored (a hand edit); returns how many files changed. */
export function replaceStored(configDir: string, from: string, to: string): number {
  let changed = 0;
  for (const f of jsonFiles(configDir)) {
    const text = readFileSync(f, 'utf8');
    const next = text.split(JSON.stringify(from)).join(JSON.stringify(to));
    if (next !== text) {
      writeFileSync(f, next);
      changed++;
    }
  }
  return changed;
}
