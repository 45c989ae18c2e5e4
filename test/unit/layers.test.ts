// Layers point one way (STYLE.md): nothing below cli/ imports cli/, so the store, the OAuth
// code, the providers, the sandbox and completion can be used and tested without the CLI.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));
const LOWER = ['store', 'oauth', 'providers', 'sandbox', 'completion'];

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import\()\s*'([^']+)'/g)].map((m) => m[1]!);
}

describe('layers', () => {
  it.each(LOWER)('src/%s imports nothing from src/cli', (dir) => {
    const offenders = readdirSync(join(SRC, dir))
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => imports(join(SRC, dir, f)).filter((spec) => /(^|\/)cli\//.test(spec)).map((spec) => `${dir}/${f} → ${spec}`));
    expect(offenders).toEqual([]);
  });

  it('src/errors.ts and src/visible.ts import nothing of ours', () => {
    for (const f of ['errors.ts', 'visible.ts']) expect(imports(join(SRC, f)).filter((s) => s.startsWith('.'))).toEqual([]);
  });
});
