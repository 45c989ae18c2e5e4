// What is stored, asked of the built CLI rather than read from its files: the tests
// that use these hold whatever the storage layout is.
import { runCli } from './cli.js';

/** The names `token list --json` gives. */
export async function profileNames(env: NodeJS.ProcessEnv): Promise<string[]> {
  const r = await runCli(['list', '--json'], { env });
  if (r.code !== 0) throw new Error(`token list --json exited ${r.code}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { name: string }[]).map((p) => p.name).sort();
}

/** From `token show --json --no-refresh`: what a profile has stored (not the time left, which moves). */
export async function storedToken(
  env: NodeJS.ProcessEnv,
  profile: string,
): Promise<{ access_token: string; expires_at: string | null; has_refresh_token: boolean }> {
  const r = await runCli(['show', '--json', '--no-refresh', '-p', profile], { env });
  if (r.code !== 0) throw new Error(`token show exited ${r.code}: ${r.stderr}`);
  const { access_token, expires_at, has_refresh_token } = JSON.parse(r.stdout);
  return { access_token, expires_at, has_refresh_token };
}
