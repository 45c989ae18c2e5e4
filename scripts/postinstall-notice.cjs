// One line at install time saying whether secrets can go to the OS keychain, and if not,
// why and what fixes it (npm drops keytar silently when it cannot be built). Self-contained:
// it runs before the build in a fresh checkout, so it cannot use dist/. The runtime words
// live in src/store/keychain-diagnosis.ts; `token --version -v` gives the full picture.
// It never fails an install.
'use strict';

function prerequisites(platform) {
  if (platform === 'darwin') return 'nothing on macOS but the Xcode command line tools (xcode-select --install)';
  if (platform === 'win32') return 'the Visual Studio build tools';
  return 'libsecret-1-dev and build-essential (Debian/Ubuntu) or libsecret-devel, gcc-c++ and make (Fedora)';
}

function notice(env = process.env, platform = process.platform, load = () => require('keytar')) {
  const silence = 'TOKEN_STORE=file silences this';
  if ((env.TOKEN_STORE || '').toLowerCase() === 'file')
    return 'token-cli: keychain support: not used (TOKEN_STORE=file: secrets go to a 0600 file)';
  try {
    load();
  } catch (err) {
    const missing = err && err.code === 'MODULE_NOT_FOUND' && /keytar/.test(String(err.message));
    const why = missing
      ? 'keytar is not installed (npm leaves it out when it cannot build it, or with --ignore-scripts)'
      : `keytar does not load (${String((err && err.message) || err).split('\n')[0]})`;
    return `token-cli: keychain support: off, ${why}; token keeps secrets in a 0600 file. To fix: install ${prerequisites(platform)}, then run npm install again (${silence})`;
  }
  if (platform === 'linux' && !env.DBUS_SESSION_BUS_ADDRESS) {
    return `token-cli: keychain support: keytar loaded, but this session has no D-Bus session bus, so token will use a 0600 file here until run in a desktop session (${silence})`;
  }
  return 'token-cli: keychain support: on (keytar loaded; secrets go to the OS keychain)';
}

if (require.main === module) {
  try {
    process.stderr.write(`${notice()}\n`);
  } catch {
    // a notice, never a failed install
  }
}
module.exports = { notice };
