// The keychain agent's connection as the client sees it, over both links (Node's pipe
// handle and net.Socket): however the agent's writes are cut, every reply arrives whole;
// connect errors carry net's codes; an agent that goes away fails what is pending.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deprecate } from 'node:util';
import { connectOrStart } from '../../src/store/agent-client.js';
import { openLink, pipeBindings, type LinkEvents } from '../../src/store/agent-link.js';

let dir: string | undefined;
let server: Server | undefined;
afterEach(() => {
  server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = server = undefined;
});

function socketPath(): string {
  dir = mkdtempSync(join(tmpdir(), 'token-agent-'));
  return join(dir, 'agent.sock');
}

/** A stand-in agent: `serve` gets each connection. */
async function agent(serve: (sock: Socket) => void): Promise<string> {
  const path = socketPath();
  server = createServer(serve);
  await new Promise<void>((resolve) => server!.listen(path, resolve));
  return path;
}

/** Sends `text` one byte per write, a millisecond apart. */
async function byteAtATime(sock: Socket, text: string) {
  for (const byte of Buffer.from(text, 'utf8')) {
    sock.write(Buffer.from([byte]));
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** Records a link's events; `until(name)` resolves when that event comes. */
function recorder() {
  const events: string[] = [];
  const chunks: Buffer[] = [];
  const waiters = new Map<string, () => void>();
  const note = (name: string) => {
    events.push(name);
    waiters.get(name)?.();
  };
  const on: LinkEvents = {
    connect: () => note('connect'),
    error: (err) => note(`error ${err.code}`),
    data: (bytes) => {
      chunks.push(Buffer.from(bytes));
      note('data');
    },
    close: () => note('close'),
  };
  const until = (name: string) => new Promise<void>((resolve) => (events.includes(name) ? resolve() : waiters.set(name, resolve)));
  return { on, events, until, text: () => Buffer.concat(chunks).toString('utf8') };
}

const tested = [20, 22, 24, 26].includes(Number(process.versions.node.split('.')[0])) && process.platform !== 'win32';

describe('the pipe handle', () => {
  it('is used on the Node versions it was tested on', () => {
    expect(pipeBindings() !== null).toBe(tested);
  });

  // What Node itself does to process.binding under --pending-deprecation and under the
  // permission model (the CLI under both: test/cli/keychain-link.test.ts, test/real/keychain.test.ts).
  it.each([
    ["Node's deprecation wrapper (--pending-deprecation)", (binding: (...args: unknown[]) => unknown) => deprecate(binding, 'process.binding() is deprecated.', 'DEP0111')],
    ['a function that refuses (the permission model)', () =>
      function binding() {
        throw Object.assign(new Error('Access to this API has been restricted'), { code: 'ERR_ACCESS_DENIED' });
      }],
  ])('is not used when process.binding is %s', (_, replace) => {
    const proc = process as unknown as { binding: (...args: unknown[]) => unknown };
    const original = proc.binding;
    proc.binding = replace(original);
    try {
      expect(pipeBindings()).toBeNull();
    } finally {
      proc.binding = original;
    }
  });
});

describe.each([
  ['the pipe handle', pipeBindings()],
  ['net.Socket', null],
])('the agent link over %s', (_, raw) => {
  it('delivers what the agent wrote a byte at a time, then its close', async () => {
    const sent = `{"hello":{}}\n{"id":1,"value":"tökén ✓ 🔑"}\n`;
    const path = await agent((sock) => void byteAtATime(sock, sent).then(() => sock.end()));
    const r = recorder();
    openLink(path, r.on, raw);
    await r.until('close');
    expect(r.text()).toBe(sent);
    expect(r.events[0]).toBe('connect');
    expect(r.events.at(-1)).toBe('close');
  });

  it('writes lines the agent receives in order', async () => {
    let received = '';
    const got = new Promise<void>((resolve) =>
      void agent((sock) =>
        sock.on('data', (d) => {
          received += String(d);
          if (received.endsWith('two\n')) resolve();
        }),
      ).then((path) => {
        const r = recorder();
        const link = openLink(path, { ...r.on, connect: () => (link.write('one ✓\n'), link.write('two\n')) }, raw);
      }),
    );
    await got;
    expect(received).toBe('one ✓\ntwo\n');
  });

  it.each([
    ['ENOENT', 'no socket file', (path: string) => void path],
    ['ECONNREFUSED', 'a socket file nobody listens on', (path: string) => writeFileSync(path, '')],
  ])('fails to connect with %s when there is %s', async (code, _what, prepare) => {
    const path = socketPath();
    prepare(path);
    const r = recorder();
    openLink(path, r.on, raw);
    await r.until(`error ${code}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(r.events).toEqual([`error ${code}`]);
  });

  it('reports no close for a link destroyed before it connected', async () => {
    const path = await agent(() => {});
    const r = recorder();
    openLink(path, r.on, raw).destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(r.events).toEqual([]);
  });
});

describe('the agent client', () => {
  it('puts together replies the agent wrote a byte at a time, multi-byte UTF-8 included', async () => {
    const secret = 'tökén ✓ 🔑';
    const path = await agent((sock) => void byteAtATime(sock, `${JSON.stringify({ hello: { pid: 4242, socket: '1:2', v: 'kc1' } })}\n${JSON.stringify({ id: 1, value: secret })}\n${JSON.stringify({ id: 2, error: 'no such entry' })}\n`));
    const conn = await connectOrStart(path);
    const answer = (id: number) => new Promise((resolve, reject) => conn.pending.set(id, { resolve, reject }));
    const [one, two] = [answer(1), answer(2)];
    await expect(one).resolves.toBe(secret);
    await expect(two).rejects.toThrow('no such entry');
    expect({ pid: conn.pid, file: conn.file }).toEqual({ pid: 4242, file: '1:2' });
    conn.link.destroy();
  });

  it('fails what is pending when the agent goes away', async () => {
    const path = await agent((sock) => setTimeout(() => sock.destroy(), 20));
    const conn = await connectOrStart(path);
    const pending = new Promise((resolve, reject) => conn.pending.set(7, { resolve, reject }));
    await expect(pending).rejects.toThrow('the keychain agent went away');
    expect(conn.closed).toBe(true);
  });
});
