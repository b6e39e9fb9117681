/**
 * Finding raw phone numbers in text: what the logs and the ledger must never
 * hold (docs/architecture.md: numbers appear only masked to their last 4 digits).
 *
 * A number leaks when 7 of its digits in a row appear, in any formatting
 * (spaces, dashes, dots, brackets between them): any 7 digits in a row include
 * at least 3 beyond the last 4. Shorter runs are not checked: 5 or 6 digits
 * occur by chance in UUIDs and hashes.
 */
import { interceptStdout } from '../../support/stdout-tap';

const WINDOW = 7;
const SEPARATORS = '[\\s().\\-/_]{0,2}';

/** A pattern matching any 7-digit run of `number`'s digits, however formatted; undefined for short numbers. */
export function leakPattern(number: string): RegExp | undefined {
  const digits = number.replace(/\D/g, '');
  if (digits.length < WINDOW) return undefined;
  const windows = new Set<string>();
  for (let i = 0; i + WINDOW <= digits.length; i++) windows.add(digits.slice(i, i + WINDOW).split('').join(SEPARATORS));
  return new RegExp(`(?:${[...windows].join('|')})`);
}

/** Log fields that carry no caller data (ids and clocks): removed before looking, so their digits cannot match by chance. */
const VOLATILE_FIELDS = ['timestamp', 'requestId', 'contactId', 'caller', '_aws', 'LedgerLatency'];

/** The part of a log line a phone number could be in. Non-JSON lines are kept whole. */
export function searchableLogText(line: string): string {
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    if (typeof entry !== 'object' || entry === null) return line;
    for (const field of VOLATILE_FIELDS) delete entry[field];
    return JSON.stringify(entry);
  } catch {
    return line;
  }
}

export interface Leak {
  readonly number: string;
  readonly excerpt: string;
}

/** Every number of `numbers` found in `texts`, with an excerpt around the first hit. */
export function findLeaks(texts: readonly string[], numbers: Iterable<string>): Leak[] {
  const leaks: Leak[] = [];
  for (const number of new Set(numbers)) {
    const pattern = leakPattern(number);
    if (!pattern) continue;
    for (const text of texts) {
      const match = pattern.exec(text);
      if (match) {
        const start = Math.max(0, match.index - 60);
        leaks.push({ number, excerpt: text.slice(start, match.index + match[0].length + 20) });
        break;
      }
    }
  }
  return leaks;
}

/** Everything written on stdout while it runs (the handler's logs and EMF lines), line by line. */
export class LogTap {
  private lines: string[] = [];
  private restore?: () => void;
  private partial = '';

  start(): void {
    if (this.restore) return;
    this.restore = interceptStdout((chunk) => {
      const parts = (this.partial + chunk).split('\n');
      this.partial = parts.pop() ?? '';
      for (const part of parts) if (part.length > 0) this.lines.push(part);
    });
  }

  stop(): void {
    this.restore?.();
    this.restore = undefined;
  }

  /** A position to read from later. */
  mark(): number {
    return this.lines.length;
  }

  since(mark: number): string[] {
    return this.lines.slice(mark);
  }

  /** Forgets everything from `mark` on (keeps memory flat during the property runs). */
  truncate(mark = 0): void {
    this.lines.length = Math.min(this.lines.length, mark);
  }
}
