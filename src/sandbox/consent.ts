// The sandbox authorize page: a consent form that posts back approve or deny.
import { escapeHtml } from '../oauth/pages.js';

export function consentPage(
  provider: string,
  clientId: string,
  redirectUri: string,
  hidden: Record<string, string>,
): string {
  const fields = Object.entries(hidden)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('\n    ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(provider)} sandbox — sign in</title>
<style>body{font:16px system-ui,sans-serif;margin:4rem auto;max-width:32rem}button{font-size:1rem;padding:.5rem 1rem;margin-right:.5rem}</style>
</head><body>
  <h1>${escapeHtml(provider)} sandbox</h1>
  <p>Application <code>${escapeHtml(clientId)}</code> asks to sign you in as <b>admin</b>.</p>
  <p>It will be sent back to <code>${escapeHtml(redirectUri)}</code>.</p>
  <form method="post">
    ${fields}
    <button id="approve" name="decision" value="approve" type="submit">Approve</button>
    <button id="deny" name="decision" value="deny" type="submit">Deny</button>
  </form>
</body></html>
`;
}
