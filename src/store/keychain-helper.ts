// The keychain helper, built to dist/keychain-helper.cjs and run as a short-lived child
// of one command: the ONLY file that touches keytar (archived upstream, STYLE.md: swap
// it here). Why a process: a Secret Service that never answers leaves keytar's native
// call blocked in a libuv pool thread that Node joins at exit, so a CLI calling keytar
// itself could report the timeout and then never exit. The parent (keychain-store.ts)
// kills this child when a call outlives the 3 s timeout (or when it started it ahead of
// a call that then waits for a lock); the next call starts a new one, so a frozen helper
// never outlives the command that started it.
//
// Protocol, newline-delimited JSON on stdin/stdout: each request {id, method, args}
// gets {id, value} or {id, error}. Secrets cross these pipes only, never argv or files.

type Keytar = Record<string, (...args: string[]) => Promise<unknown>>;
const METHODS = new Set(['getPassword', 'setPassword', 'deletePassword']);

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0] || 'unknown error';
}

let keytar: Keytar | Error | undefined;
function loadKeytar(): Keytar {
  if (!keytar) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      keytar = require('keytar') as Keytar;
    } catch (err) {
      keytar = new Error(`keytar could not be loaded (${firstLine(err)})`, { cause: err });
    }
  }
  if (keytar instanceof Error) throw keytar;
  return keytar;
}

async function call(method: unknown, args: unknown): Promise<unknown> {
  if (
    typeof method !== 'string' ||
    !METHODS.has(method) ||
    !Array.isArray(args) ||
    !args.every((a) => typeof a === 'string')
  ) {
    throw new Error('bad request to the keychain helper');
  }
  return (await loadKeytar()[method]!(...args)) ?? null;
}

function answer(line: string): void {
  let id: unknown = null;
  void (async () => {
    let reply: object;
    try {
      const req = JSON.parse(line) as { id: unknown; method: unknown; args: unknown };
      id = req.id;
      reply = { id, value: await call(req.method, req.args) };
    } catch (err) {
      reply = { id, error: firstLine(err) };
    }
    process.stdout.write(`${JSON.stringify(reply)}\n`);
  })();
}

let buffered = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  buffered += chunk;
  for (let nl = buffered.indexOf('\n'); nl !== -1; nl = buffered.indexOf('\n')) {
    answer(buffered.slice(0, nl));
    buffered = buffered.slice(nl + 1);
  }
});
// stdin closed: the parent is done (or gone). Exit without joining a pool thread stuck in keytar.
process.stdin.on('end', () => process.kill(process.pid, 'SIGKILL'));
// keytar (and the libraries it links) loads while the first request is on its way: the
// parent starts this helper ahead of its first call (warm()).
try {
  loadKeytar();
} catch {
  // reported in the answer to each call
}
