import { UsageError } from '../errors.js';
import { brightpattern } from './brightpattern.js';
import { priava } from './priava.js';
import { prism } from './prism.js';
import type { Provider, ProviderId } from './types.js';

export const PROVIDERS: Record<ProviderId, Provider> = { prism, priava, brightpattern };
export const PROVIDER_NAMES = ['prism', 'priava', 'brightpattern', 'bp'] as const;
const ALIASES: Record<string, ProviderId> = { bp: 'brightpattern' };

export function providerById(name: string): Provider {
  const id = (Object.hasOwn(ALIASES, name) ? ALIASES[name] : name) as ProviderId;
  const provider = Object.hasOwn(PROVIDERS, id) ? PROVIDERS[id] : undefined;
  if (!provider) {
    throw new UsageError(`unknown provider ${JSON.stringify(name)}`, `providers: ${PROVIDER_NAMES.join(', ')}`);
  }
  return provider;
}
