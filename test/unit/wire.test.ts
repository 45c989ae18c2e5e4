// Request building and response parsing, per provider page, without a server.
import { describe, expect, it } from 'vitest';
import { toTokenSet, parseJsonLenient } from '../../src/oauth/token-response.js';
import { prism } from '../../src/providers/prism.js';
import { priava } from '../../src/providers/priava.js';
import { brightpattern } from '../../src/providers/brightpattern.js';
import { authHeader } from '../../src/providers/auth-header.js';
import { redactBody, redactHeaders, redactUrl } from '../../src/oauth/redact.js';
import { decodeJwt } from '../../src/oauth/jwt.js';

const NOW = 1_800_000_000_000;
const client = { clientId: 'cid', clientSecret: 'sec' };

describe('toTokenSet', () => {
  it.each([
    [
      { access_token: 'a', token_type: 'bearer', expires_in: 12345 },
      { accessToken: 'a', tokenType: 'Bearer', expiresAt: NOW + 12345_000 },
    ],
    [
      { access_token: 'a', token_type: 'BEARER', expires_in: 21600, refresh_token: 'r' },
      { accessToken: 'a', tokenType: 'Bearer', expiresAt: NOW + 21600_000, refreshToken: 'r' },
    ],
    [
      { access_token: 'a', token_type: 'Bearer', expires_in: '3599' },
      { accessToken: 'a', tokenType: 'Bearer', expiresAt: NOW + 3599_000 },
    ],
    [
      { access_token: 'a', token_type: 'bearer' },
      { accessToken: 'a', tokenType: 'Bearer', expiresAt: null },
    ],
    [
      { access_token: 'a', token_type: '' },
      { accessToken: 'a', tokenType: 'Bearer', expiresAt: null },
    ],
    [
      { access_token: 'a', expires_in: 9999999999 },
      { accessToken: 'a', tokenType: 'Bearer', expiresAt: NOW + 9999999999_000 },
    ],
    [
      { access_token: 'a', token_type: 'mac', expires_in: 1, scope: 's1 s2' },
      { accessToken: 'a', tokenType: 'mac', expiresAt: NOW + 1000, scope: 's1 s2' },
    ],
    [
      { access_token: 'a', refresh_token: '' },
      { accessToken: 'a', tokenType: 'Bearer', expiresAt: null },
    ],
  ])('reads %j', (body, want) => {
    expect(toTokenSet(body, NOW, 'X')).toEqual({ ...want, obtainedAt: NOW });
  });

  it.each([
    [null, 'not a JSON object'],
    [[], 'not a JSON object'],
    [{}, 'no access_token'],
    [{ access_token: '' }, 'no access_token'],
    [{ access_token: 'a', expires_in: 'soon' }, 'expires_in is "soon"'],
    [{ access_token: 'a', expires_in: -5 }, 'expires_in is -5'],
    [{ access_token: 'a', token_type: 5 }, 'token_type is not a string'],
    [{ access_token: 'a', refresh_token: 7 }, 'refresh_token is not a string'],
    [{ access_token: 'a', expires_in: 1e20 }, 'expires_in is 100000000000000000000'],
    [{ access_token: 'a', expires_in: '100000000001' }, 'expires_in is "100000000001"'],
    [{ access_token: 'a b' }, 'access_token has a space, a line break or another character no token has'],
    [{ access_token: 'abc\r\nX-Evil: 1' }, 'access_token has a space, a line break or another character no token has'],
    [{ access_token: 'abcé' }, 'access_token has a space, a line break or another character no token has'],
    [
      { access_token: 'a', token_type: 'Bearer evil\r\nX-Injected: yes' },
      'token_type is "Bearer evil\\r\\nX-Injected: yes"',
    ],
  ])('refuses %j', (body, what) => {
    expect(() => toTokenSet(body, NOW, 'X')).toThrow(`X sent an invalid token response: ${what}`);
  });

  it('forgives the trailing comma of Bright Pattern’s own example, nothing more', () => {
    expect(parseJsonLenient('{ "access_token":"eyJ", "token_type":"Bearer", "expires_in":"3599", }')).toEqual({
      access_token: 'eyJ',
      token_type: 'Bearer',
      expires_in: '3599',
    });
    expect(() => parseJsonLenient('{"a":1,,}')).toThrow();
  });
});

describe('request builders', () => {
  it('PRISM: GET, query parameters, x-prism-* headers', () => {
    const o = prism.resolveOptions({ serviceUrl: 'https://svc.example/' });
    expect(o.authorizeUrl).toBe('https://svc.example/oauth/authorize');
    expect(prism.codeRequest!(o, client, 'C', 'https://r.example/cb')).toEqual({
      method: 'GET',
      url: 'https://svc.example/prism/v1/service/oauth2/token',
      headers: { 'x-prism-client-id': 'cid', 'x-prism-client-secret': 'sec', accept: 'application/json' },
      query: { grant_type: 'authorization_code', code: 'C', redirect_uri: 'https://r.example/cb' },
    });
    expect(prism.renewRequest(o, client, 'R').query).toEqual({ grant_type: 'refresh_token', refresh_token: 'R' });
    expect(authHeader('prism', 'T', 'Bearer')).toEqual({ name: 'x-prism-access-token', value: 'T' });
  });

  it('Priava: form POST with TenantRegion and redirect_uri on both grants', () => {
    const o = priava.resolveOptions({ region: 'eu', redirectUri: 'https://my.app.com/oauth2callback' });
    expect(o).toMatchObject({
      region: 'EU',
      apiUrl: 'https://api.priava.com/api',
      tokenUrl: 'https://api.priava.com/api/rest/oauth/token',
    });
    expect(priava.resolveOptions({ region: 'US', redirectUri: 'https://a.example/', sandbox: true }).tokenUrl).toBe(
      'https://api-sandbox.priava.com/api/rest/oauth/token',
    );
    const refresh = priava.renewRequest(o, client, 'R');
    expect(refresh.headers).toEqual({
      'Content-Type': 'application/x-www-form-urlencoded;charset=utf-8',
      TenantRegion: 'EU',
      accept: 'application/json',
    });
    expect(refresh.form).toEqual({
      grant_type: 'refresh_token',
      client_id: 'cid',
      client_secret: 'sec',
      refresh_token: 'R',
      redirect_uri: 'https://my.app.com/oauth2callback',
    });
  });

  it('Bright Pattern: client credentials with tenant and scope', () => {
    const o = brightpattern.resolveOptions({ tenant: 'example.brightpattern.com' });
    const req = brightpattern.renewRequest(o, client, undefined);
    expect(req.url).toBe('https://example.brightpattern.com/configapi/v2/oauth/token');
    expect(req.form).toEqual({
      grant_type: 'client_credentials',
      client_id: 'cid',
      client_secret: 'sec',
      tenant: 'example.brightpattern.com',
      scope: 'example.brightpattern.com',
    });
  });
});

describe('redaction', () => {
  it('blanks secrets in URLs, headers, forms and JSON', () => {
    expect(redactUrl('https://h.example/t?grant_type=refresh_token&refresh_token=R1&code=C1')).toBe(
      'https://h.example/t?grant_type=refresh_token&refresh_token=[redacted]&code=[redacted]',
    );
    expect(redactHeaders({ 'x-prism-client-secret': 's', Authorization: 'Bearer t', TenantRegion: 'EU' })).toEqual({
      'x-prism-client-secret': '[redacted]',
      Authorization: '[redacted]',
      TenantRegion: 'EU',
    });
    expect(redactBody('client_id=c&client_secret=s', 'form')).toBe('client_id=c&client_secret=[redacted]');
    expect(redactBody('{"access_token":"A","expires_in":5,"nested":{"refresh_token":"R"}}', 'application/json')).toBe(
      '{"access_token":"[redacted]","expires_in":5,"nested":{"refresh_token":"[redacted]"}}',
    );
    expect(redactBody('<html>secret</html>', 'text/html')).toBe('(19 bytes, not JSON)');
  });
});

describe('decodeJwt', () => {
  it('decodes header and claims, and says null for anything else', () => {
    const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    expect(decodeJwt(`${part({ alg: 'none' })}.${part({ sub: 'u', exp: 1 })}.sig`)).toEqual({
      header: { alg: 'none' },
      claims: { sub: 'u', exp: 1 },
    });
    for (const t of ['JXvBU54_hOok4gpOTHAOASEHbaE', 'a.b.c', `${part([1])}.${part({})}.x`, `${part({})}.not json!.x`])
      expect(decodeJwt(t)).toBeNull();
  });
});
