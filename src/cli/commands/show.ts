// token show: the current token, as a human summary, --raw, --json or --header.
import type { Command } from 'commander';
import type { Deps } from '../deps.js';
import { optionsOf } from '../flags.js';
import { selectFromView, selectProfile } from '../profile.js';
import { openStorage } from '../../store/index.js';
import { currentToken, httpContext, type Current, type Reported } from '../tokens.js';
import { providerById } from '../../providers/index.js';
import { decodeJwt } from '../../oauth/jwt.js';
import { formatDuration, paint, shorten, visible, writeJson } from '../output.js';
import { printToken } from '../print-token.js';
import { toJson } from '../token-json.js';
import { NetworkError, ProviderError, UsageError } from '../../errors.js';

export interface ShowOptions {
  profile?: string;
  raw?: boolean;
  json?: boolean;
  header?: boolean;
  refresh: boolean;
  verify?: boolean;
  bearer?: boolean;
  verbose?: boolean;
}

export function register(program: Command, deps: Deps): Command {
  return program
    .command('show')
    .description('show the current access token (refreshing it first when it expires within 60 s)')
    .option('--raw', 'print only the access token and a newline')
    .option('--json', 'print one JSON object')
    .option('--header', 'print the ready HTTP header line')
    .option('--bearer', 'with --header: Authorization: Bearer even for PRISM')
    .option('--no-refresh', 'never refresh; an expired token is an error')
    .option('--verify', "also ask the provider's identity endpoint who the token belongs to")
    .action(async (_opts, cmd: Command) => run(optionsOf<ShowOptions>(cmd), deps));
}

export async function run(opts: ShowOptions, deps: Deps): Promise<void> {
  const formats = [opts.raw, opts.json, opts.header].filter(Boolean).length;
  if (formats > 1) throw new UsageError('choose one of --raw, --json, --header');
  const storage = openStorage(deps.env);
  const ctx = { deps, storage, verbose: !!opts.verbose };
  if (opts.raw || opts.header) {
    // The token alone: no other secret is read (each is a keychain call).
    const cur = await currentToken(ctx, selectFromView(storage.view(), opts.profile, deps.env), !opts.refresh);
    printToken(cur, { raw: !!opts.raw, bearer: opts.bearer }, deps);
    return;
  }
  const settings = storage.read();
  const selected = selectProfile(settings, opts.profile, deps.env);
  const cur = await currentToken(ctx, selected, !opts.refresh, true);
  const user = opts.verify ? await verify(cur, deps, !!opts.verbose) : undefined;
  const isDefault = settings.default === selected.name;
  if (opts.json) {
    writeJson(deps, toJson(cur, deps.now(), isDefault, user));
    return;
  }
  deps.stdout.write(humanSummary(cur, deps, isDefault, user));
}

function humanSummary(cur: Reported, deps: Deps, isDefault: boolean, user?: string | null): string {
  const c = paint(deps, 'stdout');
  const now = deps.now();
  const { expiresAt } = cur.meta;
  const rows: [string, string][] = [
    ['profile', `${cur.name}${isDefault ? ' (default)' : ''}`],
    ['provider', providerById(cur.profile.provider).name],
    ['token', shorten(cur.accessToken)],
    ['type', cur.meta.tokenType],
    ['expires', expiresAt === null ? 'unknown (no expires_in)' : `${localTime(expiresAt)} (${expiresAt > now ? `in ${formatDuration(expiresAt - now)}` : c.red('expired')})`],
    ['scope', cur.meta.scope === undefined ? '-' : visible(cur.meta.scope)],
    ['refresh token', cur.hasRefreshToken ? 'yes' : 'no'],
    ['store', cur.profile.store === 'keychain' ? 'OS keychain' : 'file (credentials.json)'],
  ];
  if (user !== undefined) rows.push(['user', user === null ? '(unknown)' : visible(user)]);
  const jwt = decodeJwt(cur.accessToken);
  if (jwt) {
    rows.push(['jwt header', JSON.stringify(jwt.header)]);
    for (const [k, v] of Object.entries(jwt.claims)) {
      const time = (k === 'exp' || k === 'iat' || k === 'nbf') && typeof v === 'number' ? ` (${localTime(v * 1000)})` : '';
      rows.push([`jwt ${visible(k)}`, `${typeof v === 'string' ? visible(v) : JSON.stringify(v)}${time}`]);
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

/** --verify: the provider's identity endpoint (PRISM's GET /prism/v1/service/user); providers without one say so on stderr. */
async function verify(cur: Current, deps: Deps, verbose: boolean): Promise<string | null> {
  const provider = providerById(cur.profile.provider);
  if (!provider.identity) {
    deps.stderr.write(`${provider.name} has no identity endpoint; --verify checks nothing more\n`);
    return null;
  }
  const { send } = await import('../../oauth/http.js');
  const res = await send(provider.identity.request(cur.profile.options, cur.accessToken), httpContext({ deps, verbose }));
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    body = undefined;
  }
  const answer = provider.identity.read(body);
  if (res.status === 401 || res.status === 403 || answer.refused) {
    const detail = answer.detail ? `: ${answer.detail}` : '';
    throw new ProviderError(`${provider.name} rejected the token${detail} (HTTP ${res.status})`, res.status, undefined, undefined, `run: token refresh -p ${cur.name}`);
  }
  const who = res.status < 300 ? answer.user : undefined;
  if (!who) throw new NetworkError(`${provider.name}'s identity endpoint gave no user (HTTP ${res.status})`);
  return who;
}
