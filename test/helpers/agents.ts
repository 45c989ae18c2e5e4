// The keychain agents (dist/keychain-agent.js) a test started, found through /proc:
// argv[2] is the agent's socket path (inside the test's config dir), its environment
// names the D-Bus session it serves. Linux only, like the keyring the tests run.
import { readdirSync, readFileSync } from 'node:fs';

export interface AgentProcess {
  pid: number;
  socket: string;
  bus: string | undefined;
  /** The raw argv and environment, to check that no secret is in either. */
  cmdline: string;
  environ: string;
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'latin1');
  } catch {
    return undefined; // exited meanwhile, or not ours to read
  }
}

/** Live agents whose socket lies under `dir` (zombies have an empty cmdline and drop out). */
export function agentsUnder(dir: string): AgentProcess[] {
  const out: AgentProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = read(`/proc/${entry}/cmdline`);
    if (!cmdline) continue;
    const argv = cmdline.split('\0');
    if (!argv[1]?.endsWith('keychain-agent.js') || !argv[2]?.startsWith(`${dir}/`)) continue;
    const environ = read(`/proc/${entry}/environ`) ?? '';
    const bus = environ.split('\0').find((kv) => kv.startsWith('DBUS_SESSION_BUS_ADDRESS='));
    out.push({ pid: Number(entry), socket: argv[2], bus: bus?.slice('DBUS_SESSION_BUS_ADDRESS='.length), cmdline, environ });
  }
  return out;
}

/** SIGKILLs every agent under `dir`: the cleanup of each test that starts one. */
export function killAgents(dir: string): void {
  for (const a of agentsUnder(dir)) {
    try {
      process.kill(a.pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

/** Polls until `check` holds or `ms` pass; returns whether it held. */
export async function eventually(check: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (check()) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}
