// One Provider interface: data plus small functions, no class hierarchy (STYLE.md).
import type { HttpRequest } from '../oauth/http.js';

export type ProviderId = 'prism' | 'priava' | 'brightpattern';
export type Options = Record<string, string | boolean | undefined>;

/** A login flag a provider adds; drives commander, validation messages and completion. */
export interface ProviderFlag {
  /** commander's key, e.g. serviceUrl */
  key: string;
  /** e.g. --service-url */
  flag: string;
  required?: boolean;
  values?: readonly string[];
  description: string;
}

export interface AuthHeader {
  name: string;
  value: string;
}

export interface ClientAuth {
  clientId: string;
  clientSecret: string;
}

/** What `show --verify` reads from an identity endpoint's answer. */
export interface Identity {
  /** The user the token belongs to, as shown to people. */
  user?: string;
  /** The body itself says the token was refused (whatever the HTTP status). */
  refused: boolean;
  /** The provider's own words for a failure, if any. */
  detail?: string;
}

/**
 * A provider, typed by the options it resolves from its login flags and stores in the
 * profile. `Provider` (options untyped) is how the rest of the code sees any of them.
 */
export interface Provider<O extends Options = Options> {
  id: ProviderId;
  name: string;
  flow: 'authorization_code' | 'client_credentials';
  flags: readonly ProviderFlag[];
  /** Checks and completes the provider's options (defaults filled in); throws UsageError. */
  resolveOptions(flags: Options): O;
  /** Every endpoint the profile talks to, for the http:// check. */
  endpoints(options: O): string[];
  /** Authorization-code providers: the page the user signs in on, if there is one, and its extra query parameters. */
  authorizePage?(options: O): { url: string; params: Record<string, string> } | undefined;
  /** RFC 6749 §10.12: whether the provider round-trips `state` through the redirect. */
  usesState?: boolean;
  /** For --code without --redirect-uri: the redirect URI the provider registers, as a hint. */
  registeredRedirectUri?: string;
  /** Code exchange (authorization_code providers). */
  codeRequest?(options: O, client: ClientAuth, code: string, redirectUri: string | undefined): HttpRequest;
  /** Renewal: a refresh-token grant, or for client-credentials a fresh request. */
  renewRequest(options: O, client: ClientAuth, refreshToken: string | undefined): HttpRequest;
  /** The header resource APIs expect. */
  authHeader(accessToken: string, tokenType: string, bearer?: boolean): AuthHeader;
  /** `token curl` without a URL. */
  defaultApiUrl(options: O): string;
  /** `show --verify`: the identity endpoint, where one exists, and how to read its answer. */
  identity?: {
    request(options: O, accessToken: string): HttpRequest;
    read(body: unknown): Identity;
  };
}
