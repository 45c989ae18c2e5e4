// Small CLI pieces: quoting, durations, pasted callbacks, the fast-path parser.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { shellQuote } from '../../src/cli/shell-quote.js';
import { formatDuration, isoTime, shorten, visible } from '../../src/cli/output.js';
import { localTime } from '../../src/cli/commands/show.js';
import { parsePasted } from '../../src/cli/wait-for-code.js';
import { parseFastShow } from '../../src/cli/show-args.js';
import { interruptRegistry } from '../../src/cli/deps.js';
import { pkcePair, s256 } from '../../src/oauth/pkce.js';

describe('shellQuote', () => {
  it.each([["it's"], ['a b'], ['$(rm -rf /)'], ['`x`'], ['"q"'], ['\\'], ['plain-arg_1.0:/x@y=z'], ['']])(
    'round-trips %j through sh',
    (arg) => {
      expect(execFileSync('sh', ['-c', `printf %s ${shellQuote([arg])}`], { encoding: 'utf8' })).toBe(arg);
    },
  );
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [59_400, '59s'],
    [59_600, '1m'],
    [60_000, '1m'],
    [(5 * 3600 + 59 * 60 + 30) * 1000, '5h 59m'],
    [(2 * 86400 + 3600) * 1000, '2d 1h'],
    [(3600 + 5) * 1000, '1h'],
  ])('%i ms → %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
  it('shortens tokens so they cannot be used', () => {
    expect(shorten('JXvBU54_hOok4gpOTHAOASEHbaE')).toBe('JXvB…HbaE (27 chars)');
    expect(shorten('short')).toBe('*****');
  });
});

describe('server text and times', () => {
  it('escapes control characters, so a claim or an error text cannot move the cursor or add a line', () => {
    expect(visible('a\nb\r\x1b[31mred\x9b\x7f')).toBe('a\\u000ab\\u000d\\u001b[31mred\\u009b\\u007f');
    expect(visible('plain é ✓\ttext')).toBe('plain é ✓\ttext');
  });

  it('says "out of range" or null for a time no Date holds, never throws', () => {
    expect(localTime(1e20 * 1000)).toBe('out of range');
    expect(isoTime(1e23)).toBeNull();
    expect(isoTime(null)).toBeNull();
    expect(isoTime(Date.UTC(2030, 0, 2))).toBe('2030-01-02T00:00:00.000Z');
  });
});

describe('parsePasted', () => {
  it.each([
    ['  abc123 ', 'S', { code: 'abc123' }],
    ['http://127.0.0.1:9/callback?code=C&state=S', 'S', { code: 'C' }],
    ['https://global.apis.naver.com/prism/x?code=C&state=S', 'S', { code: 'C' }],
    [
      'https://global.apis.naver.com/prism/x?code=C',
      'S',
      'that URL has no state; paste the whole redirected URL, or just the code',
    ],
    ['https://my.app.com/oauth2callback?code=C', null, { code: 'C' }],
    [
      'http://127.0.0.1:9/callback?error=access_denied&error_description=no&state=S',
      'S',
      { error: 'access_denied', errorDescription: 'no' },
    ],
    ['http://127.0.0.1:9/callback?code=C&state=OTHER', 'S', 'the state in that URL is not the one this login sent'],
    ['http://127.0.0.1:9/callback?x=1', null, 'that URL has no code'],
    ['two words', null, 'a code has no spaces'],
    ['', null, 'nothing pasted'],
  ])('%j', (text, state, want) => expect(parsePasted(text, state)).toEqual(want));
});

describe('parseFastShow', () => {
  it.each([
    [['show', '--raw'], { raw: true, bearer: false, noRefresh: false }],
    [['show', '--header', '--bearer', '-p', 'x'], { raw: false, bearer: true, noRefresh: false, profile: 'x' }],
    [['show', '--profile=x', '--raw', '--no-refresh'], { raw: true, bearer: false, noRefresh: true, profile: 'x' }],
  ])('%j takes the fast path', (argv, want) => expect(parseFastShow(argv)).toEqual(want));
  it.each([
    [['show']],
    [['show', '--json']],
    [['show', '--raw', '--header']],
    [['show', '--raw', '-p']],
    [['show', '--raw', '-p', '--json']],
    [['show', '--raw', '-v']],
    [['list']],
  ])('%j goes through commander', (argv) => expect(parseFastShow(argv)).toBeUndefined());
});

describe('PKCE (RFC 7636)', () => {
  it('S256 of the RFC’s Appendix B verifier is its challenge', () => {
    expect(s256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });
  it('a verifier is 43 unreserved characters, new every time, and its challenge matches', () => {
    const a = pkcePair();
    const b = pkcePair();
    expect(a.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.verifier).not.toBe(b.verifier);
    expect(a.challenge).toBe(s256(a.verifier));
  });
});

describe('interruptRegistry (what main runs on Ctrl-C)', () => {
  it('runs the handlers most recent first, past a failing one, and not those unregistered', async () => {
    const r = interruptRegistry();
    const ran: string[] = [];
    r.add(() => void ran.push('first'));
    const off = r.add(() => void ran.push('removed'));
    r.add(() => {
      throw new Error('cleanup failed');
    });
    r.add(async () => void ran.push('last'));
    off();
    expect(await r.run()).toBe(false);
    expect(ran).toEqual(['last', 'first']);
  });
  it("a handler answering 'handled' keeps the process running (exec, sandbox)", async () => {
    const r = interruptRegistry();
    const off = r.add(() => 'handled');
    expect(await r.run()).toBe(true);
    off();
    expect(await r.run()).toBe(false);
  });
});
