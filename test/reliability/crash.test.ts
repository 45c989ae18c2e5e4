// Crash safety (SPEC "Profiles and storage (version 2)": every change of a profile is one
// atomic replacement of its file, a rotated refresh token is persisted before anything is
// printed): `token refresh` and `token login --force` SIGKILLed at random moments, while
// another process refreshes another profile, leave every profile file parseable and
// holding the old or the new token pair, never a mix; and a real refresh of every profile
// works afterwards (run in-process; the killed commands and the concurrent writer are processes). The file store: the keychain's entry-first order is checked in
// test/real/keychain.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLIENTS, startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { BIN, runCli, tempConfig, type TempConfig } from '../helpers/cli.js';
import { loginBp, loginPrism } from '../helpers/logins.js';
import { runFresh } from '../helpers/fake-deps.js';

/**
 * Runs: at least one of every kind and kill moment (3 × 5, in MIN_RUNS), then more only
 * until every outcome below has been seen, at most MAX_RUNS: where the kills land depends
 * on the machine's load, so a quiet machine stops early and a busy one samples longer.
 */
const MIN_RUNS = 15;
const MAX_RUNS = 60;
/** Runs alive at once (each is two token processes and a server): the machine has 2 cores. */
const BATCH = 3;
/**
 * Kills timed from the answer land up to this long after it: the answer is read, the
 * profile file is written within the first tens of ms (more under load), and the rest
 * is the process exiting.
 */
const AFTER_ANSWER_MS = 150;
/** Kills timed from the temp file's appearance land within this (its write, fsync and rename), likewise after the rename. */
const WRITE_MS = 6;

interface Pair {
  access: string;
  refresh: string;
}

interface Run {
  kind: 'refresh' | 'login';
  old: Pair;
  /** What the sandbox answered the killed process's request with, if the request got that far. */
  issued?: Pair;
  requested: boolean;
  /** The killed process's requests, passed on to the sandbox and their answers back (settled either way). */
  relays: Promise<void>[];
  /** Set once the follow-ups start: a request carrying this run's token after that is theirs. */
  followingUp?: boolean;
  child?: ChildProcess;
  /**
   * When to kill: this long after spawn, after the request reached the server, after
   * the answer left it, after the process began writing the profile file, or after its
   * new version replaced the file (what follows: the rest of the command, its exit).
   */
  kill: { after: 'spawn' | 'request' | 'response' | 'write' | 'stored'; ms: number };
  /** How long the server sits on the request before answering. */
  serverDelayMs: number;
}

const KILLED = [
  'killed before the request',
  'killed in flight, old pair kept',
  'killed after storing the new pair',
] as const;
type Outcome = (typeof KILLED)[number] | 'finished';

let sb: Sandbox;
let front: { url: string; server: Server };
/** One real login of each kind gives the files' exact shape; each run gets copies with its own tokens. */
let template: { prism: any; bp: any };
let base: string;
/** Runs by the refresh token or code their request carries. */
const runs = new Map<string, Run>();

beforeAll(async () => {
  sb = await startSandbox();
  front = await startFront();
  base = mkdtempSync(join(tmpdir(), 'token-crash-'));
  const cfg: TempConfig = tempConfig();
  try {
    expect((await loginPrism({ ...sb, prismServiceUrl: front.url }, cfg.env)).code).toBe(0);
    expect((await loginBp(sb, cfg.env)).code).toBe(0);
    template = { prism: cfg.profile('prism'), bp: cfg.profile('brightpattern') };
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
  it(
    `never leaves a broken profile, a mixed token pair or a lost one, with another profile written meanwhile (${MIN_RUNS} to ${MAX_RUNS} runs)`,
    { timeout: 480_000 },
    async () => {
      const outcomes: Record<string, number> = {};
      const seenAll = () => KILLED.every((o) => outcomes[o]);
      let i = 0;
      while (i < MAX_RUNS && (i < MIN_RUNS || !seenAll())) {
        const batch = Array.from({ length: Math.min(BATCH, MAX_RUNS - i) }, (_, j) => crashOnce(i + j));
        i += batch.length;
        for (const outcome of await Promise.all(batch)) outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      }
      console.info(`crash runs: ${i}, ${JSON.stringify(outcomes)}`);
      // The kills really did land in every window that matters, not only at start-up.
      expect(outcomes['killed before the request']).toBeGreaterThan(0);
      expect(outcomes['killed in flight, old pair kept']).toBeGreaterThan(0);
      expect(outcomes['killed after storing the new pair']).toBeGreaterThan(0);
    },
  );
});

async function crashOnce(i: number): Promise<Outcome> {
  const kind = i % 3 === 2 ? 'login' : 'refresh';
  const dir = join(base, `run-${i}`);
  const seeded = seed(dir);
  const old = seeded.a;
  const env = {
    PATH: process.env.PATH,
    HOME: dir,
    TOKEN_CONFIG_DIR: dir,
    TOKEN_STORE: 'file',
    NO_COLOR: '1',
    TOKEN_CLIENT_SECRET: CLIENTS.prism.clientSecret,
  };
  const after = (['spawn', 'request', 'response', 'write', 'stored'] as const)[i % 5]!;
  const serverDelayMs = Math.random() * 20;
  const windowMs = { spawn: 150, request: serverDelayMs, response: AFTER_ANSWER_MS, write: WRITE_MS, stored: WRITE_MS }[
    after
  ];
  const run: Run = {
    kind,
    old,
    requested: false,
    relays: [],
    serverDelayMs,
    kill: { after, ms: Math.random() * windowMs },
  };
  let args = ['refresh', '-p', 'a'];
  if (kind === 'login') {
    const code = sb.state.issueCode({
      provider: 'prism',
      clientId: CLIENTS.prism.clientId,
      redirectUri: 'https://app.example.test/cb',
    });
    runs.set(code, run);
    args = [
      'login',
      'prism',
      '-p',
      'a',
      '--client-id',
      CLIENTS.prism.clientId,
      '--service-url',
      front.url,
      '--code',
      code,
      '--redirect-uri',
      'https://app.example.test/cb',
      '--force',
    ];
  } else {
    runs.set(old.refresh, run);
  }

  // Another writer at the same time, on another profile of the same config dir.
  const other = runCli(['refresh', '-p', 'b'], { env, timeoutMs: 30_000 });
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: 'ignore' });
  run.child = child;
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  if (after === 'spawn') setTimeout(() => kill(child), run.kill.ms);
  // inotify tells when a's temp file appears (its write, fsync and rename follow within a
  // few ms), and when it is renamed over a.json.
  const watcher =
    after === 'write' || after === 'stored'
      ? watch(join(dir, 'profiles'), (_event, name) => {
          if (after === 'write' ? !name?.startsWith('.a.json.') : name !== 'a.json') return;
          watcher!.close();
          setTimeout(() => kill(child), run.kill.ms);
        })
      : undefined;
  const timer = setTimeout(() => kill(child), 20_000); // a hung child fails below, not the whole file
  const { code, signal } = await closed;
  watcher?.close();
  clearTimeout(timer);
  const where = `run ${i} (${kind}, kill after ${after}, exit ${code ?? signal})`;
  expect((await other).code, `${where}: the concurrent refresh of b`).toBe(0);

  const a = parse(join(dir, 'profiles', 'a.json'), where);
  const stored = { access: a.token?.accessToken, refresh: a.secrets?.refreshToken };
  expect([old, ...(run.issued ? [run.issued] : [])], `${where}: a's stored pair`).toContainEqual(stored);
  expect(a.secrets.clientSecret, where).toBe(CLIENTS.prism.clientSecret);
  const b = parse(join(dir, 'profiles', 'b.json'), where);
  expect(b.token.accessToken, `${where}: b was refreshed`).not.toBe(seeded.b.access);
  expect(sb.state.refreshGrant(b.secrets.refreshToken), `${where}: b's rotated refresh token kept`).toBeDefined();
  expect(parse(join(dir, 'profiles', 'c.json'), where), `${where}: c untouched`).toEqual(seeded.c);
  if (signal === null) expect(code, where).toBe(0);

  // Killed once its new file was in place: that file holds what the server issued.
  if (after === 'stored' && run.issued) expect(stored, `${where}: a's stored pair`).toEqual(run.issued);
  const outcome: Outcome =
    signal === null
      ? 'finished'
      : !run.requested
        ? 'killed before the request'
        : stored.access === old.access
          ? 'killed in flight, old pair kept'
          : 'killed after storing the new pair';

  // The real follow-up: a refresh of every profile (in-process: the same lock, files and
  // requests, without three more process start-ups per run). First the killed process's last
  // request, if it sent one before dying, is let in: its bytes are in the socket, read at the next turn.
  await new Promise((r) => setTimeout(r, 50));
  run.followingUp = true;
  const followUps = await Promise.all(
    ['a', 'b', 'c'].map(async (name) => [name, await runFresh(['refresh', '-p', name], env)] as const),
  );
  // The killed process's request may still have been on its way through the front server, racing
  // the follow-up's: whichever reached the sandbox first rotated the refresh token.
  await Promise.all(run.relays);
  for (const [name, r] of followUps) {
    // a's refresh may fail only where the server rotated its refresh token for the killed process
    // (the follow-up's request, carrying the same token, then refused) and that process
    // died before storing the answer: no client can help that.
    const lost = name === 'a' && kind === 'refresh' && r.code !== 0;
    if (lost) {
      expect([r.code, r.stderr], where).toEqual([3, expect.stringContaining('invalid_grant')]);
      expect(stored, `${where}: a lost although it stored the new pair`).toEqual(old);
      expect(run.issued, `${where}: a lost although no request of the killed process was answered`).toBeDefined();
    } else
      expect([r.code, r.stderr], `${where}: refresh -p ${name}`).toEqual([
        0,
        expect.stringMatching(/^Refreshed profile /),
      ]);
  }
  // Nothing left over: the next writer removed any temp file of a killed one.
  expect(
    readdirSync(join(dir, 'profiles')).filter((f) => f.endsWith('.tmp')),
    where,
  ).toEqual([]);
  rmSync(dir, { recursive: true, force: true });
  return outcome;
}

/** A config dir of three profiles (a, b: prism; c: brightpattern), each with a fresh token the sandbox knows. */
function seed(dir: string): { a: Pair; b: Pair; c: any } {
  const pairs: Pair[] = [0, 1].map(() => {
    const t = sb.state.issueTokens({ provider: 'prism', clientId: CLIENTS.prism.clientId }, true);
    return { access: t.accessToken, refresh: t.refreshToken! };
  });
  const now = Date.now();
  const prism = (pair: Pair) => {
    const p = structuredClone(template.prism);
    p.token = { ...p.token, accessToken: pair.access, expiresAt: now + 3600_000, obtainedAt: now };
    p.secrets.refreshToken = pair.refresh;
    return p;
  };
  const c = structuredClone(template.bp);
  mkdirSync(join(dir, 'profiles'), { recursive: true, mode: 0o700 });
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({ version: 2, storeId: randomBytes(16).toString('hex'), default: 'a' }),
    { mode: 0o600 },
  );
  for (const [name, profile] of [
    ['a', prism(pairs[0]!)],
    ['b', prism(pairs[1]!)],
    ['c', c],
  ] as const) {
    writeFileSync(join(dir, 'profiles', `${name}.json`), JSON.stringify(profile, null, 2) + '\n', { mode: 0o600 });
  }
  return { a: pairs[0]!, b: pairs[1]!, c };
}

function parse(path: string, where: string): any {
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(
      `${where}: ${path} does not parse (${(err as Error).message}): ${JSON.stringify(text.slice(0, 200))}`,
      { cause: err },
    );
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
  // PRISM's token requests carry the refresh token or code in the query: the run is known
  // before the body is read, and the relay is tracked from its first moment.
  const url = new URL(req.url ?? '/', sb.url);
  const found = runs.get(url.searchParams.get('refresh_token') ?? url.searchParams.get('code') ?? '');
  // A follow-up's request is passed on as it is: no delay, no kill, nothing recorded.
  const run = found?.followingUp ? undefined : found;
  const relay = relayTo(url, run, req, res);
  run?.relays.push(relay.catch(() => undefined));
  await relay;
}

async function relayTo(url: URL, run: Run | undefined, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  if (run) {
    // Like a real server, it goes on (and rotates) even when the client dies meanwhile.
    run.requested = true;
    if (run.kill.after === 'request') setTimeout(() => kill(run.child!), run.kill.ms);
    await new Promise((r) => setTimeout(r, run.serverDelayMs));
  }
  const headers = Object.fromEntries(
    Object.entries(req.headers)
      .filter(([k]) => k !== 'host' && k !== 'connection')
      .map(([k, v]) => [k, String(v)]),
  );
  const upstream = await fetch(url, {
    method: req.method,
    headers,
    body: chunks.length ? Buffer.concat(chunks) : undefined,
    redirect: 'manual',
  });
  const body = Buffer.from(await upstream.arrayBuffer());
  if (run && upstream.status === 200) {
    const json = JSON.parse(body.toString('utf8')) as { access_token: string; refresh_token?: string };
    run.issued = { access: json.access_token, refresh: json.refresh_token ?? run.old.refresh };
  }
  res.writeHead(upstream.status, Object.fromEntries(upstream.headers));
  res.end(body);
  if (run?.kill.after === 'response') setTimeout(() => kill(run.child!), run.kill.ms);
}
