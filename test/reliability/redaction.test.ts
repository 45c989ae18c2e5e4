// SPEC "Responses from servers": -v traces and error text never show a secret, code or
// token — by value, wherever it appears, whatever the content type. Each answer below is
// what a token endpoint really sent once (JSON labelled as a form or text, a form, an HTML
// page, an echo in error_description or in a Location), first in-process against a real
// local server, then through the CLI in-process (one answer also with the built CLI).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { requestToken } from '../../src/oauth/token-response.js';
import { createRedactor } from '../../src/oauth/redact.js';
import { prism } from '../../src/providers/prism.js';
import { priava } from '../../src/providers/priava.js';
import { runCli } from '../helpers/cli.js';
import { useSandboxConfig } from '../helpers/sandbox-config.js';
import { loginPrism, loginPrismInProcess } from '../helpers/logins.js';
import { runFresh } from '../helpers/fake-deps.js';
import { storedValues } from '../helpers/stored-files.js';

interface Answer {
  status: number;
  type?: string;
  body: string;
  headers?: Record<string, string>;
}

/** Every form a value may take in text: raw, %-encoded (upper and lower hex), form-encoded. */
function forms(value: string): string[] {
  const enc = encodeURIComponent(value);
  return [value, enc, enc.toLowerCase(), new URLSearchParams({ v: value }).toString().slice(2)];
}

function expectNoSecret(text: string, secrets: string[]) {
  for (const s of secrets) for (const f of forms(s)) expect(text, `${JSON.stringify(f)} shown`).not.toContain(f);
}

describe('requestToken with -v, in-process', () => {
  const SECRET = 'cs-Very/Secret+value 1';
  const OLD_RT = 'rt-old/SECRET+2';
  const AT = 'at-new-SECRET.3';
  const RT = 'rt-new-SECRET~4';
  const tokens = JSON.stringify({ access_token: AT, refresh_token: RT, token_type: 'bearer', expires_in: 3600 });
  const form = new URLSearchParams({ access_token: AT, refresh_token: RT, token_type: 'bearer' }).toString();
  const ANSWERS: [string, Answer][] = [
    ['JSON', { status: 200, type: 'application/json', body: tokens }],
    ['JSON labelled as a form', { status: 200, type: 'application/x-www-form-urlencoded', body: tokens }],
    ['JSON labelled as text/plain', { status: 200, type: 'text/plain', body: tokens }],
    ['a form', { status: 200, type: 'application/x-www-form-urlencoded', body: form }],
    ['a form labelled as text/plain', { status: 200, type: 'text/plain', body: form }],
    [
      'an HTML page showing the tokens',
      { status: 200, type: 'text/html', body: `<html><pre>${tokens}</pre><a href="/x?${form}">x</a></html>` },
    ],
    [
      'an error_description echoing what was sent',
      {
        status: 400,
        type: 'application/json',
        body: JSON.stringify({
          error: 'invalid_grant',
          error_description: `refresh token ${OLD_RT} (${encodeURIComponent(OLD_RT)}) is no good for client secret ${SECRET}`,
        }),
      },
    ],
    [
      'an error_description echoing tokens as JSON',
      {
        status: 400,
        type: 'application/json',
        body: JSON.stringify({ error: 'invalid_request', error_description: `already issued: ${tokens}` }),
      },
    ],
    [
      'a text/plain 400 echoing the form sent',
      {
        status: 400,
        type: 'text/plain',
        body: `bad request: client_secret=${encodeURIComponent(SECRET)}&refresh_token=${encodeURIComponent(OLD_RT)}`,
      },
    ],
    [
      'a redirect whose Location carries the tokens',
      {
        status: 302,
        body: '',
        headers: {
          Location: `https://elsewhere.example/got/${AT}?access_token=${AT}&refresh_token=${encodeURIComponent(RT)}`,
        },
      },
    ],
    [
      'a header echoing the refresh token',
      {
        status: 200,
        type: 'application/json',
        body: tokens,
        headers: { 'X-Debug': `refresh_token=${OLD_RT}; secret=${SECRET}` },
      },
    ],
  ];

  let server: Server;
  let answer: Answer;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      res.writeHead(answer.status, { ...(answer.type ? { 'Content-Type': answer.type } : {}), ...answer.headers });
      res.end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const requests = [
    [
      'PRISM (query and headers)',
      () =>
        prism.renewRequest(
          { serviceUrl: base, authorizeUrl: `${base}/oauth/authorize` },
          { clientId: 'cid', clientSecret: SECRET },
          OLD_RT,
        ),
    ],
    [
      'Priava (form)',
      () =>
        priava.renewRequest(
          { tokenUrl: `${base}/token`, apiUrl: base, region: 'EU', redirectUri: 'http://127.0.0.1:9/cb' },
          { clientId: 'cid', clientSecret: SECRET },
          OLD_RT,
        ),
    ],
  ] as const;

  describe.each(requests)('%s', (_name, request) => {
    it.each(ANSWERS)('%s: no secret in the trace or the error text', async (_answer, a) => {
      answer = a;
      const lines: string[] = [];
      const secrets = createRedactor();
      let error = '';
      try {
        await requestToken(request(), 'X', { env: {}, trace: (l) => lines.push(l), secrets }, () => 0);
      } catch (err) {
        // What main prints: the message with every secret this run knows hidden.
        error = secrets.redact(`${(err as Error).message}\n${(err as { hint?: string }).hint ?? ''}`);
      }
      expect(lines).toContain(`< HTTP ${a.status}`);
      expectNoSecret([...lines, error].join('\n'), [SECRET, OLD_RT, AT, RT]);
    });
  });
});

describe('the CLI with -v (in-process, and one answer with the built CLI)', () => {
  const { sb, cfg } = useSandboxConfig();

  type Make = (s: { at: string; rt: string; secret: string }) => Answer;
  const NEW = {
    access_token: 'new-AT-e2e-0123456789',
    refresh_token: 'new-RT-e2e-9876543210',
    token_type: 'bearer',
    expires_in: 3600,
  };
  const ROWS: [string, Make, number][] = [
    [
      'JSON labelled as a form',
      () => ({ status: 200, type: 'application/x-www-form-urlencoded', body: JSON.stringify(NEW) }),
      0,
    ],
    ['JSON labelled as text/plain', () => ({ status: 200, type: 'text/plain', body: JSON.stringify(NEW) }), 0],
    [
      'a form',
      () => ({
        status: 200,
        type: 'application/x-www-form-urlencoded',
        body: new URLSearchParams(NEW as never).toString(),
      }),
      4,
    ],
    ['an HTML page', () => ({ status: 200, type: 'text/html', body: `<p>${JSON.stringify(NEW)}</p>` }), 4],
    [
      'an error_description echoing the stored tokens and secret',
      (s) => ({
        status: 400,
        body: JSON.stringify({
          error: 'invalid_grant',
          error_description: `${s.rt} / ${encodeURIComponent(s.secret)} / old ${s.at}`,
        }),
      }),
      3,
    ],
    [
      'a Location echoing the refresh token',
      (s) => ({
        status: 302,
        body: '',
        headers: { Location: `http://127.0.0.1:9/${encodeURIComponent(s.rt)}?refresh_token=${s.rt}` },
      }),
      4,
    ],
  ];

  const cases = [
    ...ROWS.map((row) => ['in-process', ...row] as const),
    ...ROWS.filter(([name]) => name.startsWith('an error_description')).map((row) => ['built CLI', ...row] as const),
  ];
  it.each(cases)('%s: refresh answered with %s shows no secret on stderr', async (how, _name, make, exit) => {
    const inProcess = how === 'in-process';
    const login = await (inProcess ? loginPrismInProcess : loginPrism)(sb, cfg.env, ['-v']);
    expect(login.code, login.stderr).toBe(0);
    const pick = (key: RegExp) => {
      const found = storedValues(cfg.env.TOKEN_CONFIG_DIR!, key);
      expect(found).toHaveLength(1);
      return found[0]!;
    };
    const known = { at: pick(/access_?token/i), rt: pick(/refresh_?token/i), secret: pick(/client_?secret/i) };
    sb.failNext('prism-token', make(known));
    const r = inProcess
      ? await runFresh(['refresh', '-v'], cfg.env)
      : await runCli(['refresh', '-v'], { env: cfg.env });
    expect(r.code, r.stderr).toBe(exit);
    expect(r.stderr).toMatch(/^< HTTP \d+$/m);
    const sent = sb.requests.flatMap((q) => [q.query.code, q.query.refresh_token, q.headers['x-prism-client-secret']]);
    expectNoSecret(login.stderr + r.stderr, [
      ...Object.values(known),
      ...sent.filter((s): s is string => !!s),
      NEW.access_token,
      NEW.refresh_token,
    ]);
  });
});
