import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { createLedgerTable, createLocalDynamoDbClient, DynamoDbLocal, startDynamoDbLocal } from './dynamodb-local';

/** Local addresses of the LISTEN sockets on `port`, from /proc/net/tcp and tcp6 (Linux). */
function listeningAddresses(port: number): string[] {
  const found: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!fs.existsSync(file)) continue;
    for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4 || cols[3] !== '0A') continue; // 0A = LISTEN
      const [addrHex, portHex] = cols[1].split(':');
      if (parseInt(portHex, 16) !== port) continue;
      found.push(file.endsWith('6') ? decodeIpv6(addrHex) : decodeIpv4(addrHex));
    }
  }
  return found;
}

// /proc/net/tcp stores addresses as host-order (little-endian here) 32-bit words.
function decodeIpv4(hex: string): string {
  return [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
}

function decodeIpv6(hex: string): string {
  const words: string[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    const bytes = [3, 2, 1, 0].map((i) => word.slice(i * 2, i * 2 + 2));
    words.push(bytes[0] + bytes[1], bytes[2] + bytes[3]);
  }
  return words.join(':').toLowerCase();
}

function isLoopback(addr: string): boolean {
  return addr.startsWith('127.')
    || addr === '0000:0000:0000:0000:0000:0000:0000:0001'
    || /^0000:0000:0000:0000:0000:ffff:7f/.test(addr); // ::ffff:127.x.x.x
}

function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: 2_000 }, () => { s.destroy(); resolve('connected'); });
    s.on('timeout', () => { s.destroy(); resolve('timeout'); });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
}

describe('DynamoDB Local on 127.0.0.1', () => {
  let ddb: DynamoDbLocal;
  let startMs: number;

  beforeAll(async () => {
    const t0 = Date.now();
    ddb = await startDynamoDbLocal();
    startMs = Date.now() - t0;
  }, 90_000);

  afterAll(async () => {
    await ddb?.stop();
  });

  test('starts on a free port and answers', async () => {
    expect(ddb.endpoint).toBe(`http://127.0.0.1:${ddb.port}`);
    expect(ddb.port).toBeGreaterThan(0);
    expect(pidAlive(ddb.pid)).toBe(true);
    expect(startMs).toBeLessThan(60_000);
    const client = createLocalDynamoDbClient(ddb.endpoint);
    try {
      await expect(client.send(new ListTablesCommand({}))).resolves.toHaveProperty('TableNames');
    } finally {
      client.destroy();
    }
  });

  test('createLedgerTable makes the ledger schema; items go in and come out', async () => {
    await createLedgerTable(ddb.endpoint, 'ledger');
    const client = createLocalDynamoDbClient(ddb.endpoint);
    try {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: 'ledger' }));
      expect(Table?.TableStatus).toBe('ACTIVE');
      expect(Table?.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
      expect(Table?.AttributeDefinitions).toEqual([
        { AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'contactId', AttributeType: 'S' },
      ]);
      expect(Table?.GlobalSecondaryIndexes?.map((index) => [index.IndexName, index.KeySchema, index.Projection?.ProjectionType]))
        .toEqual([['contactId', [{ AttributeName: 'contactId', KeyType: 'HASH' }], 'KEYS_ONLY']]);
      expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
      const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: 'ledger' }));
      expect(ttl.TimeToLiveDescription).toEqual({ AttributeName: 'expiresAt', TimeToLiveStatus: 'ENABLED' });

      const expiresAt = Math.floor(Date.now() / 1000) + 7 * 24 * 3600;
      await client.send(new PutItemCommand({
        TableName: 'ledger',
        Item: { pk: { S: 'caller#key' }, state: { S: 'COMPLETED' }, contactId: { S: 'c-1' }, expiresAt: { N: String(expiresAt) } },
        ConditionExpression: 'attribute_not_exists(pk)',
      }));
      const { Item } = await client.send(new GetItemCommand({ TableName: 'ledger', Key: { pk: { S: 'caller#key' } }, ConsistentRead: true }));
      expect(Item).toEqual({ pk: { S: 'caller#key' }, state: { S: 'COMPLETED' }, contactId: { S: 'c-1' }, expiresAt: { N: String(expiresAt) } });

      // The same conditional put again fails the way the ledger's claim relies on.
      await expect(client.send(new PutItemCommand({
        TableName: 'ledger',
        Item: { pk: { S: 'caller#key' } },
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }))).rejects.toMatchObject({ name: 'ConditionalCheckFailedException', Item: expect.objectContaining({ contactId: { S: 'c-1' } }) });
    } finally {
      client.destroy();
    }
  });

  test('one shared database: other credentials and regions see the same tables', async () => {
    const other = new DynamoDBClient({
      endpoint: ddb.endpoint,
      region: 'eu-west-2',
      credentials: { accessKeyId: 'someoneElse', secretAccessKey: 'x' },
    });
    try {
      await createLedgerTable(ddb.endpoint, 'shared-check');
      const { TableNames } = await other.send(new ListTablesCommand({}));
      expect(TableNames).toContain('shared-check');
    } finally {
      other.destroy();
    }
  });

  test('listens on 127.0.0.1 only', async () => {
    const addrs = listeningAddresses(ddb.port);
    expect(addrs.length).toBeGreaterThan(0);
    for (const a of addrs) {
      expect({ addr: a, loopback: isLoopback(a) }).toEqual({ addr: a, loopback: true });
    }
    // And from the outside: every non-loopback address of this machine is refused.
    const external = Object.values(os.networkInterfaces()).flat()
      .filter((i): i is os.NetworkInterfaceInfo => !!i && !i.internal && i.family === 'IPv4')
      .map((i) => i.address);
    for (const host of external) {
      expect({ host, result: await tryConnect(host, ddb.port) }).toEqual({ host, result: 'ECONNREFUSED' });
    }
    expect(await tryConnect('127.0.0.1', ddb.port)).toBe('connected');
  });

  test('the global instance from jest-global-setup is up and loopback-only too', async () => {
    const endpoint = process.env.DYNAMODB_LOCAL_ENDPOINT;
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const port = Number(new URL(endpoint!).port);
    expect(port).not.toBe(ddb.port);
    expect(listeningAddresses(port).every(isLoopback)).toBe(true);
    const client = createLocalDynamoDbClient(endpoint!);
    try {
      await expect(client.send(new ListTablesCommand({}))).resolves.toHaveProperty('TableNames');
    } finally {
      client.destroy();
    }
  });

  test('a port in use gives a clear error naming the port', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(startDynamoDbLocal({ port })).rejects.toThrow(`DynamoDB Local: port ${port} on 127.0.0.1 is already in use`);
      // Also when the port is DynamoDB Local's own.
      await expect(startDynamoDbLocal({ port: ddb.port })).rejects.toThrow(`port ${ddb.port} on 127.0.0.1 is already in use`);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  }, 60_000);

  test('a data directory keeps tables across restarts', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddb-local-'));
    try {
      const first = await startDynamoDbLocal({ dataDir: dir });
      await createLedgerTable(first.endpoint, 'persisted');
      await first.stop();
      const second = await startDynamoDbLocal({ dataDir: dir, port: first.port });
      const client = createLocalDynamoDbClient(second.endpoint);
      try {
        expect((await client.send(new ListTablesCommand({}))).TableNames).toContain('persisted');
      } finally {
        client.destroy();
        await second.stop();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  test('stop() leaves no process behind and frees the port', async () => {
    const extra = await startDynamoDbLocal();
    expect(pidAlive(extra.pid)).toBe(true);
    await extra.stop();
    expect(pidAlive(extra.pid)).toBe(false);
    expect(await tryConnect('127.0.0.1', extra.port)).toBe('ECONNREFUSED');
    await expect(extra.stop()).resolves.toBeUndefined(); // idempotent
  }, 60_000);

  test('the JVM dies with its parent, even when the parent is SIGKILLed', async () => {
    // A separate Node process starts DynamoDB Local, reports the JVM pid, and is then killed hard.
    const tsNode = JSON.stringify(require.resolve('ts-node'));
    const project = JSON.stringify(path.join(__dirname, '..', 'tsconfig.json'));
    const lib = JSON.stringify(path.join(__dirname, 'dynamodb-local.ts'));
    const script = `
      require(${tsNode}).register({ transpileOnly: true, project: ${project} });
      require(${lib}).startDynamoDbLocal()
        .then((d) => { process.stdout.write('PID ' + d.pid + '\\n'); setInterval(() => {}, 1000); })
        .catch((e) => { console.error(e); process.exit(1); });`;
    const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    parent.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    parent.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    try {
      const started = await waitFor(() => /PID \d+/.test(out) || parent.exitCode !== null, 60_000);
      expect({ started, out, err: parent.exitCode === null ? '' : err }).toEqual({ started: true, out: expect.stringMatching(/PID \d+/), err: '' });
      const jvmPid = Number(/PID (\d+)/.exec(out)![1]);
      expect(pidAlive(jvmPid)).toBe(true);

      parent.kill('SIGKILL');
      // The orphaned JVM is not our child: until init reaps it, it may linger as a zombie (dead all the same).
      const gone = await waitFor(() => !pidAlive(jvmPid) || isZombie(jvmPid), 15_000);
      expect(gone).toBe(true);
    } finally {
      if (parent.exitCode === null && parent.signalCode === null) {
        parent.kill('SIGKILL');
      }
    }
  }, 90_000);
});

function isZombie(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}
