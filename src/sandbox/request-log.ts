// One line per request `token sandbox` answers, for partners debugging against it:
// time, method, path, the query and form parameters with every secret redacted
// (the same rules as -v traces), the status and which endpoint took it.
import { redactParams } from '../oauth/redact.js';
import type { RecordedRequest } from './state.js';

export function requestLine(r: RecordedRequest, at: Date): string {
  const query = Object.keys(r.query).length ? `?${redactParams(new URLSearchParams(r.query))}` : '';
  const form = r.form && Object.keys(r.form).length ? ` form: ${redactParams(new URLSearchParams(r.form))}` : '';
  const time = at.toISOString().slice(11, 19);
  // Control characters a client sent stay escaped: the log is one line per request.
  const line = `${time} ${r.method} ${r.path}${query}${form} → ${r.status || 'no answer'} (${r.endpoint})`;
  return line.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
