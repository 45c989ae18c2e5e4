// The set-up most end-to-end files share: one sandbox for the file (started once, its
// request log emptied before each test) and a fresh temp config dir for each test,
// removed after it.
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.js';
import { tempConfig, type TempConfig } from './cli.js';

export interface SandboxConfig {
  sb: Sandbox;
  cfg: TempConfig;
}

/**
 * Registers the hooks in the calling file (or describe block) and returns the two
 * objects they fill in: the same objects all along, so destructure them once at the top.
 * The file's own hooks run after these (beforeEach) and before the clean-up (afterEach).
 */
export function useSandboxConfig(opts: SandboxOptions = {}, env: NodeJS.ProcessEnv = {}): SandboxConfig {
  const sb = {} as Sandbox;
  const cfg = {} as TempConfig;
  beforeAll(async () => {
    Object.assign(sb, await startSandbox(opts));
  });
  afterAll(() => sb.close?.()); // not there when the start failed: that error is the one to see
  beforeEach(() => {
    Object.assign(cfg, tempConfig(env));
    sb.requests.length = 0;
  });
  afterEach(() => cfg.cleanup());
  return { sb, cfg };
}
