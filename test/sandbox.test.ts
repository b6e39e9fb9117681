/**
 * The sandbox as a user runs it: `npx projen sandbox --port <port>` as a child
 * process (projen runs the bundle task first), driven with a plain HTTP client,
 * then stopped with SIGINT; nothing may be left running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ApiFront, frontConfigFromTemplate, matchRoute, validateJsonSchema, type FrontConfig } from './local/api-front';
import { createLocalDynamoDbClient } from './local/dynamodb-local';
import { synthExampleTemplate } from './local/example-app';
import { LOCAL_ACCESS_KEYS, LOCAL_API_KEYS, localAuthentication } from './local/local-credentials';
import { signedFetch, signRequest } from './support/signed-fetch';

/** The two local key pairs the sandbox prints: user/sandbox and user/alice. */
const [SANDBOX_KEY, ALICE_KEY] = LOCAL_ACCESS_KEYS;

const ROOT = path.join(__dirname, '..');
const START_TIMEOUT_MS = 75_000;
const DESTINATION = '+12125550123';

interface Running {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

interface SandboxInfo {
  url: string;
  routes: string[];
  sandboxPid: number;
  callerHeader: string;
  dynamodb: { endpoint: string; pid: number; tableName: string };
  connect: { endpoint: string };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Starts the README's command in its own process group (as a terminal would), collecting its output. */
function runSandbox(args: string[]): Running {
  const child = spawn('npx', ['projen', 'sandbox', ...args], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString('utf8'); });
  child.stderr!.on('data', (c: Buffer) => { err += c.toString('utf8'); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function waitForOutput(run: Running, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  let exitedWith: string | undefined;
  void run.exited.then((e) => { exitedWith = JSON.stringify(e); });
  while (Date.now() < deadline) {
    const m = pattern.exec(run.stdout());
    if (m) return m;
    if (exitedWith) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ${pattern} in the sandbox output (exit: ${exitedWith ?? 'still running'})\n`
    + `--- stdout ---\n${run.stdout()}\n--- stderr ---\n${run.stderr()}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return condition();
}

let port: number;
let sandbox: Running;
let info: SandboxInfo;
let api: string;
let firstContactId: string;

const json = async (res: Response): Promise<any> => res.json();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A PUT signed with the AWS SDK's SignatureV4 (user/sandbox's key unless another is given). */
const putOnce = (body: unknown, headers: Record<string, string> = {}, key = SANDBOX_KEY): Promise<Response> => signedFetch(api, key, {
  method: 'PUT',
  headers: { 'Content-Type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

/** A well-behaved client: API Gateway's throttle (2/s, burst 5) answers 429 with Retry-After; wait and retry. */
async function put(body: unknown, headers: Record<string, string> = {}, key = SANDBOX_KEY): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const res = await putOnce(body, headers, key);
    if (res.status !== 429 || res.headers.get('x-amzn-errortype') !== 'TooManyRequestsException' || attempt === 4) return res;
    await res.arrayBuffer();
    await sleep(Number(res.headers.get('retry-after') ?? 1) * 1000);
  }
}

describe('npx projen sandbox', () => {
  beforeAll(async () => {
    port = await freePort();
    sandbox = runSandbox(['--port', String(port)]);
    await waitForOutput(sandbox, /^Ready in \d+\.\d s.*$/m, START_TIMEOUT_MS);
    info = await (await fetch(`http://127.0.0.1:${port}/_sandbox/info`)).json() as SandboxInfo;
    api = info.url;
  }, START_TIMEOUT_MS + 5_000);

  afterAll(async () => {
    // Only if a test failed before the SIGINT test: take the whole group down.
    if (sandbox?.child.exitCode === null && sandbox.child.signalCode === null) {
      try {
        process.kill(-sandbox.child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  test('prints what the construct creates (read from the template), the URL, curl commands and the start time', () => {
    const out = sandbox.stdout();
    expect(api).toBe(`http://127.0.0.1:${port}/contact/outbound-voice`);
    expect(out).toContain('PUT /contact/outbound-voice  (REGIONAL REST API, stage prod)');
    expect(out).toContain('AWS_IAM (SigV4) · throttle rate 2/s, burst 5 · body checked against model StartOutboundVoiceContactRequest');
    expect(out).toMatch(/pk \(S, HASH\) · PAY_PER_REQUEST · TTL on expiresAt · PITR on · SSE on/);
    expect(out).toMatch(/Allow connect:StartOutboundVoiceContact on arn:\$\{AWS::Partition\}:connect:us-east-1:111122223333:instance\/[0-9a-f-]{36}\/contact\/\*/);
    expect(out).toMatch(/Allow dynamodb:PutItem, dynamodb:UpdateItem, dynamodb:DeleteItem.* on table /);
    expect(out).toMatch(/nodejs24\.x · arm64 · 1024 MB · 25 s timeout/);
    expect(out).toContain(`curl -i -X PUT ${api} --aws-sigv4 'aws:amz:us-east-1:execute-api' --user '${SANDBOX_KEY.accessKeyId}:`);
    expect(out).toContain(`http://127.0.0.1:${port}/_sandbox/connect/fail-next`);
    for (const key of LOCAL_ACCESS_KEYS) {
      expect(out).toContain(`${key.arn.padEnd(40)} AWS_ACCESS_KEY_ID=${key.accessKeyId} AWS_SECRET_ACCESS_KEY=${key.secretAccessKey}`);
    }
    expect(out).not.toContain('x-sandbox-caller: <name>\' needs no signature');
    expect(out).toContain(info.dynamodb.endpoint);
  });

  test('places a call (200, envelope, x-request-id) and replays it byte for byte', async () => {
    const first = await put({ DestinationPhoneNumber: DESTINATION }, { 'Idempotency-Key': 'sandbox-test-1' });
    const firstBody = await first.text();
    expect(first.status).toBe(200);
    expect(first.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const parsed = JSON.parse(firstBody);
    firstContactId = parsed.data.id;
    expect(parsed).toEqual({ success: true, data: { id: expect.stringMatching(/^[0-9a-f-]{36}$/), created_at: expect.any(String) } });
    expect(new Date(parsed.data.created_at).toISOString()).toBe(parsed.data.created_at);

    const replay = await put({ DestinationPhoneNumber: DESTINATION }, { 'Idempotency-Key': 'sandbox-test-1' });
    expect(replay.status).toBe(200);
    expect(await replay.text()).toBe(firstBody);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));
  });

  test('invalid requests get 400 VALIDATION_ERROR: from the gateway model and from the handler', async () => {
    const unknownField = await put({ DestinationPhoneNumber: DESTINATION, Destination: 'typo' }, { 'Idempotency-Key': 'sandbox-test-2' });
    expect(unknownField.status).toBe(400);
    expect(unknownField.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await json(unknownField)).toEqual({
      success: false,
      error: { code: 'VALIDATION_ERROR', message: expect.any(String), details: [] },
    });

    const notANumber = await put({ DestinationPhoneNumber: '+10005550123' }, { 'Idempotency-Key': 'sandbox-test-2' });
    expect(notANumber.status).toBe(400);
    const body = await json(notANumber);
    expect(body.error.code).toBe('VALIDATION_ERROR');
    expect(body.error.details[0].field).toBe('DestinationPhoneNumber');
    expect(JSON.stringify(body)).not.toContain('10005550123');
  });

  test('the documented endpoint makes Connect fail the next call: 404 RESOURCE_NOT_FOUND', async () => {
    const inject = await fetch(`http://127.0.0.1:${port}/_sandbox/connect/fail-next`, {
      method: 'POST',
      body: JSON.stringify({ error: 'ResourceNotFoundException' }),
    });
    expect(inject.status).toBe(200);
    const res = await put({ DestinationPhoneNumber: DESTINATION }, { 'Idempotency-Key': 'sandbox-test-3' });
    expect(res.status).toBe(404);
    expect((await json(res)).error.code).toBe('RESOURCE_NOT_FOUND');
  });

  test('the ledger in DynamoDB Local holds one COMPLETED item for the call, without the phone number', async () => {
    const ddb = createLocalDynamoDbClient(info.dynamodb.endpoint);
    try {
      const scan = await ddb.send(new ScanCommand({ TableName: info.dynamodb.tableName, ConsistentRead: true }));
      // Idempotency items: the partition key is a SHA-256 of caller + key. (Other items, e.g. call statuses, may exist.)
      const calls = (scan.Items ?? []).filter((i) => /^[0-9a-f]{64}$/.test(i.pk.S ?? ''));
      expect(calls).toHaveLength(1); // the call Connect refused released its claim
      const item = calls[0];
      expect(item.status.S).toBe('COMPLETED');
      expect(JSON.parse(item.responseBody.S!).data.id).toBe(item.contactId.S);
      expect(item.contactId.S).toBe(firstContactId);
      expect(JSON.stringify(scan.Items)).not.toContain(DESTINATION.slice(2));
    } finally {
      ddb.destroy();
    }
  });

  test('each printed key pair is a caller: the same Idempotency-Key signed by the other key is another call', async () => {
    const mine = await put({ DestinationPhoneNumber: DESTINATION }, { 'Idempotency-Key': 'sandbox-test-1' });
    const alices = await put({ DestinationPhoneNumber: DESTINATION }, { 'Idempotency-Key': 'sandbox-test-1' }, ALICE_KEY);
    expect(alices.status).toBe(200);
    expect(alices.headers.get('idempotent-replayed')).toBeNull();
    expect((await json(alices)).data.id).not.toBe((await json(mine)).data.id);
  });

  test('unsigned, tampered, unknown-key and x-sandbox-caller requests get the deployed API\'s 403 FORBIDDEN', async () => {
    const body = JSON.stringify({ DestinationPhoneNumber: DESTINATION });
    const unsigned = await fetch(api, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body });
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    expect((await json(unsigned)).error.code).toBe('FORBIDDEN');

    // Signed by the SDK for one body, sent with another: the body hash no longer matches.
    const headers = await signRequest(api, SANDBOX_KEY, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body });
    delete headers.host;
    const tampered = await fetch(api, { method: 'PUT', headers, body: body.replace('0123', '0199') });
    expect(tampered.status).toBe(403);
    expect(tampered.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
    expect(await json(tampered)).toEqual({ success: false, error: { code: 'FORBIDDEN', message: 'The request signature is not valid.', details: [] } });

    const unknownKey = await putOnce(body, {}, { ...SANDBOX_KEY, accessKeyId: 'AKLOCALSANDBOX999999' });
    expect(unknownKey.status).toBe(403);
    expect(unknownKey.headers.get('x-amzn-errortype')).toBe('UnrecognizedClientException');

    // Off by default: the header names nobody, the request is still unsigned.
    const byHeader = await fetch(api, { method: 'PUT', headers: { 'Content-Type': 'application/json', 'x-sandbox-caller': 'alice' }, body });
    expect(byHeader.status).toBe(403);
    expect((await json(byHeader)).error.code).toBe('FORBIDDEN');
  });

  test('the call-status GET shows a call moving from INITIATED to DISCONNECTED (contact events delivered locally)', async () => {
    const status = info.routes.find((r) => r.startsWith('GET ') && /\{\w+\}$/.test(r));
    expect(status).toBe('GET /contact/outbound-voice/{contactId}');
    const placed = await put({ DestinationPhoneNumber: DESTINATION }, { 'Idempotency-Key': `status-${Date.now()}` });
    expect(placed.status).toBe(200);
    const id = (await json(placed)).data.id as string;
    const url = `http://127.0.0.1:${port}/contact/outbound-voice/${id}`;
    const seen: string[] = [];
    const deadline = Date.now() + 15_000;
    let last: any;
    while (Date.now() < deadline) {
      const res = await signedFetch(url, SANDBOX_KEY);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      last = (await json(res)).data;
      if (seen[seen.length - 1] !== last.status) seen.push(last.status);
      if (last.status === 'DISCONNECTED') break;
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    expect(seen[0]).toMatch(/^(PLACED|INITIATED)$/);
    expect(seen).toContain('CONNECTED_TO_SYSTEM');
    expect(seen[seen.length - 1]).toBe('DISCONNECTED');
    expect(last.events.map((event: { type: string }) => event.type)).toEqual(['INITIATED', 'CONNECTED_TO_SYSTEM', 'DISCONNECTED']);
    expect(last.events[2].disconnect_reason).toBe('CUSTOMER_DISCONNECT');
    // Another caller cannot see it.
    expect((await signedFetch(url, ALICE_KEY)).status).toBe(404);
  });

  test('GET /openapi.json serves the construct\'s OpenAPI 3.1 document, with the sandbox as its server', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const doc = await json(res);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: `http://127.0.0.1:${port}`, description: 'the local sandbox' }]);
    expect(doc.security).toEqual([{ sigv4: [] }]);
    expect(Object.keys(doc.paths)).toEqual(['/contact/outbound-voice', '/contact/outbound-voice/{contactId}']);
    const { $schema: _draft, ...model } = frontConfigFromTemplate(synthExampleTemplate().template)
      .routes.find((r) => r.method === 'PUT')!.models['application/json'];
    expect(doc.components.schemas.StartOutboundVoiceContactRequest).toEqual(model);
  });

  test('other routes get API Gateway\'s answer in the envelope (403 FORBIDDEN)', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/contact/inbound`, { method: 'GET' });
    expect(res.status).toBe(403);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect((await json(res)).error.code).toBe('FORBIDDEN');
  });

  test('the construct\'s throttle (burst 5) answers 429 RATE_LIMITED with Retry-After', async () => {
    // Bodies the model refuses: they take a throttle token but never reach Connect.
    const answers = await Promise.all(Array.from({ length: 12 }, () => putOnce({ Nope: true })));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 400).length).toBeLessThanOrEqual(6);
    const limited = answers.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(6);
    expect(limited[0].headers.get('retry-after')).toBe('1');
    expect((await json(limited[0])).error.code).toBe('RATE_LIMITED');
  });

  test('a port already in use: a clear message and a non-zero exit', async () => {
    const second = runSandbox(['--port', String(port)]);
    const { code } = await second.exited;
    expect(code).not.toBe(0);
    expect(second.stderr()).toContain(`port ${port} on 127.0.0.1 is already in use`);
    // The running sandbox is unaffected.
    expect((await fetch(`http://127.0.0.1:${port}/_sandbox/info`)).status).toBe(200);
  }, 60_000);

  test('SIGINT stops everything: exit 0, DynamoDB Local\'s JVM gone, no process left', async () => {
    expect(alive(info.dynamodb.pid)).toBe(true);
    process.kill(info.sandboxPid, 'SIGINT');
    const exit = await sandbox.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(sandbox.stdout()).toContain('Stopped: API front, Connect simulator, DynamoDB Local.');
    expect(await waitUntil(() => !alive(info.dynamodb.pid) && !alive(info.sandboxPid), 5_000)).toBe(true);
    // Nothing left in the process group the command ran in.
    expect(await waitUntil(() => !alive(-sandbox.child.pid!), 5_000)).toBe(true);
    await expect(fetch(`http://127.0.0.1:${port}/_sandbox/info`)).rejects.toThrow();
  }, 30_000);
});

describe('the local API Gateway front (in-process, a stub handler)', () => {
  let config: FrontConfig;
  let front: ApiFront;
  let events: APIGatewayProxyEvent[];
  let answer: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

  beforeAll(async () => {
    config = frontConfigFromTemplate(synthExampleTemplate().template);
    // x-sandbox-caller on (npx projen sandbox --caller-header): these tests are about the proxy event.
    front = new ApiFront({ authentication: localAuthentication('us-east-1', true) });
    await front.listen(0);
    const fnId = config.routes[0].functionLogicalId;
    // Without the route throttle (burst 5): these tests are about the event, not the rate.
    front.configure({ ...config, routes: config.routes.map((r) => ({ ...r, throttle: undefined })) }, new Map([[fnId, {
      functionName: 'stub',
      timeoutMs: 2_000,
      handler: async (event) => {
        events.push(event);
        return answer(event);
      },
    }]]));
  }, 60_000);
  afterAll(() => front?.stop());
  beforeEach(() => {
    events = [];
    answer = async () => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' });
  });

  /** A raw request: repeated headers and exact bytes, which fetch cannot send. */
  function request(method: string, urlPath: string, headers: Record<string, string | string[]>, body?: Buffer): Promise<{
    status: number; headers: Record<string, string | string[] | undefined>; body: Buffer;
  }> {
    return new Promise((resolve, reject) => {
      // The caller is named by x-sandbox-caller (user/sandbox unless a test names another).
      const withCaller = Object.keys(headers).some((h) => h.toLowerCase() === 'x-sandbox-caller') ? headers : { ...headers, 'x-sandbox-caller': 'sandbox' };
      const req = http.request(`${front.url}${urlPath}`, { method, headers: withCaller }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  test('reads the route, throttle, model and gateway responses from the template', () => {
    const putRoute = config.routes.find((r) => r.method === 'PUT')!;
    expect(putRoute).toMatchObject({
      path: '/contact/outbound-voice',
      authorizationType: 'AWS_IAM',
      validateBody: true,
      throttle: { rateLimit: 2, burstLimit: 5, source: '/~1contact~1outbound-voice PUT' },
    });
    expect(putRoute.models['application/json'].additionalProperties).toBe(false);
    expect(config.gatewayResponses.THROTTLED.templates['application/json']).toContain('RATE_LIMITED');
    expect(config.stageName).toBe('prod');
  });

  test('turns a request into a REST proxy event the way API Gateway does', async () => {
    const raw = Buffer.concat([Buffer.from('{"DestinationPhoneNumber":"+12125550123","Name":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    const res = await request('PUT', '/contact/outbound-voice?a=1&a=2&b=x', {
      'Content-Type': 'application/json',
      'X-Custom': ['one', 'two'],
      'x-sandbox-caller': 'bob',
    }, raw);
    expect(res.status).toBe(200);
    expect(events).toHaveLength(1);
    const event = events[0];
    expect(event.httpMethod).toBe('PUT');
    expect(event.path).toBe('/contact/outbound-voice');
    expect(event.resource).toBe('/contact/outbound-voice');
    expect(event.headers['Content-Type']).toBe('application/json');
    expect(event.headers['X-Custom']).toBe('two');
    expect(event.multiValueHeaders['X-Custom']).toEqual(['one', 'two']);
    expect(Object.keys(event.headers).map((h) => h.toLowerCase())).not.toContain('x-sandbox-caller');
    expect(event.headers['X-Forwarded-For']).toBe('127.0.0.1');
    expect(event.queryStringParameters).toEqual({ a: '2', b: 'x' });
    expect(event.multiValueQueryStringParameters).toEqual({ a: ['1', '2'], b: ['x'] });
    // Not valid UTF-8: base64, byte for byte.
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body!, 'base64').equals(raw)).toBe(true);
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers['x-amzn-requestid']).toBe(event.requestContext.requestId);
    expect(event.requestContext.stage).toBe('prod');
    expect(event.requestContext.identity.userArn).toBe('arn:aws:iam::111122223333:user/bob');
    expect(event.requestContext.identity.sourceIp).toBe('127.0.0.1');

    await request('PUT', '/contact/outbound-voice', { 'Content-Type': 'application/json' }, Buffer.from('{"DestinationPhoneNumber":"+12125550123"}'));
    expect(events[1].isBase64Encoded).toBe(false);
    expect(events[1].body).toBe('{"DestinationPhoneNumber":"+12125550123"}');
    expect(events[1].requestContext.identity.userArn).toBe('arn:aws:iam::111122223333:user/sandbox');
    expect(events[1].requestContext.requestId).not.toBe(event.requestContext.requestId);
  });

  test('passes the function\'s answer through: status, headers, multi-value headers, base64 bodies', async () => {
    answer = async () => ({
      statusCode: 201,
      headers: { 'x-one': '1' },
      multiValueHeaders: { 'x-many': ['a', 'b'] },
      body: Buffer.from([0, 1, 2, 255]).toString('base64'),
      isBase64Encoded: true,
    });
    const res = await request('PUT', '/contact/outbound-voice', { 'Content-Type': 'application/json' }, Buffer.from('{"DestinationPhoneNumber":"+12125550123"}'));
    expect(res.status).toBe(201);
    expect(res.headers['x-one']).toBe('1');
    expect(res.headers['x-many']).toBe('a, b');
    expect([...res.body]).toEqual([0, 1, 2, 255]);
  });

  test('a body the model refuses for a property name that is not ASCII: 400 in the envelope (the sandbox hint stays a valid header)', async () => {
    const res = await request('PUT', '/contact/outbound-voice', { 'Content-Type': 'application/json' },
      Buffer.from(JSON.stringify({ 'DestinationPhoneNumber': '+12125550123', 'Nämé\u0001': 1 })));
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body.toString()).error.code).toBe('VALIDATION_ERROR');
    expect(res.headers['x-sandbox-hint']).toMatch(/^[\x20-\x7e]+$/);
  });

  test('a header or query parameter named __proto__ is passed on like any other (found by schemathesis)', async () => {
    const res = await request('PUT', '/contact/outbound-voice?__proto__=q', { 'Content-Type': 'application/json', ['__proto__']: 'h' },
      Buffer.from('{"DestinationPhoneNumber":"+12125550123"}'));
    expect(res.status).toBe(200);
    expect(Object.prototype.hasOwnProperty.call(events[0].headers, '__proto__')).toBe(true);
    expect(events[0].multiValueHeaders.__proto__).toEqual(['h']);
    expect(events[0].queryStringParameters).toEqual(JSON.parse('{"__proto__":"q"}'));
  });

  test('a failing function is API Gateway\'s 502, in the construct\'s envelope', async () => {
    answer = async () => {
      throw new Error('boom');
    };
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const res = await request('PUT', '/contact/outbound-voice', { 'Content-Type': 'application/json' }, Buffer.from('{"DestinationPhoneNumber":"+12125550123"}'));
      expect(res.status).toBe(502);
      expect(JSON.parse(res.body.toString()).error.code).toBe('INTERNAL_ERROR');
      expect(res.body.toString()).not.toContain('boom');
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      stderr.mockRestore();
    }
  });

  test('matches path parameters as API Gateway does', () => {
    const routes = [
      { ...config.routes[0], method: 'GET', path: '/contact/outbound-voice/{contactId}' },
      { ...config.routes[0], method: 'GET', path: '/contact/outbound-voice/latest' },
      { ...config.routes[0], method: 'ANY', path: '/files/{proxy+}' },
    ];
    expect(matchRoute(routes, 'GET', '/contact/outbound-voice/abc%2Fd')).toMatchObject({ pathParameters: { contactId: 'abc/d' } });
    expect(matchRoute(routes, 'GET', '/contact/outbound-voice/latest')).toMatchObject({ route: routes[1], pathParameters: null });
    expect(matchRoute(routes, 'GET', '/contact/outbound-voice')).toBeUndefined();
    expect(matchRoute(routes, 'GET', '/contact/outbound-voice/a/b')).toBeUndefined();
    expect(matchRoute(routes, 'DELETE', '/files/a/b')).toMatchObject({ pathParameters: { proxy: 'a/b' } });
  });

  test('validates bodies against the template\'s JSON-schema model', () => {
    const schema = config.routes.find((r) => r.method === 'PUT')!.models['application/json'];
    expect(validateJsonSchema(schema, { DestinationPhoneNumber: '+12125550123' })).toEqual([]);
    expect(validateJsonSchema(schema, { DestinationPhoneNumber: '+12125550123', Attributes: { ok_key: 'v' }, RingTimeoutInSeconds: 30 })).toEqual([]);
    expect(validateJsonSchema(schema, {})).toEqual(['(root): missing required property DestinationPhoneNumber']);
    expect(validateJsonSchema(schema, { DestinationPhoneNumber: '+12125550123', Typo: 1 })).toEqual(['(root): property Typo is not allowed']);
    expect(validateJsonSchema(schema, { DestinationPhoneNumber: '2125550123' })).toHaveLength(1);
    expect(validateJsonSchema(schema, { DestinationPhoneNumber: '+12125550123', RingTimeoutInSeconds: 61 })).toHaveLength(1);
    expect(validateJsonSchema(schema, { DestinationPhoneNumber: '+12125550123', RingTimeoutInSeconds: 15.5 })).toHaveLength(1);
    expect(validateJsonSchema(schema, { DestinationPhoneNumber: '+12125550123', Attributes: { 'bad key': 'v' } })).toHaveLength(1);
    expect(validateJsonSchema(schema, { DestinationPhoneNumber: '+12125550123', TrafficType: 'OTHER' })).toHaveLength(1);
    expect(validateJsonSchema(schema, [])).toEqual(['(root): expected object, got array']);
  });
});

describe('the local API Gateway front authenticates like the deployed API', () => {
  let config: FrontConfig;
  const fronts: ApiFront[] = [];
  let events: APIGatewayProxyEvent[] = [];
  const stub = {
    functionName: 'stub',
    timeoutMs: 2_000,
    handler: async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
      events.push(event);
      return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' };
    },
  };
  const BODY = JSON.stringify({ DestinationPhoneNumber: '+12125550123' });

  /** A front whose routes use `authorizationType` (and an API key when asked), as the construct's other modes synthesize. */
  async function startFront(authorizationType: string, apiKeyRequired = false): Promise<ApiFront> {
    const front = new ApiFront({ authentication: localAuthentication('us-east-1') });
    fronts.push(front);
    await front.listen(0);
    const routes = config.routes.map((r) => ({ ...r, authorizationType, apiKeyRequired, throttle: undefined }));
    front.configure({ ...config, routes }, new Map([[config.routes[0].functionLogicalId, stub]]));
    return front;
  }
  beforeAll(() => {
    config = frontConfigFromTemplate(synthExampleTemplate().template);
  }, 60_000);
  beforeEach(() => {
    events = [];
  });
  afterAll(() => Promise.all(fronts.map((f) => f.stop())));

  interface SignedPut { key?: typeof SANDBOX_KEY; date?: Date; region?: string; service?: string; headers?: Record<string, string> }
  const signedPut = (front: ApiFront, options: SignedPut = {}): Promise<Response> =>
    signedFetch(`${front.url}/contact/outbound-voice?b=2&a=1`, options.key ?? SANDBOX_KEY, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json', ...options.headers },
      body: BODY,
      signingDate: options.date,
      region: options.region,
      service: options.service,
    });

  test('IAM: a request signed by the SDK is the key\'s IAM user in the proxy event; other keys, regions, services and times are 403', async () => {
    const front = await startFront('AWS_IAM');
    const ok = await signedPut(front, { key: ALICE_KEY });
    expect(ok.status).toBe(200);
    expect(events[0].requestContext.identity).toMatchObject({
      userArn: 'arn:aws:iam::111122223333:user/alice',
      accessKey: ALICE_KEY.accessKeyId,
      accountId: '111122223333',
      caller: expect.stringMatching(/^AIDA[0-9A-F]{17}$/),
    });
    const cases: Array<[string, Response, string]> = [
      ['wrong secret', await signedPut(front, { key: { ...SANDBOX_KEY, secretAccessKey: 'not-the-secret' } }), 'InvalidSignatureException'],
      ['other region', await signedPut(front, { region: 'eu-west-1' }), 'InvalidSignatureException'],
      ['other service', await signedPut(front, { service: 'execute-apis' }), 'InvalidSignatureException'],
      ['signed 6 minutes ago', await signedPut(front, { date: new Date(Date.now() - 6 * 60_000) }), 'InvalidSignatureException'],
      ['signed 6 minutes ahead', await signedPut(front, { date: new Date(Date.now() + 6 * 60_000) }), 'InvalidSignatureException'],
      ['unknown key', await signedPut(front, { key: { ...SANDBOX_KEY, accessKeyId: 'AKLOCALSANDBOX000009' } }), 'UnrecognizedClientException'],
    ];
    for (const [what, res, errorType] of cases) {
      expect([what, res.status, res.headers.get('x-amzn-errortype')]).toEqual([what, 403, errorType]);
      expect(await res.json()).toEqual({ success: false, error: { code: 'FORBIDDEN', message: expect.any(String), details: [] } });
    }
    // Within the 5-minute window it is fine.
    expect((await signedPut(front, { date: new Date(Date.now() - 4 * 60_000) })).status).toBe(200);
    // A signed header changed after signing.
    const headers = await signRequest(`${front.url}/contact/outbound-voice`, SANDBOX_KEY, {
      method: 'PUT', headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'k-1' }, body: BODY,
    });
    delete headers.host;
    const changed = await fetch(`${front.url}/contact/outbound-voice`, { method: 'PUT', headers: { ...headers, 'Idempotency-Key': 'k-2' }, body: BODY });
    expect(changed.status).toBe(403);
    // Not signed at all: Missing Authentication Token, with a hint for sandbox users.
    const unsigned = await fetch(`${front.url}/contact/outbound-voice`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: BODY });
    expect([unsigned.status, unsigned.headers.get('x-amzn-errortype')]).toEqual([403, 'MissingAuthenticationTokenException']);
    expect(unsigned.headers.get('x-sandbox-hint')).toContain('sign the request');
    expect(events).toHaveLength(2);
  });

  test('API key: x-api-key must be a printed key; its id is the caller', async () => {
    const front = await startFront('NONE', true);
    const send = (key?: string): Promise<Response> => fetch(`${front.url}/contact/outbound-voice`, {
      method: 'PUT', headers: { 'Content-Type': 'application/json', ...(key ? { 'x-api-key': key } : {}) }, body: BODY,
    });
    expect((await send(LOCAL_API_KEYS[1].value)).status).toBe(200);
    expect(events[0].requestContext.identity.apiKeyId).toBe(LOCAL_API_KEYS[1].id);
    for (const res of [await send(), await send('not-a-key')]) {
      expect(res.status).toBe(403);
      expect(((await res.json()) as any).error.code).toBe('FORBIDDEN');
    }
    expect(events).toHaveLength(1);
  });

  test('Cognito: an ID token of the local user pool is the caller (claims in the authorizer); others are 401', async () => {
    const front = await startFront('COGNITO_USER_POOLS');
    const pool = front.authentication.userPool;
    const send = (token?: string): Promise<Response> => fetch(`${front.url}/contact/outbound-voice`, {
      method: 'PUT', headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: token } : {}) }, body: BODY,
    });
    expect((await send(pool.issueIdToken('alice'))).status).toBe(200);
    expect(events[0].requestContext.authorizer?.claims).toMatchObject({ 'cognito:username': 'alice', 'token_use': 'id', 'iss': pool.issuer });
    const token = pool.issueIdToken('bob');
    const [header, payload, signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 'someone-else' })).toString('base64url');
    for (const bad of [undefined, pool.issueIdToken('alice', -10), `${header}.${forged}.${signature}`, 'Bearer nonsense']) {
      const res = await send(bad);
      expect(res.status).toBe(401);
      expect(((await res.json()) as any).error.code).toBe('FORBIDDEN');
    }
    expect(events).toHaveLength(1);
  });
});

describe('npx projen sandbox --auth <mode>: the example app in the other authorization modes, end to end', () => {
  const modes = [
    ['api-key', 403, (sandboxInfo: any): [string, string][] => sandboxInfo.credentials.apiKeys.map((k: { value: string }) => ['x-api-key', k.value])],
    ['cognito', 401, (sandboxInfo: any): [string, string][] => Object.values(sandboxInfo.credentials.cognito.idTokens as Record<string, string>)
      .map((token) => ['Authorization', token])],
  ] as const;
  test.each(modes)('--auth %s: no credentials → %i FORBIDDEN; each printed credential is a caller of its own; a second key never replays the first\'s call',
    async (mode, refused, credentialsOf) => {
      const modePort = await freePort();
      const run = runSandbox(['--port', String(modePort), '--auth', mode]);
      try {
        await waitForOutput(run, /^Ready in \d+\.\d s.*$/m, START_TIMEOUT_MS);
        const modeInfo = await (await fetch(`http://127.0.0.1:${modePort}/_sandbox/info`)).json() as any;
        const [first, second] = credentialsOf(modeInfo);
        // The credential of the printed curl command. An API key is the same string in /_sandbox/info; an ID token
        // is minted anew by each GET of /_sandbox/info (its iat moves with the clock), so it is checked below as
        // the same caller instead: printed and fresh token place and replay one call between them.
        const printed = /curl -i -X PUT \S+ -H '([^:']+): ([^']+)'/.exec(run.stdout());
        expect(printed).not.toBeNull();
        const shown: [string, string] = [printed![1], printed![2]];
        expect(shown[0]).toBe(first[0]);
        if (mode === 'api-key') expect(shown[1]).toBe(first[1]);
        const send = (credential?: [string, string]): Promise<Response> => fetch(modeInfo.url, {
          method: 'PUT',
          headers: { 'Content-Type': 'application/json', 'Idempotency-Key': `auth-${mode}`, ...(credential ? { [credential[0]]: credential[1] } : {}) },
          body: JSON.stringify({ DestinationPhoneNumber: DESTINATION }),
        });
        const none = await send();
        expect(none.status).toBe(refused);
        expect(((await none.json()) as any).error.code).toBe('FORBIDDEN');
        const wrong = await send([first[0], `${first[1]}x`]);
        expect(wrong.status).toBe(refused);
        // What the sandbox printed is what it accepts; /_sandbox/info's first credential is that same caller.
        const a = await send(shown);
        expect(a.status).toBe(200);
        const again = await send(first);
        expect(again.status).toBe(200);
        expect(again.headers.get('idempotent-replayed')).toBe('true');
        const b = await send(second);
        expect(b.status).toBe(200);
        const [bodyA, bodyAgain, bodyB] = [(await a.json()) as any, (await again.json()) as any, (await b.json()) as any];
        expect(bodyA.success && bodyB.success).toBe(true);
        expect(bodyAgain.data.id).toBe(bodyA.data.id);
        expect(bodyB.data.id).not.toBe(bodyA.data.id);
      } finally {
        process.kill(-run.child.pid!, 'SIGINT');
        await run.exited;
      }
    }, START_TIMEOUT_MS + 30_000);
});
