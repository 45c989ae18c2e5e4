// Why the OS keychain cannot be used, in words a user can act on. keytar and libsecret
// report causes in their own terms ("Cannot find module 'keytar'", "Cannot autolaunch
// D-Bus without X11 $DISPLAY"); this maps each to what it means and the one thing that
// fixes it. Pure: the keychain store, `token --version -v` and the tests call it.

export type KeychainCause =
  'keytar-missing' | 'keytar-broken' | 'no-session-bus' | 'no-secret-service' | 'locked' | 'timeout' | 'other';

export interface KeychainDiagnosis {
  cause: KeychainCause;
  /** What is wrong, in words (one clause, no trailing period). */
  words: string;
  /** What fixes it, ending with how to silence the warning instead. */
  hint: string;
}

export const SILENCE = 'or set TOKEN_STORE=file to keep secrets in a 0600 file and silence this';

/** The packages keytar's build needs, per platform (it builds against libsecret on Linux). */
export function buildPrerequisites(platform: NodeJS.Platform = process.platform): string {
  if (platform === 'darwin') return 'nothing to install on macOS (the Xcode command line tools build it)';
  if (platform === 'win32') return 'nothing to install on Windows (a prebuilt keytar is used)';
  return 'sudo apt install libsecret-1-dev build-essential (Debian/Ubuntu) or sudo dnf install libsecret-devel gcc-c++ make (Fedora)';
}

const RULES: { test: RegExp; cause: KeychainCause }[] = [
  {
    test: /cannot find module ['"]?keytar|keytar['"]? (?:is )?not (?:installed|found)|MODULE_NOT_FOUND/i,
    cause: 'keytar-missing',
  },
  {
    test: /keytar could not be loaded|NODE_MODULE_VERSION|invalid ELF header|cannot open shared object file|was compiled against/i,
    cause: 'keytar-broken',
  },
  {
    test: /autolaunch D-Bus|DBUS_SESSION_BUS_ADDRESS|Could not connect: No such file|Failed to connect to socket|session bus/i,
    cause: 'no-session-bus',
  },
  { test: /org\.freedesktop\.secrets|ServiceUnknown|not provided by any \.service files/i, cause: 'no-secret-service' },
  { test: /no answer from the keyring within/i, cause: 'timeout' },
  { test: /locked|dismissed|cancel+ed by the user|prompt/i, cause: 'locked' },
];

export function diagnoseKeychain(reason: string, platform: NodeJS.Platform = process.platform): KeychainDiagnosis {
  const cause = RULES.find((r) => r.test.test(reason))?.cause ?? 'other';
  switch (cause) {
    case 'keytar-missing':
      return {
        cause,
        words:
          'keytar, the keychain library, is not installed (npm leaves it out when it cannot be built, or when install scripts were skipped)',
        hint: `to use the keychain: ${buildPrerequisites(platform)}, then run npm install again where token is installed; ${SILENCE}`,
      };
    case 'keytar-broken':
      return {
        cause,
        words: `keytar, the keychain library, is installed but does not load (${reason.replace(/^keytar could not be loaded \((.*)\)$/, '$1')})`,
        hint: `to use the keychain: ${buildPrerequisites(platform)}, then run npm rebuild keytar where token is installed; ${SILENCE}`,
      };
    case 'no-session-bus':
      return {
        cause,
        words:
          'this session has no D-Bus session bus (usual over SSH, in containers and CI), so no Secret Service can be reached',
        hint: `to use the keychain: log in to a desktop session, or run token under dbus-run-session with gnome-keyring-daemon unlocked; ${SILENCE}`,
      };
    case 'no-secret-service':
      return {
        cause,
        words: 'no Secret Service (such as gnome-keyring or KeePassXC) is running on the D-Bus session bus',
        hint: `to use the keychain: install and start one (gnome-keyring-daemon --start --components=secrets); ${SILENCE}`,
      };
    case 'timeout':
      return {
        cause,
        words: `${reason}: it may be locked behind a password dialog nobody sees`,
        hint: `to use the keychain: unlock it (or restart the Secret Service); ${SILENCE}`,
      };
    case 'locked':
      return {
        cause,
        words: `the keyring is locked or refused (${reason})`,
        hint: `to use the keychain: unlock it; ${SILENCE}`,
      };
    default:
      return {
        cause,
        words: reason,
        hint: `to use the keychain: start or unlock the OS keychain (on Linux a Secret Service such as gnome-keyring); ${SILENCE}`,
      };
  }
}
