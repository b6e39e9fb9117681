/**
 * The batch routes' answers, as the shipped handler gives them (against
 * DynamoDB Local, ElasticMQ and the Connect simulator, the dispatcher running),
 * validate against the schemas the construct's OpenAPI document publishes for
 * that operation and status: what clients generate from the document is what
 * the handler answers.
 */
import Ajv from 'ajv';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { ROUTES } from '../../src/private/contract';
import { packageOpenApiDocument } from '../../src/private/openapi';
import { allFinal, BatchHarness } from '../local/batch-harness';
import { callEvent, lambdaContext } from '../local/proxy-event';

const OTHER_CALLER = { iamUserArn: 'arn:aws:iam::111122223333:user/someone-else' };
const harness = new BatchHarness({ name: 'openapi', dialRatePerSecond: 20, simulator: { quota: { ratePerSecond: 40, burst: 40 } } });
const document: any = packageOpenApiDocument();
const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addSchema({ components: document.components }, 'openapi');

/** The document's schema of this answer (operation and status), with its `$ref`s into the document's components. */
function schemaOf(path: string, method: string, status: number): object {
  const response = document.paths[path][method].responses[String(status)];
  expect(response).toBeDefined();
  const schema = JSON.parse(JSON.stringify(response.content['application/json'].schema).replace(/"#\/components/g, '"openapi#/components'));
  return schema;
}

/** Asserts that the answer has a documented status and that its body validates against the document's schema for it. */
function expectDocumented(result: APIGatewayProxyResult, path: string, method: string, status: number): any {
  expect(result.statusCode).toBe(status);
  const body = JSON.parse(result.body);
  const validate = ajv.compile(schemaOf(path, method, status));
  const valid = validate(body);
  expect({ valid, errors: validate.errors ?? null, body: valid ? undefined : body }).toEqual({ valid: true, errors: null, body: undefined });
  return body;
}

const number = (i: number): string => `+1212555${String(2000 + i).padStart(4, '0')}`;

beforeAll(async () => {
  await harness.start();
}, 120_000);
afterAll(async () => {
  await harness.stop();
}, 60_000);

describe('the batch routes answer what the OpenAPI document says', () => {
  test('202 of POST with accepted, refused and replayed calls; 200 of GET while queued and once placed; 200 of DELETE', async () => {
    const key = `openapi-sync-${Date.now()}`;
    const placed = await harness.handler(callEvent({ DestinationPhoneNumber: number(9) }, { idempotencyKey: key }), lambdaContext());
    expect(placed.statusCode).toBe(200);
    const submitted = expectDocumented(await harness.submit({
      Calls: [
        { DestinationPhoneNumber: number(1), ClientToken: `openapi-a-${Date.now()}` },
        { DestinationPhoneNumber: '+1900555012', ClientToken: `openapi-b-${Date.now()}` },
        { DestinationPhoneNumber: number(3), ClientToken: `openapi-c-${Date.now()}`, Bogus: 1 },
        { DestinationPhoneNumber: number(9), ClientToken: key },
      ],
    }), ROUTES.batches, 'post', 202).data;
    expect(submitted.calls.map((call: any) => call.result)).toEqual(['accepted', 'refused', 'refused', 'accepted']);
    expect(submitted.calls[3].replayed).toBe(true);

    expectDocumented(await harness.status(submitted.id), ROUTES.batch, 'get', 200);
    const dispatcher = await harness.startDispatcher();
    try {
      const done = await harness.waitFor(submitted.id, allFinal, 60_000);
      expect(done.counts.PLACED).toBe(2);
      const final = expectDocumented(await harness.status(submitted.id), ROUTES.batch, 'get', 200).data;
      expect(final.calls.every((call: any) => typeof call.contact_id === 'string')).toBe(true);
    } finally {
      await dispatcher.stop();
    }

    const later = expectDocumented(await harness.submit({
      Calls: [{ DestinationPhoneNumber: number(4), ClientToken: `openapi-d-${Date.now()}` }],
      NotBefore: new Date(Date.now() + 3_600_000).toISOString(),
    }), ROUTES.batches, 'post', 202).data;
    const cancelled = expectDocumented(await harness.cancel(later.id), ROUTES.batch, 'delete', 200).data;
    expect(cancelled).toEqual(expect.objectContaining({ cancelled: 1, counts: expect.objectContaining({ CANCELLED: 1 }) }));
  }, 120_000);

  test('202 with no call accepted (id null); the documented errors of each operation', async () => {
    const none = expectDocumented(await harness.submit({ Calls: [{ DestinationPhoneNumber: '+1900555012', ClientToken: `n-${Date.now()}` }] }),
      ROUTES.batches, 'post', 202).data;
    expect(none.id).toBeNull();
    expectDocumented(await harness.submit({ Calls: [] }), ROUTES.batches, 'post', 400);
    expectDocumented(await harness.submit({
      Calls: [{ DestinationPhoneNumber: number(5), ClientToken: 'twice' }, { DestinationPhoneNumber: number(6), ClientToken: 'twice' }],
    }), ROUTES.batches, 'post', 400);
    expectDocumented(await harness.status('not-a-batch-id'), ROUTES.batch, 'get', 400);
    expectDocumented(await harness.status('00000000-0000-4000-8000-000000000000'), ROUTES.batch, 'get', 404);
    const mine = JSON.parse((await harness.submit({
      Calls: [{ DestinationPhoneNumber: number(7), ClientToken: `mine-${Date.now()}` }],
      NotBefore: new Date(Date.now() + 3_600_000).toISOString(),
    })).body).data;
    expectDocumented(await harness.status(mine.id, OTHER_CALLER), ROUTES.batch, 'get', 404);
    expectDocumented(await harness.cancel(mine.id, OTHER_CALLER), ROUTES.batch, 'delete', 404);
  });

  test('the schemas are not vacuous: an answer missing a field, or with a wrong state, fails them', () => {
    const validate = ajv.compile(schemaOf(ROUTES.batch, 'get', 200));
    const good = {
      success: true,
      data: {
        id: '00000000-0000-4000-8000-000000000000',
        created_at: '2026-11-29T00:00:00.000Z',
        counts: { SCHEDULED: 0, QUEUED: 1, DIALING: 0, PLACED: 0, FAILED: 0, EXPIRED: 0, CANCELLED: 0 },
        calls: [{ client_token: 'k', state: 'QUEUED' }],
      },
    };
    expect(validate(good)).toBe(true);
    expect(validate({ ...good, data: { ...good.data, counts: { QUEUED: 1 } } })).toBe(false);
    expect(validate({ ...good, data: { ...good.data, calls: [{ client_token: 'k', state: 'RINGING' }] } })).toBe(false);
    expect(validate({ success: true })).toBe(false);
  });
});
