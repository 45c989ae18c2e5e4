// What the shells complete, read off the commander tree so the scripts never drift from it.
import type { Command, Option } from 'commander';
import { PROVIDER_NAMES, PROVIDERS } from '../providers/index.js';
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
  /** Offered only when the command's argument is one of these, or not given yet (login's provider flags). */
  only?: string[];
}

export interface CommandSpec {
  name: string;
  description: string;
  flags: FlagSpec[];
  args: Values;
  /** After `--` comes a command of its own, completed as for sudo (token exec). */
  runsCommand?: boolean;
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

/** login's provider flags: the provider names (and aliases) each one applies to. */
function providersOf(long: string | undefined): string[] | undefined {
  const ids = Object.values(PROVIDERS)
    .filter((p) => p.flags.some((f) => f.flag === long))
    .map((p) => p.id as string);
  if (ids.length === 0) return undefined;
  return PROVIDER_NAMES.filter((name) => ids.includes(name === 'bp' ? 'brightpattern' : name));
}

function flag(o: Option, command?: string): FlagSpec {
  const takesValue = o.required || o.optional;
  const only = command === 'login' ? providersOf(o.long) : undefined;
  return {
    long: o.long,
    short: o.short,
    takesValue,
    values: (o.long && VALUES_BY_FLAG[o.long]) || 'none',
    description: o.description,
    ...(only ? { only } : {}),
  };
}

export function completionModel(program: Command): CompletionModel {
  const visible = (c: Command) => !(c as unknown as { _hidden?: boolean })._hidden;
  const commands: CommandSpec[] = program.commands.filter(visible).map((c) => ({
    name: c.name(),
    description: c.description(),
    flags: c.options.filter((o) => !o.hidden).map((o) => flag(o, c.name())),
    args: ARGS_BY_COMMAND[c.name()] ?? 'none',
    ...(c.name() === 'exec' ? { runsCommand: true } : {}),
  }));
  // commander's help command is not in program.commands: `token help <command>`.
  commands.push({ name: 'help', description: 'show help for a command', flags: [], args: commands.map((c) => c.name) });
  return { global: program.options.filter((o) => !o.hidden).map((o) => flag(o)), commands };
}
