// When a stored token is fresh enough to give out, and --min-ttl <duration> (SPEC), which
// renews a token that has less than that left. Shared by show (its fast and quick paths
// too), curl, exec and status. Plain functions on the clock's value: the start-up quick
// path (quick-show.ts) loads this file, so it imports nothing but the error classes.
import type { Command } from 'commander';
import type { TokenMeta } from '../store/settings.js';
import { UsageError } from '../errors.js';

/** Longest accepted: a year. Past it a "minimum" is a typo, not a wish. */
const MAX_MS = 366 * 86_400_000;
const UNITS: Record<string, number> = { '': 1000, s: 1000, m: 60_000, h: 3_600_000 };

/** "90s", "30m", "2h" or whole seconds ("300") in ms; undefined when it is none of them. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d{1,12})([smh]?)$/.exec(text.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * UNITS[m[2]!]!;
  return ms <= MAX_MS ? ms : undefined;
}

/** The minimum in ms from --min-ttl, else TOKEN_MIN_TTL (the flag wins); undefined when neither is set. */
export function minTtlMs(flag: string | undefined, env: NodeJS.ProcessEnv): number | undefined {
  const [text, source] = flag !== undefined ? [flag, '--min-ttl'] : [env.TOKEN_MIN_TTL || undefined, 'TOKEN_MIN_TTL'];
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined) {
    throw new UsageError(
      `${source} must be a duration like 90s, 30m, 2h or a number of seconds, got ${JSON.stringify(text)}`,
    );
  }
  return ms;
}

/**
 * minTtlMs for a command that also has --no-refresh: a minimum needs renewing, so the
 * flag with --no-refresh is a usage error, and TOKEN_MIN_TTL (a default) gives way to it.
 */
export function minTtlFor(flag: string | undefined, noRefresh: boolean, env: NodeJS.ProcessEnv): number | undefined {
  if (!noRefresh) return minTtlMs(flag, env);
  if (flag !== undefined) throw new UsageError('--min-ttl and --no-refresh conflict: a minimum may need a renewal');
  return undefined;
}

/** Adds --min-ttl to a command; read it back with minTtlMs(opts.minTtl, env). */
export function addMinTtlOption(cmd: Command): Command {
  return cmd.option(
    '--min-ttl <duration>',
    'renew when less than this is left: 90s, 30m, 2h or seconds (env TOKEN_MIN_TTL)',
  );
}

/**
 * How much must be left for the token to count as fresh. A token whose whole lifetime is
 * under the minimum (the provider issues shorter ones) cannot meet it: renewing then only
 * gains what has passed since it was issued, so it is renewed once it is older than the
 * usual margin rather than on every call.
 */
export function requiredMs(lifetime: number, marginMs: number, minTtl: number): number {
  const wanted = Math.max(marginMs, minTtl);
  return lifetime >= wanted ? wanted : Math.max(marginMs, lifetime - marginMs);
}

/** SPEC `token show`: a token within 60 s of expiry counts as expired. */
const EXPIRY_MARGIN_MS = 60_000;

/** Fresh enough not to renew: more than 60 s left (half the lifetime for tokens that live under 2 min), or more than minTtlMs. */
export function isFresh(meta: TokenMeta | undefined, now: number, minTtlMs?: number): boolean {
  if (!meta) return false;
  if (meta.expiresAt === null) return minTtlMs === undefined;
  const margin = Math.min(EXPIRY_MARGIN_MS, (meta.expiresAt - meta.obtainedAt) / 2);
  return (
    meta.expiresAt - now >
    (minTtlMs === undefined ? margin : requiredMs(meta.expiresAt - meta.obtainedAt, margin, minTtlMs))
  );
}

/** Less than the minimum left, or an unknown expiry: the token is given out with a warning (short-ttl.ts). */
export function shortOfMinimum(meta: Pick<TokenMeta, 'expiresAt'>, minTtlMs: number | undefined, now: number): boolean {
  return minTtlMs !== undefined && (meta.expiresAt === null || meta.expiresAt - now < minTtlMs);
}
