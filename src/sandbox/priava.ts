// Priava endpoints exactly as priava-access-and-refresh-token.txt and NOTES.md
// describe them: form POSTs with client_id, client_secret, redirect_uri in the body
// and a TenantRegion header; errors are HTTP 400 {error, error_description}.
import type { ServerResponse } from 'node:http';
import { consentPage } from './consent.js';
import { html, isForm, json, missing, oauthError, redirect, withParams, type Req } from './http-util.js';
import { CLIENTS, type SandboxState } from './state.js';

const client = CLIENTS.priava;
const REGIONS = ['APAC', 'EU', 'US'];

/** Stands in for Priava's admin screen that generates the code for the registered Redirect URI. */
export function priavaAuthorize(req: Req, res: ServerResponse, state: SandboxState): number {
  const p = req.method === 'POST' && req.form ? req.form : req.query;
  const problems = missing(p, ['client_id', 'redirect_uri']);
  if (problems.length) return html(res, 400, `<h1>Bad request</h1><p>missing ${problems.join(', ')}</p>`);
  if (p.get('client_id') !== client.clientId) return html(res, 400, '<h1>Bad request</h1><p>unknown client_id</p>');
  const redirectUri = p.get('redirect_uri')!;
  // RFC 6749 §4.1.2: a state sent is sent back (token sends one when it builds this URL).
  const echo = { state: p.get('state') ?? undefined };
  if (req.method === 'GET') {
    const hidden: Record<string, string> = {};
    for (const [k, v] of p) hidden[k] = v;
    return html(res, 200, consentPage('Priava', client.clientId, redirectUri, hidden));
  }
  if (p.get('decision') !== 'approve')
    return redirect(
      res,
      withParams(redirectUri, { error: 'access_denied', error_description: 'The user denied the request', ...echo }),
    );
  return redirect(
    res,
    withParams(redirectUri, {
      code: state.issueCode({ provider: 'priava', clientId: client.clientId, redirectUri }),
      ...echo,
    }),
  );
}

export function priavaToken(req: Req, res: ServerResponse, state: SandboxState): number {
  if (req.method !== 'POST') return oauthError(res, 400, 'invalid_request', 'the token endpoint takes POST');
  if (!isForm(req) || !req.form)
    return oauthError(res, 400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
  const region = req.headers['tenantregion'];
  if (typeof region !== 'string' || !REGIONS.includes(region))
    return oauthError(res, 400, 'invalid_request', 'TenantRegion header must be APAC, EU or US');
  const f = req.form;
  const base = missing(f, ['grant_type', 'client_id', 'client_secret', 'redirect_uri']);
  if (base.length) return oauthError(res, 400, 'invalid_request', `missing ${base.join(', ')}`);
  if (f.get('client_id') !== client.clientId || f.get('client_secret') !== client.clientSecret) {
    return oauthError(res, 400, 'invalid_client', 'unknown client or wrong secret');
  }
  const grantType = f.get('grant_type');
  if (grantType === 'authorization_code') {
    if (!f.get('code')) return oauthError(res, 400, 'invalid_request', 'missing code');
    const grant = state.redeemCode(f.get('code')!);
    if (!grant || grant.provider !== 'priava')
      return oauthError(res, 400, 'invalid_grant', 'the code is invalid, expired or already used');
    if (f.get('redirect_uri') !== grant.redirectUri)
      return oauthError(res, 400, 'invalid_grant', 'redirect_uri does not match the registered Redirect URI');
    const t = state.issueTokens({ ...grant, region }, true);
    return json(res, 200, {
      access_token: t.accessToken,
      refresh_token: t.refreshToken,
      token_type: 'BEARER',
      expires_in: t.expiresIn,
    });
  }
  if (grantType === 'refresh_token') {
    const rt = f.get('refresh_token');
    if (!rt) return oauthError(res, 400, 'invalid_request', 'missing refresh_token');
    const grant = state.refreshGrant(rt);
    if (!grant || grant.provider !== 'priava')
      return oauthError(res, 400, 'invalid_grant', 'the refresh token is invalid or expired');
    if (f.get('redirect_uri') !== grant.redirectUri)
      return oauthError(res, 400, 'invalid_grant', 'redirect_uri does not match the registered Redirect URI');
    if (grant.region && grant.region !== region)
      return oauthError(res, 400, 'invalid_request', `TenantRegion ${region} is not this tenant's region`);
    const rotate = state.config.rotateRefreshTokens;
    if (rotate) state.retireRefreshToken(rt);
    const t = state.issueTokens(grant, rotate);
    return json(res, 200, {
      access_token: t.accessToken,
      ...(t.refreshToken ? { refresh_token: t.refreshToken } : {}),
      token_type: 'BEARER',
      expires_in: t.expiresIn,
    });
  }
  return oauthError(res, 400, 'unsupported_grant_type', `grant_type ${JSON.stringify(grantType)} is not supported`);
}

/** A resource API: any GET under /rest with a live Bearer token. */
export function priavaApi(req: Req, res: ServerResponse, state: SandboxState): number {
  const m = /^Bearer (.+)$/i.exec(String(req.headers.authorization ?? ''));
  if (!m || !state.accessGrant(m[1]!, 'priava'))
    return oauthError(res, 401, 'invalid_token', 'missing, invalid or expired access token');
  return json(res, 200, { ok: true, provider: 'priava', path: req.path });
}
