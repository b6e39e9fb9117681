/**
 * Batch calls through the shipped bundles (docs/batches.md): submit, status
 * and cancel on the API function, dialling by the dispatcher process, against
 * DynamoDB Local, ElasticMQ and the Connect simulator.
 */
import { readFileSync } from 'node:fs';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { handlerEnv, loadBundle } from './bundle';
import { BATCH, ENV, LEDGER, ROUTES } from '../../src/private/contract';
import { allFinal, BatchHarness } from '../local/batch-harness';
import { createLocalDynamoDbClient } from '../local/dynamodb-local';
import { BATCH_API_BUNDLE, callEvent, HANDLER_BUNDLE, lambdaContext, proxyEvent } from '../local/proxy-event';

const OTHER_CALLER = { iamUserArn: 'arn:aws:iam::111122223333:user/someone-else' };
const harness = new BatchHarness({ name: 'batch', dialRatePerSecond: 20, simulator: { quota: { ratePerSecond: 40, burst: 40 } } });
const ddb = createLocalDynamoDbClient(process.env.DYNAMODB_LOCAL_ENDPOINT!);
let run = 0;

const parse = (result: { body: string }): any => JSON.parse(result.body);
const number = (i: number): string => `+1212555${String(1000 + i).padStart(4, '0')}`;
function calls(count: number, prefix = `k${++run}`): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, i) => ({ DestinationPhoneNumber: number(i), ClientToken: `${prefix}-${i}` }));
}
async function itemCount(): Promise<number> {
  const out = await ddb.send(new ScanCommand({ TableName: harness.tableName, Select: 'COUNT', ConsistentRead: true }));
  return out.Count ?? 0;
}

beforeAll(async () => {
  await harness.start();
}, 120_000);
afterAll(async () => {
  await harness.stop();
  ddb.destroy();
}, 60_000);

describe('submitting a batch', () => {
  test('answers 202 with a batch id and a result per call; refused calls carry the synchronous route\'s code', async () => {
    const body = {
      Calls: [
        ...calls(2),
        { DestinationPhoneNumber: '+1900555012', ClientToken: `bad-${run}` },
        { DestinationPhoneNumber: number(3), ClientToken: `x-${run}`, Bogus: 1 },
      ],
    };
    const result = await harness.submit(body);
    expect(result.statusCode).toBe(202);
    const data = parse(result).data;
    expect(data.id).toMatch(new RegExp(BATCH.batchIdPattern));
    expect(data.accepted).toBe(2);
    expect(data.refused).toBe(2);
    expect(data.calls.map((call: any) => call.result)).toEqual(['accepted', 'accepted', 'refused', 'refused']);
    expect(data.calls[2].error.code).toMatch(/VALIDATION_ERROR|DESTINATION_NOT_ALLOWED/);
    expect(data.calls[3].error).toMatchObject({ code: 'VALIDATION_ERROR', details: [expect.objectContaining({ field: 'Calls[3].Bogus' })] });
    const status = parse(await harness.status(data.id)).data;
    expect(status.calls.map((call: any) => call.client_token)).toEqual([body.Calls[0].ClientToken, body.Calls[1].ClientToken]);
    expect(status.counts.QUEUED + status.counts.SCHEDULED).toBe(2);
  });

  test('a key already placed on the synchronous route is a replay: accepted, with its contact id, never dialled again', async () => {
    const key = `sync-${Date.now()}`;
    const placed = await harness.handler(callEvent({ DestinationPhoneNumber: number(7) }, { idempotencyKey: key }), lambdaContext());
    expect(placed.statusCode).toBe(200);
    const contactId = parse(placed).data.id;
    const data = parse(await harness.submit({ Calls: [{ DestinationPhoneNumber: number(7), ClientToken: key }] })).data;
    expect(data.calls[0]).toEqual({ client_token: key, result: 'accepted', replayed: true, contact_id: contactId });
    const status = parse(await harness.status(data.id)).data;
    expect(status.calls[0]).toEqual({ client_token: key, state: 'PLACED', contact_id: contactId });
    // Another request under the same key: refused like the synchronous route refuses it.
    const reused = parse(await harness.submit({ Calls: [{ DestinationPhoneNumber: number(8), ClientToken: key }] })).data;
    expect(reused.calls[0]).toMatchObject({ result: 'refused', error: { code: 'IDEMPOTENCY_KEY_REUSED' } });
    expect(reused.id).toBeNull();
  });

  test('a queued call keeps the synchronous route out of its key (409) until it is final', async () => {
    const [call] = calls(1);
    const notBefore = new Date(Date.now() + 3_600_000).toISOString();
    expect((await harness.submit({ Calls: [call], NotBefore: notBefore })).statusCode).toBe(202);
    const event = callEvent({ DestinationPhoneNumber: call.DestinationPhoneNumber }, { idempotencyKey: call.ClientToken as string });
    const sync = await harness.handler(event, lambdaContext());
    expect(sync.statusCode).toBe(409);
    expect(parse(sync).error.code).toBe('IDEMPOTENCY_IN_PROGRESS');
  });
});

describe('a key whose batch call ended without a call', () => {
  test('stays bound to it: 422 on both routes, with a message that says how it ended, and nothing is dialled', async () => {
    const [call] = calls(1);
    const notBefore = new Date(Date.now() + 3_600_000).toISOString();
    const data = parse(await harness.submit({ Calls: [call], NotBefore: notBefore })).data;
    expect((await harness.cancel(data.id)).statusCode).toBe(200);
    expect(parse(await harness.status(data.id)).data.calls[0].state).toBe('CANCELLED');
    const contacts = harness.sim.contacts.length;

    // The same request on the synchronous route: not "a different request", but how the key's call ended.
    const event = callEvent({ DestinationPhoneNumber: call.DestinationPhoneNumber }, { idempotencyKey: call.ClientToken as string });
    const sync = await harness.handler(event, lambdaContext());
    expect(sync.statusCode).toBe(422);
    expect(parse(sync).error).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', message: expect.stringContaining('ended CANCELLED') });
    expect(parse(sync).error.message).not.toContain('different request');

    // Submitted again in a new batch: refused the same way.
    const again = parse(await harness.submit({ Calls: [call] })).data;
    expect(again.calls[0]).toMatchObject({
      result: 'refused', error: { code: 'IDEMPOTENCY_KEY_REUSED', message: expect.stringContaining('ClientToken belongs to a batch call that ended CANCELLED') },
    });
    expect(harness.sim.contacts.length).toBe(contacts);
  });
});

describe('a dispatch queue that cannot be reached', () => {
  test('502 UPSTREAM_ERROR with Retry-After, every claim and the batch item removed; the same calls are accepted later', async () => {
    const body = { Calls: calls(3) };
    const before = await itemCount();
    // The batch API function as deployed, but its queue URL names a queue ElasticMQ does not have.
    const goodUrl = harness.env[ENV.batchQueueUrl]!;
    const broken = loadBundle({ ...harness.env, [ENV.batchQueueUrl]: `${goodUrl}-missing` }, BATCH_API_BUNDLE);
    process.env[ENV.batchQueueUrl] = goodUrl;
    const event = proxyEvent({
      method: 'POST',
      path: ROUTES.batches,
      resource: ROUTES.batches,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const result = await broken(event, lambdaContext());
    expect(result.statusCode).toBe(502);
    expect(parse(result).error).toMatchObject({ code: 'UPSTREAM_ERROR', message: expect.stringContaining('no call of the batch was queued') });
    expect(result.headers?.['Retry-After'] ?? result.headers?.['retry-after']).toBe('5');
    // Nothing half-written: no claim, no batch item.
    expect(await itemCount()).toBe(before);
    // The keys are free: the same calls, submitted again to the working queue, are accepted (not 409, not replays).
    const data = parse(await harness.submit(body)).data;
    expect(data.calls.map((call: any) => call.result)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(data.calls.some((call: any) => call.replayed)).toBe(false);
  });
});

describe('bad input: a clear error in the envelope, nothing written', () => {
  const cases: Array<[string, () => unknown, string]> = [
    ['more than 1,000 calls', () => ({ Calls: calls(BATCH.calls.max + 1) }), 'Calls'],
    ['no calls', () => ({ Calls: [] }), 'Calls'],
    ['a ClientToken twice in one batch', () => ({ Calls: [...calls(2, 'dup'), { DestinationPhoneNumber: number(2), ClientToken: 'dup-0' }] }), 'Calls[2].ClientToken'],
    ['a call without a ClientToken', () => ({ Calls: [{ DestinationPhoneNumber: number(1) }] }), 'Calls[0].ClientToken'],
    ['NotBefore in the past', () => ({ Calls: calls(1), NotBefore: new Date(Date.now() - 3_600_000).toISOString() }), 'NotBefore'],
    ['NotBefore beyond 35 days', () => ({ Calls: calls(1), NotBefore: new Date(Date.now() + 36 * 86_400_000).toISOString() }), 'NotBefore'],
    ['NotBefore without an offset', () => ({ Calls: calls(1), NotBefore: '2030-01-01T09:00:00' }), 'NotBefore'],
    ['NotAfter before NotBefore', () => ({
      Calls: calls(1), NotBefore: new Date(Date.now() + 7_200_000).toISOString(), NotAfter: new Date(Date.now() + 3_600_000).toISOString(),
    }), 'NotAfter'],
    ['an unknown batch field', () => ({ Calls: calls(1), Priority: 'high' }), 'Priority'],
  ];
  test.each(cases)('%s → 400 VALIDATION_ERROR, nothing written', async (_name, body, field) => {
    const before = await itemCount();
    const result = await harness.submit(body());
    expect(result.statusCode).toBe(400);
    const error = parse(result).error;
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    expect(await itemCount()).toBe(before);
  });

  test('a body over 1 MiB → 413 PAYLOAD_TOO_LARGE', async () => {
    const before = await itemCount();
    const padding = 'x'.repeat(1100);
    const body = { Calls: calls(1000).map((call) => ({ ...call, Description: padding })) };
    const result = await harness.submit(body);
    expect(result.statusCode).toBe(413);
    expect(parse(result).error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await itemCount()).toBe(before);
  });

  test('an Idempotency-Key header → 400 (each call\'s ClientToken is its key)', async () => {
    const result = await harness.submit({ Calls: calls(1) }, undefined, { 'Idempotency-Key': 'abc' });
    expect(result.statusCode).toBe(400);
  });

  test('another caller\'s batch id → 404 on GET and DELETE, and nothing is cancelled', async () => {
    const data = parse(await harness.submit({ Calls: calls(2), NotBefore: new Date(Date.now() + 3_600_000).toISOString() })).data;
    for (const result of [await harness.status(data.id, OTHER_CALLER), await harness.cancel(data.id, OTHER_CALLER)]) {
      expect(result.statusCode).toBe(404);
      expect(parse(result).error.code).toBe('RESOURCE_NOT_FOUND');
    }
    expect(parse(await harness.status(data.id)).data.counts.SCHEDULED).toBe(2);
    expect((await harness.status('not-a-batch-id')).statusCode).toBe(400);
    expect((await harness.status('00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
  });

  test('the batch routes have a function of their own: it does not start without a dispatch queue, and the sync handler has no batch code', () => {
    // Without batch calls the construct makes neither the routes nor this function; a misconfigured one fails at init.
    expect(() => loadBundle(handlerEnv({
      tableName: harness.tableName,
      dynamodbEndpoint: process.env.DYNAMODB_LOCAL_ENDPOINT!,
      connectEndpoint: harness.sim.url,
      overrides: { [ENV.batchQueueUrl]: undefined },
    }), BATCH_API_BUNDLE)).toThrow(new RegExp(`batch API is misconfigured.*${ENV.batchQueueUrl} is required`));
    // The synchronous route's bundle carries no SQS client and no batch module (README, "Performance").
    const meta = JSON.parse(readFileSync(HANDLER_BUNDLE.replace(/index\.js$/, '').replace(/\/$/, '.meta.json'), 'utf8')) as {
      inputs: Record<string, unknown>;
    };
    const inputs = Object.keys(meta.inputs);
    expect(inputs.filter((input) => input.includes('client-sqs') || /lambda\/batch[-.]/.test(input))).toEqual([]);
    expect(inputs.some((input) => input.includes('lambda/outbound-caller.lambda.ts'))).toBe(true);
    // The rest of this file keeps the harness' environment (with batch calls).
    harness.batchApi = loadBundle(harness.env, BATCH_API_BUNDLE);
  });
});

describe('dialling', () => {
  test('every call is placed once, at the dial rate, and the status route knows it', async () => {
    const dispatcher = await harness.startDispatcher();
    try {
      const submitted = calls(40);
      const data = parse(await harness.submit({ Calls: submitted })).data;
      const done = await harness.waitFor(data.id, allFinal, 30_000);
      expect(done.counts.PLACED).toBe(40);
      const tokens = new Set(harness.sim.contacts.filter((contact) => (contact.body.DestinationPhoneNumber ?? '').startsWith('+1212555'))
        .map((contact) => contact.clientToken));
      const placed = harness.sim.contacts.filter((contact) => done.calls.some((call: any) => call.contact_id === contact.contactId));
      expect(placed).toHaveLength(40);
      expect(new Set(placed.map((contact) => contact.clientToken)).size).toBe(40);
      expect(tokens.size).toBeGreaterThanOrEqual(40);
      // The call's own status, on the existing GET route, for the caller who submitted the batch.
      const contactId = done.calls[0].contact_id;
      const status = await harness.handler(proxyEvent({
        method: 'GET', path: `${ROUTES.placeCall}/${contactId}`, pathParameters: { contactId },
      }), lambdaContext());
      expect(status.statusCode).toBe(200);
      // The request (with its phone number) is gone from the ledger once the call is final.
      const scan = await ddb.send(new ScanCommand({ TableName: harness.tableName, ConsistentRead: true }));
      const withRequest = (scan.Items ?? []).filter((item) => item[LEDGER.batchCall.batchId]?.S === data.id && item[LEDGER.batchCall.request]);
      expect(withRequest).toHaveLength(0);
    } finally {
      await dispatcher.stop();
    }
  }, 60_000);

  test('LimitExceeded from Connect is retried after the backoff, never counted as a failure', async () => {
    const dispatcher = await harness.startDispatcher();
    try {
      const throttled = 5;
      const before = harness.sim.requests.length;
      // Connect's quota answer for the first dials: each call's first try (the dispatcher's own 1 s backoff base).
      harness.sim.failNext({ error: 'LimitExceededException', count: throttled });
      const data = parse(await harness.submit({ Calls: calls(5) })).data;
      const done = await harness.waitFor(data.id, allFinal, 30_000);
      expect(done.counts.PLACED).toBe(5);
      expect(done.counts.FAILED ?? 0).toBe(0);
      expect(done.calls.filter((call: any) => call.state !== 'PLACED')).toEqual([]);
      const dials = harness.sim.requests.slice(before).filter((request) => request.operation === 'StartOutboundVoiceContact');
      expect(dials.filter((request) => request.injected && request.error === 'LimitExceededException')).toHaveLength(throttled);
      // Each call dialled exactly once as a placed contact: one contact, one token, no deduplicated re-send.
      const placed = harness.sim.contacts.filter((contact) => done.calls.some((call: any) => call.contact_id === contact.contactId));
      expect(placed).toHaveLength(5);
      expect(new Set(placed.map((contact) => contact.clientToken)).size).toBe(5);
      expect(dials.filter((request) => request.status === 200)).toHaveLength(5);
      expect(dials.filter((request) => request.deduplicated)).toEqual([]);
      expect(await harness.deadLetters()).toBe(0);
    } finally {
      await dispatcher.stop();
    }
  }, 60_000);
});
