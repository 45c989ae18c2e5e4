// login(opts, deps): ask for what is missing (TTY only), get a token, store it.
import { randomBytes } from 'node:crypto';
import { canPrompt, type Deps, type Prompter } from './deps.js';
import { CancelledError, ProviderError, UsageError } from '../errors.js';
import type { LoginOptions } from './commands/login.js';
import { readExisting } from './existing-profile.js';
import type { Storage } from '../store/index.js';
import type { LongSecrets, ProfileSettings, StoreKind } from '../store/settings.js';
import { toJson } from './token-json.js';
import { tokenEndpointOrigin } from '../providers/index.js';
import { checkTransport, isLoopbackHost, parseUrlFlag } from '../providers/urls.js';
import type { AuthorizePage, ClientAuth, Options, Provider, ProviderFlag } from '../providers/types.js';
import type { TokenSet } from '../oauth/token-response.js';
import type { HttpRequest } from '../oauth/http.js';
import { pkcePair } from '../oauth/pkce.js';
import { pasteAgain, waitForCode } from './wait-for-code.js';
import type { Callback } from '../oauth/loopback.js';
import type { Obtained } from '../oauth/obtained.js';
import { cachedToken, httpContext } from './tokens.js';
import { formatDuration, paint, visible, writeJson } from './output.js';
import { importRefreshToken } from './import-refresh-token.js';

export async function login(opts: LoginOptions, deps: Deps): Promise<void> {
  const { provider, profile: name } = opts;
  const storage = deps.storage();
  // The keychain helper (a process of its own) starts while the login reads and checks its input.
  storage.warmForLogin();
  await storage.config(); // a version 1 dir is migrated first
  const prompter = canPrompt(deps) ? await deps.prompter() : undefined;
  const existing = readExisting(storage, name, opts.force);
  if (existing && !opts.force) {
    if (!prompter)
      throw new UsageError(
        `profile ${name} already exists`,
        `pass --force to log in to it again, or -p <name> for a new profile`,
      );
    const yes = await prompter.confirm(`Profile ${name} (${existing.provider}) already exists. Overwrite it?`, false);
    if (!yes) throw new CancelledError();
  }
  const client = await askMissing(
    opts,
    prompter,
    existing && opts.reuseStoredSecret ? () => storage.secrets(name, existing) : undefined,
  );
  provider.checkClient?.(client);
  const options = provider.resolveOptions(opts.providerFlags);
  const origin = tokenEndpointOrigin(provider, options);
  const allowHttp = opts.providerFlags.allowHttp === true;
  checkTransport(provider.endpoints(options), allowHttp);
  const choosing = storage.storeForLogin((line) => void deps.stderr.write(`token: ${line}\n`));
  // A client-credentials request goes out while the keychain answers, so the keychain costs
  // the login little more than its helper's start; if a forced keychain fails, whatever the
  // request gets is dropped and nothing is stored. A browser login asks first: the user's sign-in
  // and a code good for one exchange are not spent on a login that cannot be stored.
  choosing.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
  const exchange = lazyExchange();
  // Its HTTP code loads meanwhile too (other flows load it while the user signs in).
  if (provider.flow === 'client_credentials') exchange.warm();
  let store: StoreKind | undefined = provider.flow === 'client_credentials' ? undefined : await choosing;

  const http = httpContext({ deps, verbose: opts.verbose });
  let set: TokenSet;
  const saved: Options = { ...options, ...(allowHttp ? { allowHttp: true } : {}) };
  if (provider.flow === 'client_credentials') {
    const request = exchange
      .load()
      .then((m) => m.requestToken(provider.renewRequest(options, client, undefined), provider.name, http, deps.now));
    request.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
    // The keychain's answer first: a forced keychain that fails is the error to report, within
    // its 3 s, whatever the request meets (a server that hangs would hide it for the timeout).
    store = await choosing;
    set = await request;
  } else if (opts.importRefreshToken) {
    set = await importRefreshToken(provider, options, client, opts.importRefreshToken.token, {
      deps,
      prompter,
      http,
      load: exchange.load,
    });
  } else {
    const whileWaiting = () => exchange.warm();
    let obtained = await obtainCode(provider, options, client, opts, deps, prompter, whileWaiting);
    const { requestToken } = await exchange.load();
    for (;;) {
      try {
        const request = withCodeVerifier(
          provider.codeRequest!(options, client, obtained.code, obtained.redirectUri),
          obtained.codeVerifier,
        );
        set = await requestToken(request, provider.name, http, deps.now);
        break;
      } catch (err) {
        // A pasted code the provider refused (a typo, a stale code): on a terminal, paste again.
        if (!(err instanceof ProviderError) || !obtained.pasted || !prompter) throw err;
        deps.stderr.write(
          `token: ${visible(err.message)}\n${paint(deps, 'stderr').dim('a new code may need the sign-in URL above again')}\n`,
        );
        obtained = { ...obtained, code: codeOf(await pasteAgain(prompter, obtained.state ?? null, deps), provider) };
      }
    }
    if (obtained.redirectUri) saved.redirectUri = obtained.redirectUri;
    if (!set.refreshToken) {
      deps.stderr.write(
        `token: ${provider.name} sent no refresh token: this login cannot be renewed; when the token expires, run: token login -p ${name} --force\n`,
      );
    }
  }
  store ??= await choosing;
  const profile: ProfileSettings = {
    provider: provider.id,
    clientId: client.clientId,
    store,
    options: saved,
    loginFlags: opts.providerFlags,
    token: cachedToken(set),
    hasRefreshToken: !!set.refreshToken,
  };
  const secrets: LongSecrets = {
    origin,
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    ...(set.refreshToken ? { refreshToken: set.refreshToken } : {}),
  };
  const isDefault = await persistLogin(storage, name, profile, secrets);
  if (opts.json) {
    const { accessToken, ...meta } = profile.token!;
    const { access_token: _hidden, ...json } = toJson(
      { name, profile, accessToken, meta, hasRefreshToken: !!set.refreshToken, refreshed: false },
      set.obtainedAt,
      isDefault,
    );
    writeJson(deps, json);
    return;
  }
  const c = paint(deps, 'stderr');
  const validity =
    set.expiresAt === null ? 'expiry unknown' : `valid for ${formatDuration(set.expiresAt - set.obtainedAt)}`;
  const where = store === 'keychain' ? 'the OS keychain' : `${storage.dir}/profiles/${name}.json`;
  deps.stderr.write(
    `${c.green('✓')} Logged in to ${provider.name} as profile ${c.bold(name)} (token ${validity}; secrets in ${where})\n`,
  );
}

/**
 * The HTTP stack (ofetch, node-fetch-native, node:http) is slow to load. In the code
 * flow it loads while the browser starts and the user signs in (warm), not before the
 * browser opens; a failed import surfaces at load(), where the exchange needs it.
 */
function lazyExchange() {
  let loading: Promise<typeof import('../oauth/token-response.js')> | undefined;
  const load = () => (loading ??= import('../oauth/token-response.js'));
  return { load, warm: () => void load().catch(() => undefined) };
}

/**
 * Under the profile's lock, so a refresh running meanwhile cannot write the old grant's
 * tokens over these: one save (keychain entry first, then the file), then the default.
 * Returns whether the profile is the default.
 */
async function persistLogin(
  storage: Storage,
  name: string,
  profile: ProfileSettings,
  secrets: LongSecrets,
): Promise<boolean> {
  await storage.withProfileLock(name, async () => {
    const before = profileQuietly(storage, name);
    await storage.save(name, profile, secrets);
    // Moved from the keychain to the file store: its old entry goes, after the file has the new ones.
    if (before?.store === 'keychain' && profile.store === 'file') await storage.forgetKeychainSecrets(name);
  });
  const config = await storage.updateConfig((c) => {
    c.default ??= name;
  });
  return config.default === name;
}

/** The profile as it was, or undefined when its file is damaged (a login replaces it). */
function profileQuietly(storage: Storage, name: string): ProfileSettings | undefined {
  try {
    return storage.profile(name);
  } catch {
    return undefined;
  }
}

/** Prompts (TTY only) for what is missing; a profile logged in again keeps its client secret. */
export async function askMissing(
  opts: Pick<LoginOptions, 'provider' | 'providerFlags' | 'clientId' | 'clientSecret' | 'reuseStoredSecret'>,
  prompter: Prompter | undefined,
  storedSecrets?: () => Promise<LongSecrets | undefined>,
): Promise<ClientAuth> {
  const { provider } = opts;
  // toLoginOptions has already refused missing values when there is no prompter.
  const ask = prompter!;
  for (const f of provider.flags) {
    if (!f.required || opts.providerFlags[f.key] !== undefined) continue;
    const message = `${provider.name} ${flagLabel(f.flag)} (${f.description}):`;
    // A flag with a few fixed values (Priava's region) is a choice, not something to type.
    opts.providerFlags[f.key] = f.values
      ? await ask.select(
          message,
          f.values.map((v) => ({ value: v, name: v })),
        )
      : await ask.input(message, { validate: (v) => validateTyped(f, v) });
  }
  const clientId =
    opts.clientId ??
    (await ask.input(`${provider.name} client ID:`, { validate: (v) => v.trim() !== '' || 'required' })).trim();
  // Reused only where it is bound: the same token endpoint origin and client id (SPEC).
  const origin = tokenEndpointOrigin(provider, provider.resolveOptions({ ...opts.providerFlags }));
  const kept = opts.clientSecret === undefined && storedSecrets ? await storedSecrets() : undefined;
  const stored = kept && kept.origin === origin && kept.clientId === clientId ? kept.clientSecret : undefined;
  if (opts.clientSecret === undefined && stored === undefined && !prompter) {
    throw new UsageError(
      'missing TOKEN_CLIENT_SECRET or --client-secret-stdin (no client secret is stored for this token endpoint and client id)',
    );
  }
  const clientSecret = opts.clientSecret ?? stored ?? (await ask.password(`${provider.name} client secret:`));
  return { clientId, clientSecret };
}

/** A prompted flag value, checked as typed (the flag's own check runs again after the prompts). */
export function validateTyped(f: Pick<ProviderFlag, 'flag' | 'values' | 'check'>, value: string): true | string {
  const v = value.trim();
  if (v === '') return 'required';
  if (f.values && !f.values.includes(v.toUpperCase())) return `one of ${f.values.join(', ')}`;
  const own = f.check?.(v) ?? true;
  if (own !== true) return own;
  if (/-(url|uri)$/.test(f.flag)) {
    try {
      parseUrlFlag(v, f.flag);
    } catch (err) {
      return err instanceof UsageError ? 'an http(s) URL, e.g. https://api.example.com' : String(err);
    }
  }
  return true;
}

/** "--service-url" → "service URL": the prompt names the value the way the flag does. */
function flagLabel(flag: string): string {
  return flag
    .replace(/^--/, '')
    .replace(/-/g, ' ')
    .replace(/\b(url|uri|id)\b/g, (w) => w.toUpperCase());
}

/** The code exchange with code_verifier added where the provider's other parameters go. */
function withCodeVerifier(req: HttpRequest, codeVerifier: string | undefined): HttpRequest {
  if (!codeVerifier) return req;
  return req.form
    ? { ...req, form: { ...req.form, code_verifier: codeVerifier } }
    : { ...req, query: { ...req.query, code_verifier: codeVerifier } };
}

/** The code of a callback, or the provider's refusal (error=access_denied, ...) as exit 3. */
function codeOf(callback: Callback, provider: Provider): string {
  if (callback.error) {
    const text = callback.errorDescription ? `${callback.error}: ${callback.errorDescription}` : callback.error;
    throw new ProviderError(
      `${provider.name} refused the sign-in: ${text}`,
      0,
      callback.error,
      callback.errorDescription,
    );
  }
  return callback.code!;
}

/**
 * The authorization-code leg: loopback capture, paste, or --code. acceptAnyState (`check
 * prism`): a callback with a missing or wrong state is taken and reported, not refused.
 */
export async function obtainCode(
  provider: Provider,
  options: Options,
  client: ClientAuth,
  opts: Pick<LoginOptions, 'code' | 'port' | 'browser' | 'timeoutS'> & {
    providerFlags?: LoginOptions['providerFlags'];
  },
  deps: Deps,
  prompter: Prompter | undefined,
  whileWaiting: () => void,
  acceptAnyState = false,
): Promise<Obtained> {
  const given = typeof options.redirectUri === 'string' ? new URL(options.redirectUri) : undefined;
  if (
    given &&
    given.protocol === 'http:' &&
    isLoopbackHost(given.hostname) &&
    opts.port !== 0 &&
    Number(given.port || 80) !== opts.port
  ) {
    throw new UsageError(
      `--port ${opts.port} disagrees with the port of --redirect-uri ${given.href}`,
      'give one of them',
    );
  }
  if (opts.code) {
    // RFC 6749 §4.1.3 and the PRISM page: the exchange repeats the redirect URI the code was
    // issued for, which only --redirect-uri can say when the code comes from elsewhere.
    if (typeof options.redirectUri !== 'string') {
      const hint = provider.registeredRedirectUri
        ? `${provider.name} registers ${provider.registeredRedirectUri}`
        : undefined;
      throw new UsageError('--code needs --redirect-uri: the redirect URI the code was issued for', hint);
    }
    return { code: opts.code, redirectUri: options.redirectUri };
  }
  const loopback = !given || (given.protocol === 'http:' && isLoopbackHost(given.hostname));
  if (loopback && given?.port === '0') {
    throw new UsageError(
      `--redirect-uri ${given.href} has port 0: the provider would send the code to a port nobody listens on`,
      'give the port registered with the provider, or --port 0 without --redirect-uri',
    );
  }
  if (!loopback && !prompter) {
    throw new UsageError(
      `--redirect-uri ${given.href} is not a loopback address, so the code cannot be captured here`,
      'pass --code <code>, or run on a terminal to paste it',
    );
  }
  // SPEC: whenever token builds the authorize URL it sends a random state (192 bits) and
  // wants it back (RFC 6749 §10.12). Without one (Priava's admin-made code), the listener
  // takes one code, and only while this login waits.
  const page = provider.authorizePage?.(options);
  const builds = page !== undefined;
  const pkce = opts.providerFlags?.pkce === true;
  if (pkce && !builds)
    throw new UsageError('--pkce needs --authorize-url: the code_challenge goes on the authorize URL token builds');
  const state = builds && opts.providerFlags?.noState !== true ? randomBytes(24).toString('base64url') : null;
  const demanded = acceptAnyState ? null : state;
  const challenge = pkce ? pkcePair() : undefined;
  deps.secrets?.add(state);
  const { startLoopback } = await import('../oauth/loopback.js');
  const listener = loopback
    ? await startLoopback({
        host: given?.hostname,
        port: given ? Number(given.port || 80) : opts.port,
        path: given?.pathname ?? '/callback',
        state: demanded,
        provider: provider.name,
        registered: !!given,
      })
    : undefined;
  try {
    // Sent exactly as given or registered: `localhost` stays `localhost` (SPEC).
    const redirectUri = typeof options.redirectUri === 'string' ? options.redirectUri : defaultRedirect(listener!.port);
    const url = page && authorizeUrl(page, client.clientId, redirectUri, state, challenge?.challenge);
    const c = paint(deps, 'stderr');
    if (url) {
      deps.stderr.write(`Open this URL to sign in to ${provider.name}:\n  ${c.cyan(url)}\n`);
      if (opts.browser) {
        await deps
          .openBrowser(url)
          .catch((err: Error) =>
            deps.stderr.write(
              `token: warning: could not open a browser (${err.message}); open the URL above yourself\n`,
            ),
          );
      }
    } else {
      deps.stderr.write(
        `Create the authorization code in ${provider.name} (Admin > API Access) for Redirect URI ${redirectUri}.\n`,
      );
    }
    if (listener) deps.stderr.write(`Waiting for the redirect to ${redirectUri}\n`);
    whileWaiting();
    const callback = await waitForCode({
      deps,
      listener,
      state: demanded,
      timeoutS: opts.timeoutS,
      canPaste: !!prompter,
      prompter,
      provider,
    });
    return {
      code: codeOf(callback, provider),
      redirectUri,
      pasted: callback.pasted,
      state,
      codeVerifier: challenge?.verifier,
      ...(acceptAnyState ? { sentState: state, returnedState: callback.state } : {}),
    };
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
function authorizeUrl(
  page: AuthorizePage,
  clientId: string,
  redirectUri: string,
  state: string | null,
  codeChallenge: string | undefined,
): string {
  const url = new URL(page.url);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', clientId);
  url.searchParams.set('redirect_uri', redirectUri);
  for (const [name, value] of Object.entries(page.params)) url.searchParams.set(name, value);
  if (state) url.searchParams.set('state', state);
  // RFC 7636 §4.3.
  if (codeChallenge) {
    url.searchParams.set('code_challenge', codeChallenge);
    url.searchParams.set('code_challenge_method', 'S256');
  }
  return url.toString();
}
