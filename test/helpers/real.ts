// Real parts (keyring, Chromium, tmux, shells): where one is missing the test says
// "skipped: <reason>"; in CI nothing may skip, so there a missing part fails.
import { execFileSync } from 'node:child_process';

export function have(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Returns a skip reason, or undefined when every command is present. Throws in CI. */
export function missingParts(commands: string[], what: string): string | undefined {
  const absent = commands.filter((c) => !have(c));
  if (absent.length === 0) return undefined;
  const reason = `skipped: ${what} needs ${absent.join(', ')} (not installed)`;
  if (process.env.CI) throw new Error(`${reason} — in CI nothing may skip; .ci/run must install it`);
  console.warn(reason);
  return reason;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
