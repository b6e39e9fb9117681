/**
 * Call status end to end with the shipped bundles: a call placed through the
 * handler (CALL_STATUS=true), contact events recorded by the contact-events
 * handler, and GET /contact/outbound-voice/{contactId} scoped to the caller.
 */
import * as path from 'node:path';
import { QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { handlerEnv, INSTANCE_ID, loadBundle, StdoutCapture } from './bundle';
import { applyContactEvent, parseContactEvent, placedStatusAttributes } from '../../lambda/call-status';
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

test('the status is on the call\'s ledger record, set by the write that completes it; it holds no phone number or caller in clear', async () => {
  const id = await place(ALICE);
  const items = (await ddb.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }))).Items ?? [];
  const mine = items.filter((candidate) => candidate.contactId?.S === id);
  expect(mine).toHaveLength(1);
  const record = mine[0];
  expect(record.status.S).toBe('COMPLETED');
  expect(record.callStatus.S).toBe('PLACED');
  expect(record.updatedAt.S).toBe(record.createdAt.S);
  expect(record.events.M).toEqual({});
  expect(record.callerHash.S).toMatch(/^[0-9a-f]{64}$/);
  expect(record.pk.S).toMatch(/^[0-9a-f]{64}$/);
  const text = JSON.stringify(record);
  expect(text).not.toContain('2125550123');
  expect(text).not.toContain('alice');
});

test('the index finds the call by ContactId, keys only', async () => {
  const id = await place(ALICE);
  const out = await ddb.send(new QueryCommand({
    TableName: tableName, IndexName: 'contactId', KeyConditionExpression: 'contactId = :id', ExpressionAttributeValues: { ':id': { S: id } },
  }));
  expect(out.Items?.map((item) => Object.keys(item).sort())).toEqual([['contactId', 'pk']]);
});

test('a GET right after the PUT sees the call (DynamoDB Local updates the index synchronously)', async () => {
  for (let i = 0; i < 10; i++) {
    const id = await place(ALICE);
    expect((await getStatus(id, ALICE)).statusCode).toBe(200);
  }
});

test('the 404 says that a call placed a moment ago may not be visible yet', async () => {
  const result = await getStatus('00000000-0000-4000-8000-00000000abcd', ALICE);
  expect(result.statusCode).toBe(404);
  expect(parse(result).error.message).toMatch(/placed less than a second ago may not be visible yet/);
});

test('with CALL_STATUS off the GET route answers 404 and the record carries no call status', async () => {
  const off = loadBundle(handlerEnv({
    tableName, dynamodbEndpoint: ddbEndpoint, connectEndpoint: sim.url, overrides: { CALL_STATUS: 'false' },
  }));
  const placed = await off(callEvent({ DestinationPhoneNumber: '+12125550123' }, { caller: ALICE, idempotencyKey: `k-${++keys}` }), lambdaContext());
  const id = parse(placed).data.id;
  const result = await off(proxyEvent({ method: 'GET', path: `/contact/outbound-voice/${id}`, caller: ALICE, pathParameters: { contactId: id } }), lambdaContext());
  expect(result.statusCode).toBe(404);
  const items = (await ddb.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }))).Items ?? [];
  const record = items.find((item) => item.contactId?.S === id)!;
  expect(record.status.S).toBe('COMPLETED');
  expect(Object.keys(record)).not.toEqual(expect.arrayContaining(['callStatus']));
  expect(record.events).toBeUndefined();
  process.env.CALL_STATUS = 'true';
  // Turned on later, the status route still answers 404 for it: the record tracks no status.
  expect((await getStatus(id, ALICE)).statusCode).toBe(404);
});

test('a record replaced after its TTL by a new claim of the same key no longer answers for the old call', async () => {
  const ledger = new Ledger(ddb, tableName, 604800);
  const caller = 'IAM:arn:aws:iam::111122223333:user/alice';
  const key = `replaced-${Date.now()}`;
  const first = await ledger.claim({ caller, idempotencyKey: key, fingerprint: 'f', deadlineMs: Date.now() + 10_000 });
  if (first.kind !== 'claimed') throw new Error(first.kind);
  const id = `11111111-2222-4333-8444-${String(Date.now()).slice(-12)}`;
  // Created 8 days ago: its TTL (created_at + 7 days) has passed.
  const createdAt = new Date(Date.now() - 8 * 24 * 3600 * 1000).toISOString();
  await ledger.complete(first.claim, id, createdAt, '{}', placedStatusAttributes({ caller, createdAt }));
  const second = await ledger.claim({ caller, idempotencyKey: key, fingerprint: 'g', deadlineMs: Date.now() + 10_000 });
  expect(second.kind).toBe('claimed');
  expect((await getStatus(id, ALICE)).statusCode).toBe(404);
  const parsed = parseContactEvent(contactEvent(id, 'INITIATED', { initiationTimestamp: '2026-11-25T08:00:01.000Z' }));
  if (!parsed.ok) throw new Error(parsed.reason);
  expect(await applyContactEvent(ddb, tableName, parsed.event)).toBe('unknown-contact');
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
