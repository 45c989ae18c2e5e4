// `token check prism`: the partner service exercised as PRISM Live Studio would, one
// check per rule of the pages (../shared/providers/prism-oauth2-token.txt = "page",
// NOTES.md), each citing the line it enforces. They run in this order, sharing a Session.
import { isLoopbackHost } from '../providers/urls.js';
import { NotLoggedInError, ProviderError } from '../errors.js';
import {
  ask,
  asObject,
  bogus,
  codeRequest,
  fail,
  judgeRefusal,
  pass,
  refreshRequest,
  remember,
  said,
  scrub,
  skip,
  userRequest,
  warn,
  type Check,
  type Session,
} from './session.js';

const field = (s: Session, name: string) => s.issued?.[name];
const REFRESH = 'refresh grant';

export const CHECKS: readonly Check[] = [
  {
    id: 'https',
    name: 'https off loopback',
    cites: 'SPEC "login": http:// endpoints are refused unless the host is loopback',
    needs: [],
    run(s) {
      const plain = [s.options.serviceUrl, s.options.authorizeUrl]
        .map((u) => new URL(u))
        .filter((u) => u.protocol === 'http:' && !isLoopbackHost(u.hostname));
      if (plain.length)
        return fail(
          `plain http:// to ${[...new Set(plain.map((u) => u.host))].join(', ')}: the client secret and tokens would cross the network unencrypted`,
        );
      return pass(
        `${s.options.serviceUrl} ${s.options.serviceUrl.startsWith('https:') ? 'is https' : 'is http on loopback'}`,
      );
    },
  },
  {
    id: 'authorize',
    name: 'authorize redirect',
    cites: 'NOTES.md "Authorization page"; RFC 6749 §4.1.2 (code and the same state)',
    needs: ['request'],
    async run(s) {
      if (s.codeGiven) return skip('--code given: no authorization was made here');
      try {
        s.first = await s.authorize();
      } catch (err) {
        if (err instanceof ProviderError || err instanceof NotLoggedInError) return fail(scrub(s, err.message));
        throw err;
      }
      const { code, sentState, returnedState } = s.first;
      remember(s, code, sentState);
      if (returnedState === undefined) return fail('redirected back with a code but without the state that was sent');
      if (returnedState !== sentState) return fail('redirected back with a code but another state than the one sent');
      return pass('redirected back with a code and the same state');
    },
  },
  {
    id: 'token-exchange',
    name: 'code exchange',
    cites: 'page lines 5, 10-11, 16-19: GET, query parameters, x-prism-client-* headers',
    needs: ['request', 'code'],
    async run(s) {
      const sent = 'GET oauth2/token?grant_type=authorization_code&code&redirect_uri, x-prism-client-id/secret';
      const a = await ask(s, codeRequest(s, s.first!.code, s.first!.redirectUri));
      const o = asObject(a.json);
      if (a.res.status !== 200 || !o || o.access_token === undefined) return fail(`${sent} → ${said(s, a)}`);
      s.issued = o;
      remember(s, o.access_token as string, o.refresh_token as string);
      if (typeof o.access_token === 'string') s.accessToken = o.access_token;
      if (typeof o.refresh_token === 'string' && o.refresh_token) s.refreshToken = o.refresh_token;
      return pass(`${sent} → HTTP 200 with a token`);
    },
  },
  {
    id: 'access-token',
    name: 'access_token',
    cites: 'page line 25: access_token, String, required',
    needs: ['issued'],
    run(s) {
      const v = field(s, 'access_token');
      if (typeof v !== 'string' || v === '')
        return fail(`access_token is ${v === '' ? 'empty' : typeof v}, not a string`);
      if (!/^[\x21-\x7e]+$/.test(v)) return fail('access_token has spaces or characters no header can carry');
      return pass(`a string of ${v.length} characters`);
    },
  },
  {
    id: 'token-type',
    name: 'token_type',
    cites: 'page line 28: token_type, String, required, generally "bearer"',
    needs: ['issued'],
    run(s) {
      const v = field(s, 'token_type');
      if (v === undefined) return fail('no token_type in the response (required by the page)');
      if (typeof v !== 'string' || v.toLowerCase() !== 'bearer')
        return fail(`token_type is ${scrub(s, JSON.stringify(v))}, not bearer`);
      return pass(JSON.stringify(v));
    },
  },
  {
    id: 'expires-in',
    name: 'expires_in',
    cites: 'page line 27: expires_in, Number (seconds), optional',
    needs: ['issued'],
    run(s) {
      const v = field(s, 'expires_in');
      if (v === undefined || v === null)
        return warn('no expires_in: optional on the page, but then nobody knows when the token expires');
      if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return pass(`${v} (a number)`);
      if (typeof v === 'string' && /^\s*\d+\s*$/.test(v))
        return warn(`${JSON.stringify(v)} is a string; the page says Number`);
      return fail(`expires_in is ${scrub(s, JSON.stringify(v))}, not a number of seconds`);
    },
  },
  {
    id: 'refresh-token',
    name: 'refresh_token',
    cites: 'page line 26: refresh_token, String, optional',
    needs: ['issued'],
    run(s) {
      const v = field(s, 'refresh_token');
      if (v === undefined || v === null)
        return warn('no refresh_token: PRISM cannot renew the login; the refresh checks are skipped');
      if (typeof v !== 'string' || v === '')
        return fail(`refresh_token is ${v === '' ? 'empty' : typeof v}, not a string`);
      return pass(`a string of ${v.length} characters`);
    },
  },
  {
    id: 'code-reuse',
    name: 'reused code refused',
    cites: 'page line 19 (the code received); RFC 6749 §4.1.2: a code is used once',
    needs: ['issued'],
    run: async (s) =>
      judgeRefusal(
        s,
        'the exchanged code again, all else right',
        await ask(s, codeRequest(s, s.first!.code, s.first!.redirectUri)),
      ),
  },
  {
    id: 'client-secret-wrong',
    name: 'wrong client secret refused',
    cites: 'page line 11: x-prism-client-secret, required',
    needs: ['refresh'],
    async run(s) {
      const req = refreshRequest(s, s.refreshToken!);
      req.headers['x-prism-client-secret'] = bogus('wrong-secret');
      return judgeRefusal(s, `${REFRESH} (valid refresh token), wrong x-prism-client-secret`, await ask(s, req));
    },
  },
  {
    id: 'client-id-missing',
    name: 'missing client header refused',
    cites: 'page line 10: x-prism-client-id, required',
    needs: ['refresh'],
    async run(s) {
      const req = refreshRequest(s, s.refreshToken!);
      delete req.headers['x-prism-client-id'];
      return judgeRefusal(s, `${REFRESH} (valid refresh token and secret), no x-prism-client-id`, await ask(s, req));
    },
  },
  {
    id: 'refresh',
    name: 'refresh grant',
    cites: 'page lines 16, 20 (the typo _token: refresh_token), 52-56',
    needs: ['refresh'],
    async run(s) {
      const sent = 'GET oauth2/token?grant_type=refresh_token&refresh_token';
      const old = { access: s.accessToken, refresh: s.refreshToken! };
      const a = await ask(s, refreshRequest(s, old.refresh));
      const o = asObject(a.json);
      if (a.res.status !== 200 || typeof o?.access_token !== 'string' || o.access_token === '')
        return fail(`${sent} → ${said(s, a)}`);
      remember(s, o.access_token, o.refresh_token as string);
      s.accessToken = o.access_token;
      const rotated = typeof o.refresh_token === 'string' && o.refresh_token !== '' && o.refresh_token !== old.refresh;
      if (rotated) s.refreshToken = o.refresh_token as string;
      const rotation = rotated ? 'refresh token rotated' : 'refresh token not rotated (kept)';
      if (o.access_token === old.access)
        return warn(`${sent} → HTTP 200, but the same access token again; ${rotation}`);
      return pass(`${sent} → HTTP 200 with a new access token; ${rotation}`);
    },
  },
  {
    id: 'refresh-bogus',
    name: 'bogus refresh token refused',
    cites: 'page line 20; RFC 6749 §5.2 invalid_grant',
    needs: ['refresh'],
    run: async (s) =>
      judgeRefusal(
        s,
        `${REFRESH} with a made-up refresh token`,
        await ask(s, refreshRequest(s, bogus('bogus-refresh'))),
      ),
  },
  {
    id: 'user',
    name: 'user API envelope',
    cites: 'NOTES.md: GET /prism/v1/service/user with x-prism-access-token → {success, errorCode, data.user}',
    needs: ['access'],
    async run(s) {
      const sent = 'GET user with x-prism-access-token';
      const a = await ask(s, userRequest(s, s.accessToken!));
      const o = asObject(a.json);
      if (a.res.status !== 200 || !o) return fail(`${sent} → ${said(s, a)}`);
      const user = asObject(asObject(o.data)?.user);
      const wrong = [
        o.success !== true && `success is ${scrub(s, JSON.stringify(o.success) ?? 'missing')}`,
        o.errorCode !== 0 && `errorCode is ${scrub(s, JSON.stringify(o.errorCode) ?? 'missing')}`,
        typeof user?.userId !== 'string' && 'no data.user.userId string',
      ].filter(Boolean);
      if (wrong.length) return fail(`${sent} → HTTP 200, not the documented envelope: ${wrong.join(', ')}`);
      return pass(`${sent} → HTTP 200, success, user ${scrub(s, user!.userId as string)}`);
    },
  },
  {
    id: 'user-invalid-token',
    name: 'user API refuses an invalid token',
    cites: 'NOTES.md: the user API authenticates with x-prism-access-token',
    needs: ['request'],
    async run(s) {
      const sent = 'GET user with a made-up x-prism-access-token';
      const a = await ask(s, userRequest(s, bogus('bogus-access')));
      const o = asObject(a.json);
      const detail = `${typeof o?.errorName === 'string' ? ` ${scrub(s, o.errorName)}` : ''}`;
      if ((a.res.status >= 400 && a.res.status < 500) || o?.success === false)
        return pass(`${sent} → refused: HTTP ${a.res.status}${detail}`);
      return fail(`${sent} → ${said(s, a)}${o?.success === true ? ' with success: true' : ''}`);
    },
  },
  {
    id: 'redirect-uri-wrong',
    name: 'wrong redirect_uri refused',
    cites: 'page line 17: redirect_uri required with authorization_code; RFC 6749 §4.1.3: must match',
    needs: ['issued', 'browser'],
    async run(s) {
      let second;
      try {
        second = await s.authorize('A second authorization: a fresh code, to send with a wrong redirect_uri.');
      } catch (err) {
        if (err instanceof ProviderError || err instanceof NotLoggedInError)
          return fail(`a second authorization, for a fresh code, failed: ${scrub(s, err.message)}`);
        throw err;
      }
      remember(s, second.code, second.sentState);
      const right = new URL(second.redirectUri!);
      const wrong = `${right.origin}${right.pathname}-wrong${right.search}`;
      return judgeRefusal(
        s,
        `a fresh code (second authorization), redirect_uri ${wrong}`,
        await ask(s, codeRequest(s, second.code, wrong)),
      );
    },
  },
];
