/**
 * The double-dial window: an attempt dies after Connect accepted its call and
 * before the ContactId was recorded, the call ends, and a retry takes the
 * stale claim over. Connect returns the earlier contact for the same
 * ClientToken only while it is still going; with `contactSearchAttribute` the
 * retry finds it with SearchContacts instead. The shipped bundle (killed in a
 * child process of its own) against DynamoDB Local and the Connect simulator.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { handlerEnv, loadBundle } from './bundle';
import { tokenDigest, withSearchAttribute } from '../../lambda/lost-call';
import { ConnectSimulator } from '../local/connect-simulator';
import { createLedgerTable, createLocalDynamoDbClient } from '../local/dynamodb-local';
import { callEvent, HANDLER_BUNDLE, lambdaContext, type ProxyHandler } from '../local/proxy-event';

const CHILD_RUNNER = path.join(__dirname, '..', 'reliability', 'support', 'child-handler.js');
const SEARCH_KEY = 'oc_token';
const ddbEndpoint = process.env.DYNAMODB_LOCAL_ENDPOINT!;
const tableName = `ledger-lost-${process.pid}-${Date.now()}`;
const ddb = createLocalDynamoDbClient(ddbEndpoint);
/** The Lambda time the killed attempt had: its claim can be taken over this long after it was taken. */
const CHILD_REMAINING_MS = 4_000;
let sim: ConnectSimulator;
let keys = 0;

const parse = (result: APIGatewayProxyResult): any => JSON.parse(result.body);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function env(search: boolean): Record<string, string | undefined> {
  return handlerEnv({
    tableName,
    dynamodbEndpoint: ddbEndpoint,
    connectEndpoint: sim.url,
    overrides: { CALL_STATUS: 'false', CONTACT_SEARCH_ATTRIBUTE: search ? SEARCH_KEY : undefined },
  });
}

/** Runs the bundle in a child process that exits (like a SIGKILL) the moment it sends its ledger record. */
async function killedAttempt(event: APIGatewayProxyEvent, search: boolean): Promise<{ code: number | null; stdout: string }> {
  const childEnv: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...process.env, ...env(search) })) if (value !== undefined) childEnv[name] = value;
  if (!search) delete childEnv.CONTACT_SEARCH_ATTRIBUTE;
  Object.assign(childEnv, {
    RELIABILITY_CHILD_BUNDLE: HANDLER_BUNDLE,
    RELIABILITY_CHILD_EVENT: JSON.stringify(event),
    RELIABILITY_CHILD_REMAINING_MS: String(CHILD_REMAINING_MS),
    RELIABILITY_CHILD_EXIT_ON: 'ledger-record',
  });
  const child = spawn(process.execPath, [CHILD_RUNNER], { env: childEnv, stdio: ['ignore', 'pipe', 'ignore'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { code, stdout };
}

async function ledgerItems(): Promise<Array<Record<string, any>>> {
  return (await ddb.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }))).Items ?? [];
}

/** A dead attempt whose call Connect accepted and which has since ended; returns the retry's event and that call's id. */
async function deadAttemptWhoseCallEnded(search: boolean): Promise<{ event: APIGatewayProxyEvent; placed: string; diedAt: number }> {
  const event = callEvent({ DestinationPhoneNumber: '+12125550123' }, { idempotencyKey: `lost-${++keys}` });
  const before = sim.contacts.length;
  const run = await killedAttempt(event, search);
  const diedAt = Date.now();
  expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 137, stdout: expect.not.stringContaining('CHILD_RESULT') });
  expect(sim.contacts).toHaveLength(before + 1);
  const placed = sim.contacts[before].contactId;
  expect(sim.disconnectContact(placed, 'OUTBOUND_ATTEMPT_FAILED')).toBe(true); // a short call: not answered, over
  return { event, placed, diedAt };
}

async function waitForTakeover(diedAt: number): Promise<void> {
  await sleep(Math.max(0, diedAt + CHILD_REMAINING_MS + 200 - Date.now()));
}

beforeAll(async () => {
  await createLedgerTable(ddbEndpoint, tableName);
  sim = await ConnectSimulator.start({ quota: false, searchableAttributeKeys: [SEARCH_KEY] });
});
afterAll(async () => {
  await sim.stop();
  ddb.destroy();
  delete process.env.CONTACT_SEARCH_ATTRIBUTE;
});

describe('with contactSearchAttribute', () => {
  let handler: ProxyHandler;
  beforeAll(() => { handler = loadBundle(env(true)); });

  test('killed between Connect accepting and the record, the call ended, then a retry: still one call, and the retry answers its id', async () => {
    const { event, placed, diedAt } = await deadAttemptWhoseCallEnded(true);
    // The call carries the digest of its ClientToken, never the key.
    const attributes = sim.contacts.find((c) => c.contactId === placed)!.body.Attributes!;
    expect(attributes[SEARCH_KEY]).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(attributes)).not.toContain(String(event.headers['Idempotency-Key']));
    const early = await handler(event, lambdaContext());
    expect(early.statusCode).toBe(409);
    await waitForTakeover(diedAt);
    const retry = await handler(event, lambdaContext());
    expect(retry.statusCode).toBe(200);
    expect(parse(retry).data.id).toBe(placed);
    expect(sim.contacts.filter((c) => c.contactId !== placed && c.body.Attributes?.[SEARCH_KEY] === attributes[SEARCH_KEY])).toEqual([]);
    expect(sim.requests.filter((r) => r.operation === 'SearchContacts').at(-1)?.status).toBe(200);
    // Recorded: the next retry is a replay of the same body, with no Connect call at all.
    const requestsBefore = sim.requests.length;
    const replay = await handler(event, lambdaContext());
    expect(replay.body).toBe(retry.body);
    expect(replay.headers?.['idempotent-replayed']).toBe('true');
    expect(sim.requests.length).toBe(requestsBefore);
    expect((await ledgerItems()).filter((i) => i.contactId?.S === placed).map((i) => i.status.S)).toEqual(['COMPLETED']);
  }, 30_000);

  test('SearchContacts throttled: 429 RATE_LIMITED and no call; the claim is given up, so the next retry searches at once and finds it', async () => {
    const { event, placed, diedAt } = await deadAttemptWhoseCallEnded(true);
    await waitForTakeover(diedAt);
    const contactsBefore = sim.contacts.length;
    sim.failNext({ error: 'ThrottlingException' });
    const throttled = await handler(event, lambdaContext());
    expect(throttled.statusCode).toBe(429);
    expect(parse(throttled).error.code).toBe('RATE_LIMITED');
    expect(throttled.headers?.['retry-after']).toBe('1');
    expect(sim.contacts).toHaveLength(contactsBefore);
    const retry = await handler(event, lambdaContext());
    expect(retry.statusCode).toBe(200);
    expect(parse(retry).data.id).toBe(placed);
    expect(sim.contacts).toHaveLength(contactsBefore);
  }, 30_000);

  test('SearchContacts failing (the key not searchable, Connect down): 502 UPSTREAM_ERROR and nothing dialled', async () => {
    const { event, diedAt } = await deadAttemptWhoseCallEnded(true);
    await waitForTakeover(diedAt);
    const contactsBefore = sim.contacts.length;
    sim.failNext({ error: 'InvalidParameterException', message: 'Contact attribute oc_token is not configured as searchable in this instance.' });
    const failed = await handler(event, lambdaContext());
    expect(failed.statusCode).toBe(502);
    expect(parse(failed).error.code).toBe('UPSTREAM_ERROR');
    expect(sim.contacts).toHaveLength(contactsBefore);
  }, 30_000);

  test('the reserved attribute in a request is refused before anything is written or called', async () => {
    const requestsBefore = sim.requests.length;
    const itemsBefore = (await ledgerItems()).length;
    const result = await handler(callEvent({ DestinationPhoneNumber: '+12125550123', Attributes: { [SEARCH_KEY]: 'mine' } },
      { idempotencyKey: `lost-${++keys}` }), lambdaContext());
    expect(result.statusCode).toBe(400);
    expect(parse(result).error).toMatchObject({ code: 'VALIDATION_ERROR', details: [{ field: `Attributes.${SEARCH_KEY}` }] });
    expect(sim.requests.length).toBe(requestsBefore);
    expect((await ledgerItems()).length).toBe(itemsBefore);
  });
});

describe('without contactSearchAttribute (the default)', () => {
  let handler: ProxyHandler;
  beforeAll(() => { handler = loadBundle(env(false)); });

  test('killed, the call ended, then a retry: Connect starts a new contact for the token (two calls, as the README documents)', async () => {
    const { event, placed, diedAt } = await deadAttemptWhoseCallEnded(false);
    expect(sim.contacts.find((c) => c.contactId === placed)!.body.Attributes).toBeUndefined();
    await waitForTakeover(diedAt);
    const retry = await handler(event, lambdaContext());
    expect(retry.statusCode).toBe(200);
    const second = parse(retry).data.id;
    expect(second).not.toBe(placed);
    const token = sim.contacts.find((c) => c.contactId === placed)!.clientToken;
    expect(sim.contacts.filter((c) => c.clientToken === token).map((c) => c.contactId)).toEqual([placed, second]);
    expect(sim.requests.some((r) => r.operation === 'SearchContacts' && r.receivedAt >= diedAt)).toBe(false);
  }, 30_000);

  test('killed while the call is still ringing: the retry re-sends the token and Connect returns the same contact (one call)', async () => {
    const event = callEvent({ DestinationPhoneNumber: '+12125550124' }, { idempotencyKey: `lost-${++keys}` });
    const before = sim.contacts.length;
    const run = await killedAttempt(event, false);
    const diedAt = Date.now();
    expect(run.code).toBe(137);
    const placed = sim.contacts[before].contactId;
    await waitForTakeover(diedAt);
    const retry = await handler(event, lambdaContext());
    expect(parse(retry).data.id).toBe(placed);
    expect(sim.contacts).toHaveLength(before + 1);
  }, 30_000);
});

describe('the digest attribute', () => {
  const request = { DestinationPhoneNumber: '+12125550123', ContactFlowId: 'f', InstanceId: 'i', TrafficType: 'GENERAL' } as const;

  test('is 43 characters of base64url, differs per token, and reveals neither', () => {
    const a = tokenDigest('oc1-token-a');
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tokenDigest('oc1-token-b')).not.toBe(a);
    expect(tokenDigest('oc1-token-a')).toBe(a);
    expect(a).not.toContain('token');
  });

  test('fits the 32,768-byte attribute limit with it, or the request is refused naming the room left', () => {
    const digest = tokenDigest('t');
    const room = 32_768 - SEARCH_KEY.length - digest.length;
    const fits = { ...request, Attributes: { k: 'x'.repeat(room - 1) } } as any;
    expect(withSearchAttribute(fits, SEARCH_KEY, digest).Attributes).toEqual({ k: 'x'.repeat(room - 1), [SEARCH_KEY]: digest });
    const tooBig = { ...request, Attributes: { k: 'x'.repeat(room) } } as any;
    expect(() => withSearchAttribute(tooBig, SEARCH_KEY, digest)).toThrow('The attributes are too large.');
  });
});
