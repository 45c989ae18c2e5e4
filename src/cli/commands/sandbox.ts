// token sandbox: local PRISM, Priava and Bright Pattern endpoints, and the commands to try.
import { Option, type Command } from 'commander';
import type { Deps } from '../deps.js';
import { UsageError } from '../../errors.js';
import { intFlag } from '../flags.js';
import { isPrismQuirk, PRISM_QUIRKS, type PrismQuirk } from '../../sandbox/quirks.js';

export interface SandboxOptions {
  port: string;
  ttl: string;
  prismQuirk?: string[];
}

export function register(program: Command, deps: Deps): Command {
  const width = Math.max(...Object.keys(PRISM_QUIRKS).map((q) => q.length));
  return program
    .command('sandbox')
    .description('run local PRISM, Priava and Bright Pattern endpoints to try token against')
    .addOption(new Option('--port <n>', 'port on 127.0.0.1 (0 = any free port)').default('0', '0'))
    .addOption(new Option('--ttl <s>', 'lifetime of issued access tokens in seconds').default('3600', '3600'))
    .option(
      '--prism-quirk <name>',
      'make the PRISM service depart from its pages this way (repeatable; see below)',
      (v: string, all: string[] = []) => [...all, v],
    )
    .addHelpText(
      'after',
      `\nPRISM quirks (for token check prism):\n${Object.entries(PRISM_QUIRKS)
        .map(([name, what]) => `  ${name.padEnd(width)}  ${what}`)
        .join('\n')}`,
    )
    .action(async (opts: SandboxOptions) => run(opts, deps));
}

export async function run(opts: SandboxOptions, deps: Deps): Promise<void> {
  const port = intFlag(opts.port, '--port', 0, 65535);
  const ttl = intFlag(opts.ttl, '--ttl', 1, 86400 * 30);
  const quirks = opts.prismQuirk ?? [];
  const unknown = quirks.filter((q) => !isPrismQuirk(q));
  if (unknown.length)
    throw new UsageError(
      `unknown --prism-quirk ${unknown.join(', ')}`,
      `quirks: ${Object.keys(PRISM_QUIRKS).join(', ')}`,
    );
  const prismQuirks = [...new Set(quirks)] as PrismQuirk[];
  const { startSandbox, CLIENTS } = await import('../../sandbox/index.js');
  const { requestLine } = await import('../../sandbox/request-log.js');
  const sb = await startSandbox({
    port,
    config: { accessTokenTtl: ttl, prismQuirks },
    onRequest: (r) => void deps.stderr.write(`${requestLine(r, new Date(deps.now()))}\n`),
  }).catch((err: NodeJS.ErrnoException) => {
    throw err.code === 'EADDRINUSE'
      ? new UsageError(`port ${port} on 127.0.0.1 is already in use`, 'pass --port 0 for any free port')
      : err;
  });
  const w = (s: string) => void deps.stderr.write(`${s}\n`);
  w(
    `token sandbox listening on ${sb.url} (Ctrl-C to stop); scripts get this base URL alone on stdout when it is piped`,
  );
  if (prismQuirks.length) w(`PRISM quirks: ${prismQuirks.join(', ')}`);
  w('');
  w("Try (the client secrets are the sandbox's own demo values):");
  w(
    `  TOKEN_CLIENT_SECRET=${CLIENTS.prism.clientSecret} token login prism --client-id ${CLIENTS.prism.clientId} --service-url ${sb.prismServiceUrl}`,
  );
  w(
    `  TOKEN_CLIENT_SECRET=${CLIENTS.priava.clientSecret} token login priava --client-id ${CLIENTS.priava.clientId} --region APAC --api-url ${sb.priavaApiUrl} --authorize-url ${sb.priavaAuthorizeUrl} --redirect-uri http://127.0.0.1:8765/callback`,
  );
  w(
    `  TOKEN_CLIENT_SECRET=${CLIENTS.brightpattern.clientSecret} token login bp --client-id ${CLIENTS.brightpattern.clientId} --tenant ${CLIENTS.brightpattern.tenant} --url ${sb.bpUrl}`,
  );
  w('  token show -p prism --verify');
  w(
    `  TOKEN_CLIENT_SECRET=${CLIENTS.prism.clientSecret} token check prism --client-id ${CLIENTS.prism.clientId} --service-url ${sb.prismServiceUrl}`,
  );
  w('  token curl -p brightpattern');
  w('');
  w('Requests are logged below: time, method, path with its parameters (secrets redacted), status.');
  // For scripts that start the sandbox, the base URL alone on stdout; a terminal has it in the banner.
  if (!(deps.stdout as { isTTY?: boolean }).isTTY) deps.stdout.write(`${sb.url}\n`);
  // Ctrl-C is how a sandbox ends, not a cancel: close, exit 0.
  let release = () => undefined as void;
  await new Promise<void>((resolve) => {
    release = deps.onInterrupt(() => {
      resolve();
      return 'handled';
    });
    process.once('SIGTERM', resolve);
  });
  release();
  await sb.close();
  w('token sandbox stopped');
}
