// Opens the authorize URL: $BROWSER (the URL as its last argument) when set, else
// the platform opener via the `open` package. Spawned with an argument array.
import { spawn } from 'node:child_process';

export async function openBrowser(url: string, env: NodeJS.ProcessEnv): Promise<void> {
  const browser = env.BROWSER?.trim();
  if (!browser) {
    const { default: open } = await import('open');
    const child = await open(url, { wait: false });
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => resolve());
      if (child.pid) resolve();
    });
    child.unref();
    return;
  }
  // $BROWSER may carry arguments ("firefox --new-window"); split on blanks, no shell.
  const [command, ...args] = browser.split(/\s+/);
  const child = spawn(command!, [...args, url], { stdio: 'ignore', detached: true });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () => resolve());
  });
  child.unref();
}
