// token status: a live check of every profile (or -p): a valid token (renewed when needed,
// the same single-flight renewal as show) and, where the provider has one, who it is.
import type { Command } from 'commander';
import type { Deps } from '../deps.js';
import { optionsOf } from '../flags.js';
import { selectProfile } from '../profile.js';
import { currentToken, type TokenContext } from '../tokens.js';
import { providerById } from '../../providers/index.js';
import { minTtlMs } from '../min-ttl.js';
import { warnShortTtl } from '../short-ttl.js';
import { EXIT_CODES, firstLine, NotLoggedInError, ReportedFailure, TokenError, type ErrorCode } from '../../errors.js';
import { formatDuration, isoTime, paint, visible, writeJson } from '../output.js';

export interface StatusOptions {
  profile?: string;
  json?: boolean;
  verbose?: boolean;
  minTtl?: string;
}

/** Profiles checked at once (SPEC: ten take about as long as the slowest), without a burst of two hundred requests. */
const CONCURRENCY = 16;

type Line =
  | {
      profile: string;
      provider: string;
      ok: true;
      expires_at: string | null;
      expires_in: number | null;
      refreshed: boolean;
      user: string | null;
    }
  | { profile: string; provider: string; ok: false; error: { code: ErrorCode; message: string; hint?: string } };

export function register(program: Command, deps: Deps): Command {
  return program
    .command('status')
    .description('check live that each profile still gives a valid token (and, for PRISM, whose)')
    .option('--json', 'print a JSON array')
    .option('--min-ttl <duration>', 'renew when less than this is left: 90s, 30m, 2h or seconds (env TOKEN_MIN_TTL)')
    .action(async (_opts, cmd: Command) => run(optionsOf<StatusOptions>(cmd), deps));
}

export async function run(opts: StatusOptions, deps: Deps): Promise<void> {
  const storage = deps.storage();
  await storage.config(); // a version 1 dir is migrated first
  const one = opts.profile !== undefined || !!deps.env.TOKEN_PROFILE;
  const names = one ? [(await selectProfile(storage, opts.profile, deps.env)).name] : storage.names();
  if (names.length === 0) throw new NotLoggedInError('not logged in', 'run: token login <prism|priava|brightpattern>');
  const ctx: TokenContext = { deps, storage, verbose: !!opts.verbose, minTtlMs: minTtlMs(opts.minTtl, deps.env) };
  const lines = await inPool(names, CONCURRENCY, (name) => check(ctx, name));
  if (opts.json) writeJson(deps, lines);
  else print(deps, lines);
  const failed = lines.find((l) => !l.ok);
  if (failed && !failed.ok) throw new ReportedFailure(EXIT_CODES[failed.error.code]);
}

async function check(ctx: TokenContext, name: string): Promise<Line> {
  let provider = 'unknown';
  try {
    // Each profile's own file, read here: a damaged one is its own line, not the end of the run.
    const profile = ctx.storage.profile(name);
    if (!profile) throw new NotLoggedInError(`profile ${name} was logged out`, 'run: token login');
    provider = profile.provider;
    const cur = await currentToken(ctx, { name, profile, isDefault: false }, false);
    await warnShortTtl(ctx.deps, cur, ctx.minTtlMs);
    const p = providerById(cur.profile.provider);
    const user =
      p.verifyRequest && p.readIdentity
        ? await (await import('../identity.js')).identify(cur, ctx.deps, ctx.verbose)
        : null;
    const { expiresAt } = cur.meta;
    const now = ctx.deps.now();
    return {
      profile: name,
      provider,
      ok: true,
      expires_at: isoTime(expiresAt),
      expires_in: expiresAt === null ? null : Math.max(0, Math.round((expiresAt - now) / 1000)),
      refreshed: cur.refreshed,
      user,
    };
  } catch (err) {
    const known = err instanceof TokenError ? err : undefined;
    const error = {
      code: known?.code ?? ('internal' as const),
      message: known ? known.message : `unexpected error: ${firstLine(err)}`,
      ...(known?.hint ? { hint: known.hint } : {}),
    };
    return { profile: name, provider, ok: false, error };
  }
}

/** fn over items, at most `limit` at a time; results in the items' order. */
async function inPool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function print(deps: Deps, lines: Line[]): void {
  const c = paint(deps, 'stdout');
  const rows = lines.map((l) =>
    l.ok
      ? [
          l.profile,
          l.provider,
          'ok',
          l.expires_in === null ? 'expiry unknown' : `valid for ${formatDuration(l.expires_in * 1000)}`,
          l.user === null ? '' : visible(l.user),
        ]
      : [l.profile, l.provider, 'failed', visible(l.error.message)],
  );
  // Profile, provider and result line up; validity too among the usable ones.
  const widths = [0, 1, 2, 3].map((i) =>
    Math.max(0, ...rows.filter((r) => i < 3 || r[2] === 'ok').map((r) => r[i]!.length)),
  );
  for (const r of rows) {
    const cells = r.map((cell, i) => (i < r.length - 1 ? cell.padEnd(widths[i]!) : cell));
    cells[2] = r[2] === 'ok' ? c.green(cells[2]!) : c.red(cells[2]!);
    deps.stdout.write(`${cells.join('  ').trimEnd()}\n`);
  }
}
