/**
 * The log writer (lambda/observability.ts): each line goes to descriptor 1 whole, synchronously; a descriptor
 * that refuses a write sends the rest of that line, and every later line, through process.stdout, in order, and
 * logging never throws.
 */
// The module object itself (a namespace import is a frozen copy): its writeSync is replaced below.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import fs = require('node:fs');

type Observability = typeof import('../../lambda/observability');

/** A fresh copy of the module (its fall-back state is per process). */
function freshModule(): Observability {
  let loaded: Observability | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('../../lambda/observability') as Observability;
  });
  return loaded!;
}

/** What reached descriptor 1 (through writeSync) and process.stdout, in the order it was written. */
function tap(writeSync: (fd: number, bytes: Buffer, offset: number) => number) {
  const order: string[] = [];
  const syncSpy = jest.spyOn(fs, 'writeSync').mockImplementation(((fd: number, data: Buffer, offset = 0) => {
    if (fd !== 1) throw new Error(`unexpected descriptor ${fd}`);
    const written = writeSync(fd, data, offset);
    order.push(`fd:${data.subarray(offset, offset + written).toString('utf8')}`);
    return written;
  }) as unknown as typeof fs.writeSync);
  const streamSpy = jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => {
    order.push(`stream:${Buffer.from(chunk as Uint8Array).toString('utf8')}`);
    return true;
  }) as typeof process.stdout.write);
  return { order, syncSpy, streamSpy };
}

afterEach(() => jest.restoreAllMocks());

test('a line goes to descriptor 1 whole, with its newline, and nothing through process.stdout', () => {
  const { writeLine } = freshModule();
  const { order, streamSpy } = tap((_fd, bytes, offset) => bytes.length - offset);
  writeLine('{"message":"one"}');
  writeLine('{"message":"two ✓"}');
  expect(order).toEqual(['fd:{"message":"one"}\n', 'fd:{"message":"two ✓"}\n']);
  expect(streamSpy).not.toHaveBeenCalled();
});

test('a partial write is continued from where it stopped, multi-byte characters included', () => {
  const { writeLine } = freshModule();
  const chunks: Buffer[] = [];
  const { streamSpy } = tap((_fd, bytes, offset) => {
    const written = Math.min(5, bytes.length - offset);
    chunks.push(Buffer.from(bytes.subarray(offset, offset + written)));
    return written;
  });
  writeLine('ab✓cdefgh');
  const expected = Buffer.from('ab✓cdefgh\n', 'utf8');
  expect(Buffer.concat(chunks).equals(expected)).toBe(true);
  expect(chunks).toHaveLength(Math.ceil(expected.length / 5));
  expect(streamSpy).not.toHaveBeenCalled();
});

test('a refused write (EAGAIN) sends the rest of the line and every later line through process.stdout, in order', () => {
  const { writeLine, Logger } = freshModule();
  let calls = 0;
  const { order, syncSpy } = tap(() => {
    calls += 1;
    if (calls === 1) return 4; // '{"a"' of the first line
    throw Object.assign(new Error('EAGAIN: resource temporarily unavailable, write'), { code: 'EAGAIN' });
  });
  expect(() => writeLine('{"a":1}')).not.toThrow();
  expect(() => new Logger({ service: 's' }).info('later')).not.toThrow();
  expect(order[0]).toBe('fd:{"a"');
  expect(order[1]).toBe('stream::1}\n');
  expect(JSON.parse(order[2].replace(/^stream:/, ''))).toMatchObject({ level: 'INFO', message: 'later', service: 's' });
  expect(order).toHaveLength(3);
  // Once on the stream, the descriptor is not tried again (lines would otherwise overtake queued ones).
  expect(syncSpy).toHaveBeenCalledTimes(2);
});

test('a closed descriptor (EBADF) does not fail the request: the line goes through process.stdout', () => {
  const { writeLine } = freshModule();
  const { order } = tap(() => {
    throw Object.assign(new Error('EBADF: bad file descriptor, write'), { code: 'EBADF' });
  });
  expect(() => writeLine('{"b":2}')).not.toThrow();
  expect(order).toEqual(['stream:{"b":2}\n']);
});
