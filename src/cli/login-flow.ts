// login(opts, deps): ask for what is missing (TTY only), get a token, store it.
import { randomBytes } from 'node:crypto';
import type { Deps, Prompter } from './deps.js';
import { CancelledError, ProviderError, UsageError } from './errors.js';
import { canPrompt, type LoginOptions } from './commands/login.js';
import { openStorage } from '../store/index.js';
import type { ProfileSettings } from '../store/settings.js';
import { checkTransport, isLoopbackHost } from '../providers/urls.js';
import type { ClientAuth, Options, Provider } from '../providers/types.js';
import { requestToken, type TokenSet } from '../oauth/token-response.js';
import { waitForCode } from './wait-for-code.js';
import { httpContext, tokenMeta } from './tokens.js';
import { formatDuration, paint, writeJson } from './output.js';

export async function login(opts: LoginOptions, deps: Deps): Promise<void> {
  const { provider, profile: name } = opts;
  const storage = openStorage(deps.env);
  const prompter = canPrompt(deps) ? await deps.prompter() : undefined;
  const existing = storage.read().profiles[name];
  if (existing && !opts.force) {
    if (!prompter) throw new UsageError(`profile ${name} already exists`, 'pass --force to overwrite it, or -p <name> for a new profile');
    const yes = await prompter.confirm(`Profile ${name} (${existing.provider}) already exists. Overwrite it?`, false);
    if (!yes) throw new CancelledError();
  }
  const client = await askMissing(opts, prompter);
  const options = provider.resolveOptions(opts.providerFlags);
  const allowHttp = opts.providerFlags.allowHttp === true;
  checkTransport(provider.endpoints(options), allowHttp);
  const store = await storage.storeForLogin((line) => void deps.stderr.write(`token: ${line}\n`));

  const http = httpContext({ deps, verbose: opts.verbose });
  let set: TokenSet;
  const saved: Options = { ...options, ...(allowHttp ? { allowHttp: true } : {}) };
  if (provider.flow === 'client_credentials') {
    set = await requestToken(provider.renewRequest(options, client, undefined), provider.name, http, deps.now);
  } else {
    const { code, redirectUri } = await obtainCode(provider, options, client, opts, deps, prompter);
    set = await requestToken(provider.codeRequest!(options, client, code, redirectUri), provider.name, http, deps.now);
    if (redirectUri) saved.redirectUri = redirectUri;
  }

  // Secrets first, then settings: a crash in between leaves the old profile intact.
  const now = set.obtainedAt;
  await store.write(name, { client_secret: client.clientSecret, refresh_token: set.refreshToken ?? null, access_token: set.accessToken });
  if (existing && existing.store !== store.kind) await (await storage.secretsOf(existing)).remove(name);
  const profile: ProfileSettings = {
    provider: provider.id,
    clientId: client.clientId,
    store: store.kind,
    options: saved,
    token: tokenMeta(set),
  };
  const settings = await storage.update((s) => {
    s.profiles[name] = profile;
    s.default ??= name;
  });

  if (opts.json) {
    writeJson(deps, {
      profile: name,
      provider: provider.id,
      token_type: set.tokenType,
      expires_at: set.expiresAt === null ? null : new Date(set.expiresAt).toISOString(),
      expires_in: set.expiresAt === null ? null : Math.round((set.expiresAt - now) / 1000),
      has_refresh_token: !!set.refreshToken,
      store: store.kind,
      default: settings.default === name,
    });
    return;
  }
  const c = paint(deps, 'stderr');
  const validity = set.expiresAt === null ? 'no expiry given' : `valid for ${formatDuration(set.expiresAt - now)}`;
  deps.stderr.write(`${c.green('✓')} Logged in to ${provider.name} as profile ${c.bold(name)} (token ${validity}; secrets in ${store.location})\n`);
}

async function askMissing(opts: LoginOptions, prompter: Prompter | undefined): Promise<ClientAuth> {
  const { provider } = opts;
  // toLoginOptions has already refused missing values when there is no prompter.
  const ask = prompter!;
  for (const f of provider.flags) {
    if (!f.required || opts.providerFlags[f.key] !== undefined) continue;
    const values = f.values;
    opts.providerFlags[f.key] = await ask.input(`${provider.name} ${flagLabel(f.flag)} (${f.description}):`, {
      validate: (v) => (values && !values.includes(v.trim().toUpperCase()) ? `one of ${values.join(', ')}` : v.trim() !== '' || 'required'),
    });
  }
  const clientId = opts.clientId ?? (await ask.input(`${provider.name} client ID:`, { validate: (v) => v.trim() !== '' || 'required' })).trim();
  const clientSecret = opts.clientSecret ?? (await ask.password(`${provider.name} client secret:`));
  return { clientId, clientSecret };
}

/** "--service-url" → "service URL": the prompt names the value the way the flag does. */
function flagLabel(flag: string): string {
  return flag.replace(/^--/, '').replace(/-/g, ' ').replace(/\b(url|uri|id)\b/g, (w) => w.toUpperCase());
}

interface Obtained {
  code: string;
  /** The redirect_uri sent to the authorize step, to repeat in the exchange. */
  redirectUri?: string;
}

/** The authorization-code leg: loopback capture, paste, or --code. */
async function obtainCode(provider: Provider, options: Options, client: ClientAuth, opts: LoginOptions, deps: Deps, prompter: Prompter | undefined): Promise<Obtained> {
  const given = typeof options.redirectUri === 'string' ? new URL(options.redirectUri) : undefined;
  if (given && given.protocol === 'http:' && isLoopbackHost(given.hostname) && opts.port !== 0 && Number(given.port || 80) !== opts.port) {
    throw new UsageError(`--port ${opts.port} disagrees with the port of --redirect-uri ${given.href}`, 'give one of them');
  }
  if (opts.code) {
    const redirectUri = typeof options.redirectUri === 'string' ? options.redirectUri : opts.port ? defaultRedirect(opts.port) : undefined;
    return { code: opts.code, redirectUri };
  }
  const loopback = !given || (given.protocol === 'http:' && isLoopbackHost(given.hostname));
  if (!loopback && !prompter) {
    throw new UsageError(`--redirect-uri ${given!.href} is not a loopback address, so the code cannot be captured here`, 'pass --code <code>, or run on a terminal to paste it');
  }
  const state = provider.id === 'prism' ? randomBytes(24).toString('base64url') : null;
  const { startLoopback } = await import('../oauth/loopback.js');
  const listener = loopback
    ? await startLoopback({ port: given ? Number(given.port || 80) : opts.port, path: given?.pathname ?? '/callback', state, provider: provider.name })
    : undefined;
  try {
    // Sent exactly as given or registered: `localhost` stays `localhost` (SPEC).
    const redirectUri = typeof options.redirectUri === 'string' ? options.redirectUri : defaultRedirect(listener!.port);
    const url = authorizeUrl(provider, options, client.clientId, redirectUri, state);
    const c = paint(deps, 'stderr');
    if (url) {
      deps.stderr.write(`Open this URL to sign in to ${provider.name}:\n  ${c.cyan(url)}\n`);
      if (opts.browser) {
        await deps.openBrowser(url).catch((err: Error) => deps.stderr.write(`token: warning: could not open a browser (${err.message}); open the URL above yourself\n`));
      }
    } else {
      deps.stderr.write(`Create the authorization code in ${provider.name} (Admin > API Access) for Redirect URI ${redirectUri}.\n`);
    }
    if (listener) deps.stderr.write(`Waiting for the redirect to ${redirectUri}\n`);
    const callback = await waitForCode({ deps, listener, state, timeoutS: opts.timeoutS, canPaste: !!prompter, prompter, provider: provider.name });
    if (callback.error) {
      const text = callback.errorDescription ? `${callback.error}: ${callback.errorDescription}` : callback.error;
      throw new ProviderError(`${provider.name} refused the sign-in: ${text}`, 0, callback.error, callback.errorDescription);
    }
    return { code: callback.code!, redirectUri };
  } finally {
    listener?.close();
  }
}

function defaultRedirect(port: number): string {
  return `http://127.0.0.1:${port}/callback`;
}

/** RFC 6749 §4.1.1 parameters, appended to whatever query the configured URL has. */
function authorizeUrl(provider: Provider, options: Options, clientId: string, redirectUri: string, state: string | null): string | undefined {
  if (typeof options.authorizeUrl !== 'string') return undefined;
  const url = new URL(options.authorizeUrl);
  const set = (k: string, v: string) => url.searchParams.has(k) || url.searchParams.set(k, v);
  set('response_type', 'code');
  set('client_id', clientId);
  set('redirect_uri', redirectUri);
  if (state) url.searchParams.set('state', state);
  if (provider.id === 'prism' && typeof options.scope === 'string') set('scope', options.scope);
  return url.toString();
}
