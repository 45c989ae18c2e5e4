// What an HTTP header line can carry (RFC 9110 §5.5): fetch refuses a line break or a
// control character, sends a character past U+00FF not at all and one past ASCII as some
// other byte, and strips spaces at either end. A value with any of these would not
// arrive as given: say so before anything is sent.

/** Why value cannot travel in a header as it is, or undefined when it can. */
export function headerValueProblem(value: string): string | undefined {
  if (/[\r\n]/.test(value)) return 'has a line break';
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(value)) return 'has a control character';
  if (/[^\u0000-\u007f]/.test(value)) return 'has a character outside ASCII';
  if (/^[ \t]|[ \t]$/.test(value)) return 'starts or ends with a space';
  return undefined;
}
