// What a login prompt accepts, checked as it is typed (issue 20): the same rules the
// flags get later, so a bad value is refused at its own prompt, not after the secret.
import { describe, expect, it } from 'vitest';
import { validateTyped } from '../../src/cli/login-flow.js';
import { brightpattern } from '../../src/providers/brightpattern.js';

const TENANT = brightpattern.flags.find((f) => f.flag === '--tenant')!;

describe('validateTyped', () => {
  it.each([
    ['--service-url', 'not a url', 'an http(s) URL, e.g. https://api.example.com'],
    ['--service-url', 'ftp://files.example.com', 'an http(s) URL, e.g. https://api.example.com'],
    ['--redirect-uri', 'example.com/cb', 'an http(s) URL, e.g. https://api.example.com'],
    ['--service-url', '   ', 'required'],
    ['--tenant', 'https://example.brightpattern.com', 'a host name, e.g. example.brightpattern.com'],
    ['--service-url', 'https://api.example.com', true],
    ['--redirect-uri', 'http://127.0.0.1:8765/callback', true],
    ['--tenant', 'example.brightpattern.com', true],
  ])('%s %j → %j', (flag, value, expected) => {
    expect(validateTyped(flag === '--tenant' ? TENANT : { flag }, value)).toBe(expected);
  });

  it('a flag with fixed values takes one of them, in any case', () => {
    const region = { flag: '--region', values: ['APAC', 'EU', 'US'] as const };
    expect(validateTyped(region, 'eu')).toBe(true);
    expect(validateTyped(region, 'MARS')).toBe('one of APAC, EU, US');
  });
});
