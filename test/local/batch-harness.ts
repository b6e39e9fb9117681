/**
 * Batch calls end to end, locally: the shipped API bundle (in the test's
 * process) and the shipped dispatcher bundle (in a process of its own, fed by
 * the local SQS event source) against DynamoDB Local, ElasticMQ and the
 * Connect simulator.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GetQueueAttributesCommand, PurgeQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { ConnectSimulator, type ConnectSimulatorOptions } from './connect-simulator';
import { createLedgerTable } from './dynamodb-local';
import { createDispatchQueues, localSqsClient, startElasticMq, type DispatchQueues, type ElasticMq } from './elasticmq';
import { BATCH_API_BUNDLE, lambdaContext, proxyEvent, type CallerIdentity, type ProxyHandler } from './proxy-event';
import { ENV, ROUTES } from '../../src/private/contract';
import { handlerEnv, INSTANCE_ID, loadBundle } from '../lambda/bundle';

export interface BatchHarnessOptions {
  readonly name: string;
  readonly simulator?: ConnectSimulatorOptions;
  /** The dispatcher's dial rate (calls per second). @default 50 */
  readonly dialRatePerSecond?: number;
  /** The queue's visibility timeout. @default 6 × the dispatcher's timeout */
  readonly visibilityTimeoutSeconds?: number;
  readonly env?: Record<string, string | undefined>;
}

export interface DispatcherOptions {
  readonly concurrency?: number;
  readonly redeliverFraction?: number;
  readonly clockOffsetMs?: number;
  readonly env?: Record<string, string | undefined>;
}

export class RunningDispatcher {
  private readonly exited: Promise<void>;

  constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  setClock(offsetMs: number): void {
    this.child.send({ type: 'clock', offsetMs });
  }

  /** Lets in-flight invocations finish, then exits. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 40_000);
    await this.exited;
    clearTimeout(timer);
  }

  /** What a crash is: SIGKILL, mid-whatever. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

export class BatchHarness {
  sim!: ConnectSimulator;
  emq!: ElasticMq;
  queues!: DispatchQueues;
  /** The synchronous route's handler (PUT, status GET). */
  handler!: ProxyHandler;
  /** The batch routes' function. */
  batchApi!: ProxyHandler;
  env!: Record<string, string | undefined>;
  readonly tableName: string;
  private readonly dispatchers: RunningDispatcher[] = [];

  constructor(private readonly options: BatchHarnessOptions) {
    this.tableName = `ledger-${options.name}-${process.pid}-${Date.now()}`;
  }

  async start(): Promise<void> {
    const ddbEndpoint = process.env.DYNAMODB_LOCAL_ENDPOINT!;
    const [emq, sim] = await Promise.all([
      startElasticMq(),
      ConnectSimulator.start({ knownInstanceIds: [INSTANCE_ID], ...this.options.simulator }),
      createLedgerTable(ddbEndpoint, this.tableName),
    ]);
    this.emq = emq;
    this.sim = sim;
    this.queues = await createDispatchQueues(emq.endpoint, `dispatch-${this.options.name}`, {
      visibilityTimeoutSeconds: this.options.visibilityTimeoutSeconds,
    });
    this.env = handlerEnv({
      tableName: this.tableName,
      dynamodbEndpoint: ddbEndpoint,
      connectEndpoint: sim.url,
      overrides: {
        AWS_ENDPOINT_URL_SQS: emq.endpoint,
        [ENV.batchQueueUrl]: this.queues.queueUrl,
        [ENV.batchDialRate]: String(this.options.dialRatePerSecond ?? 50),
        [ENV.callStatus]: 'true',
        ...this.options.env,
      },
    });
    this.handler = loadBundle(this.env);
    this.batchApi = loadBundle(this.env, BATCH_API_BUNDLE);
  }

  async stop(): Promise<void> {
    await Promise.all(this.dispatchers.map((dispatcher) => dispatcher.stop()));
    await Promise.all([this.sim?.stop(), this.emq?.stop()]);
  }

  /** Forks a dispatcher process; resolves when it polls. */
  async startDispatcher(options: DispatcherOptions = {}): Promise<RunningDispatcher> {
    const child = fork(path.join(__dirname, 'dispatcher-process.ts'), [], {
      execArgv: ['-r', 'ts-node/register/transpile-only'],
      env: {
        ...process.env,
        ...Object.fromEntries(Object.entries(this.env).filter(([, value]) => value !== undefined)) as Record<string, string>,
        ...options.env,
        TS_NODE_PROJECT: path.join(__dirname, '..', 'tsconfig.json'),
        DISPATCHER_SQS_ENDPOINT: this.emq.endpoint,
        DISPATCHER_QUEUE_ARN: this.queues.queueArn,
        DISPATCHER_CONCURRENCY: String(options.concurrency ?? 2),
        DISPATCHER_CLOCK_OFFSET_MS: String(options.clockOffsetMs ?? 0),
        DISPATCHER_REDELIVER_FRACTION: String(options.redeliverFraction ?? 0),
      },
      // Its log lines (JSON) go to BATCH_DISPATCHER_LOG when set, for a look at what it did.
      stdio: ['ignore', process.env.BATCH_DISPATCHER_LOG ? 'pipe' : 'ignore', 'inherit', 'ipc'],
    });
    if (process.env.BATCH_DISPATCHER_LOG) child.stdout!.pipe(fs.createWriteStream(process.env.BATCH_DISPATCHER_LOG, { flags: 'a' }));
    const dispatcher = new RunningDispatcher(child);
    this.dispatchers.push(dispatcher);
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`dispatcher process exited with ${code} before it was ready`)));
    });
    return dispatcher;
  }

  submit(body: unknown, caller?: CallerIdentity, headers: Record<string, string> = {}): Promise<APIGatewayProxyResult> {
    return this.batchApi(proxyEvent({
      method: 'POST',
      path: ROUTES.batches,
      resource: ROUTES.batches,
      caller,
      headers: { 'Content-Type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }), lambdaContext());
  }

  status(batchId: string, caller?: CallerIdentity): Promise<APIGatewayProxyResult> {
    return this.batchApi(proxyEvent({
      method: 'GET', path: `${ROUTES.batches}/${batchId}`, resource: ROUTES.batch, caller, pathParameters: { batchId },
    }), lambdaContext());
  }

  cancel(batchId: string, caller?: CallerIdentity): Promise<APIGatewayProxyResult> {
    return this.batchApi(proxyEvent({
      method: 'DELETE', path: `${ROUTES.batches}/${batchId}`, resource: ROUTES.batch, caller, pathParameters: { batchId },
    }), lambdaContext());
  }

  /** Polls GET until `done(data)` or the time is up; resolves with the last data. */
  async waitFor(batchId: string, done: (data: any) => boolean, timeoutMs: number, caller?: CallerIdentity): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const data = JSON.parse((await this.status(batchId, caller)).body).data;
      if (done(data) || Date.now() > deadline) return data;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** Messages on the dead-letter queue, visible or not. */
  async deadLetters(): Promise<number> {
    const client = localSqsClient(this.emq.endpoint);
    try {
      const out = await client.send(new GetQueueAttributesCommand({
        QueueUrl: this.queues.deadLetterQueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }));
      return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
    } finally {
      client.destroy();
    }
  }

  /** Another wake-up of a batch, as a repeated delivery would bring. */
  async sendWakeUp(batchId: string): Promise<void> {
    const client = localSqsClient(this.emq.endpoint);
    try {
      await client.send(new SendMessageCommand({ QueueUrl: this.queues.queueUrl, MessageBody: JSON.stringify({ v: 1, kind: 'batch', batchId }) }));
    } finally {
      client.destroy();
    }
  }

  async purge(): Promise<void> {
    const client = localSqsClient(this.emq.endpoint);
    try {
      await client.send(new PurgeQueueCommand({ QueueUrl: this.queues.queueUrl }));
    } finally {
      client.destroy();
    }
  }
}

/** Final states of a batch call. */
export const FINAL_STATES = ['PLACED', 'FAILED', 'EXPIRED', 'CANCELLED'];

export function allFinal(data: { calls: Array<{ state: string }> }): boolean {
  return data.calls.every((call) => FINAL_STATES.includes(call.state));
}
