// Bright Pattern configapi endpoints as brightpattern-request-access-token.txt
// describes them: a form POST with the client-credentials grant; expires_in is a string.
import type { ServerResponse } from 'node:http';
import { isForm, json, missing, oauthError, type Req } from './http-util.js';
import { CLIENTS, type SandboxState } from './state.js';

const client = CLIENTS.brightpattern;

export function bpToken(req: Req, res: ServerResponse, state: SandboxState): number {
  if (req.method !== 'POST') return oauthError(res, 405, 'invalid_request', 'POST only');
  if (!isForm(req) || !req.form)
    return oauthError(res, 400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
  const f = req.form;
  const absent = missing(f, ['grant_type', 'client_id', 'client_secret', 'tenant']);
  if (absent.length) return oauthError(res, 400, 'invalid_request', `missing ${absent.join(', ')}`);
  if (f.get('grant_type') !== 'client_credentials')
    return oauthError(res, 400, 'unsupported_grant_type', 'grant_type must be client_credentials');
  if (f.get('tenant') !== client.tenant || (f.has('scope') && f.get('scope') !== client.tenant)) {
    return oauthError(res, 400, 'invalid_request', `unknown tenant ${JSON.stringify(f.get('tenant'))}`);
  }
  if (f.get('client_id') !== client.clientId || f.get('client_secret') !== client.clientSecret) {
    return oauthError(res, 401, 'invalid_client', 'wrong login ID or API secret');
  }
  const t = state.issueTokens({ provider: 'brightpattern', clientId: client.clientId }, false, true);
  // The page's example: expires_in as a string.
  return json(res, 200, { access_token: t.accessToken, token_type: 'Bearer', expires_in: String(t.expiresIn) });
}

/** Resource APIs under /configapi/v2 with a live Bearer token. */
export function bpApi(req: Req, res: ServerResponse, state: SandboxState): number {
  const m = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''));
  if (!m || !state.accessGrant(m[1]!, 'brightpattern'))
    return oauthError(res, 401, 'invalid_token', 'missing, invalid or expired access token');
  if (req.path.endsWith('/phone/user')) return json(res, 200, [{ loginId: 'demo.user', phone: '+1 555 0100' }]);
  return json(res, 200, { ok: true, provider: 'brightpattern', path: req.path });
}
