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

export interface Provider {
  id: ProviderId;
  name: string;
  flow: 'authorization_code' | 'client_credentials';
  flags: readonly ProviderFlag[];
  /** Checks and completes the provider's options (defaults filled in); throws UsageError. */
  resolveOptions(flags: Options): Options;
  /** Every endpoint the profile talks to, for the http:// check. */
  endpoints(options: Options): string[];
  /** Refuses client credentials this provider cannot send (PRISM: in headers), before any request; throws UsageError. */
  checkClient?(client: ClientAuth): void;
  /** Code exchange (authorization_code providers). */
  codeRequest?(options: Options, client: ClientAuth, code: string, redirectUri: string | undefined): HttpRequest;
  /** Renewal: a refresh-token grant, or for client-credentials a fresh request. */
  renewRequest(options: Options, client: ClientAuth, refreshToken: string | undefined): HttpRequest;
  /** The header resource APIs expect. */
  authHeader(accessToken: string, tokenType: string, bearer?: boolean): AuthHeader;
  /** `token curl` without a URL. */
  defaultApiUrl(options: Options): string;
  /** What `token curl /a/path` joins a path to: the API's base URL, without a trailing slash. */
  apiBase(options: Options): string;
  /** `show --verify`: the identity endpoint, where one exists. */
  verifyRequest?(options: Options, accessToken: string): HttpRequest;
  /** Reads the identity endpoint's answer: who it is, a refusal (its words), or neither ({}). */
  readIdentity?(status: number, body: string): { user?: string; refused?: string };
}
