/**
 * Call status without contact events: EventBridge delivers them on a
 * best-effort basis, so the status route asks Connect (DescribeContact) about
 * a call that is not final and has had no news for a while, at most once per
 * interval per call, and flags the answer as possibly stale when Connect
 * cannot be asked. The shipped bundle against DynamoDB Local and the Connect
 * simulator, whose calls go through a timeline and emit no events at all.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { handlerEnv, loadBundle } from './bundle';
import { ConnectSimulator } from '../local/connect-simulator';
import { createLedgerTable, createLocalDynamoDbClient } from '../local/dynamodb-local';
import { callEvent, lambdaContext, proxyEvent, type CallerIdentity, type ProxyHandler } from '../local/proxy-event';

const ALICE: CallerIdentity = { iamUserArn: 'arn:aws:iam::111122223333:user/alice' };
const ddbEndpoint = process.env.DYNAMODB_LOCAL_ENDPOINT!;
const tableName = `ledger-converge-${process.pid}-${Date.now()}`;
const ddb = createLocalDynamoDbClient(ddbEndpoint);
/** The threshold and the interval the tests run with (seconds; the defaults are 60 and 30). */
const AFTER_S = 1;
// 3 s, not 1: eight concurrent polls on a loaded 2-core machine can take longer than a 1 s interval, and a second lease
// would then be legitimate (the test would fail for the machine, not for the handler).
const INTERVAL_S = 3;
/** The simulated call: answered after 0.5 s, ended 1.5 s after Connect accepted it. */
const TIMELINE = { initiated: 50, connected: 500, disconnected: 1_500 };
let sim: ConnectSimulator;
let handler: ProxyHandler;
let keys = 0;

const parse = (result: APIGatewayProxyResult): any => JSON.parse(result.body);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const getStatus = async (contactId: string): Promise<any> => {
  const result = await handler(proxyEvent({
    method: 'GET', path: `/contact/outbound-voice/${contactId}`, caller: ALICE, pathParameters: { contactId },
  }), lambdaContext());
  expect(result.statusCode).toBe(200);
  return parse(result).data;
};
const describes = (contactId: string): number =>
  sim.requests.filter((r) => r.operation === 'DescribeContact' && r.path.endsWith(`/${contactId}`)).length;

async function place(): Promise<{ id: string; acceptedAt: number }> {
  const result = await handler(callEvent({ DestinationPhoneNumber: '+12125550123' }, { caller: ALICE, idempotencyKey: `c-${++keys}` }), lambdaContext());
  expect(result.statusCode).toBe(200);
  const id = parse(result).data.id as string;
  return { id, acceptedAt: sim.contacts.find((c) => c.contactId === id)!.createdAt };
}

beforeAll(async () => {
  await createLedgerTable(ddbEndpoint, tableName);
  // No contactEvents: every event of every call is lost.
  sim = await ConnectSimulator.start({ quota: false, lifecycle: TIMELINE });
  handler = loadBundle(handlerEnv({
    tableName,
    dynamodbEndpoint: ddbEndpoint,
    connectEndpoint: sim.url,
    overrides: {
      CALL_STATUS: 'true',
      STATUS_LOOKUP_AFTER_SECONDS: String(AFTER_S),
      STATUS_LOOKUP_INTERVAL_SECONDS: String(INTERVAL_S),
    },
  }));
});
afterAll(async () => {
  await sim.stop();
  ddb.destroy();
  delete process.env.STATUS_LOOKUP_AFTER_SECONDS;
  delete process.env.STATUS_LOOKUP_INTERVAL_SECONDS;
});

test('every contact event dropped: a client polling 20 times a second sees DISCONNECTED within the threshold plus one interval of the end, with at most one DescribeContact per interval', async () => {
  const { id, acceptedAt } = await place();
  const endedAt = acceptedAt + TIMELINE.disconnected;
  const pollStart = Date.now();
  let data: any;
  let reachedAt = 0;
  while (Date.now() < endedAt + (AFTER_S + INTERVAL_S) * 1000 + 3_000) {
    data = await getStatus(id);
    if (data.status === 'DISCONNECTED') {
      reachedAt = Date.now();
      break;
    }
    await sleep(50);
  }
  const pollMs = Date.now() - pollStart;
  expect(data.status).toBe('DISCONNECTED');
  expect(reachedAt - endedAt).toBeLessThanOrEqual((AFTER_S + INTERVAL_S) * 1000);
  expect(data).toMatchObject({
    source: 'lookup',
    stale: false,
    disconnected_at: new Date(endedAt).toISOString(),
    disconnect_reason: 'CUSTOMER_DISCONNECT',
    checked_at: expect.any(String),
  });
  expect(data.events.map((e: { type: string }) => e.type)).toEqual(['INITIATED', 'CONNECTED_TO_SYSTEM', 'DISCONNECTED']);
  // The lease: however often the route is polled, at most one lookup per interval (plus the first).
  const lookups = describes(id);
  expect(lookups).toBeGreaterThanOrEqual(1);
  expect(lookups).toBeLessThanOrEqual(Math.floor(pollMs / (INTERVAL_S * 1000)) + 1);
  // Final: nothing more to learn, no more lookups.
  await sleep(INTERVAL_S * 1000 + 100);
  expect((await getStatus(id)).status).toBe('DISCONNECTED');
  expect(describes(id)).toBe(lookups);
});

test('a call with recent news is answered from the ledger alone: no DescribeContact before the threshold', async () => {
  const { id } = await place();
  const data = await getStatus(id);
  expect(data).toMatchObject({ status: 'PLACED', stale: false });
  expect(data.source).toBeUndefined();
  expect(describes(id)).toBe(0);
});

test('concurrent polls of a due call make one DescribeContact between them', async () => {
  const { id } = await place();
  await sleep(AFTER_S * 1000 + 100);
  const answers = await Promise.all(Array.from({ length: 8 }, () => getStatus(id)));
  expect(describes(id)).toBe(1);
  expect(answers.every((a) => a.id === id)).toBe(true);
});

test.each([
  ['throttled', 'ThrottlingException'],
  ['failing', 'InternalServiceException'],
] as const)('DescribeContact %s: the last known status, flagged stale; within the interval no second lookup; then it converges', async (_what, error) => {
  const { id } = await place();
  await sleep(AFTER_S * 1000 + 100);
  sim.failNext({ error });
  const first = await getStatus(id);
  expect(first).toMatchObject({ status: 'PLACED', stale: true });
  expect(describes(id)).toBe(1);
  // Within the interval: the recorded failure keeps the flag, and Connect is not asked again.
  const second = await getStatus(id);
  expect(second).toMatchObject({ status: 'PLACED', stale: true });
  expect(describes(id)).toBe(1);
  // After the interval Connect answers: the status converges and the flag clears.
  await sleep(INTERVAL_S * 1000 + 100);
  const third = await getStatus(id);
  expect(third.stale).toBe(false);
  expect(third.source).toBe('lookup');
  expect(['CONNECTED_TO_SYSTEM', 'DISCONNECTED']).toContain(third.status);
  expect(describes(id)).toBe(2);
});

test('Connect unreachable for the lookup (connection dropped): still 200 with the last known status, stale', async () => {
  const { id } = await place();
  await sleep(AFTER_S * 1000 + 100);
  sim.dropNext();
  const data = await getStatus(id);
  expect(data).toMatchObject({ status: 'PLACED', stale: true });
});
