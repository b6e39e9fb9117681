/**
 * Intercepts what the process writes on standard output, whichever way it is
 * written: through `process.stdout`, or straight to descriptor 1 with
 * `fs.writeSync`, as the handlers write their log and EMF lines
 * (lambda/observability.ts). Nothing intercepted reaches the real output.
 */
// The module object itself (a namespace import is a frozen copy): its writeSync is replaced below.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import fs = require('node:fs');

type WriteSync = typeof fs.writeSync;

/** Hands every chunk written on standard output to `onText` instead; returns the function that restores both ways. */
export function interceptStdout(onText: (text: string) => void): () => void {
  const originalWrite = process.stdout.write;
  const originalWriteSync: WriteSync = fs.writeSync;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    onText(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof process.stdout.write;
  const writeSync = (fd: number, data: string | NodeJS.ArrayBufferView, ...rest: unknown[]): number => {
    if (fd !== 1) return (originalWriteSync as (...args: unknown[]) => number)(fd, data, ...rest);
    if (typeof data === 'string') {
      onText(data);
      return Buffer.byteLength(data);
    }
    const offset = typeof rest[0] === 'number' ? rest[0] : 0;
    const length = typeof rest[1] === 'number' ? rest[1] : data.byteLength - offset;
    onText(Buffer.from(data.buffer, data.byteOffset + offset, length).toString('utf8'));
    return length;
  };
  (fs as { writeSync: WriteSync }).writeSync = writeSync as WriteSync;
  return () => {
    process.stdout.write = originalWrite;
    (fs as { writeSync: WriteSync }).writeSync = originalWriteSync;
  };
}
