// login --refresh-token-stdin on a real terminal (tmux): stdin is the keyboard, so the
// refresh token and the client secret are asked for, hidden, and never shown.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLIENTS, startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { tempConfig, type TempConfig } from '../helpers/cli.js';
import { missingParts } from '../helpers/real.js';
import { runInTerminal, type Terminal } from '../helpers/tmux.js';

const skip = missingParts(['tmux', 'bash'], 'the real-terminal tests');
const SECRET = CLIENTS.prism.clientSecret;

let sb: Sandbox;
let cfg: TempConfig;
let term: Terminal | undefined;
beforeAll(async () => {
  if (!skip) sb = await startSandbox();
});
afterAll(() => sb?.close());
beforeEach(() => {
  if (skip) return;
  sb.requests.length = 0;
  cfg = tempConfig();
});
afterEach(async () => {
  await term?.kill();
  term = undefined;
  cfg?.cleanup();
});

describe.skipIf(skip)('token login prism --refresh-token-stdin on a terminal', () => {
  it('asks for the client secret and the refresh token, hidden, and stores the proved result', async () => {
    const rt = sb.state.issueTokens(
      { provider: 'prism', clientId: CLIENTS.prism.clientId, redirectUri: 'http://127.0.0.1:8765/callback' },
      true,
    ).refreshToken!;
    term = await runInTerminal(
      [
        'login',
        'prism',
        '--client-id',
        CLIENTS.prism.clientId,
        '--service-url',
        sb.prismServiceUrl,
        '--refresh-token-stdin',
      ],
      { env: cfg.env },
    );
    await term.waitFor(/^\? PRISM client secret:/m);
    await term.type(SECRET);
    await term.press('Enter');
    await term.waitFor(/^\? PRISM refresh token:/m);
    await term.type(rt);
    await new Promise((r) => setTimeout(r, 300));
    expect(await term.screen()).not.toContain(rt);
    await term.press('Enter');

    expect(await term.exitCode()).toBe(0);
    const screen = await term.screen();
    expect(screen).toMatch(/^✓ Logged in to PRISM as profile prism \(token valid for 1h;/m);
    expect(screen).not.toContain(rt);
    expect(screen).not.toContain(SECRET);
    expect(sb.requests).toHaveLength(1);
    expect(sb.requests[0]!.query).toEqual({ grant_type: 'refresh_token', refresh_token: rt });
    expect(sb.requests[0]!.headers['x-prism-client-secret']).toBe(SECRET);
    expect(cfg.secret('prism', 'client_secret')).toBe(SECRET);
  });
});
