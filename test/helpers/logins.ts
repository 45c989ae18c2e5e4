// Logging in against the sandbox the way a user would, for tests that need a profile.
import { cpSync } from 'node:fs';
import { CLIENTS, type Sandbox } from '../../src/sandbox/index.js';
import { runCli, type RunResult, type TempConfig } from './cli.js';
import { runFresh, type FakeDepsOptions, type Outcome } from './fake-deps.js';

export function loginBp(sb: Sandbox, env: NodeJS.ProcessEnv, extra: string[] = []): Promise<RunResult> {
  return runCli(
    [
      'login',
      'brightpattern',
      '--client-id',
      CLIENTS.brightpattern.clientId,
      '--tenant',
      CLIENTS.brightpattern.tenant,
      '--url',
      sb.bpUrl,
      ...extra,
    ],
    {
      env: { ...env, TOKEN_CLIENT_SECRET: CLIENTS.brightpattern.clientSecret },
    },
  );
}

export function loginPrism(sb: Sandbox, env: NodeJS.ProcessEnv, extra: string[] = []): Promise<RunResult> {
  return runCli(
    ['login', 'prism', '--client-id', CLIENTS.prism.clientId, '--service-url', sb.prismServiceUrl, ...extra],
    {
      env: { ...env, TOKEN_CLIENT_SECRET: CLIENTS.prism.clientSecret },
    },
  );
}

export function loginPriava(
  sb: Sandbox,
  env: NodeJS.ProcessEnv,
  redirectUri: string,
  extra: string[] = [],
): Promise<RunResult> {
  return runCli(
    [
      'login',
      'priava',
      '--client-id',
      CLIENTS.priava.clientId,
      '--region',
      'APAC',
      '--api-url',
      sb.priavaApiUrl,
      '--authorize-url',
      sb.priavaAuthorizeUrl,
      '--redirect-uri',
      redirectUri,
      ...extra,
    ],
    { env: { ...env, TOKEN_CLIENT_SECRET: CLIENTS.priava.clientSecret } },
  );
}

/**
 * What a real login left in `from` (the file store), copied into `to` with a fresh token
 * pair the sandbox issued for the profile: the state a login leaves, without a login per
 * test, and no test spends another's refresh token.
 */
export function copyLogin(
  sb: Sandbox,
  from: TempConfig,
  to: TempConfig,
  name: 'prism' | 'brightpattern' = 'prism',
): void {
  cpSync(from.env.TOKEN_CONFIG_DIR!, to.env.TOKEN_CONFIG_DIR!, { recursive: true });
  const p = to.profile(name);
  // As the sandbox answers a login: PRISM with a refresh token, Bright Pattern with a JWT.
  const t = sb.state.issueTokens(
    { provider: name, clientId: CLIENTS[name].clientId },
    name === 'prism',
    name === 'brightpattern',
  );
  const now = Date.now();
  p.token = { ...p.token, accessToken: t.accessToken, expiresAt: now + t.expiresIn * 1000, obtainedAt: now };
  if (t.refreshToken) p.secrets.refreshToken = t.refreshToken;
  to.writeProfile(name, p);
}

/** loginBp in-process (runFresh): the same arguments and secret, no process spawned. */
export function loginBpInProcess(sb: Sandbox, env: NodeJS.ProcessEnv, extra: string[] = []): Promise<Outcome> {
  const bp = CLIENTS.brightpattern;
  const args = ['login', 'brightpattern', '--client-id', bp.clientId, '--tenant', bp.tenant, '--url', sb.bpUrl];
  return runFresh([...args, ...extra], { ...env, TOKEN_CLIENT_SECRET: bp.clientSecret });
}

/**
 * loginPrism in-process (runFresh, whose browser approves the sign-in in-process, unless
 * `opts.browser` says otherwise). `opened` is what the browser was asked to open.
 */
export function loginPrismInProcess(
  sb: Sandbox,
  env: NodeJS.ProcessEnv,
  extra: string[] = [],
  opts: Omit<FakeDepsOptions, 'env'> = {},
): Promise<Outcome & { opened: string[] }> {
  const args = ['login', 'prism', '--client-id', CLIENTS.prism.clientId, '--service-url', sb.prismServiceUrl];
  return runFresh([...args, ...extra], { ...env, TOKEN_CLIENT_SECRET: CLIENTS.prism.clientSecret }, opts);
}

/** loginPriava in-process (runFresh, whose browser approves the sign-in in-process). */
export function loginPriavaInProcess(
  sb: Sandbox,
  env: NodeJS.ProcessEnv,
  redirectUri: string,
  extra: string[] = [],
): Promise<Outcome> {
  const args = [
    ...['login', 'priava', '--client-id', CLIENTS.priava.clientId, '--region', 'APAC', '--api-url', sb.priavaApiUrl],
    ...['--authorize-url', sb.priavaAuthorizeUrl, '--redirect-uri', redirectUri],
  ];
  return runFresh([...args, ...extra], { ...env, TOKEN_CLIENT_SECRET: CLIENTS.priava.clientSecret });
}
