// `token --version -v`: the version, and whether secrets can go to the OS keychain —
// the backend, or why it is unavailable in words and what fixes it.
import { createRequire } from 'node:module';
import type { Deps } from './deps.js';
import { codeDir } from '../store/builtin.js';
import { diagnoseKeychain } from '../store/keychain-diagnosis.js';
import { KeychainUnavailableError } from '../store/keychain-store.js';

/** keytar's version where it resolves from the installed code, else undefined. */
function keytarVersion(): string | undefined {
  try {
    const require = createRequire(`${codeDir()}/`);
    return (require('keytar/package.json') as { version?: string }).version;
  } catch {
    return undefined;
  }
}

function backendName(platform: NodeJS.Platform): string {
  if (platform === 'darwin') return 'macOS Keychain';
  if (platform === 'win32') return 'Windows Credential Manager';
  return 'Secret Service (libsecret over D-Bus)';
}

export async function printVersionReport(version: string, deps: Deps): Promise<void> {
  const lines = [`token ${version} (Node ${process.version}, ${process.platform}-${process.arch})`];
  const keytar = keytarVersion();
  try {
    const keychain = deps.storage().keychain();
    try {
      await keychain.probe();
    } finally {
      keychain.close();
    }
    lines.push(`keychain: available — keytar ${keytar ?? '?'}, ${backendName(process.platform)}`);
  } catch (err) {
    if (!(err instanceof KeychainUnavailableError)) throw err;
    const d = diagnoseKeychain(err.reason);
    lines.push(`keychain: unavailable — ${d.words}`, `  ${d.hint}`);
  }
  const wanted = (deps.env.TOKEN_STORE || 'auto').toLowerCase();
  const meaning: Record<string, string> = {
    auto: 'the keychain when available, else a 0600 file in the config dir',
    file: 'a 0600 file in the config dir; the keychain is not used',
    keychain: 'the keychain, or an error when it is unavailable',
  };
  lines.push(
    `TOKEN_STORE: ${wanted}${meaning[wanted] ? ` (${meaning[wanted]})` : ' (not one of auto, keychain, file)'}`,
  );
  deps.stdout.write(lines.join('\n') + '\n');
}
