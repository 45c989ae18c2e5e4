// What the shells complete, read off the commander tree so the scripts never drift from it.
import type { Command, Option } from 'commander';
import { PROVIDER_NAMES } from '../providers/index.js';
import { REGIONS } from '../providers/priava.js';
import { PRISM_QUIRKS } from '../sandbox/quirks.js';

/** `profiles` means: ask `token __complete profiles` at completion time. */
export type Values = readonly string[] | 'profiles' | 'none';

export interface FlagSpec {
  long?: string;
  short?: string;
  takesValue: boolean;
  values: Values;
  description: string;
}

export interface CommandSpec {
  name: string;
  description: string;
  flags: FlagSpec[];
  args: Values;
}

export interface CompletionModel {
  global: FlagSpec[];
  commands: CommandSpec[];
}

const VALUES_BY_FLAG: Record<string, Values> = {
  '--profile': 'profiles',
  '--region': REGIONS,
  '--prism-quirk': Object.keys(PRISM_QUIRKS),
};

const ARGS_BY_COMMAND: Record<string, Values> = {
  login: PROVIDER_NAMES,
  use: 'profiles',
  check: ['prism'],
  completion: ['bash', 'zsh', 'fish'],
};

function flag(o: Option): FlagSpec {
  const takesValue = o.required || o.optional;
  return {
    long: o.long,
    short: o.short,
    takesValue,
    values: (o.long && VALUES_BY_FLAG[o.long]) || 'none',
    description: o.description,
  };
}

export function completionModel(program: Command): CompletionModel {
  const visible = (c: Command) => !(c as unknown as { _hidden?: boolean })._hidden;
  return {
    global: program.options.filter((o) => !o.hidden).map(flag),
    commands: program.commands.filter(visible).map((c) => ({
      name: c.name(),
      description: c.description(),
      flags: c.options.filter((o) => !o.hidden).map(flag),
      args: ARGS_BY_COMMAND[c.name()] ?? 'none',
    })),
  };
}
