// The SecretStore: one interface, two backends (OS keychain via keytar, 0600 file).
import type { StoreKind } from './settings.js';

export type SecretKind = 'client_secret' | 'refresh_token' | 'access_token';
export const SECRET_KINDS: readonly SecretKind[] = ['client_secret', 'refresh_token', 'access_token'];

export type Secrets = Partial<Record<SecretKind, string>>;
/** A value replaces the entry; null deletes it; absent keys are left alone. */
export type SecretChanges = Partial<Record<SecretKind, string | null>>;

export interface SecretStore {
  readonly kind: StoreKind;
  /** Human words for where the secrets are ("the OS keychain", a file path). */
  readonly location: string;
  /** The given kinds (default all) that exist: a fresh token needs only its access token. */
  read(profile: string, kinds?: readonly SecretKind[]): Promise<Secrets>;
  /** Applies all changes; the refresh token goes first so a crash never loses a login. */
  write(profile: string, changes: SecretChanges): Promise<void>;
  remove(profile: string): Promise<void>;
}

/** keychain account name: `<profile>:<kind>` (SPEC "Profiles and storage"). */
export function account(profile: string, kind: SecretKind): string {
  return `${profile}:${kind}`;
}

/** Order of writes: refresh token first (never lose a login), then the rest. */
export const WRITE_ORDER: readonly SecretKind[] = ['refresh_token', 'client_secret', 'access_token'];
