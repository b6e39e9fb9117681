/**
 * Calling hours on the synchronous route, end to end: the shipped bundle with
 * CALLING_HOURS as the construct writes it, against DynamoDB Local and the
 * Connect simulator. The clock is controlled from outside the bundle: jest's
 * fake Date (timers stay real, the clock runs on from the instant set), so
 * the tests stand at chosen instants of the callee's day: just before and at
 * the window's opening, across a daylight-saving change, in a number with two
 * zones, for a number of unknown zone.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { handlerEnv, INSTANCE_ID, loadBundle, StdoutCapture } from './bundle';
import type { CallingHoursPolicy } from '../../src/private/calling-hours-policy';
import { ENV } from '../../src/private/contract';
import { ConnectSimulator } from '../local/connect-simulator';
import { createLedgerTable, createLocalDynamoDbClient } from '../local/dynamodb-local';
import { callEvent, lambdaContext, type ProxyHandler } from '../local/proxy-event';

const NEW_YORK = '+12125550123';
/** Area code 928, exchange 283: Denver time (DST) and Phoenix time (none). */
const DENVER_AND_PHOENIX = '+19282831234';
/** International freephone: no time zone. */
const NO_ZONE = '+80012345678';

/** 08:00-21:00 every day, unknown zones refused: CallingHours.usTelemarketing() as the construct writes it. */
const US: CallingHoursPolicy = { days: Array.from({ length: 7 }, () => [[480, 1260]]), unknownZone: { kind: 'refuse' } };

const ddbEndpoint = process.env.DYNAMODB_LOCAL_ENDPOINT!;
const tableName = `ledger-calling-hours-${process.pid}-${Date.now()}`;
const ddb = createLocalDynamoDbClient(ddbEndpoint);
const capture = new StdoutCapture();
let sim: ConnectSimulator;
let enforced: ProxyHandler;
let notEnforced: ProxyHandler;
let keyCounter = 0;
const newKey = (): string => `hours-${Date.now()}-${++keyCounter}`;

beforeAll(async () => {
  await createLedgerTable(ddbEndpoint, tableName);
  sim = await ConnectSimulator.start({ quota: false, knownInstanceIds: [INSTANCE_ID] });
  const env = (sync: string): Record<string, string | undefined> => handlerEnv({
    tableName,
    dynamodbEndpoint: ddbEndpoint,
    connectEndpoint: sim.url,
    overrides: { [ENV.callingHours]: JSON.stringify(US), [ENV.callingHoursSync]: sync },
  });
  notEnforced = loadBundle(env('false'));
  enforced = loadBundle(env('true'));
});
afterAll(async () => {
  await sim.stop();
  ddb.destroy();
});
beforeEach(() => {
  sim.reset();
  capture.lines.length = 0;
});
afterEach(() => {
  capture.stop();
  jest.useRealTimers();
});

/** Sets the wall clock the bundle sees to `iso`; it runs on in real time from there. Timers stay real. */
function clockAt(iso: string): void {
  jest.useFakeTimers({
    now: Date.parse(iso),
    advanceTimers: true,
    doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'requestAnimationFrame', 'cancelAnimationFrame',
      'requestIdleCallback', 'cancelIdleCallback', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval',
      'setTimeout', 'clearTimeout'],
  });
}

async function call(handler: ProxyHandler, destination: string, key = newKey()): Promise<APIGatewayProxyResult> {
  capture.start();
  try {
    return await handler(callEvent({ DestinationPhoneNumber: destination }, { idempotencyKey: key }), lambdaContext());
  } finally {
    capture.stop();
  }
}

async function ledgerItemCount(): Promise<number> {
  return (await ddb.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, Select: 'COUNT' }))).Count ?? 0;
}

/** The refusal: 403 OUTSIDE_CALLING_HOURS in the envelope, with nothing written and nothing dialled. */
async function expectRefused(result: APIGatewayProxyResult, itemsBefore: number): Promise<{ message: string; retryAfter?: string }> {
  expect(result.statusCode).toBe(403);
  const body = JSON.parse(result.body);
  expect(body).toEqual({ success: false, error: { code: 'OUTSIDE_CALLING_HOURS', message: expect.any(String), details: [] } });
  expect(sim.requests).toHaveLength(0);
  expect(await ledgerItemCount()).toBe(itemsBefore);
  return { message: body.error.message, retryAfter: result.headers?.['retry-after'] as string | undefined };
}

describe('the synchronous route enforces the calling hours', () => {
  test('07:59:30 in New York: 403 with Retry-After 30, when it opens in UTC and local time, nothing written or dialled', async () => {
    const before = await ledgerItemCount();
    clockAt('2026-11-30T12:59:30.000Z');
    const result = await call(enforced, NEW_YORK);
    const { message, retryAfter } = await expectRefused(result, before);
    // The clock runs on from the instant set: 30 s, or 29 if a second passed before the handler looked.
    expect(['29', '30']).toContain(retryAfter);
    expect(message).toContain('2026-11-30T13:00:00.000Z (Mon 08:00 America/New_York)');
    // The number itself is never in the answer, nor in the logs (masked to its last 4 digits there).
    expect(message).not.toMatch(/2125550/);
    expect(capture.lines.join('\n')).not.toMatch(/2125550/);
    // Counted like every refusal: Rejections by Code.
    const emf = capture.json().filter((line) => line._aws);
    expect(emf).toEqual(expect.arrayContaining([expect.objectContaining({ Rejections: 1, Code: 'OUTSIDE_CALLING_HOURS' })]));
  });

  test('08:00:00 in New York: placed', async () => {
    clockAt('2026-11-30T13:00:00.000Z');
    const result = await call(enforced, NEW_YORK);
    expect(result.statusCode).toBe(200);
    expect(sim.contacts).toHaveLength(1);
  });

  test('a retry after 21:00 of a call placed at 20:59 gets its replay; a new call gets 403 until 08:00', async () => {
    const key = newKey();
    clockAt('2026-12-01T01:59:50.000Z'); // 20:59:50 EST
    const first = await call(enforced, NEW_YORK, key);
    expect(first.statusCode).toBe(200);
    jest.useRealTimers();
    clockAt('2026-12-01T02:00:10.000Z'); // 21:00:10 EST
    const retry = await call(enforced, NEW_YORK, key);
    expect(retry.statusCode).toBe(200);
    expect(retry.headers?.['idempotent-replayed']).toBe('true');
    expect(retry.body).toBe(first.body);
    expect(sim.requests).toHaveLength(1);

    sim.reset();
    const before = await ledgerItemCount();
    const other = await call(enforced, NEW_YORK);
    const { retryAfter } = await expectRefused(other, before);
    // 21:00:10 to 08:00:00: 10 h 59 min 50 s.
    expect(Math.abs(Number(retryAfter) - 39_590)).toBeLessThanOrEqual(1);
  });

  test('spring-forward day in New York (02:00 EST -> 03:00 EDT): 07:59 EDT waits 60 s', async () => {
    const before = await ledgerItemCount();
    clockAt('2026-03-08T11:59:00.000Z');
    const { retryAfter, message } = await expectRefused(await call(enforced, NEW_YORK), before);
    expect(['59', '60']).toContain(retryAfter);
    expect(message).toContain('2026-03-08T12:00:00.000Z (Sun 08:00 America/New_York)');
  });

  test('a number in two zones (Denver with DST, Phoenix without), in July: waits for 08:00 in Phoenix, the later of the two', async () => {
    const before = await ledgerItemCount();
    clockAt('2026-07-15T14:30:00.000Z'); // 08:30 in Denver, 07:30 in Phoenix
    const { retryAfter, message } = await expectRefused(await call(enforced, DENVER_AND_PHOENIX), before);
    expect(['1799', '1800']).toContain(retryAfter);
    expect(message).toContain('time zones America/Denver, America/Phoenix');
    expect(message).toContain('2026-07-15T15:00:00.000Z (Wed 09:00 America/Denver, Wed 08:00 America/Phoenix)');
  });

  test('a number of unknown time zone, with unknown zones refused: 403 without Retry-After', async () => {
    const before = await ledgerItemCount();
    clockAt('2026-11-30T15:00:00.000Z');
    const { retryAfter, message } = await expectRefused(await call(enforced, NO_ZONE), before);
    expect(retryAfter).toBeUndefined();
    expect(message).toMatch(/time zone of this number is not known/);
  });
});

describe('left out of the calling hours (CALLING_HOURS_SYNC=false)', () => {
  test('03:00 in New York: placed', async () => {
    clockAt('2026-11-30T08:00:00.000Z');
    const result = await call(notEnforced, NEW_YORK);
    expect(result.statusCode).toBe(200);
    expect(sim.contacts).toHaveLength(1);
  });
});
