// token sandbox: local PRISM, Priava and Bright Pattern endpoints, and the commands to try.
import type { Command } from 'commander';
import type { Deps } from '../deps.js';
import { UsageError } from '../../errors.js';
import { intFlag } from '../flags.js';

export function register(program: Command, deps: Deps): Command {
  return program
    .command('sandbox')
    .description('run local PRISM, Priava and Bright Pattern endpoints to try token against')
    .option('--port <n>', 'port on 127.0.0.1 (0 = any free port)', '0')
    .option('--ttl <s>', 'lifetime of issued access tokens in seconds', '3600')
    .action(async (opts: { port: string; ttl: string }) => run(opts, deps));
}

export async function run(opts: { port: string; ttl: string }, deps: Deps): Promise<void> {
  const port = intFlag(opts.port, '--port', 0, 65535);
  const ttl = intFlag(opts.ttl, '--ttl', 1, 86400 * 30);
  const { startSandbox, CLIENTS } = await import('../../sandbox/index.js');
  const sb = await startSandbox({ port, config: { accessTokenTtl: ttl } }).catch((err: NodeJS.ErrnoException) => {
    throw err.code === 'EADDRINUSE' ? new UsageError(`port ${port} on 127.0.0.1 is already in use`, 'pass --port 0 for any free port') : err;
  });
  const w = (s: string) => void deps.stderr.write(`${s}\n`);
  w(`token sandbox listening on ${sb.url} (Ctrl-C to stop)`);
  w('');
  w('Try (the client secrets are the sandbox\'s own demo values):');
  w(`  TOKEN_CLIENT_SECRET=${CLIENTS.prism.clientSecret} token login prism --client-id ${CLIENTS.prism.clientId} --service-url ${sb.prismServiceUrl}`);
  w(`  TOKEN_CLIENT_SECRET=${CLIENTS.priava.clientSecret} token login priava --client-id ${CLIENTS.priava.clientId} --region APAC --api-url ${sb.priavaApiUrl} --authorize-url ${sb.priavaAuthorizeUrl} --redirect-uri http://127.0.0.1:8765/callback`);
  w(`  TOKEN_CLIENT_SECRET=${CLIENTS.brightpattern.clientSecret} token login bp --client-id ${CLIENTS.brightpattern.clientId} --tenant ${CLIENTS.brightpattern.tenant} --url ${sb.bpUrl}`);
  w('  token show -p prism --verify');
  w('  token curl -p brightpattern');
  // Machine-readable too, for scripts that start the sandbox: the base URL on stdout.
  deps.stdout.write(`${sb.url}\n`);
  // Ctrl-C is how a sandbox ends, not a cancel: set main's SIGINT handler aside, close, exit 0.
  const mainHandlers = process.listeners('SIGINT');
  process.removeAllListeners('SIGINT');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await sb.close();
  for (const h of mainHandlers) process.on('SIGINT', h);
  w('token sandbox stopped');
}
