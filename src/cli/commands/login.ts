// token login <provider>: the commander half turns flags into LoginOptions, naming
// every missing flag when it may not prompt; login() does the work.
import { Option, type Command } from 'commander';
import { canPrompt, type Deps } from '../deps.js';
import { intFlag, optionsOf } from '../flags.js';
import { readExisting } from '../existing-profile.js';
import { UsageError } from '../../errors.js';
import { providerById, PROVIDERS, tokenEndpointOrigin } from '../../providers/index.js';
import { checkProfileName, type ProfileSettings } from '../../store/settings.js';
import type { Options, Provider } from '../../providers/types.js';

export interface LoginFlags {
  profile?: string;
  clientId?: string;
  clientSecretStdin?: boolean;
  refreshTokenStdin?: boolean;
  code?: string;
  browser: boolean;
  port?: string;
  timeout?: string;
  force?: boolean;
  json?: boolean;
  allowHttp?: boolean;
  /** --no-state sets this false. */
  state?: boolean;
  pkce?: boolean;
  verbose?: boolean;
  [providerFlag: string]: unknown;
}

export interface LoginOptions {
  provider: Provider;
  profile: string;
  clientId?: string;
  /** From TOKEN_CLIENT_SECRET or stdin; undefined means "reuse the stored one, or ask on a TTY". */
  clientSecret?: string;
  /** Logging in again to a profile of this provider: its stored client secret may be reused. */
  reuseStoredSecret: boolean;
  code?: string;
  /** --refresh-token-stdin: import a refresh token instead of signing in; undefined token: ask for it (TTY). */
  importRefreshToken?: { token?: string };
  browser: boolean;
  port: number;
  timeoutS: number;
  force: boolean;
  json: boolean;
  verbose: boolean;
  /** Raw provider flags (--service-url, --region, ...), checked by the provider. */
  providerFlags: Options;
}

export function register(program: Command, deps: Deps): Command {
  const cmd = program
    .command('login')
    .description('log in and store the tokens: prism, priava, brightpattern (bp)')
    .argument(
      '[provider]',
      'prism | priava | brightpattern (bp); may be left out to log in again to an existing -p profile',
    );
  addClientOptions(cmd)
    .option('--force', 'overwrite an existing profile without asking')
    .option('--json', 'print the result as JSON')
    .option('--allow-http', 'allow plain http:// to non-loopback hosts')
    .option('--pkce', 'prism, priava: PKCE (RFC 7636, S256) on the authorize URL and the code exchange')
    .option('--no-state', 'prism, priava: no state on the authorize URL, for a server that drops it (risk: see below)');
  addProviderFlags(cmd, Object.values(PROVIDERS));
  cmd.addHelpText(
    'after',
    `
Examples:
  TOKEN_CLIENT_SECRET=... token login bp --tenant example.brightpattern.com --client-id api.user
  token login prism --service-url https://api.example.com --client-id my-client
  pass show priava | token login priava --region APAC --client-id abc --client-secret-stdin \\
      --redirect-uri http://127.0.0.1:8765/callback
  token login -p prism --force        log in again with the stored settings
  printf %s "$RT" | TOKEN_CLIENT_SECRET=... token login prism --service-url https://api.example.com \\
      --client-id my-client --refresh-token-stdin      import a refresh token (CI, headless)

State: when token builds the authorize URL (prism; priava with --authorize-url) it
sends a random state and refuses a callback without it. Without state (--no-state,
or a priava login without --authorize-url) the listener takes the first code that
reaches its port while the login waits: any web page or local process that gets
there first can log you in to an account of its choosing (login CSRF).`,
  );
  return cmd.action(async (provider: string | undefined, _opts, c: Command) => {
    const opts = await toLoginOptions(provider, optionsOf<LoginFlags>(c), deps);
    const { login } = await import('../login-flow.js');
    await login(opts, deps);
  });
}

/** The client and authorization-code options `login` and `check prism` share. */
export function addClientOptions(cmd: Command): Command {
  return cmd
    .option('--client-id <id>', 'OAuth client id (Bright Pattern: the login ID)')
    .option('--client-secret-stdin', 'read the client secret from stdin (or set TOKEN_CLIENT_SECRET)')
    .option('--code <code>', 'skip the browser and exchange this authorization code')
    .option(
      '--refresh-token-stdin',
      'prism, priava: import a refresh token from stdin instead of signing in (client secret from TOKEN_CLIENT_SECRET)',
    )
    .option('--no-browser', 'print the authorization URL instead of opening a browser')
    .option('--port <n>', 'loopback port for the redirect (0 = any free port)')
    .addOption(new Option('--timeout <s>', 'seconds to wait for the browser callback').default('300', '300'));
}

/** Provider flags; one shared by several providers says what it means for each. */
export function addProviderFlags(cmd: Command, providers: readonly Provider[]): Command {
  const byFlag = new Map<string, { key: string; notes: string[] }>();
  for (const provider of providers) {
    for (const f of provider.flags) {
      const entry = byFlag.get(f.flag) ?? { key: f.key, notes: [] };
      entry.notes.push(`${provider.id}: ${f.required ? 'required; ' : ''}${f.description}`);
      byFlag.set(f.flag, entry);
    }
  }
  for (const [flag, { key, notes }] of byFlag) {
    cmd.option(key === 'sandbox' ? flag : `${flag} <value>`, notes.join('. '));
  }
  return cmd;
}

/** Flags → LoginOptions. Without a TTY, every missing value is named in one usage error. */
export async function toLoginOptions(
  providerName: string | undefined,
  flags: LoginFlags,
  deps: Deps,
): Promise<LoginOptions> {
  // Logging in again to an existing profile reuses what it was logged in with (gh auth login does too).
  // SPEC: -p, or TOKEN_PROFILE (the flag wins), for every command including login.
  const named = flags.profile ?? (deps.env.TOKEN_PROFILE || undefined);
  const name = named ?? (providerName ? providerById(providerName).id : undefined);
  if (named !== undefined)
    checkProfileName(named, flags.profile === undefined ? 'profile name (from TOKEN_PROFILE)' : 'profile name');
  let existing: ProfileSettings | undefined;
  if (name !== undefined) {
    const storage = deps.storage();
    await storage.config(); // a version 1 dir is migrated first
    existing = readExisting(storage, name, flags.force === true);
  }
  if (!providerName && !existing) {
    if (!canPrompt(deps))
      throw new UsageError(
        'missing provider',
        'usage: token login <prism|priava|brightpattern> [options], or token login -p <existing profile>',
      );
    providerName = await (
      await deps.prompter()
    ).select(
      'Log in to which provider?',
      Object.values(PROVIDERS).map((p) => ({ value: p.id, name: `${p.name} (${p.id})` })),
    );
  }
  const provider = providerById(providerName ?? existing!.provider);
  const again = existing?.provider === provider.id ? existing : undefined;
  return { ...(await parseClientFlags(provider, flags, deps, again)), profile: name ?? provider.id };
}

/**
 * The flags of one provider's authorization → options, without a profile (`check prism`
 * has none). `again`: the profile logged in again, whose flags and secret may be reused.
 */
export async function parseClientFlags(
  provider: Provider,
  flags: LoginFlags,
  deps: Deps,
  again?: ProfileSettings,
  command = `token login ${provider.id}`,
): Promise<Omit<LoginOptions, 'profile'>> {
  const port = intFlag(flags.port ?? '0', '--port', 0, 65535);
  const timeoutS = intFlag(flags.timeout ?? '300', '--timeout', 1, 86400);
  if (flags.clientId !== undefined && flags.clientId.trim() === '') throw new UsageError('--client-id is empty');
  if (flags.code !== undefined && (flags.code === '' || /\s/.test(flags.code))) {
    throw new UsageError(
      `--code ${JSON.stringify(flags.code)} is not an authorization code (it is empty or has spaces)`,
    );
  }
  if (provider.flow === 'client_credentials') {
    const codeFlow = [
      flags.code !== undefined && '--code',
      flags.pkce && '--pkce',
      flags.state === false && '--no-state',
    ].filter(Boolean);
    if (codeFlow.length)
      throw new UsageError(`${codeFlow.join(', ')} does not apply to ${provider.name} (client credentials)`);
  }
  if (flags.pkce && flags.code !== undefined) {
    throw new UsageError(
      '--pkce and --code conflict: the code_verifier belongs to the authorize URL token builds, not to a code obtained elsewhere',
    );
  }
  for (const f of Object.values(PROVIDERS).flatMap((p) => p.flags)) {
    if (flags[f.key] !== undefined && !provider.flags.some((own) => own.key === f.key)) {
      throw new UsageError(`${f.flag} does not apply to ${provider.id}`);
    }
  }
  const importing = flags.refreshTokenStdin === true;
  if (importing) checkImport(provider, flags);
  let clientSecret = deps.env.TOKEN_CLIENT_SECRET || undefined;
  if (flags.clientSecretStdin) clientSecret = await readSecretFromStdin(deps);

  // --pkce, like the provider flags, is remembered for `token login -p <profile>` again.
  const providerFlags: Options = {
    allowHttp: flags.allowHttp === true || again?.loginFlags?.allowHttp === true,
    ...((flags.pkce ?? again?.loginFlags?.pkce) === true ? { pkce: true } : {}),
    // Never remembered: a login again sends state unless --no-state is given again.
    ...(flags.state === false ? { noState: true } : {}),
  };
  for (const f of provider.flags)
    providerFlags[f.key] = (flags[f.key] as string | boolean | undefined) ?? again?.loginFlags?.[f.key];
  const clientId = flags.clientId ?? again?.clientId;
  // The stored client secret is reused only for the same token endpoint and client id (SPEC).
  const reuseStoredSecret = !!again && clientId === again.clientId && sameTokenEndpoint(provider, providerFlags, again);

  if (!canPrompt(deps)) {
    const missing = [
      ...(clientId ? [] : ['--client-id']),
      ...provider.flags.filter((f) => f.required && providerFlags[f.key] === undefined).map((f) => f.flag),
      ...(clientSecret || reuseStoredSecret
        ? []
        : [
            importing
              ? 'TOKEN_CLIENT_SECRET (stdin carries the refresh token)'
              : 'TOKEN_CLIENT_SECRET or --client-secret-stdin',
          ]),
    ];
    if (missing.length) {
      const why =
        again && !reuseStoredSecret && !clientSecret
          ? ` (the stored client secret is only sent to the token endpoint and client id it was given for)`
          : '';
      throw new UsageError(
        `missing ${missing.join(', ')}${why}`,
        `not a terminal, so nothing is asked; see: ${command} --help`,
      );
    }
  }
  if (importing && deps.stdinIsTTY && !canPrompt(deps))
    throw new UsageError(
      '--refresh-token-stdin needs the refresh token piped in, e.g. printf %s "$REFRESH_TOKEN" | token login ...',
    );
  // On a terminal it is asked for (hidden) with the other prompts.
  const importRefreshToken = importing
    ? { token: deps.stdinIsTTY ? undefined : await readRefreshTokenFromStdin(deps) }
    : undefined;
  return {
    provider,
    clientId,
    clientSecret,
    reuseStoredSecret,
    code: flags.code,
    importRefreshToken,
    browser: flags.browser !== false,
    port,
    timeoutS,
    force: flags.force === true,
    json: flags.json === true,
    verbose: flags.verbose === true,
    providerFlags,
  };
}

function sameTokenEndpoint(provider: Provider, flags: Options, profile: ProfileSettings): boolean {
  try {
    return (
      tokenEndpointOrigin(provider, provider.resolveOptions({ ...flags })) ===
      tokenEndpointOrigin(provider, profile.options)
    );
  } catch {
    return false; // flags that do not resolve yet: asked for below, and the secret with them
  }
}

async function readSecretFromStdin(deps: Deps): Promise<string> {
  if (deps.stdinIsTTY)
    throw new UsageError('--client-secret-stdin needs the secret piped in, e.g. pass show ... | token login ...');
  const chunks: Buffer[] = [];
  for await (const chunk of deps.stdin) chunks.push(Buffer.from(chunk as Buffer));
  const secret = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (!secret) throw new UsageError('--client-secret-stdin: stdin was empty');
  return secret;
}

/** --refresh-token-stdin: for the providers that have refresh tokens, and alone on stdin. */
function checkImport(provider: Provider, flags: LoginFlags): void {
  if (provider.flow !== 'authorization_code')
    throw new UsageError(
      `--refresh-token-stdin does not apply to ${provider.name}: it issues no refresh tokens`,
      `run: token login ${provider.id} (client credentials need no browser)`,
    );
  if (flags.clientSecretStdin)
    throw new UsageError(
      '--refresh-token-stdin and --client-secret-stdin cannot both read stdin',
      'give the client secret in TOKEN_CLIENT_SECRET',
    );
  if (flags.code !== undefined) throw new UsageError('--refresh-token-stdin and --code conflict: give one');
}

/** The refresh token piped in: one trailing line break is dropped; empty, or several lines, is a usage error. */
async function readRefreshTokenFromStdin(deps: Deps): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of deps.stdin) chunks.push(Buffer.from(chunk as Buffer));
  const token = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (!token)
    throw new UsageError(
      '--refresh-token-stdin: stdin was empty',
      'pipe the refresh token in, e.g. printf %s "$REFRESH_TOKEN" | token login ...',
    );
  if (/[\r\n]/.test(token))
    throw new UsageError('--refresh-token-stdin: stdin has more than one line; a refresh token is one');
  return token;
}
