// The stdout of the hot path: writeSync on fd 1, and process.stdout only when a write would block.
import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { directStdout } from '../../src/cli/deps.js';

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(code), { code });
}

/** A fd that takes at most `max` bytes a call, and throws the given errors on the calls listed. */
function fakeFd(max: number, failures: Record<number, string> = {}) {
  const bytes: number[] = [];
  let calls = 0;
  const write = (data: string | Uint8Array) => {
    const fail = failures[calls++];
    if (fail) throw errno(fail);
    const buf = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
    const n = Math.min(max, buf.length);
    bytes.push(...buf.subarray(0, n));
    return n;
  };
  return { write, text: () => Buffer.from(bytes).toString(), calls: () => calls };
}

function fallbackStream() {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      cb();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString() };
}

describe('directStdout', () => {
  it('writes a line with one call when the fd takes it all', () => {
    const fd = fakeFd(1 << 20);
    const out = directStdout(fd.write, () => {
      throw new Error('no fallback wanted');
    });
    let called = false;
    out.write('token-value\n', () => (called = true));
    expect({ text: fd.text(), calls: fd.calls(), called }).toEqual({ text: 'token-value\n', calls: 1, called: true });
  });

  it('finishes short writes byte by byte, multi-byte characters included', () => {
    const fd = fakeFd(3);
    const out = directStdout(fd.write);
    out.write('añb€c\n');
    out.write(Buffer.from('xyz'));
    expect(fd.text()).toBe('añb€c\nxyz');
  });

  it('hands the whole line to process.stdout when the first write would block, and everything after it', () => {
    const fd = fakeFd(1 << 20, { 0: 'EAGAIN' });
    const fb = fallbackStream();
    const out = directStdout(fd.write, () => fb.stream);
    out.write('first line\n');
    out.write('second\n');
    expect({ direct: fd.text(), fallback: fb.text() }).toEqual({ direct: '', fallback: 'first line\nsecond\n' });
  });

  it('hands only the rest to process.stdout when a later write would block', () => {
    const fd = fakeFd(4, { 1: 'EAGAIN' });
    const fb = fallbackStream();
    const out = directStdout(fd.write, () => fb.stream);
    out.write('abcdefgh\n');
    expect(fd.text() + fb.text()).toBe('abcdefgh\n');
    expect(fd.text()).toBe('abcd');
  });

  it('drops the output quietly when the reader has gone (EPIPE), and throws anything else', () => {
    const gone = directStdout(fakeFd(10, { 0: 'EPIPE' }).write);
    let called = false;
    expect(gone.write('x\n', () => (called = true))).toBe(true);
    expect(called).toBe(true);
    const broken = directStdout(fakeFd(10, { 0: 'EIO' }).write);
    expect(() => broken.write('x\n')).toThrow('EIO');
  });
});
