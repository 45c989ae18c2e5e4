// Small formatting helpers shared by the commands: colour, durations, JSON.
import { Chalk, type ChalkInstance } from 'chalk';
import type { Deps } from './deps.js';
import { visible } from '../visible.js';

export { visible };

/** Colour only on a TTY; NO_COLOR and --no-color turn it off (SPEC "Shape"). */
export function paint(deps: Deps, stream: 'stdout' | 'stderr'): ChalkInstance {
  const tty = stream === 'stderr' ? deps.stderrIsTTY : Boolean((deps.stdout as { isTTY?: boolean }).isTTY);
  const off = deps.noColor === true || (deps.env.NO_COLOR !== undefined && deps.env.NO_COLOR !== '');
  return new Chalk({ level: tty && !off ? 1 : 0 });
}

/** "5h 59m", "3m 20s", "2d 4h": the two largest units. */
export function formatDuration(ms: number): string {
  // Rounded, not floored: a token that lives 3600 s shows "1h" a few ms after it arrived.
  let s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const parts: [number, string][] = [
    [d, 'd'],
    [h, 'h'],
    [m, 'm'],
    [s, 's'],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  if (first === -1) return '0s';
  return parts
    .slice(first, first + 2)
    .filter(([n], i) => i === 0 || n > 0)
    .map(([n, u]) => `${n}${u}`)
    .join(' ');
}

/** JSON on stdout; DEL and C1, which JSON.stringify leaves raw, as \u escapes (the same string to a parser). */
export function writeJson(deps: Deps, value: unknown, oneLine = false): void {
  // Its only raw line breaks are the layout's: string contents have theirs escaped already.
  const text = JSON.stringify(value, null, oneLine ? undefined : 2);
  deps.stdout.write(text.split('\n').map(visible).join('\n') + '\n');
}

/** "abcd…wxyz (412 chars)": enough to tell tokens apart, never enough to use one. */
export function shorten(token: string): string {
  if (token.length <= 12) return `${'*'.repeat(token.length)}`;
  return `${token.slice(0, 4)}…${token.slice(-4)} (${token.length} chars)`;
}

/** An ISO time for --json, or null where there is none or it is past what a Date holds (a hand-edited file). */
export function isoTime(ms: number | null | undefined): string | null {
  if (typeof ms !== 'number' || !ms) return null;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
