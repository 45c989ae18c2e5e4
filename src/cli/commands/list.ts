// token list: every profile with provider, status, store and the default marker.
import type { Command } from 'commander';
import type { Deps } from '../deps.js';
import { optionsOf } from '../flags.js';
import { formatDuration, isoTime, paint, writeJson } from '../output.js';
import type { ProfileSettings } from '../../store/settings.js';
import { UsageError } from '../../errors.js';
import { providerById } from '../../providers/index.js';

export interface ListOptions {
  json?: boolean;
}

export function register(program: Command, deps: Deps): Command {
  return program
    .command('list')
    .alias('ls')
    .description('list profiles')
    .option('--json', 'print JSON')
    .action(async (_opts, cmd: Command) => run(optionsOf<ListOptions>(cmd), deps));
}

/** What renews it without a login: a refresh token not refused, or a client-credentials client's secret (every login stores one). */
function renewable(p: ProfileSettings): boolean {
  return providerById(p.provider).flow === 'client_credentials' || (p.hasRefreshToken === true && !p.refreshRefused);
}

function status(p: ProfileSettings, now: number): { status: 'valid' | 'expired' | 'none'; text: string } {
  if (!p.token) return { status: 'none', text: 'none' };
  if (p.token.expiresAt === null) return { status: 'valid', text: 'valid, expiry unknown' };
  const left = p.token.expiresAt - now;
  return left > 0
    ? { status: 'valid', text: `valid for ${formatDuration(left)}` }
    : { status: 'expired', text: renewable(p) ? 'expired (renewable)' : 'expired' };
}

export async function run(opts: ListOptions, deps: Deps): Promise<void> {
  const storage = deps.storage();
  const config = await storage.config();
  const now = deps.now();
  // Offline: every fact is in the profile files; the keychain is never asked.
  const rows = storage.names().map((name) => {
    let p: ProfileSettings;
    try {
      p = storage.profile(name)!;
    } catch (err) {
      // One damaged file does not hide the others: its row says so (show -p names the field).
      if (!(err instanceof UsageError)) throw err;
      return {
        name,
        provider: 'unknown',
        status: 'damaged' as const,
        text: 'damaged file',
        expires_at: null,
        store: 'unknown',
        default: config?.default === name,
      };
    }
    return {
      name,
      provider: p.provider,
      ...status(p, now),
      expires_at: isoTime(p.token?.expiresAt),
      store: p.store,
      default: config?.default === name,
    };
  });
  if (opts.json) {
    // `profile` as in show --json; `name` stays as an alias for scripts written against it.
    writeJson(
      deps,
      rows.map(({ text: _text, name, ...r }) => ({ profile: name, name, ...r })),
    );
    return;
  }
  if (rows.length === 0) {
    deps.stderr.write('no profiles; run: token login <prism|priava|brightpattern>\n');
    return;
  }
  const c = paint(deps, 'stdout');
  const table = [
    ['', 'PROFILE', 'PROVIDER', 'STATUS', 'STORE'],
    ...rows.map((r) => [r.default ? '*' : '', r.name, r.provider, r.text, r.store]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  table.forEach((row, i) => {
    const line = row
      .map((cell, j) => cell.padEnd(widths[j]!))
      .join('  ')
      .trimEnd();
    deps.stdout.write(`${i === 0 ? c.bold(line) : line}\n`);
  });
}
