// Crash safety (SPEC "Profiles and storage": every write is atomic, a rotated refresh
// token is persisted before anything is printed): `token refresh` and `token login
// --force` SIGKILLed at random moments leave profiles.json and credentials.json
// parseable and the profile holding the old or the new token pair, never a mix.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLIENTS, startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { BIN, runCli, tempConfig, type TempConfig } from '../helpers/cli.js';
import { loginPrism } from '../helpers/logins.js';

const RUNS = 200;
/** Children alive at once: the machine has 2 cores. */
const BATCH = 4;
/**
 * Kills timed from the answer land up to this long after it: the answer is read, the
 * secrets then the metadata are written within the first tens of ms (more under load),
 * and the rest is the process exiting.
 */
const AFTER_ANSWER_MS = 150;
/** Kills timed from the first file event land within this: across the secrets write and into the metadata write. */
const WRITE_MS = 6;

interface Pair {
  access: string;
  refresh: string;
}

interface Run {
  kind: 'refresh' | 'login';
  old: Pair;
  /** What the sandbox answered this run's request with, if the request got that far. */
  issued?: Pair;
  requested: boolean;
  child?: ChildProcess;
  /**
   * When to kill: this long after spawn, after the request reached the server, after
   * the answer left it, or after the process began writing its config dir.
   */
  kill: { after: 'spawn' | 'request' | 'response' | 'write'; ms: number };
  /** How long the server sits on the request before answering. */
  serverDelayMs: number;
}

type Outcome =
  | 'killed before the request'
  | 'killed in flight, old pair kept'
  | 'killed between the secrets and the metadata'
  | 'killed after storing the new pair'
  | 'finished';

let sb: Sandbox;
let front: { url: string; server: Server };
let template: { profiles: any; credentials: any };
let base: string;
/** Runs by the refresh token or code their request carries. */
const runs = new Map<string, Run>();

beforeAll(async () => {
  sb = await startSandbox();
  front = await startFront();
  base = mkdtempSync(join(tmpdir(), 'token-crash-'));
  // One real login gives the files' exact shape; each run gets a copy with its own tokens.
  const cfg: TempConfig = tempConfig();
  try {
    const r = await loginPrism({ ...sb, prismServiceUrl: front.url }, cfg.env);
    expect(r.code, r.stderr).toBe(0);
    template = { profiles: cfg.read('profiles.json'), credentials: cfg.read('credentials.json') };
  } finally {
    cfg.cleanup();
  }
});
afterAll(async () => {
  front.server.closeAllConnections();
  await new Promise((resolve) => front.server.close(resolve));
  await sb.close();
  rmSync(base, { recursive: true, force: true });
});

describe('SIGKILL at a random moment', () => {
  it(`never leaves a broken store or a mixed token pair (${RUNS} runs)`, { timeout: 120_000 }, async () => {
    const outcomes: Record<string, number> = {};
    for (let i = 0; i < RUNS; i += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, RUNS - i) }, (_, j) => crashOnce(i + j));
      for (const outcome of await Promise.all(batch)) outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
    console.info(`crash runs: ${JSON.stringify(outcomes)}`);
    // The kills really did land in every window that matters, not only at start-up.
    expect(outcomes['killed before the request']).toBeGreaterThan(0);
    expect(outcomes['killed in flight, old pair kept']).toBeGreaterThan(0);
    expect(outcomes['killed between the secrets and the metadata']).toBeGreaterThan(0);
    expect(outcomes['killed after storing the new pair']).toBeGreaterThan(0);
  });
});

async function crashOnce(i: number): Promise<Outcome> {
  const kind = i % 5 === 4 ? 'login' : 'refresh';
  const dir = join(base, `run-${i}`);
  const { pair: old, obtainedAt: seededAt } = seed(dir);
  const env = { PATH: process.env.PATH, HOME: dir, TOKEN_CONFIG_DIR: dir, TOKEN_STORE: 'file', NO_COLOR: '1', TOKEN_CLIENT_SECRET: CLIENTS.prism.clientSecret };
  const after = (['spawn', 'request', 'response', 'write'] as const)[i % 4]!;
  const serverDelayMs = Math.random() * 20;
  const windowMs = { spawn: 150, request: serverDelayMs, response: AFTER_ANSWER_MS, write: WRITE_MS }[after];
  const run: Run = { kind, old, requested: false, serverDelayMs, kill: { after, ms: Math.random() * windowMs } };
  let args = ['refresh'];
  if (kind === 'login') {
    const code = sb.state.issueCode({ provider: 'prism', clientId: CLIENTS.prism.clientId, redirectUri: 'https://app.example.test/cb' });
    runs.set(code, run);
    args = ['login', 'prism', '--client-id', CLIENTS.prism.clientId, '--service-url', front.url, '--code', code, '--redirect-uri', 'https://app.example.test/cb', '--force'];
  } else {
    runs.set(old.refresh, run);
  }

  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: 'ignore' });
  run.child = child;
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  if (after === 'spawn') setTimeout(() => kill(child), run.kill.ms);
  // inotify tells when the secrets' temp file appears; the writes that follow take a few ms.
  const watcher =
    after === 'write'
      ? watch(dir, (_event, name) => {
          if (!name?.startsWith('.credentials.json.')) return;
          watcher!.close();
          setTimeout(() => kill(child), run.kill.ms);
        })
      : undefined;
  const timer = setTimeout(() => kill(child), 20_000); // a hung child fails below, not the whole file
  const { code, signal } = await closed;
  watcher?.close();
  clearTimeout(timer);

  const where = `run ${i} (${kind}, exit ${code ?? signal})`;
  const profiles = parse(join(dir, 'profiles.json'), where);
  const credentials = parse(join(dir, 'credentials.json'), where);
  const secrets = credentials.secrets as Record<string, string | undefined>;
  const stored = { access: secrets['prism:access_token'], refresh: secrets['prism:refresh_token'] };
  expect([old, ...(run.issued ? [run.issued] : [])], `${where}: stored pair`).toContainEqual(stored);
  expect(secrets['prism:client_secret'], where).toBe(CLIENTS.prism.clientSecret);
  expect(profiles.profiles.prism?.token?.obtainedAt, where).toEqual(expect.any(Number));
  if (signal === null) expect(code, where).toBe(0);

  const shown = await runCli(['show', '--raw'], { env, timeoutMs: 20_000 });
  expect(shown.stderr, where).toBe('');
  expect(shown.stdout, where).toBe(`${stored.access}\n`);
  rmSync(dir, { recursive: true, force: true });

  if (signal === null) return 'finished';
  if (!run.requested) return 'killed before the request';
  if (stored.access === old.access) return 'killed in flight, old pair kept';
  return profiles.profiles.prism.token.obtainedAt === seededAt ? 'killed between the secrets and the metadata' : 'killed after storing the new pair';
}

/** A config dir like the template's, holding a fresh token pair the sandbox knows. */
function seed(dir: string): { pair: Pair; obtainedAt: number } {
  const t = sb.state.issueTokens({ provider: 'prism', clientId: CLIENTS.prism.clientId }, true);
  const pair = { access: t.accessToken, refresh: t.refreshToken! };
  const profiles = structuredClone(template.profiles);
  const now = Date.now();
  profiles.profiles.prism.token = { tokenType: 'Bearer', expiresAt: now + 3600_000, obtainedAt: now };
  const credentials = structuredClone(template.credentials);
  credentials.secrets['prism:access_token'] = pair.access;
  credentials.secrets['prism:refresh_token'] = pair.refresh;
  mkdirSync(dir, { mode: 0o700 });
  writeFileSync(join(dir, 'profiles.json'), JSON.stringify(profiles, null, 2) + '\n', { mode: 0o600 });
  writeFileSync(join(dir, 'credentials.json'), JSON.stringify(credentials, null, 2) + '\n', { mode: 0o600 });
  return { pair, obtainedAt: now };
}

function parse(path: string, where: string): any {
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${where}: ${path} does not parse (${(err as Error).message}): ${JSON.stringify(text.slice(0, 200))}`, { cause: err });
  }
}

function kill(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/**
 * In front of the sandbox: finds the run a token request belongs to, schedules its
 * kill, holds the request a little, and records the pair the sandbox issued.
 */
async function startFront(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    // The client may die at any point: its request aborts and the answer goes nowhere.
    res.on('error', () => undefined);
    forward(req, res).catch(() => res.destroy());
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const url = new URL(req.url ?? '/', sb.url);
  const run = runs.get(url.searchParams.get('refresh_token') ?? url.searchParams.get('code') ?? '');
  if (run) {
    // Like a real server, it goes on (and rotates) even when the client dies meanwhile.
    run.requested = true;
    if (run.kill.after === 'request') setTimeout(() => kill(run.child!), run.kill.ms);
    await new Promise((r) => setTimeout(r, run.serverDelayMs));
  }
  const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'connection').map(([k, v]) => [k, String(v)]));
  const upstream = await fetch(url, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined, redirect: 'manual' });
  const body = Buffer.from(await upstream.arrayBuffer());
  if (run && upstream.status === 200) {
    const json = JSON.parse(body.toString('utf8')) as { access_token: string; refresh_token?: string };
    run.issued = { access: json.access_token, refresh: json.refresh_token ?? run.old.refresh };
  }
  res.writeHead(upstream.status, Object.fromEntries(upstream.headers));
  res.end(body);
  if (run?.kill.after === 'response') setTimeout(() => kill(run.child!), run.kill.ms);
}
