/**
 * ElasticMQ, a real SQS-compatible server (org.elasticmq:elasticmq-server from
 * Maven Central, Apache-2.0), for the batch-call tests and the sandbox: on
 * 127.0.0.1 only, in memory, stopped with the process that started it
 * (ElasticMqLoopback.java exits when its stdin closes).
 *
 * Its jars are fetched once into `.tools/elasticmq/lib` (git-ignored) by Maven
 * (`mvn dependency:copy-dependencies`, from ~/.m2 when cached), so a fresh
 * machine with Java 17 and Maven needs nothing else.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateQueueCommand, GetQueueAttributesCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BATCH } from '../../src/private/contract';

export const ELASTICMQ_VERSION = '1.6.11';
const ROOT = path.join(__dirname, '..', '..', '.tools', 'elasticmq');
const LIB = path.join(ROOT, 'lib');
const LOCAL_REGION = 'us-east-1';
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export interface ElasticMq {
  /** `http://127.0.0.1:PORT` */
  readonly endpoint: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** The dispatch queue and its dead-letter queue, as the construct makes them (docs/batches.md). */
export interface DispatchQueues {
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly queueArn: string;
}

/** Fetches the server's jars into .tools/elasticmq/lib unless they are there. */
export function ensureElasticMq(): string {
  const marker = path.join(LIB, `.elasticmq-${ELASTICMQ_VERSION}`);
  if (fs.existsSync(marker)) return LIB;
  fs.mkdirSync(ROOT, { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'pom.xml'), `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.tools</groupId><artifactId>elasticmq-runtime</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.elasticmq</groupId><artifactId>elasticmq-server_2.13</artifactId><version>${ELASTICMQ_VERSION}</version></dependency>
  </dependencies>
</project>
`);
  fs.rmSync(LIB, { recursive: true, force: true });
  const mvn = spawnSync('mvn', ['-q', '-B', 'dependency:copy-dependencies', `-DoutputDirectory=${LIB}`], {
    cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (mvn.status !== 0) {
    throw new Error(`ElasticMQ ${ELASTICMQ_VERSION} could not be fetched with Maven (mvn dependency:copy-dependencies in ${ROOT}); `
      + `Maven and Maven Central are needed once.\n${(mvn.stdout ?? '') + (mvn.stderr ?? '') || mvn.error?.message}`);
  }
  fs.writeFileSync(marker, '');
  return LIB;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export function localSqsClient(endpoint: string): SQSClient {
  return new SQSClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 3 });
}

/** Starts ElasticMQ on 127.0.0.1 and resolves once it answers ListQueues. */
export async function startElasticMq(options: { startTimeoutMs?: number } = {}): Promise<ElasticMq> {
  const lib = ensureElasticMq();
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elasticmq-'));
  const conf = path.join(dir, 'elasticmq.conf');
  fs.writeFileSync(conf, `include classpath("application.conf")
node-address { protocol = http, host = "127.0.0.1", port = ${port}, context-path = "" }
rest-sqs { enabled = true, bind-port = ${port}, bind-hostname = "127.0.0.1", sqs-limits = strict }
rest-stats { enabled = false }
`);
  const child = spawn(process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java', [
    '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Djava.net.preferIPv4Stack=true',
    `-Dconfig.file=${conf}`, '-cp', path.join(lib, '*'), path.join(__dirname, 'ElasticMqLoopback.java'),
  ], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  let logs = '';
  const keep = (chunk: Buffer): void => { logs = (logs + chunk.toString('utf8')).slice(-16_384); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.stdin!.on('error', () => undefined);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localSqsClient(endpoint);
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`ElasticMQ exited during start-up (code ${child.exitCode}):\n${logs}`);
      try {
        await client.send(new ListQueuesCommand({}));
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`ElasticMQ did not answer on ${endpoint} in time:\n${logs}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } catch (error) {
    await stop(child, exited);
    throw error;
  } finally {
    client.destroy();
  }
  child.unref();
  (child.stdout as unknown as { unref?: () => void }).unref?.();
  (child.stderr as unknown as { unref?: () => void }).unref?.();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    pid: child.pid!,
    stop: () => {
      stopping ??= stop(child, exited).then(() => fs.rmSync(dir, { recursive: true, force: true }));
      return stopping;
    },
  };
}

async function stop(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.stdin?.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Creates the dispatch queue and its dead-letter queue the way the construct
 * does: visibility timeout 6 × the dispatcher's timeout, redrive after
 * `maxReceiveCount` receives.
 */
export async function createDispatchQueues(endpoint: string, name: string, options: {
  visibilityTimeoutSeconds?: number; maxReceiveCount?: number;
} = {}): Promise<DispatchQueues> {
  const client = localSqsClient(endpoint);
  try {
    const dlq = await client.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
    const dlqAttributes = await client.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl!, AttributeNames: ['QueueArn'] }));
    const queue = await client.send(new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 6 * BATCH.dispatcherTimeoutSeconds),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlqAttributes.Attributes!.QueueArn,
          maxReceiveCount: options.maxReceiveCount ?? BATCH.maxReceiveCount,
        }),
      },
    }));
    const attributes = await client.send(new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl!, AttributeNames: ['QueueArn'] }));
    return { queueUrl: queue.QueueUrl!, deadLetterQueueUrl: dlq.QueueUrl!, queueArn: attributes.Attributes!.QueueArn! };
  } finally {
    client.destroy();
  }
}
