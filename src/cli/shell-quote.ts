/** POSIX single-quoting: safe to paste into bash, zsh and sh. */
export function shellQuote(args: string[]): string {
  return args.map((a) => (/^[A-Za-z0-9_/.:=@%+,-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}
