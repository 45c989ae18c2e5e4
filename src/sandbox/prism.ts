// PRISM endpoints exactly as prism-oauth2-token.txt and NOTES.md describe them:
// GET token endpoint, parameters in the query, client credentials in x-prism-* headers.
// Each quirk (quirks.ts, `token sandbox --prism-quirk`) departs from them in one way.
import type { ServerResponse } from 'node:http';
import { consentPage } from './consent.js';
import { html, json, missing, oauthError, redirect, withParams, type Req } from './http-util.js';
import { CLIENTS, type SandboxState } from './state.js';

const client = CLIENTS.prism;

export function prismAuthorize(req: Req, res: ServerResponse, state: SandboxState): number {
  const p = req.method === 'POST' && req.form ? req.form : req.query;
  const problems = missing(p, ['response_type', 'client_id', 'redirect_uri']);
  if (problems.length) return html(res, 400, `<h1>Bad request</h1><p>missing ${problems.join(', ')}</p>`);
  if (p.get('response_type') !== 'code') return html(res, 400, '<h1>Bad request</h1><p>response_type must be code</p>');
  if (p.get('client_id') !== client.clientId) return html(res, 400, '<h1>Bad request</h1><p>unknown client_id</p>');
  const redirectUri = p.get('redirect_uri')!;
  const echo = { state: p.get('state') ?? undefined };
  if (req.method === 'GET') {
    const hidden: Record<string, string> = {};
    for (const [k, v] of p) hidden[k] = v;
    return html(res, 200, consentPage('PRISM', client.clientId, redirectUri, hidden));
  }
  if (p.get('decision') !== 'approve') {
    return redirect(
      res,
      withParams(redirectUri, { error: 'access_denied', error_description: 'The user denied the request', ...echo }),
    );
  }
  const code = state.issueCode({ provider: 'prism', clientId: client.clientId, redirectUri });
  return redirect(res, withParams(redirectUri, { code, ...(state.quirk('drops-state') ? {} : echo) }));
}

export function prismToken(req: Req, res: ServerResponse, state: SandboxState): number {
  const q = state.quirk.bind(state);
  const refuse = (status: number, error: string, description: string) =>
    q('html-errors')
      ? html(res, status, `<h1>${status} ${error}</h1><p>${description}</p>`)
      : oauthError(res, status, error, description);
  if (req.method !== (q('post-only') ? 'POST' : 'GET'))
    return refuse(405, 'invalid_request', `the token endpoint takes ${q('post-only') ? 'POST' : 'GET'}`);
  const idOk =
    req.headers['x-prism-client-id'] === client.clientId ||
    (q('ignores-client-header') && req.headers['x-prism-client-id'] === undefined);
  const secretOk = req.headers['x-prism-client-secret'] === client.clientSecret || q('accepts-wrong-secret');
  if (!idOk || !secretOk)
    return refuse(401, 'invalid_client', 'x-prism-client-id / x-prism-client-secret missing or wrong');
  const p = req.method === 'POST' && req.form ? req.form : req.query;
  const grantType = p.get('grant_type');
  if (grantType === 'authorization_code') {
    if (!p.get('code')) return refuse(400, 'invalid_request', 'missing code');
    const grant = state.redeemCode(p.get('code')!, q('reusable-code'));
    if (!grant || grant.provider !== 'prism')
      return refuse(400, 'invalid_grant', 'the code is invalid, expired or already used');
    // The page: redirect_uri is required with authorization_code; RFC 6749 §4.1.3: the same as authorized.
    if (!q('ignores-redirect-uri')) {
      if (!p.get('redirect_uri')) return refuse(400, 'invalid_request', 'missing redirect_uri');
      if (p.get('redirect_uri') !== grant.redirectUri)
        return refuse(400, 'invalid_grant', 'redirect_uri does not match the authorization request');
    }
    const t = state.issueTokens(grant, !q('no-refresh-token'));
    return json(res, 200, tokenBody(t, state));
  }
  if (grantType === 'refresh_token') {
    const rt = p.get('refresh_token');
    if (!rt) return refuse(400, 'invalid_request', 'missing refresh_token');
    const known = state.refreshGrant(rt);
    const grant =
      known ?? (q('accepts-bogus-refresh') ? { provider: 'prism' as const, clientId: client.clientId } : undefined);
    if (!grant || grant.provider !== 'prism')
      return refuse(400, 'invalid_grant', 'the refresh token is invalid or expired');
    const rotate = state.config.rotateRefreshTokens && !q('no-rotation') && !q('no-refresh-token');
    if (rotate) state.retireRefreshToken(rt);
    const t = state.issueTokens(grant, rotate);
    // refresh_token is optional in the response (the page: N); without rotation none is sent.
    return json(res, 200, tokenBody(t, state));
  }
  return refuse(400, 'unsupported_grant_type', `grant_type ${JSON.stringify(grantType)} is not supported`);
}

function tokenBody(
  t: { accessToken: string; refreshToken?: string; expiresIn: number },
  state: SandboxState,
): Record<string, unknown> {
  return {
    access_token: t.accessToken,
    expires_in: state.quirk('string-expires-in') ? String(t.expiresIn) : t.expiresIn,
    ...(t.refreshToken ? { refresh_token: t.refreshToken } : {}),
    ...(state.quirk('token-type-missing') ? {} : { token_type: 'bearer' }),
  };
}

/** NOTES.md: GET /prism/v1/service/user with x-prism-access-token. */
export function prismUser(req: Req, res: ServerResponse, state: SandboxState): number {
  const token = req.headers['x-prism-access-token'];
  if (req.method !== 'GET')
    return json(res, 405, {
      success: false,
      errorCode: 405,
      errorName: 'METHOD_NOT_ALLOWED',
      message: 'GET only',
      data: null,
    });
  const valid =
    typeof token === 'string' && (!!state.accessGrant(token, 'prism') || state.quirk('user-accepts-invalid-token'));
  if (!valid) {
    return json(res, 401, {
      success: false,
      errorCode: 401,
      errorName: 'UNAUTHORIZED',
      message: 'invalid or expired x-prism-access-token',
      data: null,
    });
  }
  const user = { userId: 'admin', userName: 'Sandbox Admin', profileThumbnail: null };
  return json(
    res,
    200,
    state.quirk('user-no-envelope')
      ? user
      : { success: true, errorCode: 0, errorName: null, message: null, data: { user } },
  );
}
