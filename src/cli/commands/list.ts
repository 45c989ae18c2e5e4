// token list: every profile with provider, status, store and the default marker.
import type { Command } from 'commander';
import type { Deps } from '../deps.js';
import { optionsOf } from '../program.js';
import { openStorage, type Storage } from '../../store/index.js';
import { formatDuration, isoTime, paint, writeJson } from '../output.js';
import type { ProfileSettings } from '../../store/settings.js';

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

/**
 * Whether the profile's access token is where profiles.json says (one secret read: a
 * keychain call, or the file). A store that cannot be read now leaves that to the metadata:
 * listing never fails over it.
 */
async function hasAccessToken(storage: Storage, name: string, p: ProfileSettings, unreadable: Set<string>): Promise<boolean> {
  if (!p.token) return false;
  if (unreadable.has(p.store)) return true; // a keychain that did not answer is not asked again
  try {
    return (await (await storage.secretsOf(p)).read(name, ['access_token'])).access_token !== undefined;
  } catch {
    unreadable.add(p.store);
    return true;
  }
}

function status(p: ProfileSettings, now: number): { status: 'valid' | 'expired' | 'none'; text: string } {
  if (!p.token) return { status: 'none', text: 'none' };
  if (p.token.expiresAt === null) return { status: 'valid', text: 'valid (no expiry given)' };
  const left = p.token.expiresAt - now;
  return left > 0 ? { status: 'valid', text: `valid for ${formatDuration(left)}` } : { status: 'expired', text: 'expired' };
}

export async function run(opts: ListOptions, deps: Deps): Promise<void> {
  const storage = openStorage(deps.env);
  const settings = storage.read();
  const now = deps.now();
  const rows = [];
  const unreadable = new Set<string>();
  for (const [name, p] of Object.entries(settings.profiles)) {
    rows.push({
      name,
      provider: p.provider,
      ...((await hasAccessToken(storage, name, p, unreadable)) ? status(p, now) : { status: 'none' as const, text: 'none' }),
      expires_at: isoTime(p.token?.expiresAt),
      store: p.store,
      default: settings.default === name,
    });
  }
  if (opts.json) {
    writeJson(deps, rows.map(({ text: _text, ...r }) => r));
    return;
  }
  if (rows.length === 0) {
    deps.stderr.write('no profiles; run: token login <prism|priava|brightpattern>\n');
    return;
  }
  const c = paint(deps, 'stdout');
  const table = [['', 'PROFILE', 'PROVIDER', 'STATUS', 'STORE'], ...rows.map((r) => [r.default ? '*' : '', r.name, r.provider, r.text, r.store])];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  table.forEach((row, i) => {
    const line = row.map((cell, j) => cell.padEnd(widths[j]!)).join('  ').trimEnd();
    deps.stdout.write(`${i === 0 ? c.bold(line) : line}\n`);
  });
}
