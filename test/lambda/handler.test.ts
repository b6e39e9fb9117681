/**
 * The shipped handler bundle end to end: the real ConnectClient and
 * DynamoDBClient inside it talk to the Connect simulator and DynamoDB Local
 * (pointed there by AWS_ENDPOINT_URL_CONNECT / AWS_ENDPOINT_URL_DYNAMODB).
 */
import { createHash } from 'node:crypto';
import { DeleteItemCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { CONTACT_FLOW_ID, handlerEnv, INSTANCE_ID, loadBundle, StdoutCapture } from './bundle';
import { ConnectSimulator, type ConnectErrorName } from '../local/connect-simulator';
import { createLedgerTable, createLocalDynamoDbClient } from '../local/dynamodb-local';
import { callEvent, lambdaContext, proxyEvent, type ProxyHandler } from '../local/proxy-event';

const DESTINATION = '+12125550123';
const UK_MOBILE = '+447911123456';
const ddbEndpoint = process.env.DYNAMODB_LOCAL_ENDPOINT!;
const tableName = `ledger-handler-${process.pid}-${Date.now()}`;
const ddb = createLocalDynamoDbClient(ddbEndpoint);
const capture = new StdoutCapture();
let sim: ConnectSimulator;
let handler: ProxyHandler;
let keyCounter = 0;

const newKey = (): string => `key-${Date.now()}-${++keyCounter}`;
const call = (body: unknown, options: Parameters<typeof callEvent>[1] = {}, timeoutMs = 25_000): Promise<APIGatewayProxyResult> =>
  handler(callEvent(body, options), lambdaContext(timeoutMs));
const parse = (result: APIGatewayProxyResult): any => JSON.parse(result.body);

async function ledgerItems(): Promise<Array<Record<string, AttributeValue>>> {
  const out = await ddb.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
  return out.Items ?? [];
}
async function clearLedger(): Promise<void> {
  for (const item of await ledgerItems()) {
    await ddb.send(new DeleteItemCommand({ TableName: tableName, Key: { pk: item.pk } }));
  }
}
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  await createLedgerTable(ddbEndpoint, tableName);
  sim = await ConnectSimulator.start({ quota: false, knownInstanceIds: [INSTANCE_ID] });
  handler = loadBundle(handlerEnv({ tableName, dynamodbEndpoint: ddbEndpoint, connectEndpoint: sim.url }));
});
afterAll(async () => {
  await sim.stop();
  ddb.destroy();
});
beforeEach(async () => {
  sim.reset();
  await clearLedger();
  capture.lines.length = 0;
  capture.start();
});
afterEach(() => capture.stop());

describe('cold start', () => {
  test('loading the handler parses an example number once: nothing is logged, written or called', async () => {
    sim.reset();
    const lines = capture.lines.length;
    // A policy that refuses the example's country (+1): the warm-up's answer is not used, so loading still succeeds.
    const loaded = loadBundle(handlerEnv({
      tableName, dynamodbEndpoint: ddbEndpoint, connectEndpoint: sim.url, overrides: { ALLOWED_DESTINATION_COUNTRIES: 'FR' },
    }));
    expect(typeof loaded).toBe('function');
    expect(capture.lines.length).toBe(lines);
    expect(sim.requests).toHaveLength(0);
    expect(await ledgerItems()).toHaveLength(0);
    // The policy applies to requests as usual.
    const refused = await loaded(callEvent({ DestinationPhoneNumber: DESTINATION }, { idempotencyKey: newKey() }), lambdaContext());
    expect(refused.statusCode).toBe(403);
    expect(parse(refused).error.code).toBe('DESTINATION_NOT_ALLOWED');
    // Later tests use the default policy again.
    handler = loadBundle(handlerEnv({ tableName, dynamodbEndpoint: ddbEndpoint, connectEndpoint: sim.url }));
  });
});

describe('placing a call', () => {
  test('answers 200 with the ContactId and created_at in the envelope, with x-request-id', async () => {
    const event = callEvent({ DestinationPhoneNumber: DESTINATION }, { idempotencyKey: newKey() });
    const before = Date.now();
    const result = await handler(event, lambdaContext());
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['x-request-id']).toBe(event.requestContext.requestId);
    expect(result.headers?.['content-type']).toBe('application/json');
    const body = parse(result);
    expect(body).toEqual({ success: true, data: { id: sim.contacts[0].contactId, created_at: expect.any(String) } });
    expect(Date.parse(body.data.created_at)).toBeGreaterThanOrEqual(before - 5);
    expect(sim.contacts).toHaveLength(1);
    expect(sim.requests[0].body).toMatchObject({
      DestinationPhoneNumber: DESTINATION,
      InstanceId: INSTANCE_ID,
      TrafficType: 'GENERAL',
    });
  });

  test('sends a ClientToken derived from caller and key, never the raw key', async () => {
    const key = newKey();
    await call({ DestinationPhoneNumber: DESTINATION }, { idempotencyKey: key });
    const token = (sim.requests[0].body as { ClientToken: string }).ClientToken;
    expect(token).toMatch(/^oc1-[A-Za-z0-9_-]{43}$/);
    expect(token).not.toContain(key);
    expect(token.length).toBeLessThanOrEqual(500);
  });

  test('records the call as COMPLETED with hashes and no phone number in the ledger', async () => {
    const result = await call({ DestinationPhoneNumber: DESTINATION, SourcePhoneNumber: '+14155550100' }, { idempotencyKey: newKey() });
    const items = await ledgerItems();
    expect(items).toHaveLength(1);
    const item = items[0];
    expect(item.status.S).toBe('COMPLETED');
    expect(item.contactId.S).toBe(parse(result).data.id);
    expect(item.responseBody.S).toBe(result.body);
    expect(item.pk.S).toMatch(/^[0-9a-f]{64}$/);
    expect(item.fingerprint.S).toMatch(/^[0-9a-f]{64}$/);
    const createdSeconds = Math.floor(Date.parse(parse(result).data.created_at) / 1000);
    expect(Number(item.expiresAt.N)).toBe(createdSeconds + 604800);
    const stored = JSON.stringify(item);
    expect(stored).not.toContain('2125550123');
    expect(stored).not.toContain('4155550100');
  });

  test('a request without a key is still recorded, but a repeat places a second call', async () => {
    await call({ DestinationPhoneNumber: DESTINATION });
    await call({ DestinationPhoneNumber: DESTINATION });
    expect(sim.contacts).toHaveLength(2);
    expect(await ledgerItems()).toHaveLength(2);
  });
});

describe('idempotency', () => {
  test('a replay returns the byte-identical body with Idempotent-Replayed and calls Connect once', async () => {
    const key = newKey();
    const first = await call({ DestinationPhoneNumber: DESTINATION }, { idempotencyKey: key });
    const second = await call({ DestinationPhoneNumber: DESTINATION }, { idempotencyKey: key });
    expect(second.statusCode).toBe(200);
    expect(second.body).toBe(first.body);
    expect(second.headers?.['idempotent-replayed']).toBe('true');
    expect(first.headers?.['idempotent-replayed']).toBeUndefined();
    expect(sim.requests).toHaveLength(1);
  });

  test('the key may come from the body ClientToken; the same key in the header matches it', async () => {
    const key = newKey();
    const first = await call({ DestinationPhoneNumber: DESTINATION, ClientToken: key });
    const second = await call({ DestinationPhoneNumber: DESTINATION }, { idempotencyKey: key });
    expect(second.body).toBe(first.body);
    expect(sim.requests).toHaveLength(1);
  });

  test('header and ClientToken that differ are a 400 and nothing is written or called', async () => {
    const result = await call({ DestinationPhoneNumber: DESTINATION, ClientToken: 'a' }, { idempotencyKey: 'b' });
    expect(result.statusCode).toBe(400);
    expect(parse(result).error.code).toBe('VALIDATION_ERROR');
    expect(parse(result).error.details[0].field).toBe('Idempotency-Key');
    expect(sim.requests).toHaveLength(0);
    expect(await ledgerItems()).toHaveLength(0);
  });

  test('the same key with a different request is 422 IDEMPOTENCY_KEY_REUSED', async () => {
    const key = newKey();
    await call({ DestinationPhoneNumber: DESTINATION }, { idempotencyKey: key });
    const result = await call({ DestinationPhoneNumber: '+12125550124' }, { idempotencyKey: key });
    expect(result.statusCode).toBe(422);
    expect(parse(result).error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(sim.requests).toHaveLength(1);
  });

  test('the same key while the first request is in flight is 409 with Retry-After', async () => {
    const key = newKey();
    sim.delayNext({ ms: 1500 });
    const first = call({ DestinationPhoneNumber: DESTINATION }, { idempotencyKey: key });
    await sleep(400);
    const second = await call({ DestinationPhoneNumber: DESTINATION }, { idempotencyKey: key });
    expect(second.statusCode).toBe(409);
    expect(parse(second).error.code).toBe('IDEMPOTENCY_IN_PROGRESS');
    expect(Number(second.headers?.['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await first).statusCode).toBe(200);
    expect(sim.requests).toHaveLength(1);
  });

  test('20 concurrent requests with one key make exactly one Connect call', async () => {
    const key = newKey();
    sim.delayNext({ ms: 300 });
    const results = await Promise.all(Array.from({ length: 20 }, () =>
      call({ DestinationPhoneNumber: DESTINATION }, { idempotencyKey: key })));
    expect(sim.contacts).toHaveLength(1);
    const id = sim.contacts[0].contactId;
    for (const result of results) {
      expect([200, 409]).toContain(result.statusCode);
      if (result.statusCode === 200) expect(parse(result).data.id).toBe(id);
    }
    const items = await ledgerItems();
    expect(items).toHaveLength(1);
    expect(items[0].status.S).toBe('COMPLETED');
  });

  test('two callers with the same key get two calls with different ClientTokens and ContactIds', async () => {
    const key = newKey();
    const a = await call({ DestinationPhoneNumber: DESTINATION }, { idempotencyKey: key, caller: { iamUserArn: 'arn:aws:iam::111122223333:user/alice' } });
    const b = await call({ DestinationPhoneNumber: DESTINATION }, { idempotencyKey: key, caller: { iamUserArn: 'arn:aws:iam::111122223333:user/bob' } });
    expect(a.statusCode).toBe(200);
    expect(b.statusCode).toBe(200);
    expect(parse(a).data.id).not.toBe(parse(b).data.id);
    const tokens = sim.requests.map((r) => (r.body as { ClientToken: string }).ClientToken);
    expect(new Set(tokens).size).toBe(2);
    expect(b.headers?.['idempotent-replayed']).toBeUndefined();
  });
});

describe('Connect answers', () => {
  // The SDK retries throttling and 5xx (4 attempts): fail every attempt to see the final answer.
  const rows: Array<[ConnectErrorName, number, number, string, 'released' | 'kept']> = [
    ['DestinationNotAllowedException', 1, 403, 'DESTINATION_NOT_ALLOWED', 'released'],
    ['OutboundContactNotPermittedException', 1, 403, 'OUTBOUND_CONTACT_NOT_PERMITTED', 'released'],
    ['ResourceNotFoundException', 1, 404, 'RESOURCE_NOT_FOUND', 'released'],
    ['InvalidParameterException', 1, 400, 'VALIDATION_ERROR', 'released'],
    ['InvalidRequestException', 1, 400, 'VALIDATION_ERROR', 'released'],
    ['AccessDeniedException', 1, 502, 'UPSTREAM_ERROR', 'released'],
    ['LimitExceededException', 4, 429, 'RATE_LIMITED', 'released'],
    ['ThrottlingException', 4, 429, 'RATE_LIMITED', 'released'],
    ['InternalServiceException', 4, 502, 'UPSTREAM_ERROR', 'kept'],
    ['ServiceUnavailableException', 4, 502, 'UPSTREAM_ERROR', 'kept'],
  ];
  test.each(rows)('%s (failing %i attempts) → %i %s, claim %s', async (error, count, status, code, claim) => {
    sim.failNext({ error, count });
    const result = await call({ DestinationPhoneNumber: DESTINATION }, { idempotencyKey: newKey() });
    expect(result.statusCode).toBe(status);
    const body = parse(result);
    expect(body.success).toBe(false);
    expect(body.error.code).toBe(code);
    expect(result.body).not.toMatch(/at .*\.js|stack/i);
    expect(sim.contacts).toHaveLength(0);
    const items = await ledgerItems();
    if (claim === 'released') {
      expect(items).toHaveLength(0);
    } else {
      expect(items).toHaveLength(1);
      expect(items[0].status.S).toBe('IN_PROGRESS');
    }
    if (status === 429 || claim === 'kept') expect(Number(result.headers?.['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  test('a throttled attempt is retried by the SDK and the call then goes through', async () => {
    sim.failNext({ error: 'LimitExceededException', count: 2 });
    const result = await call({ DestinationPhoneNumber: DESTINATION }, { idempotencyKey: newKey() });
    expect(result.statusCode).toBe(200);
    expect(sim.requests).toHaveLength(3);
    expect(sim.contacts).toHaveLength(1);
  });

  test('DestinationNotAllowed for a +447 number says UK mobiles need a quota increase', async () => {
    const result = await call({ DestinationPhoneNumber: UK_MOBILE }, { idempotencyKey: newKey() });
    expect(result.statusCode).toBe(403);
    expect(parse(result).error.code).toBe('DESTINATION_NOT_ALLOWED');
    expect(parse(result).error.message).toMatch(/\+447.*quota increase/);
    expect(result.body).not.toContain('7911123456');
  });

  test('after a refusal the claim is released, so a corrected retry with the same key goes through', async () => {
    const key = newKey();
    sim.failNext({ error: 'ResourceNotFoundException' });
    expect((await call({ DestinationPhoneNumber: DESTINATION }, { idempotencyKey: key })).statusCode).toBe(404);
    const retry = await call({ DestinationPhoneNumber: DESTINATION }, { idempotencyKey: key });
    expect(retry.statusCode).toBe(200);
    expect(sim.contacts).toHaveLength(1);
  });

  test('unknown outcome keeps the claim; a retry after its deadline gets the same ContactId and no second call', async () => {
    const key = newKey();
    // Connect places the call but every answer is lost on the way back (the SDK makes 4 attempts).
    sim.dropNext({ when: 'after-processing', count: 4 });
    const first = await call({ DestinationPhoneNumber: DESTINATION }, { idempotencyKey: key }, 6_000);
    expect(first.statusCode).toBe(502);
    expect(sim.pendingFaults).toHaveLength(0);
    expect(sim.contacts).toHaveLength(1);
    const placed = sim.contacts[0].contactId;
    const claim = (await ledgerItems())[0];
    expect(claim.status.S).toBe('IN_PROGRESS');

    const early = await call({ DestinationPhoneNumber: DESTINATION }, { idempotencyKey: key });
    expect(early.statusCode).toBe(409);

    await sleep(Math.max(0, Number(claim.deadline.N) - Date.now()) + 100);
    const retry = await call({ DestinationPhoneNumber: DESTINATION }, { idempotencyKey: key });
    expect(retry.statusCode).toBe(200);
    expect(parse(retry).data.id).toBe(placed);
    expect(sim.contacts).toHaveLength(1);
    expect((await ledgerItems())[0].status.S).toBe('COMPLETED');
  });
});

describe('bad requests are refused before anything is written or called', () => {
  const cases: Array<[string, () => ReturnType<typeof proxyEvent>, number, string]> = ([
    ['missing content type', () => proxyEvent({ body: '{}' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['text/plain', () => proxyEvent({ body: '{}', headers: { 'Content-Type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['body over 128 KiB', () => proxyEvent({ body: JSON.stringify({ DestinationPhoneNumber: DESTINATION, Description: 'x'.repeat(131_072) }), headers: { 'content-type': 'application/json' } }), 413, 'PAYLOAD_TOO_LARGE'],
    ['invalid JSON', () => proxyEvent({ body: '{"DestinationPhoneNumber":', headers: { 'content-type': 'application/json' } }), 400, 'VALIDATION_ERROR'],
    ['invalid UTF-8', () => proxyEvent({ body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), base64: true, headers: { 'content-type': 'application/json' } }), 400, 'VALIDATION_ERROR'],
    ['an array body', () => proxyEvent({ body: '[]', headers: { 'content-type': 'application/json' } }), 400, 'VALIDATION_ERROR'],
    ['unknown field', () => callEvent({ DestinationPhoneNumber: DESTINATION, Foo: 1 }), 400, 'VALIDATION_ERROR'],
    ['OutboundStrategy', () => callEvent({ DestinationPhoneNumber: DESTINATION, OutboundStrategy: { Type: 'AGENT_FIRST' } }), 400, 'VALIDATION_ERROR'],
    ['premium-rate destination', () => callEvent({ DestinationPhoneNumber: '+19005550123' }), 403, 'DESTINATION_NOT_ALLOWED'],
    ['another contact flow', () => callEvent({ DestinationPhoneNumber: DESTINATION, ContactFlowId: '11111111-2222-3333-4444-555555555555' }), 403, 'FORBIDDEN'],
    ['campaign traffic', () => callEvent({ DestinationPhoneNumber: DESTINATION, TrafficType: 'CAMPAIGN' }), 403, 'FORBIDDEN'],
    ['no caller identity', () => callEvent({ DestinationPhoneNumber: DESTINATION }, { caller: { anonymous: true } }), 403, 'FORBIDDEN'],
  ] as Array<[string, () => ReturnType<typeof proxyEvent>, number, string]>).map(([name, make, status, code]) => [`${name} (${status} ${code})`, make, status, code]);
  test.each(cases)('%s', async (_name, makeEvent, status, code) => {
    const event = makeEvent();
    const result = await handler(event, lambdaContext());
    expect(result.statusCode).toBe(status);
    expect(result.headers?.['x-request-id']).toBe(event.requestContext.requestId);
    const body = parse(result);
    expect(body).toEqual({ success: false, error: { code, message: expect.any(String), details: expect.any(Array) } });
    expect(sim.requests).toHaveLength(0);
    expect(await ledgerItems()).toHaveLength(0);
  });

  test('details are capped at 50 entries plus a count, so a body of many small mistakes cannot answer megabytes', async () => {
    const body: Record<string, unknown> = { DestinationPhoneNumber: DESTINATION };
    for (let i = 0; i < 200; i++) body[`x${i}`] = 1;
    const result = await call(body);
    expect(result.statusCode).toBe(400);
    const details = parse(result).error.details;
    expect(details).toHaveLength(51);
    expect(details[50]).toEqual({ field: '(more)', message: '150 more problems not listed' });
  });

  test('a base64-encoded JSON body is decoded and accepted', async () => {
    const event = proxyEvent({ body: JSON.stringify({ DestinationPhoneNumber: DESTINATION }), base64: true, headers: { 'Content-Type': 'application/json; charset=utf-8' } });
    expect((await handler(event, lambdaContext())).statusCode).toBe(200);
  });
});

describe('observability', () => {
  test('logs are JSON lines with request id and caller, and never contain a raw phone number', async () => {
    const event = callEvent({ DestinationPhoneNumber: DESTINATION, SourcePhoneNumber: '+14155550100' }, { idempotencyKey: newKey() });
    await handler(event, lambdaContext());
    await call({ DestinationPhoneNumber: '+1212555012' }); // invalid number: rejected and logged
    sim.failNext({ error: 'DestinationNotAllowedException' });
    await call({ DestinationPhoneNumber: DESTINATION });
    const lines = capture.json();
    expect(lines.length).toBeGreaterThan(3);
    const all = capture.lines.join('\n');
    for (const digits of ['2125550123', '4155550100', '212555012']) expect(all).not.toContain(digits);
    const started = lines.find((line) => line.message === 'call started')!;
    expect(started).toMatchObject({ requestId: event.requestContext.requestId, destination: '***0123', level: 'INFO' });
    expect(String(started.caller)).toContain('arn:aws:iam::111122223333:user/sandbox');
  });

  test('EMF metrics name CallsStarted, Replays, Rejections by Code and ConnectErrors by ErrorType', async () => {
    const key = newKey();
    await call({ DestinationPhoneNumber: DESTINATION }, { idempotencyKey: key });
    await call({ DestinationPhoneNumber: DESTINATION }, { idempotencyKey: key });
    await call({ DestinationPhoneNumber: 'nope' });
    sim.failNext({ error: 'ResourceNotFoundException' });
    await call({ DestinationPhoneNumber: DESTINATION });
    const emf = capture.json().filter((line) => line._aws);
    const names = emf.flatMap((doc) => (doc._aws as any).CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name));
    expect(names).toEqual(expect.arrayContaining(['CallsStarted', 'Replays', 'Rejections', 'ConnectErrors', 'LedgerLatency']));
    for (const doc of emf) {
      expect((doc._aws as any).CloudWatchMetrics[0].Namespace).toBe('OutboundCaller');
      expect(doc.FunctionName).toBe('outbound-caller-local');
    }
    expect(emf.some((doc) => doc.Code === 'VALIDATION_ERROR' && doc.Rejections === 1)).toBe(true);
    expect(emf.some((doc) => doc.ErrorType === 'ResourceNotFoundException' && doc.ConnectErrors === 1)).toBe(true);
  });
});

describe('the ledger', () => {
  test('when the ledger is unreachable the answer is 503 and no call is placed', async () => {
    const closed = loadBundle(handlerEnv({
      tableName, dynamodbEndpoint: 'http://127.0.0.1:9', connectEndpoint: sim.url,
    }));
    try {
      const result = await closed(callEvent({ DestinationPhoneNumber: DESTINATION }, { idempotencyKey: newKey() }), lambdaContext());
      expect(result.statusCode).toBe(503);
      expect(parse(result).error.code).toBe('LEDGER_UNAVAILABLE');
      expect(sim.requests).toHaveLength(0);
    } finally {
      process.env.AWS_ENDPOINT_URL_DYNAMODB = ddbEndpoint;
    }
  });

  test('the ledger partition key is SHA-256 of caller and key', async () => {
    const key = newKey();
    await call({ DestinationPhoneNumber: DESTINATION }, { idempotencyKey: key });
    const expected = createHash('sha256').update(`IAM:arn:aws:iam::111122223333:user/sandbox\u0000${key}`).digest('hex');
    expect((await ledgerItems())[0].pk.S).toBe(expected);
  });
});

describe('configuration', () => {
  test('a misconfigured deployment fails at init with a message naming every bad variable', () => {
    expect(() => loadBundle({ ...handlerEnv({ tableName, dynamodbEndpoint: ddbEndpoint, connectEndpoint: sim.url }), INSTANCE_ID: '', CONTACT_FLOW_ID: 'not-a-guid', IDEMPOTENCY_WINDOW_SECONDS: '9999999' }))
      .toThrow(/INSTANCE_ID is required.*CONTACT_FLOW_ID must contain a contact-flow GUID.*IDEMPOTENCY_WINDOW_SECONDS must be an integer/s);
    process.env.INSTANCE_ID = INSTANCE_ID;
    process.env.CONTACT_FLOW_ID = CONTACT_FLOW_ID;
    process.env.IDEMPOTENCY_WINDOW_SECONDS = '604800';
  });
});
