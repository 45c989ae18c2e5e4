// Secrets are bound to their server (SPEC "Profiles and storage (version 2)"): logging in
// again with another token endpoint or client id never reuses the stored client secret.
// In-process (runFresh): the binding is logic; Bright Pattern's login stays end to end in
// brightpattern.test.ts.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLIENTS, startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { runFresh } from '../helpers/fake-deps.js';
import { useSandboxConfig } from '../helpers/sandbox-config.js';
import { loginBpInProcess as loginBp } from '../helpers/logins.js';

const { sb, cfg } = useSandboxConfig();
let other: Sandbox;
beforeAll(async () => (other = await startSandbox()));
afterAll(() => other.close());
beforeEach(async () => {
  expect((await loginBp(sb, cfg.env)).code).toBe(0);
  sb.requests.length = 0;
  other.requests.length = 0;
});

/** `token login -p brightpattern --force` with these flags and no client secret given. */
const again = (flags: string[], env: NodeJS.ProcessEnv = {}) =>
  runFresh(['login', '-p', 'brightpattern', '--force', ...flags], { ...cfg.env, ...env });

describe('logging in again to an existing profile', () => {
  it.each([
    ['another --url', () => ['--url', other.bpUrl]],
    ['another --client-id', () => ['--client-id', 'someone.else']],
  ])(
    'with %s and no secret is exit 2 naming where to give one; nothing is sent, nothing changes',
    async (_what, flags) => {
      const before = cfg.text('profiles/brightpattern.json');
      const r = await again(flags());
      expect([r.code, r.stdout]).toEqual([2, '']);
      expect(r.stderr).toMatch(
        /^token: missing TOKEN_CLIENT_SECRET or --client-secret-stdin \(the stored client secret is only sent to the token endpoint and client id it was given for\)\n/,
      );
      expect([...sb.requests, ...other.requests]).toEqual([]);
      expect(cfg.text('profiles/brightpattern.json')).toBe(before);
    },
  );

  it('with the same token endpoint and client id reuses the stored secret', async () => {
    const r = await again([]);
    expect(r.code, r.stderr).toBe(0);
    expect(sb.requests.map((q) => q.form?.client_secret)).toEqual([CLIENTS.brightpattern.clientSecret]);
  });

  it('with another --url and its secret given, binds the secret to the new server and refreshes there only', async () => {
    const r = await again(['--url', other.bpUrl], { TOKEN_CLIENT_SECRET: CLIENTS.brightpattern.clientSecret });
    expect(r.code, r.stderr).toBe(0);
    expect(cfg.profile('brightpattern').secrets.origin).toBe(other.url);
    expect((await runFresh(['refresh'], cfg.env)).code).toBe(0);
    expect(sb.requests).toEqual([]);
    expect(other.requests.map((q) => q.endpoint)).toEqual(['bp-token', 'bp-token']);
  });
});
