// `token sandbox`: the command itself, and the strictness of its endpoints (a
// request that does not follow the provider page gets the provider's error shape).
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { spawn } from 'node:child_process';
import { CLIENTS, startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { BIN, runCli, tempConfig } from '../helpers/cli.js';

describe('token sandbox', () => {
  it('prints its URL on stdout and login commands on stderr, serves logins, logs each request, and stops on SIGTERM', async () => {
    const cfg = tempConfig();
    const child = spawn(process.execPath, [BIN, 'sandbox', '--port', '0', '--ttl', '120'], { env: cfg.env });
    // A failed expectation must not leave the sandbox running.
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      cfg.cleanup();
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const url = await new Promise<string>((resolve) => child.stdout.once('data', (d) => resolve(String(d).trim())));
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await new Promise((r) => setTimeout(r, 100));
    expect(stderr).toContain(`token login prism --client-id ${CLIENTS.prism.clientId} --service-url ${url}`);
    const r = await runCli(
      [
        'login',
        'bp',
        '--client-id',
        CLIENTS.brightpattern.clientId,
        '--tenant',
        CLIENTS.brightpattern.tenant,
        '--url',
        `${url}/bp`,
        '--json',
      ],
      {
        env: { ...cfg.env, TOKEN_CLIENT_SECRET: CLIENTS.brightpattern.clientSecret },
      },
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).expires_in).toBe(120);
    // Each request it answered, on stderr: method, path, parameters with secrets redacted, status.
    await new Promise((r) => setTimeout(r, 100));
    expect(stderr).toContain('scripts get this base URL alone on stdout when it is piped');
    expect(stderr).toMatch(
      /^\d\d:\d\d:\d\d POST \/bp\/configapi\/v2\/oauth\/token form: grant_type=client_credentials&.*client_secret=\[redacted\].* → 200 \(bp-token\)$/m,
    );
    const log = stderr.split('\n').filter((l) => /^\d\d:\d\d:\d\d /.test(l));
    expect(log).toHaveLength(1);
    expect(log[0]).not.toContain(CLIENTS.brightpattern.clientSecret);
    child.kill('SIGTERM');
    const code = await new Promise((resolve) => child.once('exit', (c, s) => resolve(c ?? s)));
    expect(code).not.toBeNull();
    cfg.cleanup();
  });

  it('refuses a port in use with exit 2', async () => {
    const sb = await startSandbox();
    const r = await runCli(['sandbox', '--port', String(sb.port)]);
    await sb.close();
    expect(r).toMatchObject({
      code: 2,
      stdout: '',
      stderr: `token: port ${sb.port} on 127.0.0.1 is already in use\npass --port 0 for any free port\n`,
    });
  });
});

describe('sandbox strictness', () => {
  let sb: Sandbox;
  beforeAll(async () => (sb = await startSandbox()));
  afterAll(() => sb.close());
  const form = (f: Record<string, string>) => new URLSearchParams(f).toString();
  const formHeaders = { 'Content-Type': 'application/x-www-form-urlencoded' };

  it.each([
    [
      'PRISM token by POST',
      () =>
        fetch(`${sb.url}/prism/v1/service/oauth2/token?grant_type=refresh_token&refresh_token=x`, {
          method: 'POST',
          headers: { 'x-prism-client-id': CLIENTS.prism.clientId, 'x-prism-client-secret': CLIENTS.prism.clientSecret },
        }),
      405,
      'invalid_request',
    ],
    [
      'PRISM token without the secret header',
      () =>
        fetch(`${sb.url}/prism/v1/service/oauth2/token?grant_type=refresh_token&refresh_token=x`, {
          headers: { 'x-prism-client-id': CLIENTS.prism.clientId },
        }),
      401,
      'invalid_client',
    ],
    [
      'PRISM code exchange without redirect_uri',
      () =>
        fetch(
          `${sb.url}/prism/v1/service/oauth2/token?grant_type=authorization_code&code=${sb.state.issueCode({ provider: 'prism', clientId: CLIENTS.prism.clientId, redirectUri: 'https://a.example/cb' })}`,
          {
            headers: {
              'x-prism-client-id': CLIENTS.prism.clientId,
              'x-prism-client-secret': CLIENTS.prism.clientSecret,
            },
          },
        ),
      400,
      'invalid_request',
    ],
    [
      'PRISM unknown grant',
      () =>
        fetch(`${sb.url}/prism/v1/service/oauth2/token?grant_type=password`, {
          headers: { 'x-prism-client-id': CLIENTS.prism.clientId, 'x-prism-client-secret': CLIENTS.prism.clientSecret },
        }),
      400,
      'unsupported_grant_type',
    ],
    [
      'Priava without TenantRegion',
      () =>
        fetch(`${sb.priavaApiUrl}/rest/oauth/token`, {
          method: 'POST',
          headers: formHeaders,
          body: form({
            grant_type: 'refresh_token',
            client_id: CLIENTS.priava.clientId,
            client_secret: CLIENTS.priava.clientSecret,
            refresh_token: 'x',
            redirect_uri: 'https://a.example/cb',
          }),
        }),
      400,
      'invalid_request',
    ],
    [
      'Priava as JSON',
      () =>
        fetch(`${sb.priavaApiUrl}/rest/oauth/token`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', TenantRegion: 'EU' },
          body: '{}',
        }),
      400,
      'invalid_request',
    ],
    [
      'Priava without redirect_uri',
      () =>
        fetch(`${sb.priavaApiUrl}/rest/oauth/token`, {
          method: 'POST',
          headers: { ...formHeaders, TenantRegion: 'EU' },
          body: form({
            grant_type: 'refresh_token',
            client_id: CLIENTS.priava.clientId,
            client_secret: CLIENTS.priava.clientSecret,
            refresh_token: 'x',
          }),
        }),
      400,
      'invalid_request',
    ],
    [
      'Bright Pattern without tenant',
      () =>
        fetch(`${sb.bpUrl}/configapi/v2/oauth/token`, {
          method: 'POST',
          headers: formHeaders,
          body: form({
            grant_type: 'client_credentials',
            client_id: CLIENTS.brightpattern.clientId,
            client_secret: CLIENTS.brightpattern.clientSecret,
          }),
        }),
      400,
      'invalid_request',
    ],
    ['Bright Pattern by GET', () => fetch(`${sb.bpUrl}/configapi/v2/oauth/token`), 405, 'invalid_request'],
  ])('%s → %i %s', async (_name, send, status, error) => {
    const res = await send();
    expect(res.status).toBe(status);
    const body = await res.json();
    expect(body.error).toBe(error);
    expect(typeof body.error_description).toBe('string');
  });

  it('the PRISM user API wants a live x-prism-access-token', async () => {
    const res = await fetch(`${sb.url}/prism/v1/service/user`, { headers: { Authorization: 'Bearer nope' } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ success: false, errorCode: 401 });
  });
});

describe('sandbox robustness', () => {
  it('answers malformed control input with 400 and keeps serving', async () => {
    const sb = await startSandbox();
    const bad = await fetch(`${sb.url}/_sandbox/config`, { method: 'POST', body: '{bad' });
    expect(bad.status).toBe(400);
    expect((await fetch(`${sb.url}/prism/v1/service/user`)).status).toBe(401);
    await sb.close();
  });
});
