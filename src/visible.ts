// The one escaping function for text a server made (or a file a hand edited) on its
// way to a terminal: error texts, JWT headers and claims, identities, scopes, -v traces.

/** C0 but tab, DEL and C1 (\u009b is a one-byte CSI for many terminals). */
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

/** Control characters but tab escaped as \uXXXX, not obeyed: one line, no cursor moves. */
export function visible(text: string): string {
  return text.replace(CONTROL, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
