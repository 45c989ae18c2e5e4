// The built CLI reading a keychain profile through a stand-in agent (the agent's protocol,
// no keyring), over each link (src/store/agent-link.ts): Node's pipe handle by default,
// net.Socket wherever process.binding would warn or is refused. Each way the token comes
// out, nothing else is printed, and the CLI exits although the agent keeps the connection
// open (the link must never hold the process).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { agentSocket, ensureAgentDir } from '../../src/store/agent-client.js';
import { runCli, tempConfig, type TempConfig } from '../helpers/cli.js';

const TOKEN = 'eyJ.stand-in-agent.token';
let cfg: TempConfig;
let server: Server;
let sockets: Socket[];
let requests: unknown[];

beforeEach(async () => {
  cfg = tempConfig({ TOKEN_STORE: 'keychain', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' });
  const dir = cfg.env.TOKEN_CONFIG_DIR!;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const now = Date.now();
  const profile = { provider: 'brightpattern', clientId: 'demo.user', store: 'keychain', options: { tenant: 'example.brightpattern.com', url: 'http://127.0.0.1:9/bp' }, token: { tokenType: 'Bearer', expiresAt: now + 3_600_000, obtainedAt: now } };
  writeFileSync(join(dir, 'profiles.json'), JSON.stringify({ version: 1, default: 'bp', profiles: { bp: profile } }), { mode: 0o600 });
  requests = [];
  sockets = [];
  const where = agentSocket(dir, cfg.env);
  ensureAgentDir(where);
  // Answers every getPassword and never closes a connection: the CLI has to let go itself.
  server = createServer((sock) => {
    sockets.push(sock);
    sock.write(`${JSON.stringify({ hello: { pid: process.pid, socket: null, v: 'kc1' } })}\n`);
    let buffer = '';
    sock.on('data', (chunk) => {
      buffer += String(chunk);
      for (let nl; (nl = buffer.indexOf('\n')) !== -1; buffer = buffer.slice(nl + 1)) {
        const req = JSON.parse(buffer.slice(0, nl));
        requests.push({ method: req.method, args: req.args });
        sock.write(`${JSON.stringify({ id: req.id, value: TOKEN })}\n`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(where.path, resolve));
});

afterEach(async () => {
  for (const sock of sockets) sock.destroy();
  await new Promise((resolve) => server.close(resolve));
  cfg.cleanup();
});

const permission = Number(process.versions.node.split('.')[0]) >= 23 ? '--permission' : '--experimental-permission';
// Newer Nodes restrict network access too under the permission model, sockets to the agent included.
const allowNet = process.allowedNodeEnvironmentFlags.has('--allow-net') ? ' --allow-net' : '';

describe('show --raw of a keychain profile through the agent link', () => {
  it.each([
    ['by default (the pipe handle)', {}],
    ['with --pending_deprecation --throw-deprecation in NODE_OPTIONS', { NODE_OPTIONS: '--pending_deprecation --throw-deprecation' }],
    ['with a quoted "--pending-deprecation" in NODE_OPTIONS', { NODE_OPTIONS: '"--pending-deprecation" --throw-deprecation' }],
    ['with NODE_PENDING_DEPRECATION=1', { NODE_PENDING_DEPRECATION: '1', NODE_OPTIONS: '--throw-deprecation' }],
    ['under the permission model', { NODE_OPTIONS: `${permission} --allow-fs-read=* --allow-fs-write=*${allowNet} --disable-warning=ExperimentalWarning` }],
  ])('prints the token and exits %s', async (_, extra) => {
    const r = await runCli(['show', '--raw'], { env: { ...cfg.env, ...extra }, timeoutMs: 10_000 });
    expect(r).toMatchObject({ code: 0, stdout: `${TOKEN}\n`, stderr: '' });
    expect(requests).toEqual([{ method: 'getPassword', args: ['token-cli', 'bp:access_token'] }]);
  });
});
