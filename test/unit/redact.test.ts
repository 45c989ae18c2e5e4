// Redaction by value: every secret the process knows is hidden wherever it appears,
// however encoded, whatever the content type (SPEC "Responses from servers").
import { describe, expect, it } from 'vitest';
import { createRedactor, redactBody, redactUrl } from '../../src/oauth/redact.js';
import { report } from '../../src/cli/main.js';
import { ProviderError } from '../../src/errors.js';
import type { Deps } from '../../src/cli/deps.js';

const TOKEN = 'eyJ0.a+b/c=d~e f"g&h';

describe('a redactor', () => {
  it.each([
    ['raw', TOKEN],
    ['%-encoded', encodeURIComponent(TOKEN)],
    ['%-encoded in lower case', encodeURIComponent(TOKEN).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())],
    ['form-encoded (+ for space)', new URLSearchParams({ t: TOKEN }).toString().slice(2)],
    ['%-encoded twice', encodeURIComponent(encodeURIComponent(TOKEN))],
    ['in a JSON string', JSON.stringify(TOKEN).slice(1, -1)],
    ['JSON with escaped slashes', JSON.stringify(TOKEN).slice(1, -1).replace(/\//g, '\\/')],
    ['JSON \\u-escaped', [...TOKEN].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')],
    ['HTML-escaped', TOKEN.replace(/&/g, '&amp;').replace(/"/g, '&quot;')],
    ['as HTML numeric entities', [...TOKEN].map((c) => `&#${c.charCodeAt(0)};`).join('')],
  ])('hides a registered value %s', (_name, shown) => {
    const r = createRedactor();
    r.add(TOKEN);
    expect(r.redact(`before ${shown} after`)).toBe('before [redacted] after');
  });

  it('hides the longer of two overlapping secrets whole, and leaves short values and other text alone', () => {
    const r = createRedactor();
    r.add('abcdefgh', 'abcdefghijkl', 'abc', undefined, 42);
    expect(r.redact('x abcdefghijkl y abcdefgh z abc')).toBe('x [redacted] y [redacted] z abc');
  });

  it.each([
    ['JSON', '{"access_token":"AT-secret-1","refresh_token":"RT-secret-2","token_type":"bearer"}'],
    [
      'JSON nested, spaced and with a trailing comma',
      '{ "data": { "access_token" : "AT-secret-1", "x": {"refresh_token":"RT-secret-2"} }, }',
    ],
    ['a form', 'access_token=AT-secret-1&token_type=bearer&refresh_token=RT-secret-2'],
    ['a form of %-encoded values', `access_token=${encodeURIComponent('AT-secret-1')}&refresh_token=RT%2Dsecret%2D2`],
    [
      'JSON inside an HTML page',
      '<html><pre>{"access_token":"AT-secret-1", "refresh_token": "RT-secret-2"}</pre></html>',
    ],
    [
      'JSON echoed inside an error_description',
      JSON.stringify({
        error: 'x',
        error_description: JSON.stringify({ access_token: 'AT-secret-1', refresh_token: 'RT-secret-2' }),
      }),
    ],
    ['a query in a Location', 'https://h.example/cb?next=%2Fx&access_token=AT-secret-1&refresh_token=RT-secret-2'],
  ])('learns the tokens in %s, by shape alone', (_name, body) => {
    const r = createRedactor();
    r.learn(body);
    expect(r.redact('AT-secret-1 RT-secret-2 bearer')).toBe('[redacted] [redacted] bearer');
  });

  it.each([
    ['mixed encodings in one value', 'abcdefghij', 'ab%63d\\u0065f&#103;h&#x69;j'],
    [
      'a multi-byte character %-encoded, once and twice',
      'kéy-é-val',
      `k%C3%A9y-${encodeURIComponent(encodeURIComponent('é'))}-val`,
    ],
    ['HTML named entities', "x<y>z&w'v", 'x&lt;y&gt;z&amp;w&apos;v'],
  ])('hides a value written with %s', (_name, value, shown) => {
    const r = createRedactor();
    r.add(value);
    expect(r.redact(`[${shown}]`)).toBe('[[redacted]]');
  });

  it('hides a value that itself holds % or \\ as written, and leaves broken escapes as they are', () => {
    const r = createRedactor();
    r.add('p%41ss\\word', 'Zq9!');
    expect(r.redact('a p%41ss\\word b')).toBe('a [redacted] b');
    expect(r.redact('%zz %C3%41 \\uZZZZ &#xZZ; &#99999999; Zq9')).toBe('%zz %C3%41 \\uZZZZ &#xZZ; &#99999999; Zq9');
    expect(r.redact('Zq9%21 and Zq9&#33;')).toBe('[redacted] and [redacted]');
  });

  it.each([
    // a secret holding %XX, %-encoded once more (a form body, a query)
    ['abc%2Fdef', 'refresh_token=abc%252Fdef'],
    ['p%41ssword', 'password=p%2541ssword'],
    ['pa%ab-word', 'password=pa%25ab-word'],
    ['tok%E9n-xyz', 'x=tok%25E9n-xyz'],
    // a secret holding a literal escape while its other characters are escaped
    ['abc%2Fdef/ghi', '{"t":"abc%2Fdef\\/ghi"}'],
    ['pa\\u0041ss&word', '<p>pa\\u0041ss&amp;word</p>'],
    // an entity with many leading zeros; a real U+FFFD, %-encoded
    ['AbCdEf', '&#00000000000065;bCdEf'],
    ['ab\uFFFDcd', 'ab%EF%BF%BDcd'],
    // a JSON string inside a form value
    ['a"b/cdef', 'q=a%5C%22b%5C%2Fcdef'],
  ])('hides %j written as %j', (secret, shown) => {
    const r = createRedactor();
    r.add(secret);
    expect(r.redact(`<< ${shown} >>`)).not.toContain(shown);
    expect(r.redact(`<< ${shown} >>`)).toMatch(/^<< .*\[redacted\].* >>$/);
  });

  it('hides a secret an escape straddles: a % of the text before it, its first hex digits', () => {
    const r = createRedactor();
    r.add('41abcdef/g', 'tail-of-it%4');
    expect(r.redact('100%41abcdef\\/g end')).toBe('100%[redacted] end');
    expect(r.redact('x tail-of-it%41 y')).toBe('x [redacted]1 y');
  });

  it.each([
    ['411&u&0a&%%0', 'YJCvs411%2526u%25260a%2526%2525%25250b8'],
    ['4u%u//\\mm\\%0a01um%', 'Gtq4u%u\\/\\/\\\\mm\\\\%0a01um%31gclts'],
  ])('hides a secret holding %% or \\ whose escapes mix with its own: %j', (secret, text) => {
    const r = createRedactor();
    r.add(secret);
    expect(r.redact(text)).toContain('[redacted]');
  });

  it('leaves text alone that only resembles long secrets', () => {
    const r = createRedactor();
    const long = (n: number, seed: string) => Array.from({ length: n }, (_, i) => seed[i % seed.length]).join('');
    r.add(long(2000, 'aZ9-_.x'), long(800, 'Qw3'), long(64, 'k7'));
    const text = JSON.stringify({
      error: 'invalid_grant',
      error_description: `${long(1999, 'aZ9-_.x')} ${long(5000, 'mn0p')}`,
    });
    expect(r.redact(text)).toBe(text);
    expect(r.redact(`<${long(800, 'Qw3')}>`)).toBe('<[redacted]>');
  });

  it('does not learn error codes or states as secrets', () => {
    const r = createRedactor();
    r.learn('{"code":"NOT_FOUND","state":"whatever","error":"invalid_grant"}');
    expect(r.redact('NOT_FOUND whatever invalid_grant')).toBe('NOT_FOUND whatever invalid_grant');
  });
});

describe('redactUrl', () => {
  it('drops user:password and blanks secret parameters', () => {
    expect(redactUrl('https://me:pw@h.example/t')).toBe('https://h.example/t');
    expect(redactUrl('https://me:pw@h.example/t?grant_type=refresh_token&refresh_token=R&x_token=X')).toBe(
      'https://h.example/t?grant_type=refresh_token&refresh_token=[redacted]&x_token=[redacted]',
    );
  });
});

describe('redactBody', () => {
  it.each([
    ['application/json', '{"access_token":"A","n":1}', '{"access_token":"[redacted]","n":1}'],
    ['application/x-www-form-urlencoded', '{"access_token":"A","n":1}', '{"access_token":"[redacted]","n":1}'],
    ['text/plain', '{"access_token":"A","n":1}', '{"access_token":"[redacted]","n":1}'],
    ['text/plain', 'access_token=A&n=1', 'access_token=[redacted]&n=1'],
    ['text/html', '<html>A</html>', '(14 bytes, not JSON)'],
  ])('blanks secret fields of a %s answer by name, whatever it holds', (type, body, want) => {
    expect(redactBody(body, type)).toBe(want);
  });
});

describe('error text, as main prints it', () => {
  const SECRET = 'rt-9f8e7d6c5b4a';
  const fake = () => {
    const out = { stdout: '', stderr: '' };
    const secrets = createRedactor();
    secrets.add(SECRET);
    const deps = {
      env: {},
      stdout: { write: (s: string, cb?: () => void) => ((out.stdout += s), cb?.(), true) },
      stderr: { write: (s: string) => ((out.stderr += s), true) },
      stderrIsTTY: false,
      noColor: true,
      secrets,
    } as unknown as Deps;
    return { out, deps };
  };
  const err = new ProviderError(
    `X refused: invalid_grant: token ${encodeURIComponent(SECRET)} is gone\u009b2J\u007f`,
    400,
    'invalid_grant',
    undefined,
    `not ${SECRET}`,
  );

  it('hides every known secret and escapes control characters, on stderr', async () => {
    const { out, deps } = fake();
    expect(await report(err, deps, false)).toBe(3);
    expect(out).toEqual({
      stdout: '',
      stderr: 'token: X refused: invalid_grant: token [redacted] is gone\\u009b2J\\u007f\nnot [redacted]\n',
    });
  });

  it('and in the --json error on stdout, the same string to a parser', async () => {
    const { out, deps } = fake();
    await report(err, deps, true);
    expect(out.stdout).not.toMatch(/[\u007f-\u009f]/);
    expect(JSON.parse(out.stdout)).toEqual({
      error: {
        code: 'provider_refused',
        message: 'X refused: invalid_grant: token [redacted] is gone\u009b2J\u007f',
        hint: 'not [redacted]',
      },
    });
  });
});
