// token login <provider>: the commander half turns flags into LoginOptions, naming
// every missing flag when it may not prompt; login() does the work.
import type { Command } from 'commander';
import { canPrompt, type Deps } from '../deps.js';
import { intFlag, optionsOf } from '../flags.js';
import { UsageError } from '../../errors.js';
import { providerById, PROVIDERS } from '../../providers/index.js';
import { openStorage } from '../../store/index.js';
import type { Options, Provider } from '../../providers/types.js';

export interface LoginFlags {
  profile?: string;
  clientId?: string;
  clientSecretStdin?: boolean;
  code?: string;
  browser: boolean;
  port?: string;
  timeout?: string;
  force?: boolean;
  json?: boolean;
  allowHttp?: boolean;
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
    .argument('[provider]', 'prism | priava | brightpattern (bp); may be left out to log in again to an existing -p profile')
    .option('--client-id <id>', 'OAuth client id (Bright Pattern: the login ID)')
    .option('--client-secret-stdin', 'read the client secret from stdin (or set TOKEN_CLIENT_SECRET)')
    .option('--code <code>', 'skip the browser and exchange this authorization code')
    .option('--no-browser', 'print the authorization URL instead of opening a browser')
    .option('--port <n>', 'loopback port for the redirect (0 = any free port)')
    .option('--timeout <s>', 'seconds to wait for the browser callback', '300')
    .option('--force', 'overwrite an existing profile without asking')
    .option('--json', 'print the result as JSON')
    .option('--allow-http', 'allow plain http:// to non-loopback hosts');
  // Provider flags; one shared by several providers says what it means for each.
  const byFlag = new Map<string, { key: string; notes: string[] }>();
  for (const provider of Object.values(PROVIDERS)) {
    for (const f of provider.flags) {
      const entry = byFlag.get(f.flag) ?? { key: f.key, notes: [] };
      entry.notes.push(`${provider.id}: ${f.required ? 'required; ' : ''}${f.description}`);
      byFlag.set(f.flag, entry);
    }
  }
  for (const [flag, { key, notes }] of byFlag) {
    cmd.option(key === 'sandbox' ? flag : `${flag} <value>`, notes.join('. '));
  }
  cmd.addHelpText(
    'after',
    `
Examples:
  TOKEN_CLIENT_SECRET=... token login bp --tenant example.brightpattern.com --client-id api.user
  token login prism --service-url https://api.example.com --client-id my-client
  pass show priava | token login priava --region APAC --client-id abc --client-secret-stdin \\
      --redirect-uri http://127.0.0.1:8765/callback
  token login -p prism --force        log in again with the stored settings`,
  );
  return cmd.action(async (provider: string | undefined, _opts, c: Command) => {
    const opts = await toLoginOptions(provider, optionsOf<LoginFlags>(c), deps);
    const { login } = await import('../login-flow.js');
    await login(opts, deps);
  });
}

/** Profile names end up in file names, keychain accounts and shell completion: keep them plain. */
const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;

/** Flags → LoginOptions. Without a TTY, every missing value is named in one usage error. */
export async function toLoginOptions(providerName: string | undefined, flags: LoginFlags, deps: Deps): Promise<LoginOptions> {
  // Logging in again to an existing profile reuses what it was logged in with (gh auth login does too).
  const name = flags.profile ?? (providerName ? providerById(providerName).id : undefined);
  const existing = name !== undefined ? openStorage(deps.env).read().profiles[name] : undefined;
  if (!providerName && !existing) {
    throw new UsageError('missing provider', 'usage: token login <prism|priava|brightpattern> [options], or token login -p <existing profile>');
  }
  const provider = providerById(providerName ?? existing!.provider);
  const again = existing?.provider === provider.id ? existing : undefined;
  if (flags.profile !== undefined && !PROFILE_NAME.test(flags.profile)) {
    throw new UsageError(`profile name ${JSON.stringify(flags.profile)} is not allowed`, 'use letters, digits and . _ @ + - (at most 64, starting with a letter or digit)');
  }
  const port = intFlag(flags.port ?? '0', '--port', 0, 65535);
  const timeoutS = intFlag(flags.timeout ?? '300', '--timeout', 1, 86400);
  if (flags.clientId !== undefined && flags.clientId.trim() === '') throw new UsageError('--client-id is empty');
  if (flags.code !== undefined && (flags.code === '' || /\s/.test(flags.code))) {
    throw new UsageError(`--code ${JSON.stringify(flags.code)} is not an authorization code (it is empty or has spaces)`);
  }
  if (flags.code !== undefined && provider.flow === 'client_credentials') throw new UsageError(`--code does not apply to ${provider.name} (client credentials)`);
  for (const f of Object.values(PROVIDERS).flatMap((p) => p.flags)) {
    if (flags[f.key] !== undefined && !provider.flags.some((own) => own.key === f.key)) {
      throw new UsageError(`${f.flag} does not apply to ${provider.id}`);
    }
  }
  let clientSecret = deps.env.TOKEN_CLIENT_SECRET || undefined;
  if (flags.clientSecretStdin) clientSecret = await readSecretFromStdin(deps);

  const providerFlags: Options = { allowHttp: flags.allowHttp === true || again?.loginFlags?.allowHttp === true };
  for (const f of provider.flags) providerFlags[f.key] = (flags[f.key] as string | boolean | undefined) ?? again?.loginFlags?.[f.key];
  const clientId = flags.clientId ?? again?.clientId;

  if (!canPrompt(deps)) {
    const missing = [
      ...(clientId ? [] : ['--client-id']),
      ...provider.flags.filter((f) => f.required && providerFlags[f.key] === undefined).map((f) => f.flag),
      ...(clientSecret || again ? [] : ['TOKEN_CLIENT_SECRET or --client-secret-stdin']),
    ];
    if (missing.length) {
      throw new UsageError(`missing ${missing.join(', ')}`, `not a terminal, so nothing is asked; see: token login ${provider.id} --help`);
    }
  }
  return {
    provider,
    profile: name ?? provider.id,
    clientId,
    clientSecret,
    reuseStoredSecret: !!again,
    code: flags.code,
    browser: flags.browser !== false,
    port,
    timeoutS,
    force: flags.force === true,
    json: flags.json === true,
    verbose: flags.verbose === true,
    providerFlags,
  };
}

async function readSecretFromStdin(deps: Deps): Promise<string> {
  if (deps.stdinIsTTY) throw new UsageError('--client-secret-stdin needs the secret piped in, e.g. pass show ... | token login ...');
  const chunks: Buffer[] = [];
  for await (const chunk of deps.stdin) chunks.push(Buffer.from(chunk as Buffer));
  const secret = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (!secret) throw new UsageError('--client-secret-stdin: stdin was empty');
  return secret;
}
