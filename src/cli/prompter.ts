// @inquirer/prompts, writing to stderr so stdout stays data only (SPEC "Shape").
import { confirm, input, password, select } from '@inquirer/prompts';
import type { Writable } from 'node:stream';
import { CancelledError } from '../errors.js';
import type { Prompter } from './deps.js';

export function createPrompter(output: Writable): Prompter {
  const context = { output, clearPromptOnDone: false };
  return {
    input: (message, opts) =>
      cancellable(input({ message, default: opts?.default, validate: opts?.validate, required: true }, context)),
    password: (message) =>
      cancellable(password({ message, mask: false, validate: (v) => v !== '' || 'required' }, context)),
    confirm: (message, defaultValue = false) => cancellable(confirm({ message, default: defaultValue }, context)),
    select: (message, choices) => cancellable(select({ message, choices }, context)),
  };
}

/** Ctrl-C in a prompt is ExitPromptError: exit 130 (SPEC "Exit codes"). */
async function cancellable<T>(prompt: Promise<T>): Promise<T> {
  try {
    return await prompt;
  } catch (err) {
    if ((err as Error)?.name === 'ExitPromptError' || (err as Error)?.name === 'AbortPromptError')
      throw new CancelledError();
    throw err;
  }
}
