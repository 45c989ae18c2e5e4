// What each provider says about its authorize page, state and identity endpoint:
// the login flow and `show --verify` ask the provider instead of testing its id.
import { describe, expect, it } from 'vitest';
import { prism } from '../../src/providers/prism.js';
import { priava } from '../../src/providers/priava.js';
import { brightpattern } from '../../src/providers/brightpattern.js';

describe('the authorize page', () => {
  it.each([
    ['PRISM with a scope', () => prism.authorizePage!(prism.resolveOptions({ serviceUrl: 'https://svc.example', scope: 'a b' })), { url: 'https://svc.example/oauth/authorize', params: { scope: 'a b' } }],
    ['PRISM without one', () => prism.authorizePage!(prism.resolveOptions({ serviceUrl: 'https://svc.example' })), { url: 'https://svc.example/oauth/authorize', params: {} }],
    ['Priava with --authorize-url', () => priava.authorizePage!(priava.resolveOptions({ region: 'EU', redirectUri: 'https://r.example/cb', authorizeUrl: 'https://a.example/x' })), { url: 'https://a.example/x', params: {} }],
    ['Priava without one', () => priava.authorizePage!(priava.resolveOptions({ region: 'EU', redirectUri: 'https://r.example/cb' })), undefined],
  ])('%s', (_case, page, want) => {
    expect(page()).toEqual(want);
  });

  it('is round-tripped with state only by PRISM, the one page that says so', () => {
    expect([prism.usesState, priava.usesState, brightpattern.usesState]).toEqual([true, undefined, undefined]);
  });
});

describe("PRISM's identity answer", () => {
  it.each([
    [{ success: true, data: { user: { userId: 'u1', userName: 'Ann' } } }, { user: 'u1 (Ann)', refused: false }],
    [{ success: true, data: { user: { userId: 'u1', userName: '' } } }, { user: 'u1', refused: false }],
    [{ success: true, data: {} }, { user: undefined, refused: false }],
    [{ success: false, errorCode: 40101, errorName: 'INVALID_TOKEN', message: 'expired' }, { user: undefined, refused: true, detail: 'INVALID_TOKEN: expired' }],
    [{ success: false }, { user: undefined, refused: true }],
    [undefined, { user: undefined, refused: false }],
  ])('reads %j', (body, want) => {
    expect(prism.identity!.read(body)).toEqual({ detail: undefined, ...want });
  });

  it('is the only identity endpoint: the others have none', () => {
    expect([priava.identity, brightpattern.identity]).toEqual([undefined, undefined]);
  });
});
