/**
 * What Lambda's SQS event source does, small: receive up to `batchSize`
 * messages, invoke the function with an SQS event, delete the messages it did
 * not report in `batchItemFailures` (ReportBatchItemFailures), and leave the
 * others, or all of them when the invocation throws or times out, to reappear
 * after the queue's visibility timeout. The queue's redrive policy (ElasticMQ
 * enforces it) moves a message to the dead-letter queue after
 * maxReceiveCount receives. `concurrency` invocations run at once, like the
 * event source's maximum concurrency.
 */
import { randomUUID } from 'node:crypto';
import {
  ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

export type SqsHandler = (event: SQSEvent, context: { awsRequestId: string; functionName: string; getRemainingTimeInMillis(): number }) =>
Promise<SQSBatchResponse | void>;

export interface SqsEventSourceOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly handler: SqsHandler;
  /** @default 10 */
  readonly batchSize?: number;
  /** @default 2 */
  readonly concurrency?: number;
  /** The function's timeout: an invocation still running after it counts as failed. @default 30_000 */
  readonly timeoutMs?: number;
  /**
   * At-least-once delivery, provoked: this fraction of the messages an
   * invocation handled is not deleted, so SQS delivers them again after the
   * visibility timeout. @default 0
   */
  readonly redeliverFraction?: number;
  /** Called with what each invocation did (tests count them). */
  readonly onInvoke?: (stats: { received: number; failed: number; error?: unknown }) => void;
}

export class SqsEventSource {
  private running = false;
  private lanes: Promise<void>[] = [];
  invocations = 0;

  constructor(private readonly options: SqsEventSourceOptions) {}

  start(): this {
    this.running = true;
    const concurrency = this.options.concurrency ?? 2;
    this.lanes = Array.from({ length: concurrency }, () => this.lane());
    return this;
  }

  /**
   * Stops polling; resolves when the invocations in flight have ended. A
   * receive in flight is let finish (at most 1 s): what it brings is made
   * visible again at once, not kept hidden for the visibility timeout.
   */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.lanes);
  }

  private async lane(): Promise<void> {
    while (this.running) {
      let messages: Message[] = [];
      try {
        const out = await this.options.client.send(new ReceiveMessageCommand({
          QueueUrl: this.options.queueUrl,
          MaxNumberOfMessages: this.options.batchSize ?? 10,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['All'],
        }));
        messages = out.Messages ?? [];
      } catch {
        if (!this.running) return;
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      if (messages.length > 0 && !this.running) {
        await this.options.client.send(new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle!, VisibilityTimeout: 0 })),
        })).catch(() => undefined);
        return;
      }
      if (messages.length > 0) await this.invoke(messages);
    }
  }

  private async invoke(messages: Message[]): Promise<void> {
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    const started = Date.now();
    const event: SQSEvent = {
      Records: messages.map((message) => ({
        messageId: message.MessageId!,
        receiptHandle: message.ReceiptHandle!,
        body: message.Body ?? '',
        attributes: message.Attributes as SQSEvent['Records'][number]['attributes'],
        messageAttributes: {},
        md5OfBody: message.MD5OfBody ?? '',
        eventSource: 'aws:sqs',
        eventSourceARN: this.options.queueArn,
        awsRegion: 'us-east-1',
      })),
    };
    this.invocations += 1;
    let failedIds: Set<string>;
    let error: unknown;
    try {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('invocation timed out')), timeoutMs);
      });
      const result = await Promise.race([
        this.options.handler(event, {
          awsRequestId: randomUUID(),
          functionName: 'batch-dispatcher-local',
          getRemainingTimeInMillis: () => Math.max(0, started + timeoutMs - Date.now()),
        }),
        timeout,
      ]).finally(() => clearTimeout(timer));
      failedIds = new Set((result?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    } catch (caught) {
      // A failed invocation: every message comes back after the visibility timeout.
      error = caught;
      failedIds = new Set(messages.map((message) => message.MessageId!));
    }
    const redeliver = this.options.redeliverFraction ?? 0;
    const done = messages.filter((message) => !failedIds.has(message.MessageId!) && !(Math.random() < redeliver));
    if (done.length > 0) {
      await this.options.client.send(new DeleteMessageBatchCommand({
        QueueUrl: this.options.queueUrl,
        Entries: done.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })),
      })).catch(() => undefined);
    }
    this.options.onInvoke?.({ received: messages.length, failed: failedIds.size, ...(error ? { error } : {}) });
  }
}
