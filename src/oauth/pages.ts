// The small self-contained page the browser lands on after the redirect.

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function callbackPage(title: string, text: string, ok: boolean): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>token: ${escapeHtml(title)}</title>
<style>body{font:16px system-ui,sans-serif;margin:4rem auto;max-width:32rem;color:#222}h1{color:${ok ? '#1a7f37' : '#cf222e'}}</style>
</head><body><h1 id="result" data-ok="${ok}">${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>
`;
}
