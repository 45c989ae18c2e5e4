// Logging in against the sandbox the way a user would, for tests that need a profile.
import { CLIENTS, type Sandbox } from '../../src/sandbox/index.js';
import { runCli, type RunResult } from './cli.js';

export function loginBp(sb: Sandbox, env: NodeJS.ProcessEnv, extra: string[] = []): Promise<RunResult> {
  return runCli(['login', 'brightpattern', '--client-id', CLIENTS.brightpattern.clientId, '--tenant', CLIENTS.brightpattern.tenant, '--url', sb.bpUrl, ...extra], {
    env: { ...env, TOKEN_CLIENT_SECRET: CLIENTS.brightpattern.clientSecret },
  });
}

export function loginPrism(sb: Sandbox, env: NodeJS.ProcessEnv, extra: string[] = []): Promise<RunResult> {
  return runCli(['login', 'prism', '--client-id', CLIENTS.prism.clientId, '--service-url', sb.prismServiceUrl, ...extra], {
    env: { ...env, TOKEN_CLIENT_SECRET: CLIENTS.prism.clientSecret },
  });
}

export function loginPriava(sb: Sandbox, env: NodeJS.ProcessEnv, redirectUri: string, extra: string[] = []): Promise<RunResult> {
  return runCli(
    ['login', 'priava', '--client-id', CLIENTS.priava.clientId, '--region', 'APAC', '--api-url', sb.priavaApiUrl, '--authorize-url', sb.priavaAuthorizeUrl, '--redirect-uri', redirectUri, ...extra],
    { env: { ...env, TOKEN_CLIENT_SECRET: CLIENTS.priava.clientSecret } },
  );
}
