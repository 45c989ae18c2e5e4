// --min-ttl <duration> (SPEC): renew a token that has less than this left. Shared by
// show (and its fast path), curl, exec and status: the option, its parsing, the warning.
import type { Command } from 'commander';
import type { Deps } from './deps.js';
import type { Current } from './tokens.js';
import { providerById } from '../providers/index.js';
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

/** The one stderr warning when the token given out has less than the minimum left, or undefined. */
export function shortTtlWarning(
  cur: Pick<Current, 'profile' | 'meta'>,
  minTtl: number | undefined,
  now: number,
  format: (ms: number) => string,
): string | undefined {
  if (minTtl === undefined) return undefined;
  const provider = providerById(cur.profile.provider).name;
  const { expiresAt, obtainedAt } = cur.meta;
  const asked = `--min-ttl ${format(minTtl)}`;
  if (expiresAt === null)
    return `token: warning: ${provider} gave no expiry for this token, so ${asked} cannot be checked`;
  const left = expiresAt - now;
  if (left >= minTtl) return undefined;
  const lifetime = expiresAt - obtainedAt;
  if (lifetime >= minTtl) return `token: warning: this token is valid for only ${format(left)}, less than ${asked}`;
  return `token: warning: ${provider} issues tokens valid for ${format(lifetime)}, less than ${asked}; this one is valid for ${format(left)}`;
}

/** Writes the warning (if any) for the token about to be given out. */
export async function warnShortTtl(
  deps: Deps,
  cur: Pick<Current, 'profile' | 'meta'>,
  minTtl: number | undefined,
): Promise<void> {
  const { expiresAt } = cur.meta;
  if (minTtl === undefined || (expiresAt !== null && expiresAt - deps.now() >= minTtl)) return;
  // output.ts brings chalk: loaded only when there is something to say.
  const { formatDuration } = await import('./output.js');
  const line = shortTtlWarning(cur, minTtl, deps.now(), formatDuration);
  if (line) deps.stderr.write(`${line}\n`);
}
