// The verdict on a refusal and the one-line account of an answer, in-process with fake answers.
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/check/prism.js';
import { judgeRefusal, said, scrub, unmet, type Answer, type Session } from '../../src/check/session.js';

function session(): Session {
  return {
    options: { serviceUrl: 'https://svc.example', authorizeUrl: 'https://svc.example/oauth/authorize' },
    client: { clientId: 'c', clientSecret: 'the-secret' },
    http: { env: {} },
    codeGiven: false,
    authorize: async () => ({ code: 'x' }),
    secrets: new Set(['the-secret', 'code-123']),
  };
}
function answer(status: number, body: string, type = 'application/json'): Answer {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { res: { status, headers: new Headers({ 'content-type': type }), body }, json };
}

describe('judgeRefusal', () => {
  it.each([
    [answer(401, '{"error":"invalid_client"}'), 'pass', 'sent → refused: HTTP 401 invalid_client'],
    [
      answer(400, '{"error":"invalid_grant","error_description":"code code-123 used"}'),
      'pass',
      'sent → refused: HTTP 400 invalid_grant: code [redacted] used',
    ],
    [
      answer(400, '{"message":"bad"}'),
      'warn',
      'sent → refused with HTTP 400 JSON {message}, without an OAuth "error" field',
    ],
    [
      answer(400, '<h1>no</h1>', 'text/html; charset=utf-8'),
      'fail',
      'sent → refused, but HTTP 400 (text/html, 11 bytes) is not a JSON error',
    ],
    [answer(200, '{"access_token":"at-1","token_type":"bearer"}'), 'fail', 'sent → HTTP 200 with a token: not refused'],
    [answer(200, '{}'), 'fail', 'sent → HTTP 200 JSON {}, not a 4xx refusal'],
    [answer(500, '{"error":"server_error"}'), 'fail', 'sent → HTTP 500 server_error, not a 4xx refusal'],
    [answer(302, ''), 'fail', 'sent → HTTP 302 (application/json, 0 bytes), not a 4xx refusal'],
  ])('%# → %s', (a, status, detail) => {
    expect(judgeRefusal(session(), 'sent', a)).toEqual({ status, detail });
  });

  it('a token issued instead of a refusal becomes the one in hand, and is never printed', () => {
    const s = session();
    judgeRefusal(s, 'sent', answer(200, '{"access_token":"at-new-1","refresh_token":"rt-new-1"}'));
    expect(s).toMatchObject({ accessToken: 'at-new-1', refreshToken: 'rt-new-1' });
    expect(scrub(s, 'got at-new-1 and rt-new-1')).toBe('got [redacted] and [redacted]');
  });
});

describe('scrub and said', () => {
  it('escapes control characters and keeps a line short', () => {
    const s = session();
    expect(scrub(s, 'a\nb\u001b[31m')).toBe('a\\u000ab\\u001b[31m');
    expect(scrub(s, 'x'.repeat(300))).toHaveLength(100);
    expect(said(s, answer(401, '{"error":"the-secret\\r\\n"}'))).toBe('HTTP 401 [redacted]\\u000d\\u000a');
  });
});

describe('the checks', () => {
  it('each is defined once, with a name and the line it enforces', () => {
    const ids = CHECKS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of CHECKS) expect(c.cites).toMatch(/page line|NOTES\.md|RFC 6749|SPEC/);
  });

  it('a check whose prerequisite is missing says which', () => {
    const s = session();
    expect(unmet(s, ['code'])).toBe('no authorization code (see the authorize check)');
    expect(unmet({ ...s, issued: {} }, ['refresh'])).toBe('no refresh_token was issued to test with');
    expect(unmet({ ...s, codeGiven: true, issued: {} }, ['issued', 'browser'])).toMatch(/--code gives one/);
    expect(unmet({ ...s, blocked: 'not sent: plain http' }, ['request'])).toBe('not sent: plain http');
  });
});
