// The command lines `show`'s shortcuts take: `show` with --raw or --header and only the
// flags that go with them. Read by main's fast path (fast-show.ts) and by the start-up quick
// path (quick-show.ts); anything else goes through commander, whose errors and help are the
// command's own.

export interface FastShow {
  raw: boolean;
  bearer: boolean;
  noRefresh: boolean;
  profile?: string;
  minTtl?: string;
}

/** Parses `show` with only --raw/--header, --bearer, --no-refresh, -p/--profile, --min-ttl; else undefined. */
export function parseFastShow(argv: string[]): FastShow | undefined {
  if (argv[0] !== 'show') return undefined;
  const out: FastShow = { raw: false, bearer: false, noRefresh: false };
  let header = false;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--raw') out.raw = true;
    else if (a === '--header') header = true;
    else if (a === '--bearer') out.bearer = true;
    else if (a === '--no-refresh') out.noRefresh = true;
    else if ((a === '-p' || a === '--profile') && i + 1 < argv.length && !argv[i + 1]!.startsWith('-'))
      out.profile = argv[++i];
    else if (a.startsWith('--profile=') && a.length > 10) out.profile = a.slice(10);
    else if (a === '--min-ttl' && i + 1 < argv.length && !argv[i + 1]!.startsWith('-')) out.minTtl = argv[++i];
    else if (a.startsWith('--min-ttl=')) out.minTtl = a.slice(10);
    else return undefined;
  }
  return out.raw !== header ? out : undefined;
}
