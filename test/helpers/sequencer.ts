// The order vitest starts test files in. Two workers take the next file as each gets free, so
// the longest files go first and the short ones fill in at the end (otherwise one worker
// could be left running a long file alone). Vitest orders by the durations it recorded when
// it has them for every file; a clean clone (CI) has none, and there it would go by file
// size, which put the browser tests last: then these, slowest first (as vitest's recorded
// durations had them), and the rest by size.
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const SLOWEST_FIRST = [
  'real/keychain',
  'reliability/concurrency',
  'real/oidc-provider',
  'real/chromium',
  'reliability/faults',
  'completion/shells',
  'real/terminal',
  'real/prompts',
  'reliability/crash',
  'reliability/transport',
  'cli/startup',
  'reliability/signals',
  'reliability/disk-full',
].map((name) => `/test/${name}.test.ts`);

export default class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const recorded = (f: TestSpecification) =>
      this.ctx.cache.getFileTestResults(
        `${f.project.name}:${relative(this.ctx.config.root, f.moduleId).replaceAll('\\', '/')}`,
      );
    if (sorted.every(recorded)) return sorted;
    const rank = (f: TestSpecification) => {
      const i = SLOWEST_FIRST.findIndex((end) => f.moduleId.endsWith(end));
      return i < 0 ? SLOWEST_FIRST.length : i;
    };
    return sorted
      .map((f, i) => ({ f, i }))
      .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
      .map(({ f }) => f);
  }
}
