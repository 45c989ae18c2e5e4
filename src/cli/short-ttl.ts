// The warning when the token given out has less left than --min-ttl asked for (SPEC): the
// provider issues shorter tokens, or the expiry is unknown.
import type { Deps } from './deps.js';
import type { Current } from './tokens.js';
import { providerById } from '../providers/index.js';
import { shortOfMinimum } from './min-ttl.js';

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
  if (!shortOfMinimum(cur.meta, minTtl, deps.now())) return;
  // output.ts brings chalk: loaded only when there is something to say.
  const { formatDuration } = await import('./output.js');
  const line = shortTtlWarning(cur, minTtl, deps.now(), formatDuration);
  if (line) deps.stderr.write(`${line}\n`);
}
