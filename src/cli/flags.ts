// Turning commander's flags into values: every command needs these, so they live apart
// from program.ts (which imports every command) and from any one command.
import type { Command } from 'commander';
import { UsageError } from '../errors.js';

/** The program's own options (-p, -v), which every command sees. */
export interface GlobalOptions {
  profile?: string;
  verbose?: boolean;
}

/** The options every command sees: its own merged with the program's (-p, -v). */
export function optionsOf<T>(command: Command): T & GlobalOptions {
  return command.optsWithGlobals<T & GlobalOptions>();
}

/** A whole-number flag within bounds, or a usage error naming it and the value. */
export function intFlag(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}
