/**
 * Call status end to end with the shipped bundles: a call placed through the
 * handler (CALL_STATUS=true), contact events recorded by the contact-events
 * handler, and GET /contact/outbound-voice/{contactId} scoped to the caller.
 */
import * as path from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { handlerEnv, INSTANCE_ID, loadBundle, StdoutCapture } from './bundle';
import { applyContactEvent, newStatusItem, parseContactEvent } from '../../lambda/call-status';
import { Ledger } from '../../lambda/ledger';
import { ConnectSimulator } from '../local/connect-simulator';
import { createLedgerTable, createLocalDynamoDbClient } from '../local/dynamodb-local';
import { callEvent, lambdaContext, proxyEvent, type CallerIdentity, type ProxyHandler } from '../local/proxy-event';

const EVENTS_BUNDLE = path.join(__dirname, '..', '..', 'assets', 'lambda', 'contact-events.lambda', 'index.js');
const INSTANCE_ARN = `arn:aws:connect:us-east-1:111122223333:instance/${INSTANCE_ID}`;
const ALICE: CallerIdentity = { iamUserArn: 'arn:aws:iam::111122223333:user/alice' };
const BOB: CallerIdentity = { iamUserArn: 'arn:aws:iam::111122223333:user/bob' };
const ddbEndpoint = process.env.DYNAMODB_LOCAL_ENDPOINT!;
const tableName = `ledger-status-${process.pid}-${Date.now()}`;
const ddb = createLocalDynamoDbClient(ddbEndpoint);
type EventsHandler = (event: unknown, context: { functionName: string; awsRequestId: string }) => Promise<void>;
let sim: ConnectSimulator;
let handler: ProxyHandler;
let onEvent: EventsHandler;
let keys = 0;

const parse = (result: APIGatewayProxyResult): any => JSON.parse(result.body);
const getStatus = (contactId: string, caller: CallerIdentity): Promise<APIGatewayProxyResult> =>
  handler(proxyEvent({ method: 'GET', path: `/contact/outbound-voice/${contactId}`, caller, pathParameters: { contactId } }), lambdaContext());

async function place(caller: CallerIdentity): Promise<string> {
  const result = await handler(callEvent({ DestinationPhoneNumber: '+12125550123' }, { caller, idempotencyKey: `k-${++keys}` }), lambdaContext());
  expect(result.statusCode).toBe(200);
  return parse(result).data.id;
}

function contactEvent(contactId: string, eventType: string, detail: Record<string, unknown> = {}): unknown {
  return {
    'version': '0',
    'id': `e-${eventType}`,
    'detail-type': 'Amazon Connect Contact Event',
    'source': 'aws.connect',
    'account': '111122223333',
    'time': new Date().toISOString(),
    'region': 'us-east-1',
    'resources': [],
    'detail': { eventType, contactId, channel: 'VOICE', instanceArn: INSTANCE_ARN, initiationMethod: 'API', ...detail },
  };
}

beforeAll(async () => {
  await createLedgerTable(ddbEndpoint, tableName);
  sim = await ConnectSimulator.start({ quota: false });
  handler = loadBundle(handlerEnv({
    tableName, dynamodbEndpoint: ddbEndpoint, connectEndpoint: sim.url, overrides: { CALL_STATUS: 'true' },
  }));
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    onEvent = (require(EVENTS_BUNDLE) as { handler: EventsHandler }).handler;
  });
});
afterAll(async () => {
  await sim.stop();
  ddb.destroy();
});

test('a placed call has status PLACED for its caller, with its id and created_at', async () => {
  const id = await place(ALICE);
  const result = await getStatus(id, ALICE);
  expect(result.statusCode).toBe(200);
  expect(result.headers?.['x-request-id']).toBeDefined();
  const body = parse(result);
  expect(body).toEqual({
    success: true,
    data: { id, created_at: expect.any(String), status: 'PLACED', updated_at: body.data.created_at, stale: false, events: [] },
  });
});

test('the status follows the contact events: INITIATED → CONNECTED_TO_SYSTEM → DISCONNECTED, with history', async () => {
  const id = await place(ALICE);
  const ctx = { functionName: 'status-local', awsRequestId: 'r' };
  await onEvent(contactEvent(id, 'INITIATED', { initiationTimestamp: '2026-11-25T08:00:01.000Z' }), ctx);
  expect(parse(await getStatus(id, ALICE)).data.status).toBe('INITIATED');
  await onEvent(contactEvent(id, 'CONNECTED_TO_SYSTEM', { connectedToSystemTimestamp: '2026-11-25T08:00:08.000Z' }), ctx);
  await onEvent(contactEvent(id, 'DISCONNECTED', { disconnectTimestamp: '2026-11-25T08:01:00.000Z', disconnectReason: 'CUSTOMER_DISCONNECT' }), ctx);
  const data = parse(await getStatus(id, ALICE)).data;
  expect(data.status).toBe('DISCONNECTED');
  expect(data.updated_at).toBe('2026-11-25T08:01:00.000Z');
  expect(data.events).toEqual([
    { type: 'INITIATED', time: '2026-11-25T08:00:01.000Z' },
    { type: 'CONNECTED_TO_SYSTEM', time: '2026-11-25T08:00:08.000Z' },
    { type: 'DISCONNECTED', time: '2026-11-25T08:01:00.000Z', disconnect_reason: 'CUSTOMER_DISCONNECT' },
  ]);
});

test('another caller gets 404 RESOURCE_NOT_FOUND for a call they did not place, and learns nothing', async () => {
  const id = await place(ALICE);
  const result = await getStatus(id, BOB);
  expect(result.statusCode).toBe(404);
  expect(parse(result).error.code).toBe('RESOURCE_NOT_FOUND');
  expect(result.body).not.toContain(id);
});

test('an unknown id is 404, a malformed id is 400', async () => {
  expect((await getStatus('00000000-0000-4000-8000-000000000000', ALICE)).statusCode).toBe(404);
  const bad = await getStatus('no/such id', ALICE);
  expect(bad.statusCode).toBe(400);
  expect(parse(bad).error.code).toBe('VALIDATION_ERROR');
});

test('the status item is written with the ledger record, keyed by contact id, and holds no phone number or caller in clear', async () => {
  const id = await place(ALICE);
  const items = (await ddb.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }))).Items ?? [];
  const item = items.find((candidate) => candidate.pk.S === `contact#${id}`)!;
  expect(item).toBeDefined();
  expect(item.status.S).toBe('PLACED');
  expect(item.callerHash.S).toMatch(/^[0-9a-f]{64}$/);
  const text = JSON.stringify(item);
  expect(text).not.toContain('2125550123');
  expect(text).not.toContain('alice');
  const record = items.find((candidate) => candidate.contactId?.S === id && candidate.status.S === 'COMPLETED')!;
  expect(Number(item.expiresAt.N)).toBe(Number(record.expiresAt.N));
});

test('with CALL_STATUS off the GET route answers 404 and no status item is written', async () => {
  const off = loadBundle(handlerEnv({
    tableName, dynamodbEndpoint: ddbEndpoint, connectEndpoint: sim.url, overrides: { CALL_STATUS: 'false' },
  }));
  const placed = await off(callEvent({ DestinationPhoneNumber: '+12125550123' }, { caller: ALICE, idempotencyKey: `k-${++keys}` }), lambdaContext());
  const id = parse(placed).data.id;
  const result = await off(proxyEvent({ method: 'GET', path: `/contact/outbound-voice/${id}`, caller: ALICE, pathParameters: { contactId: id } }), lambdaContext());
  expect(result.statusCode).toBe(404);
  const items = (await ddb.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }))).Items ?? [];
  expect(items.some((item) => item.pk.S === `contact#${id}`)).toBe(false);
  process.env.CALL_STATUS = 'true';
});

test('recording a call again never resets its status: the status item is only created, never overwritten', async () => {
  // Two records of one contact happen when the first record's ledger write failed after its status write
  // succeeded, and a retry after the claim's deadline records the same ContactId again.
  const ledger = new Ledger(ddb, tableName, 604800);
  const id = `11111111-2222-4333-8444-${String(Date.now()).slice(-12)}`;
  const statusItem = (expiresAtSeconds: number) => newStatusItem({ contactId: id, caller: 'IAM:arn:aws:iam::111122223333:user/alice', createdAt: '2026-11-25T08:00:00.000Z', expiresAtSeconds });
  const claimOf = async (key: string) => {
    const outcome = await ledger.claim({ caller: 'IAM:alice', idempotencyKey: key, fingerprint: 'f', deadlineMs: Date.now() + 10_000 });
    if (outcome.kind !== 'claimed') throw new Error(outcome.kind);
    return outcome.claim;
  };
  expect(await ledger.complete(await claimOf(`a-${id}`), id, '2026-11-25T08:00:00.000Z', '{}', statusItem)).toEqual({ statusRecorded: true });
  const parsed = parseContactEvent(contactEvent(id, 'INITIATED', { initiationTimestamp: '2026-11-25T08:00:01.000Z' }));
  if (!parsed.ok) throw new Error(parsed.reason);
  expect(await applyContactEvent(ddb, tableName, parsed.event)).toBe('recorded');
  expect(await ledger.complete(await claimOf(`b-${id}`), id, '2026-11-25T08:00:00.000Z', '{}', statusItem)).toEqual({ statusRecorded: true });
  const data = parse(await getStatus(id, ALICE)).data;
  expect(data.status).toBe('INITIATED');
  expect(data.events).toEqual([{ type: 'INITIATED', time: '2026-11-25T08:00:01.000Z' }]);
});

test('when the ledger cannot be read the status route answers 503 LEDGER_UNAVAILABLE and logs why', async () => {
  const closed = loadBundle(handlerEnv({
    tableName, dynamodbEndpoint: 'http://127.0.0.1:9', connectEndpoint: sim.url, overrides: { CALL_STATUS: 'true' },
  }));
  const capture = new StdoutCapture();
  capture.start();
  try {
    const result = await closed(proxyEvent({ method: 'GET', path: '/contact/outbound-voice/abc', caller: ALICE, pathParameters: { contactId: 'abc' } }), lambdaContext());
    expect(result.statusCode).toBe(503);
    expect(parse(result).error.code).toBe('LEDGER_UNAVAILABLE');
    expect(capture.json().some((line) => line.message === 'ledger unavailable' && line.level === 'ERROR')).toBe(true);
  } finally {
    capture.stop();
    process.env.AWS_ENDPOINT_URL_DYNAMODB = ddbEndpoint;
  }
});
