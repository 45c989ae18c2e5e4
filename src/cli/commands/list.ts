// token list: every profile with provider, status, store and the default marker.
import type { Command } from 'commander';
import type { Deps } from '../deps.js';
import { optionsOf } from '../flags.js';
import { openStorage } from '../../store/index.js';
import { fileAccounts } from '../../store/file-store.js';
import { account } from '../../store/secrets.js';
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

/** Undefined when credentials.json cannot be read: listing never fails over it (show says why). */
function accountsInFile(dir: string): Set<string> | undefined {
  try {
    return fileAccounts(dir);
  } catch {
    return undefined;
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
  // File-store profiles whose access token is gone show none, not the expiry they once had:
  // one read of credentials.json. The keychain is not asked (a locked one answers "no
  // entry", and may prompt): there profiles.json says.
  const profiles = Object.entries(settings.profiles);
  const inFile = profiles.some(([, p]) => p.store === 'file') ? accountsInFile(storage.dir) : undefined;
  const rows = profiles.map(([name, p]) => {
    const gone = p.store === 'file' && inFile !== undefined && !inFile.has(account(name, 'access_token'));
    return {
      name,
      provider: p.provider,
      ...(gone ? { status: 'none' as const, text: 'none' } : status(p, now)),
      expires_at: gone ? null : isoTime(p.token?.expiresAt),
      store: p.store,
      default: settings.default === name,
    };
  });
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
