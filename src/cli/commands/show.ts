// token show: the current token, as a human summary, --raw, --json or --header.
import type { Command } from 'commander';
import type { Deps } from '../deps.js';
import { optionsOf } from '../flags.js';
import { selectProfile } from '../profile.js';
import { currentToken, type Current } from '../tokens.js';
import { providerById } from '../../providers/index.js';
import { decodeJwt } from '../../oauth/jwt.js';
import { formatDuration, paint, shorten, visible, writeJson } from '../output.js';
import { printToken } from '../print-token.js';
import { toJson } from '../token-json.js';
import { UsageError } from '../../errors.js';
import { addMinTtlOption, minTtlFor } from '../min-ttl.js';
import { warnShortTtl } from '../short-ttl.js';
import { checkStoredToken } from '../stored-token.js';

export interface ShowOptions {
  profile?: string;
  raw?: boolean;
  json?: boolean;
  header?: boolean;
  refresh: boolean;
  verify?: boolean;
  bearer?: boolean;
  verbose?: boolean;
  minTtl?: string;
}

export function register(program: Command, deps: Deps): Command {
  const cmd = program
    .command('show')
    .description('show the current access token (refreshing it first when it expires within 60 s)')
    .option('--raw', 'print only the access token and a newline')
    .option('--json', 'print one JSON object')
    .option('--header', 'print the ready HTTP header line')
    .option('--bearer', 'with --header: Authorization: Bearer even for PRISM')
    .option('--no-refresh', 'never refresh; an expired token is an error')
    .option('--verify', "also ask the provider's identity endpoint who the token belongs to");
  return addMinTtlOption(cmd).action(async (_opts, cmd: Command) => run(optionsOf<ShowOptions>(cmd), deps));
}

export async function run(opts: ShowOptions, deps: Deps): Promise<void> {
  const formats = [opts.raw, opts.json, opts.header].filter(Boolean).length;
  if (formats > 1) throw new UsageError('choose one of --raw, --json, --header');
  const minTtlMs = minTtlFor(opts.minTtl, !opts.refresh, deps.env);
  const storage = deps.storage();
  const ctx = { deps, storage, verbose: !!opts.verbose, minTtlMs };
  if (opts.raw || opts.header) {
    // The token alone: no other secret is read (each is a keychain call).
    const cur = await currentToken(ctx, await selectProfile(storage, opts.profile, deps.env), !opts.refresh);
    await warnShortTtl(deps, cur, minTtlMs);
    checkStoredToken(cur);
    printToken(cur, { raw: !!opts.raw, bearer: opts.bearer }, deps);
    return;
  }
  const selected = await selectProfile(storage, opts.profile, deps.env);
  const cur = await currentToken(ctx, selected, !opts.refresh);
  await warnShortTtl(deps, cur, minTtlMs);
  const user = opts.verify ? await verify(cur, deps, !!opts.verbose) : undefined;
  const isDefault = selected.isDefault;
  if (opts.json) {
    writeJson(deps, toJson(cur, deps.now(), isDefault, user));
    return;
  }
  deps.stdout.write(humanSummary(cur, deps, isDefault, user));
}

function humanSummary(cur: Current, deps: Deps, isDefault: boolean, user?: string | null): string {
  const c = paint(deps, 'stdout');
  const now = deps.now();
  const { expiresAt } = cur.meta;
  const rows: [string, string][] = [
    ['profile', `${cur.name}${isDefault ? ' (default)' : ''}`],
    ['provider', providerById(cur.profile.provider).name],
    ['token', visible(shorten(cur.accessToken))],
    ['type', cur.meta.tokenType],
    [
      'expires',
      expiresAt === null
        ? 'expiry unknown'
        : `${localTime(expiresAt)} (${expiresAt > now ? `in ${formatDuration(expiresAt - now)}` : c.red('expired')})`,
    ],
    ['scope', cur.meta.scope === undefined ? '-' : visible(cur.meta.scope)],
    ['refresh token', cur.hasRefreshToken ? 'yes' : 'no'],
    ['store', cur.profile.store === 'keychain' ? 'OS keychain' : `file (profiles/${cur.name}.json)`],
  ];
  if (user !== undefined) rows.push(['user', user === null ? '(unknown)' : visible(user)]);
  const jwt = decodeJwt(cur.accessToken);
  if (jwt) {
    // Server-made, every part of it: JSON.stringify leaves DEL and C1 (a one-byte CSI) raw.
    rows.push(['jwt header', visible(JSON.stringify(jwt.header))]);
    for (const [k, v] of Object.entries(jwt.claims)) {
      const time =
        (k === 'exp' || k === 'iat' || k === 'nbf') && typeof v === 'number' ? ` (${localTime(v * 1000)})` : '';
      rows.push([`jwt ${visible(k)}`, `${visible(typeof v === 'string' ? v : JSON.stringify(v))}${time}`]);
    }
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${c.bold(k.padEnd(width))}  ${v}\n`).join('');
}

export function localTime(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return 'out of range';
  const pad = (n: number) => String(n).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const tz = `${sign}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${tz}`;
}

/** --verify: PRISM's GET /prism/v1/service/user; providers without one say so on stderr. */
async function verify(cur: Current, deps: Deps, verbose: boolean): Promise<string | null> {
  const provider = providerById(cur.profile.provider);
  if (!provider.verifyRequest || !provider.readIdentity) {
    deps.stderr.write(`${provider.name} has no identity endpoint; --verify checks nothing more\n`);
    return null;
  }
  const { identify } = await import('../identity.js');
  return identify(cur, deps, verbose);
}
