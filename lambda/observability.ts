/**
 * Structured JSON logs and CloudWatch embedded-metric-format (EMF) metrics,
 * written as raw lines on stdout (the Lambda runtime ships them to CloudWatch
 * Logs as they are; CloudWatch extracts the metrics from the EMF lines).
 *
 * Phone numbers never reach a log line: every string value goes through
 * `scrub` (masking.ts), the net under what callers mask on purpose.
 */

import { writeSync } from 'node:fs';
import { scrub } from './masking';
import { METRICS } from '../src/private/contract';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
export type LogFields = Record<string, unknown>;

/** Standard output's file descriptor. */
const STDOUT_FD = 1;
/** Set once a line had to go through process.stdout: every later line follows it there, in order. */
let throughStream = false;

/**
 * Lines go to standard output as they are: the Lambda runtime ships them to
 * CloudWatch Logs. They are written to the descriptor itself, synchronously,
 * rather than through `process.stdout`: the first use of `process.stdout`
 * builds Node's stream for it, 2 to 5 ms of CPU on a cold start, paid by the
 * first request (README, "Performance"); the first `writeSync` costs about
 * 0.2 ms. A line is written whole before the handler goes on. Should the
 * descriptor refuse a write (a full non-blocking pipe, a closed descriptor),
 * the rest of that line and every later one go through `process.stdout`,
 * which queues them: logging never fails a request.
 */
export function writeLine(line: string): void {
  const bytes = Buffer.from(line + '\n', 'utf8');
  let offset = 0;
  if (!throughStream) {
    try {
      while (offset < bytes.length) offset += writeSync(STDOUT_FD, bytes, offset);
      return;
    } catch {
      throughStream = true;
    }
  }
  process.stdout.write(offset === 0 ? bytes : bytes.subarray(offset));
}

function scrubValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrub(value);
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = scrubValue(item, depth + 1);
  return out;
}

export class Logger {
  constructor(private readonly context: LogFields = {}) {}

  child(fields: LogFields): Logger {
    return new Logger({ ...this.context, ...fields });
  }

  debug(message: string, fields?: LogFields): void { this.write('DEBUG', message, fields); }
  info(message: string, fields?: LogFields): void { this.write('INFO', message, fields); }
  warn(message: string, fields?: LogFields): void { this.write('WARN', message, fields); }
  error(message: string, fields?: LogFields): void { this.write('ERROR', message, fields); }

  private write(level: LogLevel, message: string, fields?: LogFields): void {
    const entry = scrubValue({
      timestamp: new Date().toISOString(),
      level,
      message,
      ...this.context,
      ...fields,
    });
    writeLine(JSON.stringify(entry));
  }
}

/** An error as a log field: its name and message, never its stack. */
export function describeError(error: unknown): { name: string; message: string } {
  const e = error as Error | undefined;
  return { name: e?.name ?? 'Error', message: String(e?.message ?? error) };
}

/** The metric names the construct's `metric*()` methods read (the shared contract). */
export const METRIC = METRICS.names;

type MetricUnit = 'Count' | 'Milliseconds';

/**
 * One EMF document per request. Every metric carries the `FunctionName`
 * dimension; rejections and Connect errors are also broken down by `Code` /
 * `ErrorType` in a second dimension set, so both the total and the split can
 * be read.
 */
export class RequestMetrics {
  private readonly values = new Map<string, { unit: MetricUnit; values: number[] }>();
  private readonly extra: Record<string, string> = {};

  constructor(private readonly namespace: string, private readonly functionName: string) {}

  add(name: string, value: number, unit: MetricUnit = 'Count'): void {
    const entry = this.values.get(name) ?? { unit, values: [] };
    entry.values.push(value);
    this.values.set(name, entry);
  }

  /** Adds a breakdown dimension (e.g. Code=VALIDATION_ERROR) for this request's document. */
  breakdown(dimension: typeof METRICS.dimensions.code | typeof METRICS.dimensions.errorType, value: string): void {
    this.extra[dimension] = value;
  }

  flush(): void {
    if (this.values.size === 0) return;
    const functionName = METRICS.dimensions.functionName;
    const dimensionSets: string[][] = [[functionName]];
    for (const dimension of Object.keys(this.extra)) dimensionSets.push([functionName, dimension]);
    const document: Record<string, unknown> = {
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [{
          Namespace: this.namespace,
          Dimensions: dimensionSets,
          Metrics: [...this.values].map(([name, entry]) => ({ Name: name, Unit: entry.unit })),
        }],
      },
      [functionName]: this.functionName,
      ...this.extra,
    };
    for (const [name, entry] of this.values) {
      document[name] = entry.values.length === 1 ? entry.values[0] : entry.values;
    }
    writeLine(JSON.stringify(document));
    this.values.clear();
  }
}
