// The package's version, as package.json gives it (test/e2e/brightpattern.test.ts holds them equal):
// what `token --version` prints and every request's User-Agent names.
export const VERSION = '0.1.0';
