// Help texts and completion scripts are the same for every run of a build, so the
// build writes them out (dist/help/, completions/) and these argv shapes print the
// file instead of building the commander tree: `token --help` and
// `token completion bash` start as fast as `show --raw`. Tests check that each file
// is byte-for-byte what commander and the completion generator produce.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Deps } from './deps.js';

import { codeDir } from '../store/builtin.js';

const SHELL_FILES: Record<string, string> = { bash: 'token.bash', zsh: '_token', fish: 'token.fish' };

/** The file whose content is this command's whole output, or undefined. */
export function staticOutputFor(argv: string[]): string | undefined {
  const help = (name: string) => join(codeDir(), 'help', `${name}.txt`);
  const isHelp = (a: string | undefined) => a === '--help' || a === '-h';
  if (argv.length === 0 || (argv.length === 1 && (isHelp(argv[0]) || argv[0] === 'help'))) return help('token');
  if (argv.length === 2 && isHelp(argv[1]) && /^[a-z]+$/.test(argv[0]!)) return help(argv[0]!);
  if (argv.length === 2 && argv[0] === 'help' && /^[a-z]+$/.test(argv[1]!)) return help(argv[1]!);
  if (argv.length === 2 && argv[0] === 'completion' && SHELL_FILES[argv[1]!])
    return join(codeDir(), '..', 'completions', SHELL_FILES[argv[1]!]!);
  return undefined;
}

/** Prints the prebuilt output when there is one; false sends the caller to commander. */
export function printStatic(argv: string[], deps: Deps): boolean {
  const file = staticOutputFor(argv);
  if (!file) return false;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return false; // not built (yet): commander produces it
  }
  deps.stdout.write(text);
  return true;
}
