// The keychain agent's replies as the client reads them (bytes through `onread`, lines
// decoded once complete): however the agent's writes are cut, every reply arrives whole.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectOrStart } from '../../src/store/agent-client.js';

let dir: string | undefined;
let server: Server | undefined;
afterEach(() => {
  server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A stand-in agent that sends `text` one byte per write, a few ms apart. */
async function agentSending(text: string): Promise<string> {
  dir = mkdtempSync(join(tmpdir(), 'token-agent-'));
  const path = join(dir, 'agent.sock');
  server = createServer(async (sock) => {
    for (const byte of Buffer.from(text, 'utf8')) {
      sock.write(Buffer.from([byte]));
      await new Promise((r) => setTimeout(r, 1));
    }
  });
  await new Promise<void>((resolve) => server!.listen(path, resolve));
  return path;
}

describe('the keychain agent client', () => {
  it('puts together replies the agent wrote a byte at a time, multi-byte UTF-8 included', async () => {
    const secret = 'tökén ✓ 🔑';
    const path = await agentSending(`${JSON.stringify({ hello: { pid: 4242, socket: '1:2', v: 'kc1' } })}\n${JSON.stringify({ id: 1, value: secret })}\n${JSON.stringify({ id: 2, error: 'no such entry' })}\n`);
    const conn = await connectOrStart(path);
    const answer = (id: number) => new Promise((resolve, reject) => conn.pending.set(id, { resolve, reject }));
    const [one, two] = [answer(1), answer(2)];
    await expect(one).resolves.toBe(secret);
    await expect(two).rejects.toThrow('no such entry');
    expect({ pid: conn.pid, file: conn.file }).toEqual({ pid: 4242, file: '1:2' });
    conn.socket.destroy();
  });
});
