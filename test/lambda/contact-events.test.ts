/**
 * The shipped contact-events bundle against DynamoDB Local, with events shaped
 * like the Amazon Connect Administrator Guide's samples ("Amazon Connect
 * contact events"): each type, duplicates, reversed order, unknown contacts,
 * other instances and malformed events.
 */
import * as path from 'node:path';
import { GetItemCommand, PutItemCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { StdoutCapture } from './bundle';
import { placedStatusAttributes } from '../../lambda/call-status';
import { ledgerKey } from '../../lambda/ledger';
import { createLedgerTable, createLocalDynamoDbClient } from '../local/dynamodb-local';
import { INSTANCE_ID, SOURCE_PHONE_NUMBER } from '../support/ids';

const BUNDLE = path.join(__dirname, '..', '..', 'assets', 'lambda', 'contact-events.lambda', 'index.js');
const INSTANCE_ARN = `arn:aws:connect:us-east-1:111122223333:instance/${INSTANCE_ID}`;
const CALLER = 'IAM:arn:aws:iam::111122223333:user/sandbox';
const ddbEndpoint = process.env.DYNAMODB_LOCAL_ENDPOINT!;
const tableName = `ledger-events-${process.pid}-${Date.now()}`;
const ddb = createLocalDynamoDbClient(ddbEndpoint);
const capture = new StdoutCapture();
type Handler = (event: unknown, context: { functionName: string; awsRequestId: string }) => Promise<void>;
let handler: Handler;
let counter = 0;

const context = { functionName: 'contact-events-local', awsRequestId: 'req-1' };
const newContactId = (): string => `c0ffee00-0000-4000-8000-${String(++counter).padStart(12, '0')}`;

/** A contact event as EventBridge delivers it (camelCase detail, as in the guide's main samples). */
function contactEvent(contactId: string, eventType: string, options: {
  at?: string;
  published?: string;
  instanceArn?: string;
  initiationMethod?: string;
  channel?: string;
  connectedToSystem?: string;
  disconnectReason?: string;
} = {}): Record<string, unknown> {
  const at = options.at ?? new Date().toISOString();
  return {
    'version': '0',
    'id': `event-${eventType}-${contactId}`,
    'detail-type': 'Amazon Connect Contact Event',
    'source': 'aws.connect',
    'account': '111122223333',
    'time': options.published ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'region': 'us-east-1',
    'resources': [`${options.instanceArn ?? INSTANCE_ARN}/contact/${contactId}`, options.instanceArn ?? INSTANCE_ARN],
    'detail': {
      eventType,
      contactId,
      channel: options.channel ?? 'VOICE',
      instanceArn: options.instanceArn ?? INSTANCE_ARN,
      initiationMethod: options.initiationMethod ?? 'API',
      initiationTimestamp: eventType === 'INITIATED' ? at : '2026-11-25T08:00:00.000Z',
      ...(eventType === 'CONNECTED_TO_SYSTEM' ? { connectedToSystemTimestamp: at } : {}),
      ...(options.connectedToSystem ? { connectedToSystemTimestamp: options.connectedToSystem } : {}),
      ...(eventType === 'QUEUED' ? { queueInfo: { queueType: 'STANDARD', enqueueTimestamp: at } } : {}),
      ...(eventType === 'CONNECTED_TO_AGENT' ? { agentInfo: { agentArn: `${INSTANCE_ARN}/agent/a`, connectedToAgentTimestamp: at } } : {}),
      ...(eventType === 'DISCONNECTED' || eventType === 'COMPLETED' ? { disconnectTimestamp: at } : {}),
      ...(options.disconnectReason ? { disconnectReason: options.disconnectReason } : {}),
      tags: { 'aws:connect:instanceId': INSTANCE_ID, 'aws:connect:systemEndpoint': SOURCE_PHONE_NUMBER },
    },
  };
}

/** The ledger record of a placed call, as the handler completes it with call status on. */
function completedRecord(contactId: string, callStatus = true): Record<string, AttributeValue> {
  const createdAt = '2026-11-25T08:00:00.000Z';
  return {
    pk: { S: recordKey(contactId) },
    status: { S: 'COMPLETED' },
    fingerprint: { S: 'f'.repeat(64) },
    claimId: { S: `claim-${contactId}` },
    contactId: { S: contactId },
    createdAt: { S: createdAt },
    responseBody: { S: `{"success":true,"data":{"id":"${contactId}","created_at":"${createdAt}"}}` },
    expiresAt: { N: '2000000000' },
    ...(callStatus ? placedStatusAttributes({ caller: CALLER, createdAt }) : {}),
  };
}
const recordKey = (contactId: string): string => ledgerKey(CALLER, `key-${contactId}`);
async function placeCall(contactId: string, callStatus = true): Promise<void> {
  await ddb.send(new PutItemCommand({ TableName: tableName, Item: completedRecord(contactId, callStatus) }));
}
async function statusItem(contactId: string) {
  return (await ddb.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: recordKey(contactId) } }, ConsistentRead: true }))).Item;
}
async function itemCount(): Promise<number> {
  return (await ddb.send(new ScanCommand({ TableName: tableName, Select: 'COUNT' }))).Count ?? 0;
}

beforeAll(async () => {
  await createLedgerTable(ddbEndpoint, tableName);
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: ddbEndpoint,
    LEDGER_TABLE_NAME: tableName,
    INSTANCE_ID,
    METRICS_NAMESPACE: 'OutboundCaller',
  });
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = (require(BUNDLE) as { handler: Handler }).handler;
  });
});
afterAll(() => ddb.destroy());
beforeEach(() => {
  capture.lines.length = 0;
  capture.start();
});
afterEach(() => capture.stop());

test.each(['INITIATED', 'CONNECTED_TO_SYSTEM', 'QUEUED', 'CONNECTED_TO_AGENT', 'DISCONNECTED', 'COMPLETED'])(
  'a %s event moves the status and is added to the history with its time', async (type) => {
    const id = newContactId();
    await placeCall(id);
    await handler(contactEvent(id, type, { at: '2026-11-25T08:00:05.000Z' }), context);
    const item = (await statusItem(id))!;
    expect(item.callStatus.S).toBe(type);
    expect(item.updatedAt.S).toBe('2026-11-25T08:00:05.000Z');
    expect(item.events.M?.[type].M?.time.S).toBe('2026-11-25T08:00:05.000Z');
  });

test('a full call: INITIATED, CONNECTED_TO_SYSTEM, DISCONNECTED with its reason; CallsConnected is counted', async () => {
  const id = newContactId();
  await placeCall(id);
  await handler(contactEvent(id, 'INITIATED', { at: '2026-11-25T08:00:01.000Z' }), context);
  await handler(contactEvent(id, 'CONNECTED_TO_SYSTEM', { at: '2026-11-25T08:00:09.000Z' }), context);
  await handler(contactEvent(id, 'DISCONNECTED', { at: '2026-11-25T08:01:00.000Z', connectedToSystem: '2026-11-25T08:00:09.000Z', disconnectReason: 'CUSTOMER_DISCONNECT' }), context);
  const item = (await statusItem(id))!;
  expect(item.callStatus.S).toBe('DISCONNECTED');
  expect(Object.keys(item.events.M!).sort()).toEqual(['CONNECTED_TO_SYSTEM', 'DISCONNECTED', 'INITIATED']);
  expect(item.events.M!.DISCONNECTED.M!.disconnect_reason.S).toBe('CUSTOMER_DISCONNECT');
  const emf = capture.json().filter((line) => line._aws);
  expect(emf.some((doc) => doc.CallsConnected === 1)).toBe(true);
  expect(emf.some((doc) => doc.CallsFailed !== undefined)).toBe(false);
});

test('a DISCONNECTED event without media established counts as a failed call', async () => {
  const id = newContactId();
  await placeCall(id);
  await handler(contactEvent(id, 'DISCONNECTED', { disconnectReason: 'OUTBOUND_DESTINATION_ENDPOINT_ERROR' }), context);
  expect(capture.json().some((doc) => doc._aws && doc.CallsFailed === 1)).toBe(true);
});

test('a duplicate event changes nothing', async () => {
  const id = newContactId();
  await placeCall(id);
  await handler(contactEvent(id, 'INITIATED', { at: '2026-11-25T08:00:01.000Z' }), context);
  const before = await statusItem(id);
  await handler(contactEvent(id, 'INITIATED', { at: '2026-11-25T08:00:07.000Z' }), context);
  expect(await statusItem(id)).toEqual(before);
});

test('events in reverse order: an older event never overwrites a newer status, but joins the history', async () => {
  const id = newContactId();
  await placeCall(id);
  await handler(contactEvent(id, 'DISCONNECTED', { at: '2026-11-25T08:01:00.000Z' }), context);
  await handler(contactEvent(id, 'CONNECTED_TO_SYSTEM', { at: '2026-11-25T08:00:09.000Z' }), context);
  await handler(contactEvent(id, 'INITIATED', { at: '2026-11-25T08:00:01.000Z' }), context);
  const item = (await statusItem(id))!;
  expect(item.callStatus.S).toBe('DISCONNECTED');
  expect(item.updatedAt.S).toBe('2026-11-25T08:01:00.000Z');
  expect(Object.keys(item.events.M!)).toHaveLength(3);
});

test('an event for a contact this construct did not place is ignored, without a write', async () => {
  const before = await itemCount();
  await handler(contactEvent(newContactId(), 'INITIATED', { published: '2026-11-25T07:00:00Z' }), context);
  expect(await itemCount()).toBe(before);
  expect(capture.json().some((line) => String(line.message).includes('did not place'))).toBe(true);
});

test('an event never reaches a record that no longer holds its call (replaced by a new claim of the same key after its TTL)', async () => {
  const id = newContactId();
  await placeCall(id);
  // The key's record expired and a new request of the same key claimed it: no ContactId, no call status.
  await ddb.send(new PutItemCommand({
    TableName: tableName,
    Item: { pk: { S: recordKey(id) }, status: { S: 'IN_PROGRESS' }, fingerprint: { S: 'e'.repeat(64) }, claimId: { S: 'new' }, deadline: { N: String(Date.now() + 10_000) }, expiresAt: { N: '2000000000' } },
  }));
  const before = await statusItem(id);
  await handler(contactEvent(id, 'INITIATED', { published: '2026-11-25T07:00:00Z' }), context);
  expect(await statusItem(id)).toEqual(before);
  expect(capture.json().some((line) => String(line.message).includes('did not place'))).toBe(true);
});

test('an event for a call placed while call status was off is not recorded (its record tracks no status)', async () => {
  const id = newContactId();
  await placeCall(id, false);
  const before = await statusItem(id);
  await handler(contactEvent(id, 'INITIATED', { published: '2026-11-25T07:00:00Z' }), context);
  expect(await statusItem(id)).toEqual(before);
  expect(before?.events).toBeUndefined();
});

test('a young event for a contact not recorded yet is retried (the function throws)', async () => {
  await expect(handler(contactEvent(newContactId(), 'INITIATED'), context)).rejects.toThrow(/not recorded yet/);
});

test.each([
  ['another instance', { instanceArn: 'arn:aws:connect:us-east-1:111122223333:instance/99999999-9999-4999-8999-999999999999' }],
  ['an inbound contact', { initiationMethod: 'INBOUND' }],
  ['a chat', { channel: 'CHAT' }],
])('an event of %s is ignored', async (_name, options) => {
  const id = newContactId();
  await placeCall(id);
  await handler(contactEvent(id, 'INITIATED', options), context);
  expect((await statusItem(id))!.callStatus.S).toBe('PLACED');
});

test.each([
  ['null', null],
  ['a string', 'hello'],
  ['another source', { 'source': 'aws.ec2', 'detail-type': 'Amazon Connect Contact Event', 'detail': {} }],
  ['no detail', { 'source': 'aws.connect', 'detail-type': 'Amazon Connect Contact Event' }],
  ['no contactId', { ...contactEvent('x', 'INITIATED'), detail: { eventType: 'INITIATED', instanceArn: INSTANCE_ARN, initiationMethod: 'API' } }],
  ['an unknown event type', contactEvent('x', 'TELEPORTED')],
  ['no valid time', { ...contactEvent('x', 'QUEUED'), time: 'yesterday', detail: { eventType: 'QUEUED', contactId: 'x', instanceArn: INSTANCE_ARN, initiationMethod: 'API' } }],
])('a malformed event (%s) is logged and dropped: no crash, no write', async (_name, event) => {
  const before = await itemCount();
  await expect(handler(event, context)).resolves.toBeUndefined();
  expect(await itemCount()).toBe(before);
  expect(capture.json().some((line) => line.message === 'contact event ignored' && line.level === 'WARN')).toBe(true);
});

test('PascalCase detail members (as in some samples of the guide) are read too', async () => {
  const id = newContactId();
  await placeCall(id);
  const event = contactEvent(id, 'QUEUED');
  event.detail = { EventType: 'QUEUED', ContactId: id, InstanceArn: INSTANCE_ARN, InitiationMethod: 'API', Channel: 'VOICE' };
  await handler(event, context);
  expect((await statusItem(id))!.callStatus.S).toBe('QUEUED');
});

test('logs carry no phone number', async () => {
  const id = newContactId();
  await placeCall(id);
  await handler(contactEvent(id, 'INITIATED'), context);
  expect(capture.lines.join('\n')).not.toContain('4155550100');
});
