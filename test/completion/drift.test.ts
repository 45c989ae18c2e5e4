// The scripts in completions/ are what `token completion <shell>` prints now (SPEC:
// "the same scripts live in completions/ and must match what the command prints").
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runCli } from '../helpers/cli.js';

// Named as each shell looks for them: bash-completion's loader, zsh's $fpath, fish.
const FILES = [
  ['bash', 'token.bash'],
  ['zsh', '_token'],
  ['fish', 'token.fish'],
] as const;

describe('completions/', () => {
  it.each(FILES)('%s: completions/%s is what the command prints', async (shell, file) => {
    const path = join(ROOT, 'completions', file);
    const stale = `completions/${file} differs from \`token completion ${shell}\`; run: npm run completions`;
    expect(existsSync(path), stale).toBe(true);
    // The generator, run on the live command tree...
    const generated = await runCli(['__generate-completion', shell]);
    expect(generated.code).toBe(0);
    expect(generated.stdout).not.toBe('');
    expect(readFileSync(path, 'utf8'), stale).toBe(generated.stdout);
    // ...and what users get, which start-up speed serves from the file.
    expect((await runCli(['completion', shell])).stdout).toBe(generated.stdout);
  });
});
