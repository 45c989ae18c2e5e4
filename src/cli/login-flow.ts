// login(opts, deps): ask for what is missing (TTY only), get a token, store it.
import { randomBytes } from 'node:crypto';
import { canPrompt, type Deps, type Prompter } from './deps.js';
import { CancelledError, ProviderError, UsageError } from '../errors.js';
import type { LoginOptions } from './commands/login.js';
import { openStorage, type Storage } from '../store/index.js';
import { warmLocks, withLock } from '../store/lock.js';
import type { SecretStore, Secrets } from '../store/secrets.js';
import { toJson } from './token-json.js';
import type { ProfileSettings } from '../store/settings.js';
import { checkTransport, isLoopbackHost } from '../providers/urls.js';
import type { ClientAuth, Options, Provider } from '../providers/types.js';
import type { TokenSet } from '../oauth/token-response.js';
import { waitForCode } from './wait-for-code.js';
import { httpContext, tokenMeta } from './tokens.js';
import { formatDuration, paint, writeJson } from './output.js';

export async function login(opts: LoginOptions, deps: Deps): Promise<void> {
  const { provider, profile: name } = opts;
  const storage = openStorage(deps.env);
  const prompter = canPrompt(deps) ? await deps.prompter() : undefined;
  const existing = storage.read().profiles[name];
  if (existing && !opts.force) {
    if (!prompter) throw new UsageError(`profile ${name} already exists`, `pass --force to log in to it again, or -p <name> for a new profile`);
    const yes = await prompter.confirm(`Profile ${name} (${existing.provider}) already exists. Overwrite it?`, false);
    if (!yes) throw new CancelledError();
  }
  const client = await askMissing(opts, prompter, existing && (() => storage.secretsOf(existing).then((s) => s.read(name))));
  const options = provider.resolveOptions(opts.providerFlags);
  const allowHttp = opts.providerFlags.allowHttp === true;
  checkTransport(provider.endpoints(options), allowHttp);
  const store = await storage.storeForLogin((line) => void deps.stderr.write(`token: ${line}\n`));

  const http = httpContext({ deps, verbose: opts.verbose });
  const exchange = lazyExchange();
  let set: TokenSet;
  const saved: Options = { ...options, ...(allowHttp ? { allowHttp: true } : {}) };
  if (provider.flow === 'client_credentials') {
    set = await (await exchange.load()).requestToken(provider.renewRequest(options, client, undefined), provider.name, http, () => deps.now());
  } else {
    const whileWaiting = () => {
      exchange.warm();
      warmLocks();
    };
    const { code, redirectUri } = await obtainCode(provider, options, client, opts, deps, prompter, whileWaiting);
    set = await (await exchange.load()).requestToken(provider.codeRequest!(options, client, code, redirectUri), provider.name, http, () => deps.now());
    if (redirectUri) saved.redirectUri = redirectUri;
  }
  const profile: ProfileSettings = {
    provider: provider.id,
    clientId: client.clientId,
    store: store.kind,
    options: saved,
    loginFlags: opts.providerFlags,
    token: tokenMeta(set),
  };
  const isDefault = await persistLogin(storage, name, profile, store, client.clientSecret, set);
  if (opts.json) {
    const { access_token: _hidden, ...meta } = toJson(
      { name, profile, accessToken: set.accessToken, meta: profile.token!, hasRefreshToken: !!set.refreshToken, refreshed: false },
      set.obtainedAt,
      isDefault,
    );
    writeJson(deps, meta);
    return;
  }
  const c = paint(deps, 'stderr');
  const validity = set.expiresAt === null ? 'no expiry given' : `valid for ${formatDuration(set.expiresAt - set.obtainedAt)}`;
  deps.stderr.write(`${c.green('✓')} Logged in to ${provider.name} as profile ${c.bold(name)} (token ${validity}; secrets in ${store.location})\n`);
}

/**
 * The HTTP stack (ofetch, Node's fetch) takes tens of milliseconds to load. In the code
 * flow it loads while the browser starts and the user signs in (warm), not before the
 * browser opens; a failed import surfaces at load(), where the exchange needs it.
 */
function lazyExchange() {
  let loading: Promise<typeof import('../oauth/token-response.js')> | undefined;
  const load = () => (loading ??= import('../oauth/token-response.js'));
  return { load, warm: () => void load().catch(() => undefined) };
}

/**
 * Under the profile's refresh lock, so a refresh running meanwhile cannot write the
 * old grant's tokens over these. Secrets first, then settings. Returns whether the
 * profile is the default.
 */
async function persistLogin(storage: Storage, name: string, profile: ProfileSettings, store: SecretStore, clientSecret: string, set: TokenSet): Promise<boolean> {
  return withLock(storage.dir, `refresh-${name}`, async () => {
    const existing = storage.read().profiles[name];
    await store.write(name, { client_secret: clientSecret, refresh_token: set.refreshToken ?? null, access_token: set.accessToken });
    if (existing && existing.store !== store.kind) await (await storage.secretsOf(existing)).remove(name);
    const settings = await storage.update((s) => {
      s.profiles[name] = profile;
      s.default ??= name;
    });
    return settings.default === name;
  });
}

/** Prompts (TTY only) for what is missing; a profile logged in again keeps its client secret. */
async function askMissing(opts: LoginOptions, prompter: Prompter | undefined, storedSecrets?: () => Promise<Secrets>): Promise<ClientAuth> {
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
  const stored = opts.clientSecret === undefined && opts.reuseStoredSecret && storedSecrets ? (await storedSecrets()).client_secret : undefined;
  if (opts.clientSecret === undefined && stored === undefined && !prompter) {
    throw new UsageError('missing TOKEN_CLIENT_SECRET or --client-secret-stdin (no client secret is stored for this profile)');
  }
  const clientSecret = opts.clientSecret ?? stored ?? (await ask.password(`${provider.name} client secret:`));
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
async function obtainCode(
  provider: Provider,
  options: Options,
  client: ClientAuth,
  opts: LoginOptions,
  deps: Deps,
  prompter: Prompter | undefined,
  whileWaiting: () => void,
): Promise<Obtained> {
  const given = typeof options.redirectUri === 'string' ? new URL(options.redirectUri) : undefined;
  if (given && given.protocol === 'http:' && isLoopbackHost(given.hostname) && opts.port !== 0 && Number(given.port || 80) !== opts.port) {
    throw new UsageError(`--port ${opts.port} disagrees with the port of --redirect-uri ${given.href}`, 'give one of them');
  }
  if (opts.code) {
    // RFC 6749 §4.1.3 and the PRISM page: the exchange repeats the redirect URI the code was
    // issued for, which only --redirect-uri can say when the code comes from elsewhere.
    if (typeof options.redirectUri !== 'string') {
      const hint = provider.registeredRedirectUri ? `${provider.name} registers ${provider.registeredRedirectUri}` : undefined;
      throw new UsageError('--code needs --redirect-uri: the redirect URI the code was issued for', hint);
    }
    return { code: opts.code, redirectUri: options.redirectUri };
  }
  const loopback = !given || (given.protocol === 'http:' && isLoopbackHost(given.hostname));
  if (loopback && given?.port === '0') {
    throw new UsageError(`--redirect-uri ${given.href} has port 0: the provider would send the code to a port nobody listens on`, 'give the port registered with the provider, or --port 0 without --redirect-uri');
  }
  if (!loopback && !prompter) {
    throw new UsageError(`--redirect-uri ${given.href} is not a loopback address, so the code cannot be captured here`, 'pass --code <code>, or run on a terminal to paste it');
  }
  const state = provider.usesState ? randomBytes(24).toString('base64url') : null;
  const { startLoopback } = await import('../oauth/loopback.js');
  const listener = loopback
    ? await startLoopback({ host: given?.hostname, port: given ? Number(given.port || 80) : opts.port, path: given?.pathname ?? '/callback', state, provider: provider.name })
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
    whileWaiting();
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

/**
 * RFC 6749 §4.1.1 parameters, added to whatever query the configured URL has. Ours win:
 * the exchange repeats this redirect_uri and the listener waits on it.
 */
function authorizeUrl(provider: Provider, options: Options, clientId: string, redirectUri: string, state: string | null): string | undefined {
  const page = provider.authorizePage?.(options);
  if (!page) return undefined;
  const url = new URL(page.url);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', clientId);
  url.searchParams.set('redirect_uri', redirectUri);
  if (state) url.searchParams.set('state', state);
  for (const [name, value] of Object.entries(page.params)) url.searchParams.set(name, value);
  return url.toString();
}
