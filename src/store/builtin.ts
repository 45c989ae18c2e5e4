// Start-up helpers for the CommonJS bundle (dist/main.cjs): Node built-ins that only
// some commands need are loaded when first used, not when the bundle loads.

declare const require: ((id: string) => unknown) | undefined;
declare const __filename: string | undefined;

/** A Node built-in, loaded now (CommonJS require in the bundle; getBuiltinModule from source). */
export function builtin<T>(
  name: 'node:net' | 'node:os' | 'node:tty' | 'node:child_process' | 'node:util' | 'node:crypto',
): T {
  return (typeof require === 'function' ? require(name) : process.getBuiltinModule(name)) as T;
}

/** The directory of the running code: dist/ for main.cjs, this file's directory from source. */
export function codeDir(): string {
  if (typeof __filename === 'string')
    return __filename.slice(0, Math.max(__filename.lastIndexOf('/'), __filename.lastIndexOf('\\')));
  return decodeURIComponent(new URL('.', import.meta.url).pathname).replace(/\/$/, '');
}
