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
  // Below the ephemeral ranges (Linux 32768-60999, macOS and Windows 49152-65535): a port from
  // listen(0) goes back to the pool the kernel hands to every connect() and listen(0), and a
  // burst of test processes beside this test could take it before the CLI binds it.
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
}
