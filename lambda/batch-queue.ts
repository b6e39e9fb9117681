/**
 * The dispatch queue of batch calls (docs/batches.md): wake-up messages, each
 * naming a batch or one call, delayed at most 900 s (SQS's limit; a longer
 * wait is re-queued by the dispatcher with the time still left).
 */
import { ChangeMessageVisibilityBatchCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { awsClientConfig, withoutSdkLogger } from './aws-clients';
import { wakeUpDelaySeconds, type DispatchMessage } from './batch';

/** The queue could not be written: nothing was queued. */
export class QueueUnavailableError extends Error {
  constructor(readonly cause: unknown) {
    super(`dispatch queue send failed: ${(cause as Error)?.name ?? 'unknown error'}`);
    this.name = 'QueueUnavailableError';
  }
}

export class DispatchQueue {
  private client?: SQSClient;

  constructor(private readonly queueUrl: string, private readonly maxWakeUpSeconds?: number) {}

  /** The queue's SQS client, made on first use: most API calls never touch the queue. */
  sqs(): SQSClient {
    return this.client ??= withoutSdkLogger(new SQSClient({
      ...awsClientConfig('SQS'),
      maxAttempts: 3,
      requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
    }));
  }

  /** One message, to be received at `atMs` (or the end of the longest delay SQS allows). */
  async send(message: DispatchMessage, atMs: number, nowMs: number = Date.now()): Promise<void> {
    try {
      await this.sqs().send(new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(message),
        DelaySeconds: wakeUpDelaySeconds(atMs, nowMs, this.maxWakeUpSeconds),
      }));
    } catch (error) {
      throw new QueueUnavailableError(error);
    }
  }

  /**
   * Received messages come back after `seconds` unless they are deleted
   * first (ChangeMessageVisibilityBatch, 10 at a time): set before calls are
   * dialled, so a dispatcher that dies mid-call has its messages redelivered
   * as soon as their claims' leases end, not after the queue's whole
   * visibility timeout.
   */
  async holdAll(receiptHandles: readonly string[], seconds: number): Promise<void> {
    for (let i = 0; i < receiptHandles.length; i += 10) {
      try {
        await this.sqs().send(new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: receiptHandles.slice(i, i + 10).map((receiptHandle, index) => ({
            Id: String(index), ReceiptHandle: receiptHandle, VisibilityTimeout: Math.max(0, Math.ceil(seconds)),
          })),
        }));
      } catch (error) {
        throw new QueueUnavailableError(error);
      }
    }
  }

  /** Many messages, now: 10 per SendMessageBatch, entries SQS did not take re-sent. */
  async sendNow(messages: readonly DispatchMessage[]): Promise<void> {
    const chunks: DispatchMessage[][] = [];
    for (let i = 0; i < messages.length; i += 10) chunks.push(messages.slice(i, i + 10));
    // A few requests in flight at once: a 1,000-call batch fans out in 100 requests.
    const lanes = Array.from({ length: Math.min(8, chunks.length) }, async () => {
      for (let chunk = chunks.shift(); chunk; chunk = chunks.shift()) await this.sendChunk(chunk);
    });
    await Promise.all(lanes);
  }

  private async sendChunk(chunk: readonly DispatchMessage[]): Promise<void> {
    let entries = chunk.map((message, index) => ({ Id: String(index), MessageBody: JSON.stringify(message) }));
    for (let attempt = 0; entries.length > 0; attempt++) {
      if (attempt >= 4) throw new QueueUnavailableError(new Error('SendMessageBatch kept failing entries'));
      let out;
      try {
        out = await this.sqs().send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
      } catch (error) {
        throw new QueueUnavailableError(error);
      }
      const failed = new Set((out.Failed ?? []).map((entry) => entry.Id));
      entries = entries.filter((entry) => failed.has(entry.Id));
      if (entries.length > 0) await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
    }
  }
}
