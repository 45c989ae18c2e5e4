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
  /** The value's own check, as a prompt shows it while it is typed: true, or what is wanted. */
  check?: (value: string) => true | string;
}

export interface ClientAuth {
  clientId: string;
  clientSecret: string;
}

/** What the login flow needs to build an authorization-code provider's authorize URL. */
export interface AuthorizePage {
  url: string;
  /** Provider parameters beyond RFC 6749 §4.1.1's, e.g. scope. */
  params: Record<string, string>;
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
  /**
   * The redirect URI the provider registers for its clients when it is not a login flag of
   * its own (PRISM's partner URI): a code obtained elsewhere needs --redirect-uri naming it.
   */
  registeredRedirectUri?: string;
  /** Checks and completes the provider's options (defaults filled in); throws UsageError. */
  resolveOptions(flags: Options): O;
  /** Every endpoint the profile talks to, for the http:// check. */
  endpoints(options: O): string[];
  /** Authorization-code providers: the page token sends the user to, when it builds one. */
  authorizePage?(options: O): AuthorizePage | undefined;
  /** Refuses client credentials this provider cannot send (PRISM: in headers), before any request; throws UsageError. */
  checkClient?(client: ClientAuth): void;
  /** Code exchange (authorization_code providers). */
  codeRequest?(options: O, client: ClientAuth, code: string, redirectUri: string | undefined): HttpRequest;
  /** Renewal: a refresh-token grant, or for client-credentials a fresh request. */
  renewRequest(options: O, client: ClientAuth, refreshToken: string | undefined): HttpRequest;
  /** `token curl` without a URL. */
  defaultApiUrl(options: O): string;
  /** What `token curl /a/path` joins a path to: the API's base URL, without a trailing slash. */
  apiBase(options: O): string;
  /** `show --verify`: the identity endpoint, where one exists. */
  verifyRequest?(options: O, accessToken: string): HttpRequest;
  /** Reads the identity endpoint's answer: who it is, a refusal (its words), or neither ({}). */
  readIdentity?(status: number, body: string): { user?: string; refused?: string };
}
