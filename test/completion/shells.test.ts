// Completion in real shells. Each shell loads what `token completion <shell>` prints,
// both the way it is installed (bash-completion's loader, zsh's $fpath, fish's
// completion path) and sourced, and is asked for candidates non-interactively:
// bash calls the registered function with COMP_WORDS set; zsh runs in a pty (zpty)
// where Tab runs its real completion system, which dispatches to _token; fish
// answers `complete -C`. Profile names come from a config dir filled by logging in
// against the sandbox. Names that could harm a shell are not profile names (storage
// version 2 refuses them, and ignores such files in profiles/); the scripts must still
// take whatever `token __complete profiles` (bash, zsh) and `token __complete
// profiles-with-provider` (fish) print as data, so the shells' `token` wrapper adds
// hostile lines to both answers: offered as they are, never run, never globbed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { BIN, runCli, tempConfig, type TempConfig } from '../helpers/cli.js';
import { loginBp, loginPrism } from '../helpers/logins.js';
import { missingParts } from '../helpers/real.js';

const BASH_COMPLETION = '/usr/share/bash-completion/bash_completion'; // Debian's bash-completion
const SUBCOMMANDS = [
  'login',
  'refresh',
  'show',
  'curl',
  'exec',
  'list',
  'status',
  'use',
  'logout',
  'check',
  'completion',
  'sandbox',
];
const COMMANDS = [...SUBCOMMANDS, 'help'];
// The last two are hostile: offered as they are, never run or globbed (the shells run in the temp dir).
const HOSTILE = ['$(touch pwned)', '*'];
const HOSTILE_PROVIDER = 'brightpattern'; // what the wrapper prints beside them for fish
const PROFILES = ['work', 'ci-bot', 'prism', ...HOSTILE];
const GLOBAL_FLAGS = ['--profile', '--verbose', '--no-color', '--version'];
const FLAGS: Record<string, string[]> = {
  login: [
    '--client-id',
    '--client-secret-stdin',
    '--code',
    '--no-browser',
    '--port',
    '--timeout',
    '--force',
    '--json',
    '--allow-http',
    '--service-url',
    '--authorize-url',
    '--redirect-uri',
    '--scope',
    '--region',
    '--sandbox',
    '--api-url',
    '--token-url',
    '--tenant',
    '--url',
  ],
  refresh: ['--json'],
  show: ['--raw', '--json', '--header', '--no-refresh', '--verify', '--bearer'],
  curl: ['--request', '--header', '--data', '--bearer', '--hide-token'],
  exec: ['--bearer'],
  list: ['--json'],
  status: ['--json'],
  use: [],
  logout: ['--all', '--yes'],
  check: [
    '--client-id',
    '--client-secret-stdin',
    '--code',
    '--no-browser',
    '--port',
    '--timeout',
    '--json',
    '--allow-http',
    '--service-url',
    '--authorize-url',
    '--redirect-uri',
    '--scope',
  ],
  completion: [],
  sandbox: ['--port', '--ttl', '--prism-quirk'],
};

type Shell = 'bash' | 'zsh' | 'fish';
type Load = 'installed' | 'sourced';
interface Case {
  line: string;
  /** Exactly these candidates (any order)... */
  exactly?: string[];
  /** ...or at least these, and none of `without`. */
  including?: string[];
  without?: string[];
}

let sb: Sandbox;
let cfg: TempConfig;
let env: NodeJS.ProcessEnv;

const CASES: Case[] = [
  { line: 'token ', exactly: COMMANDS },
  { line: 'token lo', exactly: ['login', 'logout'] },
  { line: 'token -p work ', exactly: COMMANDS },
  ...Object.entries(FLAGS).map(([cmd, flags]) => ({
    line: `token ${cmd} --`,
    including: [...flags, ...GLOBAL_FLAGS],
    without: cmd === 'login' || cmd === 'check' ? ['--raw'] : ['--client-id'],
  })),
  { line: 'token curl -', including: ['-X', '-H', '-d', '-p', '-v'] },
  { line: 'token show --header --r', exactly: ['--raw'] }, // --header takes no value here, only in curl
  { line: 'token login ', exactly: ['prism', 'priava', 'brightpattern', 'bp'] },
  { line: 'token login b', exactly: ['brightpattern', 'bp'] },
  { line: 'token login --region ', exactly: ['APAC', 'EU', 'US'] },
  { line: 'token login priava --client-id x --region E', exactly: ['EU'] },
  { line: 'token login priava ', exactly: [] },
  { line: 'token -p ', exactly: PROFILES },
  { line: 'token show --profile ', exactly: PROFILES },
  { line: 'token exec -p w', exactly: ['work'] },
  { line: 'token use ', exactly: PROFILES },
  { line: 'token use c', exactly: ['ci-bot'] },
  { line: 'token use work ', exactly: [] },
  { line: 'token curl --header ', exactly: [] }, // a free value: no file names either
  { line: 'token help ', exactly: SUBCOMMANDS },
  { line: 'token help lo', exactly: ['login', 'logout'] },
  // Login flags for the provider on the line only (or every one before a provider is given).
  { line: 'token login prism --s', exactly: ['--service-url', '--scope'] },
  { line: 'token login priava --s', exactly: ['--scope', '--sandbox'] },
  {
    line: 'token login bp --',
    including: ['--tenant', '--url', '--client-id', '--timeout', '--profile'],
    without: ['--service-url', '--region', '--sandbox', '--redirect-uri'],
  },
  { line: 'token login -p work --t', exactly: ['--timeout', '--token-url', '--tenant'] },
  // After `token exec ... --` a command of its own, as for sudo; curl's `--` passes words to curl.
  // (A prefix: every command on PATH is thousands of candidates.)
  { line: 'token exec -- nod', including: ['node'] },
  { line: 'token exec -p work -- nod', including: ['node'], without: ['work', '--bearer'] },
  { line: 'token exec --bearer -- sh -', without: ['--bearer', '--profile'] },
  { line: 'token curl -- ', exactly: [] },
  { line: 'token completion ', exactly: ['bash', 'zsh', 'fish'] },
  { line: 'token check ', exactly: ['prism'] },
  { line: 'token check prism --region', exactly: [] }, // only prism's flags
  { line: 'token sandbox --prism-quirk reu', exactly: ['reusable-code'] },
];

beforeAll(async () => {
  sb = await startSandbox();
  cfg = tempConfig();
  const real = PROFILES.filter((p) => !HOSTILE.includes(p));
  for (const name of real.filter((p) => p !== 'prism')) expect((await loginBp(sb, cfg.env, ['-p', name])).code).toBe(0);
  expect((await loginPrism(sb, cfg.env)).code).toBe(0);
  // login refuses such names; files a hand put in profiles/ under them are no profiles and never offered.
  for (const name of HOSTILE) cfg.writeProfile(name, cfg.profile('work'));
  expect(
    (await runCli(['__complete', 'profiles'], { env: cfg.env })).stdout.split('\n').filter(Boolean).sort(),
  ).toEqual([...real].sort());
  expect(
    (await runCli(['__complete', 'profiles-with-provider'], { env: cfg.env })).stdout
      .split('\n')
      .filter(Boolean)
      .sort(),
  ).toEqual(['ci-bot\tbrightpattern', 'prism\tprism', 'work\tbrightpattern'].sort());

  // `token` on PATH in every shell: a wrapper around this checkout's built CLI, whose
  // `__complete profiles` answer ends with the hostile lines, and whose
  // `__complete profiles-with-provider` answer with them as "name<TAB>provider" lines.
  const bin = join(cfg.dir, 'bin');
  mkdirSync(bin);
  const cli = `${sh(process.execPath)} ${sh(BIN)}`;
  writeFileSync(
    join(bin, 'token'),
    `#!/bin/sh
if [ "$1" = __complete ] && [ "$2" = profiles ]; then ${cli} "$@" || exit; printf '%s\\n' ${HOSTILE.map(sh).join(' ')}; exit 0; fi
if [ "$1" = __complete ] && [ "$2" = profiles-with-provider ]; then ${cli} "$@" || exit; printf '%s\\t%s\\n' ${HOSTILE.map((h) => `${sh(h)} ${HOSTILE_PROVIDER}`).join(' ')}; exit 0; fi
exec ${cli} "$@"
`,
  );
  chmodSync(join(bin, 'token'), 0o755);
  const home = join(cfg.dir, 'home');
  mkdirSync(home);
  env = {
    PATH: `${bin}:${process.env.PATH}`,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local/share'),
    XDG_CACHE_HOME: join(home, '.cache'),
    TERM: 'xterm',
    TOKEN_CONFIG_DIR: cfg.env.TOKEN_CONFIG_DIR,
    TOKEN_STORE: 'file',
    NO_COLOR: '1',
  };
  // Installed layouts: bash-completion's <dir>/completions, a zsh $fpath dir, a fish completion dir.
  for (const [shell, file] of [
    ['bash', 'completions/token.bash'],
    ['zsh', 'zfunc/_token'],
    ['fish', 'fish/token.fish'],
  ] as const) {
    const r = await runCli(['completion', shell], { env: cfg.env });
    expect(r.code).toBe(0);
    mkdirSync(join(cfg.dir, file, '..'), { recursive: true });
    writeFileSync(join(cfg.dir, file), r.stdout);
  }
});
afterAll(async () => {
  await sb?.close();
  cfg?.cleanup();
});

describe.each([
  ['bash', 'installed'],
  ['bash', 'sourced'],
  ['zsh', 'installed'],
  ['zsh', 'sourced'],
  ['fish', 'installed'],
  ['fish', 'sourced'],
] as [Shell, Load][])('%s, %s', (shell, load) => {
  const skip =
    shell === 'bash'
      ? (missingParts(['bash'], 'bash completion') ?? bashCompletionMissing())
      : missingParts([shell], `${shell} completion`);
  let got: Map<string, string[]>;
  beforeAll(async () => {
    if (skip) return;
    rmSync(join(cfg.dir, 'pwned'), { force: true });
    got = await complete(
      shell,
      load,
      CASES.map((c) => c.line),
    );
  });

  it.skipIf(!!skip).each(CASES.map((c) => [c.line, c] as const))('completes %j', (_line, c) => {
    const candidates = got.get(c.line)!;
    if (c.exactly) expect([...candidates].sort()).toEqual([...c.exactly].sort());
    if (c.including) expect(candidates).toEqual(expect.arrayContaining(c.including));
    for (const w of c.without ?? []) expect(candidates).not.toContain(w);
  });

  // The shells run in cfg.dir, which holds files (bin, home, ...): a globbed `*` would
  // offer their names instead; a run `$(touch pwned)` would leave a file `pwned` there.
  // bash's replies are read back as bash reads inserted text (bashRun), so this is the
  // name once the quoting the script added (printf %q) is undone.
  it.skipIf(!!skip)(
    'offers hostile names from `token __complete` as they are, without running or globbing them',
    () => {
      for (const line of ['token use ', 'token -p ', 'token show --profile '])
        expect([...got.get(line)!].sort(), line).toEqual([...PROFILES].sort());
      expect(existsSync(join(cfg.dir, 'pwned'))).toBe(false);
    },
  );
});

/** Candidates for each line (the cursor at its end), from one shell process. */
async function complete(shell: Shell, load: Load, lines: string[]): Promise<Map<string, string[]>> {
  const runners = { bash: bashRun, zsh: zshRun, fish: fishRun };
  const { args, parse } = runners[shell](load);
  const r = await run(shell, [...args, ...lines]);
  const got = parse(r.stdout);
  expect(
    got.size,
    `${shell} answered ${got.size} of ${lines.length} lines\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
  ).toBe(lines.length);
  return got;
}

/** Blocks of "\x1e<line>" followed by one candidate per line. */
function parseBlocks(out: string): Map<string, string[]> {
  const got = new Map<string, string[]>();
  for (const block of out.split('\x1e').slice(1)) {
    const [line, ...words] = block.split('\n');
    got.set(
      line!,
      words.filter((w) => w !== '').map((w) => w.split('\t')[0]!),
    );
  }
  return got;
}

// bash: what `complete -p token` names is called as bash would (command, word, previous
// word) with COMP_WORDS/COMP_CWORD/COMP_LINE/COMP_POINT set. Each reply is read back
// the way bash reads the inserted text, so quoting is checked too.
function bashRun(load: Load) {
  const loadIt =
    load === 'installed'
      ? `export BASH_COMPLETION_USER_DIR=${sh(cfg.dir)}; source ${BASH_COMPLETION}; loader=$(complete -p -D); loader=\${loader#*-F }; \${loader%% *} token`
      : `source ${BASH_COMPLETION}; source <(token completion bash)`;
  const script = `${loadIt}
spec=$(complete -p token) || exit 3
fn=\${spec#*-F }; fn=\${fn%% *}
for line in "$@"; do
  read -ra COMP_WORDS <<<"$line"
  [[ $line == *" " ]] && COMP_WORDS+=("")
  COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)) COMP_LINE=$line COMP_POINT=\${#line} COMPREPLY=()
  "$fn" token "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"
  printf '\\x1e%s\\n' "$line"
  for reply in "\${COMPREPLY[@]}"; do eval "read_back=($reply)"; printf '%s\\n' "\${read_back[@]}"; done
done`;
  return { args: ['--norc', '--noprofile', '-c', script, 'bash'], parse: parseBlocks };
}

// zsh: an interactive zsh -f in a pty with compinit. Tab is bound to a widget that runs
// the real complete-word between two markers; compadd is wrapped to print what matches
// (compadd -O: zsh's own matching against the word, nothing inserted) instead of adding it.
// A match added with -Q (inserted without zsh's quoting) is printed with a note after it,
// so no expected candidate matches it: `$(touch pwned)` must be inserted as \$\(touch\ pwned\).
function zshRun(load: Load) {
  const setup = join(cfg.dir, `zsh-${load}.zsh`);
  writeFileSync(
    setup,
    `PS1='' RPS1='' COLUMNS=250
unsetopt auto_list # never list (or ask before listing): the matches are printed below
${load === 'installed' ? `fpath=(${sh(join(cfg.dir, 'zfunc'))} $fpath)\n` : ''}autoload -Uz compinit && compinit -u -D
${load === 'sourced' ? 'source <(token completion zsh)\n' : ''}compadd() {
  local -a opts=("\${@[1,(i)--]}") hits shown
  if [[ \${opts[(I)-[OAD]]} != 0 ]]; then builtin compadd "$@"; return; fi
  local d=\${opts[(I)-d]}
  (( d )) && shown=("\${(@P)opts[d+1]}")
  builtin compadd -O hits -D shown "$@"
  local q; (( \${opts[(I)-*Q*]} )) && q=' (compadd -Q: inserted unquoted)'
  local i; for ((i = 1; i <= $#hits; i++)); do print -rn -- $'\\e]M;'"$hits[i]$q"$'\\t'"$shown[i]"$'\\a'; done
}
capture() { print -rn -- $'\\e]B\\a'; zle complete-word; print -rn -- $'\\e]E\\a'; BUFFER=''; }
zle -N capture
bindkey '^I' capture
print -rn -- $'\\e]READY\\a'
`,
  );
  const driver = `zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z ${sh(`source ${sh(setup)}`)}
zpty -r z out '*'$'\\e]READY\\a'
for line in "$@"; do
  zpty -w -n z "$line"$'\\t'
  zpty -r z out '*'$'\\e]E\\a'
  print -rn -- $'\\x1e'"$line"$'\\n'"$out"
done
zpty -d z`;
  const parse = (out: string) => {
    const got = new Map<string, string[]>();
    for (const block of out.split('\x1e').slice(1)) {
      const nl = block.indexOf('\n');
      got.set(
        block.slice(0, nl),
        [...block.slice(nl + 1).matchAll(/\x1b\]M;([^\t]*)\t[^\x07]*\x07/g)].map((m) => m[1]!),
      );
    }
    return got;
  };
  return { args: ['-f', '-c', driver, 'zsh'], parse };
}

// fish: `complete -C` prints what Tab would offer, one "candidate<TAB>description" a line.
function fishRun(load: Load) {
  const loadIt =
    load === 'installed' ? `set -p fish_complete_path ${sh(join(cfg.dir, 'fish'))}` : 'token completion fish | source';
  const script = `${loadIt}
for line in $argv
  printf '\\x1e%s\\n' $line
  complete -C "$line"
end`;
  return { args: ['--no-config', '-c', script], parse: parseBlocks };
}

function run(cmd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, cwd: cfg.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 40_000); // a zpty read that never matches
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function bashCompletionMissing(): string | undefined {
  if (existsSync(BASH_COMPLETION)) return undefined;
  const reason = `skipped: bash completion needs ${BASH_COMPLETION} (package bash-completion)`;
  if (process.env.CI) throw new Error(`${reason} — in CI nothing may skip; .ci/run must install it`);
  console.warn(reason);
  return reason;
}

function sh(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

describe.skipIf(!!missingParts(['fish'], 'fish completion'))('fish descriptions', () => {
  it('shows each profile’s provider beside its name, not the description of -p', async () => {
    rmSync(join(cfg.dir, 'pwned'), { force: true });
    const script = `token completion fish | source\ncomplete -C 'token -p '\nprintf '\\x1e\\n'\ncomplete -C 'token use w'`;
    const r = await run('fish', ['--no-config', '-c', script]);
    const [profiles, use] = r.stdout.split('\x1e\n');
    expect(profiles!.split('\n').filter(Boolean).sort()).toEqual(
      [
        ...HOSTILE.map((h) => `${h}\t${HOSTILE_PROVIDER}`),
        'ci-bot\tbrightpattern',
        'prism\tprism',
        'work\tbrightpattern',
      ].sort(),
    );
    expect(use).toBe('work\tbrightpattern\n');
    expect(existsSync(join(cfg.dir, 'pwned'))).toBe(false);
  });
});
