// Writes completions/ from the built CLI's generator, so the committed scripts are
// exactly what the command tree produces (test/completion/drift.test.ts checks it);
// `token completion <shell>` prints these files.
// Run: npm run completions (builds first), or node scripts/completions.mjs after a build.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// The names each shell looks for: bash-completion's loader, zsh's $fpath (#compdef), fish's completion path.
const FILES = { bash: 'token.bash', zsh: '_token', fish: 'token.fish' };

mkdirSync(`${root}completions`, { recursive: true });
for (const [shell, file] of Object.entries(FILES)) {
  const script = execFileSync(process.execPath, [`${root}bin/token.cjs`, '__generate-completion', shell], {
    encoding: 'utf8',
  });
  writeFileSync(`${root}completions/${file}`, script);
  console.error(`wrote completions/${file}`);
}
