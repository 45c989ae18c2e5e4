// What keytar, libsecret and our agent report when the keychain cannot be used, turned
// into words and the one fix (src/store/keychain-diagnosis.ts). The inputs are the texts
// they really produce.
import { describe, expect, it } from 'vitest';
import { diagnoseKeychain } from '../../src/store/keychain-diagnosis.js';

describe('keychain causes in words', () => {
  it.each([
    [
      "keytar could not be loaded (Cannot find module 'keytar')",
      'keytar-missing',
      /keytar, the keychain library, is not installed/,
      /libsecret-1-dev .*libsecret-devel.*then run npm install again/,
    ],
    [
      'keytar could not be loaded (libsecret-1.so.0: cannot open shared object file: No such file or directory)',
      'keytar-broken',
      /installed but does not load \(libsecret-1\.so\.0: cannot open/,
      /npm rebuild keytar/,
    ],
    [
      'Cannot autolaunch D-Bus without X11 $DISPLAY',
      'no-session-bus',
      /^this session has no D-Bus session bus/,
      /dbus-run-session/,
    ],
    ['Could not connect: No such file or directory', 'no-session-bus', /no D-Bus session bus/, /desktop session/],
    [
      'The name org.freedesktop.secrets was not provided by any .service files',
      'no-secret-service',
      /no Secret Service \(such as gnome-keyring or KeePassXC\) is running/,
      /gnome-keyring-daemon --start --components=secrets/,
    ],
    [
      'no answer from the keyring within 3 s (read)',
      'timeout',
      /^no answer from the keyring within 3 s \(read\): it may be locked/,
      /unlock it/,
    ],
    ['Cannot create an item in a locked collection', 'locked', /locked/, /unlock it/],
    ['something new', 'other', /^something new$/, /start or unlock the OS keychain/],
  ])('%s → %s', (reason, cause, words, hint) => {
    const d = diagnoseKeychain(reason, 'linux');
    expect(d.cause).toBe(cause);
    expect(d.words).toMatch(words);
    expect(d.hint).toMatch(hint);
    // Every hint ends with how to silence the warning instead.
    expect(d.hint).toMatch(/or set TOKEN_STORE=file .*$/);
    expect(d.words).not.toMatch(/X11|\$DISPLAY/);
  });

  it('names nothing to install on macOS', () => {
    expect(diagnoseKeychain("keytar could not be loaded (Cannot find module 'keytar')", 'darwin').hint).toMatch(
      /^to use the keychain: nothing to install on macOS/,
    );
  });
});
