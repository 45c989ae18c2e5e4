// `token show --raw` (or --header) with a fresh token, answered before main.cjs loads:
// bin/token.cjs runs this small bundle (dist/quick.cjs) first for a command line that
// starts with `show`. Scripts run that command in loops and prompts, and loading main.cjs
// is most of its cost (docs/performance.md). It only reads: when it cannot answer alone
// — another command line, an expired token, a warning to give, a damaged or missing file,
// a version 1 dir — it returns false having written nothing, and main.cjs runs the command
// as if this had not run. What it prints is what main's fast path (fast-show.ts) prints for
// the same files at the same time: the files are checked, the freshness and the --min-ttl
// warning judged and the line made by the same functions, and the line that restates
// selectProfile's order is held to main's by test/unit/quick-show.test.ts. It
// imports only modules without provider or storage code, to stay small.
import { existsSync, readFileSync, writeSync } from 'node:fs';
import { parseFastShow } from './show-args.js';
import { isFresh, minTtlFor, shortOfMinimum } from './min-ttl.js';
import { tokenLine } from './print-token.js';
import { checkStoredToken } from './stored-token.js';
import { CONFIG_FILE, configDir, PROFILES_DIR, V1_SETTINGS_FILE, within } from '../store/paths.js';
import { checkProfileName, parseConfig, parseProfile } from '../store/settings.js';

/** The line `show` prints for this command line, when it needs nothing but the files; else undefined. */
export function quickShow(argv: string[], env: NodeJS.ProcessEnv, now: number): string | undefined {
  try {
    const opts = parseFastShow(argv);
    if (!opts) return undefined;
    const minTtl = minTtlFor(opts.minTtl, opts.noRefresh, env);
    const dir = configDir(env);
    if (existsSync(within(dir, V1_SETTINGS_FILE))) return undefined; // to be migrated
    // Read (and checked) with -p too, as storage.config() does.
    const configPath = within(dir, CONFIG_FILE);
    const config = parseConfig(configPath, readFileSync(configPath, 'utf8'));
    // -p, TOKEN_PROFILE, the default: the other ways of selectProfile (a provider's name,
    // the only profile) list the profiles, and are left to main.cjs.
    const name = opts.profile ?? (env.TOKEN_PROFILE || config.default);
    if (name === undefined) return undefined;
    const path = within(within(dir, PROFILES_DIR), `${checkProfileName(name)}.json`);
    const { provider, token } = parseProfile(path, readFileSync(path, 'utf8'));
    if (!token || !isFresh(token, now, minTtl)) return undefined; // to be renewed
    // A token with less than --min-ttl left is given out with a warning: main.cjs says it.
    if (shortOfMinimum(token, minTtl, now)) return undefined;
    checkStoredToken({ name, accessToken: token.accessToken, meta: token });
    return tokenLine(provider, token.accessToken, token.tokenType, opts);
  } catch {
    return undefined; // main.cjs reports it
  }
}

/**
 * Prints quickShow's line on fd 1 and returns true; false when main.cjs must run the command.
 * The line is ASCII (checkStoredToken), so a character is a byte: a short write's rest goes
 * through process.stdout. A write that fails wrote nothing, and main.cjs tries it again and
 * reports what fails; EPIPE (the reader has gone: `token show --raw | head -c 3`) ends here,
 * also when it comes after a short write.
 */
export function showQuickly(
  argv: string[],
  env = process.env,
  write: (line: string) => number = (line) => writeSync(1, line),
  rest: (line: string) => unknown = (line) => process.stdout.on('error', ignoreEpipe).write(line),
): boolean {
  const line = quickShow(argv, env, Date.now());
  if (line === undefined) return false;
  let written;
  try {
    written = write(line);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPIPE';
  }
  if (written < line.length) rest(line.slice(written));
  return true;
}

function ignoreEpipe(err: NodeJS.ErrnoException): void {
  if (err.code !== 'EPIPE') throw err;
}
