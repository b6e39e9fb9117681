/**
 * The shipped dispatcher bundle (assets/) in a process of its own, fed by
 * the local SQS event source: what Lambda runs, which a test can kill
 * (SIGKILL, mid-batch) and whose clock it can move without touching the
 * bundle or the test's own clock.
 *
 *   fork('dispatcher-process.ts', { env: <the dispatcher's environment> + DISPATCHER_* })
 *   ← { type: 'ready' }
 *   → { type: 'clock', offsetMs }   the process's Date runs offsetMs ahead from now on
 *   → { type: 'stop' }              stops polling, finishes what is in flight, exits
 *
 * DISPATCHER_SQS_ENDPOINT, DISPATCHER_QUEUE_ARN, DISPATCHER_CONCURRENCY (default 2),
 * DISPATCHER_BATCH_SIZE (default 10), DISPATCHER_CLOCK_OFFSET_MS (default 0), DISPATCHER_REDELIVER_FRACTION
 * (default 0: the share of handled messages left undeleted, so SQS delivers them again).
 */
import * as path from 'node:path';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { localSqsClient } from './elasticmq';
import { SqsEventSource } from './sqs-event-source';
import { BATCH, ENV } from '../../src/private/contract';

export const DISPATCHER_BUNDLE = path.join(__dirname, '..', '..', 'assets', 'lambda', 'batch-dispatcher.lambda', 'index.js');

/** Date, shifted by a settable offset: `new Date()` and `Date.now()` read the shifted clock, timers stay real. */
export function installShiftedClock(initialOffsetMs: number): (offsetMs: number) => void {
  let offset = initialOffsetMs;
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  class ShiftedDate extends RealDate {
    static now(): number {
      return realNow() + offset;
    }

    constructor(...args: unknown[]) {
      if (args.length === 0) super(realNow() + offset);
      else super(...(args as [string]));
    }
  }
  globalThis.Date = ShiftedDate as DateConstructor;
  return (offsetMs: number) => { offset = offsetMs; };
}

async function main(): Promise<void> {
  const setOffset = installShiftedClock(Number(process.env.DISPATCHER_CLOCK_OFFSET_MS ?? 0));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { handler } = require(DISPATCHER_BUNDLE) as { handler: (event: SQSEvent, context: unknown) => Promise<SQSBatchResponse> };
  const client = localSqsClient(process.env.DISPATCHER_SQS_ENDPOINT!);
  const source = new SqsEventSource({
    client,
    queueUrl: process.env[ENV.batchQueueUrl]!,
    queueArn: process.env.DISPATCHER_QUEUE_ARN!,
    handler,
    concurrency: Number(process.env.DISPATCHER_CONCURRENCY ?? 2),
    batchSize: Number(process.env.DISPATCHER_BATCH_SIZE ?? BATCH.eventBatchSize),
    timeoutMs: BATCH.dispatcherTimeoutSeconds * 1000,
    redeliverFraction: Number(process.env.DISPATCHER_REDELIVER_FRACTION ?? 0),
  }).start();
  process.on('message', (message: { type: string; offsetMs?: number }) => {
    if (message.type === 'clock') setOffset(message.offsetMs ?? 0);
    if (message.type === 'stop') {
      void source.stop().then(() => {
        client.destroy();
        process.exit(0);
      });
    }
  });
  // The parent is gone: so are we.
  process.on('disconnect', () => process.exit(0));
  process.send?.({ type: 'ready' });
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`dispatcher process failed: ${String((error as Error)?.stack ?? error)}\n`);
    process.exit(1);
  });
}
