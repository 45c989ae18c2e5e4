// What the authorization-code leg (RFC 6749 §4.1) yields: by the loopback listener, a
// paste, or --code. `login` exchanges it; `check prism` also inspects how it came back.
export interface Obtained {
  code: string;
  /** The redirect_uri sent to the authorize step, to repeat in the exchange. */
  redirectUri?: string;
  /** Typed or pasted (not from the listener or --code): a refused one may be pasted again. */
  pasted?: boolean;
  /** The state this login sent, which a pasted URL must carry. */
  state?: string | null;
  /** With acceptAnyState: the state sent, and the one that came back (undefined: none). */
  sentState?: string | null;
  returnedState?: string;
  /** --pkce: the secret whose S256 hash went to the authorize URL (RFC 7636 §4.5). */
  codeVerifier?: string;
}
