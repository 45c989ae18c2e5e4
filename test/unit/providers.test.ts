// What each provider says about its authorize page and registered redirect URI: the login
// flow asks the provider instead of testing its id.
import { describe, expect, it } from 'vitest';
import { prism } from '../../src/providers/prism.js';
import { priava } from '../../src/providers/priava.js';
import { brightpattern } from '../../src/providers/brightpattern.js';
import { timeoutHint } from '../../src/cli/wait-for-code.js';

describe('the authorize page', () => {
  it.each([
    [
      'PRISM with a scope',
      () => prism.authorizePage!(prism.resolveOptions({ serviceUrl: 'https://svc.example', scope: 'a b' })),
      { url: 'https://svc.example/oauth/authorize', params: { scope: 'a b' } },
    ],
    [
      'PRISM without one',
      () => prism.authorizePage!(prism.resolveOptions({ serviceUrl: 'https://svc.example' })),
      { url: 'https://svc.example/oauth/authorize', params: {} },
    ],
    [
      'Priava with --authorize-url and a scope',
      () =>
        priava.authorizePage!(
          priava.resolveOptions({
            region: 'EU',
            redirectUri: 'https://r.example/cb',
            authorizeUrl: 'https://a.example/x',
            scope: 's',
          }),
        ),
      { url: 'https://a.example/x', params: { scope: 's' } },
    ],
    [
      'Priava without --authorize-url (an admin makes the code)',
      () => priava.authorizePage!(priava.resolveOptions({ region: 'EU', redirectUri: 'https://r.example/cb' })),
      undefined,
    ],
    [
      'Bright Pattern (client credentials: none)',
      () => brightpattern.authorizePage?.(brightpattern.resolveOptions({ tenant: 'example.brightpattern.com' })),
      undefined,
    ],
  ])('%s', (_case, page, want) => {
    expect(page()).toEqual(want);
  });
});

describe('the registered redirect URI', () => {
  it("is PRISM's partner URI, which --code without --redirect-uri is told about", () => {
    expect(prism.registeredRedirectUri).toBe(
      'https://global.apis.naver.com/prism/prism-auth-api/oauth/partner/{serviceId}',
    );
    expect([priava.registeredRedirectUri, brightpattern.registeredRedirectUri]).toEqual([undefined, undefined]);
  });

  it('makes the timeout hint ask for --redirect-uri with --code', () => {
    expect(timeoutHint(prism)).toContain('--code <code> --redirect-uri <the URI it was issued for> skips the browser');
    expect(timeoutHint(priava)).toContain('(--timeout <s> waits longer; --code <code> skips the browser)');
  });
});
