/**
 * The request rules of lambda/request.ts, each at its edges.
 *
 * Limits are written out here as literal numbers on purpose (not read from
 * LIMITS), so a wrong limit in the module makes these tests fail.
 */
import type { StartOutboundVoiceContactCommandInput } from '@aws-sdk/client-connect';
import type { CountryCode, Examples, MetadataJson } from 'libphonenumber-js/core';
import { getExampleNumber } from 'libphonenumber-js/core';
import maxMetadata from 'libphonenumber-js/metadata.max.json';
import mobileExamples from 'libphonenumber-js/mobile/examples';
import { parsePhoneNumber } from '../../lambda/phone';
import { checkRequest, CheckResult, FieldProblem, OutboundCallRequest, RequestPolicy } from '../../lambda/request';
import { CONTACT_FLOW_ID, INSTANCE_ID, SOURCE_PHONE_NUMBER } from '../support/ids';

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

const INSTANCE = INSTANCE_ID;
const OTHER_INSTANCE = '97940ff5-2ce5-424b-a570-8d954e6862bd';
const FLOW = '78ea8fd5-2659-4f2b-b528-699760ccfc1b';
const OTHER_FLOW = '846ec553-a005-41c0-8341-0123456789ab';
const THIRD_FLOW = 'b0b8f2dd-ed1b-4c44-af36-ce189a178181';
const QUEUE = 'aeg40574-2d01-51c3-73d6-bf8624d2168c';
const OTHER_QUEUE = '5f0c2b9e-8d2a-4c7e-9a51-3f2d1e0b7c6a';
const SOURCE = '+12065550100';
const OTHER_SOURCE = '+12065550199';

/** Valid numbers (checked against libphonenumber's full metadata). */
const US_NUMBER = '+12125550123'; // New York, FIXED_LINE_OR_MOBILE
const CA_NUMBER = '+14165550123'; // Toronto
const GB_NUMBER = '+442071838750'; // London, FIXED_LINE
const GB_PREMIUM = '+449098765432'; // 09xx: PREMIUM_RATE
const US_PREMIUM = '+19002345678'; // 1-900: PREMIUM_RATE
const FR_SHARED_COST = '+33810123456'; // 0810: SHARED_COST
const ES_SHARED_COST = '+34901123456'; // 901: SHARED_COST
const INTL_PREMIUM = '+979123456789'; // +979 International Premium Rate Service: no country
const INTL_FREEPHONE = '+80012345678'; // +800 International Freephone: no country

const arn = (instance: string, flow: string, partition = 'aws', region = 'us-west-2') =>
  `arn:${partition}:connect:${region}:123456789012:instance/${instance}/contact-flow/${flow}`;

function policy(overrides: Partial<RequestPolicy> = {}): RequestPolicy {
  return {
    instanceId: INSTANCE,
    contactFlowId: FLOW,
    sourcePhoneNumber: SOURCE,
    queueId: QUEUE,
    allowedContactFlowIds: [],
    allowedQueueIds: [],
    allowedSourcePhoneNumbers: [],
    allowedDestinationCountries: undefined,
    blockPremiumRateNumbers: true,
    allowCampaignCalls: false,
    ...overrides,
  };
}

/** The minimal valid body plus `extra`. */
function body(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { DestinationPhoneNumber: US_NUMBER, ...extra };
}

type Ok = Extract<CheckResult, { ok: true }>;
type Failed = Extract<CheckResult, { ok: false }>;

function expectOk(result: CheckResult): Ok {
  if (!result.ok) {
    throw new Error(`expected ok, got ${result.code}: ${JSON.stringify(result.details)}`);
  }
  return result;
}

function expectFailure(result: CheckResult, code: Failed['code']): Failed {
  if (result.ok) {
    throw new Error(`expected ${code}, got ok: ${JSON.stringify(result.request).slice(0, 300)}`);
  }
  expect(result.code).toBe(code);
  return result;
}

/** Fails unless the result is `code` with exactly one problem, on `field`; returns it. */
function expectOneProblem(result: CheckResult, code: Failed['code'], field: string): FieldProblem {
  const failed = expectFailure(result, code);
  expect(failed.details.map((d) => d.field)).toEqual([field]);
  expect(failed.message).toBe(failed.details[0].message);
  return failed.details[0];
}

/** The country of the destination the handler forwards (undefined for non-geographic numbers). */
const destinationCountry = (ok: Ok): string | undefined => parsePhoneNumber(ok.request.DestinationPhoneNumber)?.country;

const fields = (result: CheckResult) => (result.ok ? [] : result.details.map((d) => d.field).sort());

// Compile-time: the normalised request is what the SDK takes (checked by tsc, not at run time).
const asSdkInput = (r: OutboundCallRequest): Omit<StartOutboundVoiceContactCommandInput, 'ClientToken'> => r;

// ---------------------------------------------------------------------------
// Body shape and field names
// ---------------------------------------------------------------------------

describe('body', () => {
  test.each([
    ['null', null],
    ['an array', [{ DestinationPhoneNumber: US_NUMBER }]],
    ['a string', US_NUMBER],
    ['a number', 12125550123],
    ['a boolean', true],
    ['undefined', undefined],
  ])('%s is refused: the body must be a JSON object', (_name, value) => {
    const problem = expectOneProblem(checkRequest(value, policy()), 'VALIDATION_ERROR', '(body)');
    expect(problem.message).toMatch(/must be a JSON object/);
  });

  test('the minimal body is accepted and the defaults of the policy are filled in', () => {
    const result = expectOk(checkRequest(body(), policy()));
    expect(result.request).toStrictEqual({
      InstanceId: INSTANCE,
      ContactFlowId: FLOW,
      DestinationPhoneNumber: US_NUMBER,
      SourcePhoneNumber: SOURCE,
      QueueId: QUEUE,
      TrafficType: 'GENERAL',
    });
    expect(destinationCountry(result)).toBe('US');
    expect('idempotencyKey' in result).toBe(false);
    expect(asSdkInput(result.request).InstanceId).toBe(INSTANCE);
  });

  test('defaults the policy does not have are left out', () => {
    const result = expectOk(checkRequest(body(), policy({ sourcePhoneNumber: undefined })));
    expect('SourcePhoneNumber' in result.request).toBe(false);
    expect(result.request.QueueId).toBe(QUEUE);
    const noQueue = expectOk(checkRequest(body(), policy({ queueId: undefined })));
    expect('QueueId' in noQueue.request).toBe(false);
    expect(noQueue.request.SourcePhoneNumber).toBe(SOURCE);
  });

  test('DestinationPhoneNumber is required', () => {
    const problem = expectOneProblem(checkRequest({}, policy()), 'VALIDATION_ERROR', 'DestinationPhoneNumber');
    expect(problem.message).toMatch(/required/);
  });

  test('the body is not modified (frozen input works) and maps are copied', () => {
    const attributes = Object.freeze({ name: 'Jane' });
    const frozen = Object.freeze(body({
      Attributes: attributes,
      References: Object.freeze({ r: Object.freeze({ Type: 'URL', Value: 'https://example.com' }) }),
      AnswerMachineDetectionConfig: Object.freeze({ AwaitAnswerMachinePrompt: true }),
    }));
    const result = expectOk(checkRequest(frozen, policy()));
    expect(result.request.Attributes).toStrictEqual({ name: 'Jane' });
    expect(result.request.Attributes).not.toBe(attributes);
  });
});

describe('accepted fields', () => {
  const permissive = policy({
    allowedContactFlowIds: [OTHER_FLOW],
    allowedQueueIds: [OTHER_QUEUE],
    allowedSourcePhoneNumbers: [OTHER_SOURCE],
    allowCampaignCalls: true,
  });

  // [field, value in the body, value expected in the normalised request (undefined: not forwarded)]
  const everyField: Array<[string, unknown, unknown]> = [
    ['DestinationPhoneNumber', GB_NUMBER, GB_NUMBER],
    ['ContactFlowId', OTHER_FLOW, OTHER_FLOW],
    ['InstanceId', INSTANCE, INSTANCE],
    ['QueueId', OTHER_QUEUE, OTHER_QUEUE],
    ['SourcePhoneNumber', OTHER_SOURCE, OTHER_SOURCE],
    ['Attributes', { 'customerName': 'Jane', 'order-id_1': '42' }, { 'customerName': 'Jane', 'order-id_1': '42' }],
    ['ClientToken', 'token-1', undefined],
    ['AnswerMachineDetectionConfig', { EnableAnswerMachineDetection: false, AwaitAnswerMachinePrompt: true },
      { EnableAnswerMachineDetection: false, AwaitAnswerMachinePrompt: true }],
    ['CampaignId', 'campaign-1', 'campaign-1'],
    ['TrafficType', 'CAMPAIGN', 'CAMPAIGN'],
    ['RingTimeoutInSeconds', 30, 30],
    ['Name', 'Delivery reminder', 'Delivery reminder'],
    ['Description', 'Calls the customer about order 42', 'Calls the customer about order 42'],
    ['References', { order: { Type: 'URL', Value: 'https://example.com/o/42' } }, { order: { Type: 'URL', Value: 'https://example.com/o/42' } }],
    ['RelatedContactId', 'c0ffee00-0000-4000-8000-000000000001', 'c0ffee00-0000-4000-8000-000000000001'],
  ];

  test('there are exactly 15 accepted fields', () => {
    expect(everyField).toHaveLength(15);
  });

  test.each(everyField)('%s is accepted', (field, value, expected) => {
    const result = expectOk(checkRequest(body({ [field]: value }), permissive));
    const request = result.request as unknown as Record<string, unknown>;
    if (field === 'ClientToken') {
      expect(result.idempotencyKey).toBe(value);
      expect('ClientToken' in request).toBe(false);
    } else {
      expect(request[field]).toStrictEqual(expected);
    }
  });

  test('all 15 fields together are accepted', () => {
    const all = Object.fromEntries(everyField.map(([field, value]) => [field, value]));
    const result = expectOk(checkRequest(all, permissive));
    expect(result.idempotencyKey).toBe('token-1');
    const expected = Object.fromEntries(everyField.filter(([f]) => f !== 'ClientToken').map(([f, , e]) => [f, e]));
    expect(result.request).toStrictEqual(expected);
  });

  test('an unknown field is refused, not ignored', () => {
    const problem = expectOneProblem(checkRequest(body({ Foo: 1 }), policy()), 'VALIDATION_ERROR', 'Foo');
    expect(problem.message).toMatch(/Unknown field "Foo"/);
  });

  test.each([
    ['destinationPhoneNumber', 'DestinationPhoneNumber'],
    ['contactflowid', 'ContactFlowId'],
    ['ATTRIBUTES', 'Attributes'],
    ['clientToken', 'ClientToken'],
    ['client_token', 'ClientToken'],
    ['ringTimeoutInSeconds', 'RingTimeoutInSeconds'],
  ])('a case typo "%s" is refused with a suggestion of %s', (typo, correct) => {
    const result = checkRequest({ DestinationPhoneNumber: US_NUMBER, [typo]: 'x' }, policy());
    const failed = expectFailure(result, 'VALIDATION_ERROR');
    const problem = failed.details.find((d) => d.field === typo);
    expect(problem?.message).toContain(`did you mean ${correct}?`);
  });

  test('OutboundStrategy is refused: only the outbound campaigns service may use it', () => {
    const result = checkRequest(body({ OutboundStrategy: { Type: 'AGENT_FIRST' } }), policy({ allowCampaignCalls: true }));
    const problem = expectOneProblem(result, 'VALIDATION_ERROR', 'OutboundStrategy');
    expect(problem.message).toMatch(/only the Amazon Connect outbound campaigns service/);
  });
});

// ---------------------------------------------------------------------------
// null and wrong types
// ---------------------------------------------------------------------------

describe('null and wrong types', () => {
  test.each([
    'DestinationPhoneNumber', 'ContactFlowId', 'InstanceId', 'QueueId', 'SourcePhoneNumber', 'Attributes',
    'ClientToken', 'AnswerMachineDetectionConfig', 'CampaignId', 'TrafficType', 'RingTimeoutInSeconds', 'Name',
    'Description', 'References', 'RelatedContactId',
  ])('%s: null is refused ("omit the field")', (field) => {
    const result = checkRequest({ DestinationPhoneNumber: US_NUMBER, [field]: null }, policy({ allowCampaignCalls: true }));
    const problem = expectOneProblem(result, 'VALIDATION_ERROR', field);
    expect(problem.message).toMatch(/omit the field/);
  });

  test.each<[string, unknown]>([
    ['DestinationPhoneNumber', 12125550123],
    ['ContactFlowId', 1],
    ['InstanceId', true],
    ['QueueId', [QUEUE]],
    ['SourcePhoneNumber', { number: SOURCE }],
    ['Attributes', 'name=Jane'],
    ['Attributes', [['name', 'Jane']]],
    ['ClientToken', 5],
    ['AnswerMachineDetectionConfig', true],
    ['AnswerMachineDetectionConfig', []],
    ['CampaignId', 1],
    ['TrafficType', 1],
    ['TrafficType', ['GENERAL']],
    ['RingTimeoutInSeconds', '30'],
    ['RingTimeoutInSeconds', true],
    ['Name', 1],
    ['Description', false],
    ['References', []],
    ['References', 'https://example.com'],
    ['RelatedContactId', 1],
  ])('%s: %j is the wrong type', (field, value) => {
    const result = checkRequest({ DestinationPhoneNumber: US_NUMBER, [field]: value }, policy());
    const problem = expectOneProblem(result, 'VALIDATION_ERROR', field);
    expect(problem.message).toMatch(/must be|got/);
  });
});

// ---------------------------------------------------------------------------
// String lengths
// ---------------------------------------------------------------------------

describe('string lengths', () => {
  const s = (n: number) => 'x'.repeat(n);

  // [field, length, accepted]
  test.each<[string, number, boolean]>([
    ['ClientToken', 0, false],
    ['ClientToken', 1, true],
    ['ClientToken', 500, true],
    ['ClientToken', 501, false],
    ['ContactFlowId', 0, false],
    ['ContactFlowId', 500, true],
    ['ContactFlowId', 501, false],
    ['InstanceId', 0, false],
    ['InstanceId', 1, true],
    ['InstanceId', 100, true],
    ['InstanceId', 101, false],
    ['CampaignId', 0, false],
    ['CampaignId', 1, true],
    ['CampaignId', 100, true],
    ['CampaignId', 101, false],
    ['Name', 0, true],
    ['Name', 1024, true],
    ['Name', 1025, false],
    ['Description', 0, true],
    ['Description', 4096, true],
    ['Description', 4097, false],
    ['RelatedContactId', 0, false],
    ['RelatedContactId', 1, true],
    ['RelatedContactId', 256, true],
    ['RelatedContactId', 257, false],
    ['QueueId', 0, false],
    ['QueueId', 2000, true],
  ])('%s of %i characters: accepted = %s', (field, length, accepted) => {
    const value = s(length);
    // The policy allows exactly this value, so only the length rule can refuse it.
    const p = policy({
      instanceId: field === 'InstanceId' ? value : INSTANCE,
      allowedContactFlowIds: [value],
      allowedQueueIds: [value],
    });
    const result = checkRequest(body({ [field]: value }), p);
    if (accepted) {
      const ok = expectOk(result);
      if (field === 'ClientToken') {
        expect(ok.idempotencyKey).toBe(value);
      } else {
        expect((ok.request as unknown as Record<string, unknown>)[field]).toBe(value);
      }
    } else {
      const problem = expectOneProblem(result, 'VALIDATION_ERROR', field);
      expect(problem.message).toMatch(length === 0 ? /must not be empty/ : /at most/);
    }
  });

  test('lengths count UTF-16 units: 1024 emoji (2048 units) are refused as a Name, 512 accepted', () => {
    expectOk(checkRequest(body({ Name: '😀'.repeat(512) }), policy()));
    expectOneProblem(checkRequest(body({ Name: '😀'.repeat(513) }), policy()), 'VALIDATION_ERROR', 'Name');
  });
});

// ---------------------------------------------------------------------------
// Attributes
// ---------------------------------------------------------------------------

describe('Attributes', () => {
  const check = (attributes: Record<string, unknown>) => checkRequest(body({ Attributes: attributes }), policy());

  // [description, attributes, bytes]
  test.each<[string, Record<string, string>, number]>([
    ['ASCII', { k: 'a'.repeat(32_767) }, 32_768],
    ['2-byte é', { ab: 'é'.repeat(16_383) }, 32_768],
    ['3-byte €', { ab: '€'.repeat(10_922) }, 32_768],
    ['4-byte emoji', { abcd: '😀'.repeat(8_191) }, 32_768],
    ['many attributes', Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${String(i).padStart(3, '0')}`, 'v'.repeat(508)])), 32_768],
  ])('%s: %#, 32,768 bytes in all are accepted', (_name, attributes, bytes) => {
    const total = Object.entries(attributes).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
    expect(total).toBe(bytes);
    expect(expectOk(check(attributes)).request.Attributes).toStrictEqual(attributes);
  });

  test.each<[string, Record<string, string>]>([
    ['ASCII', { kk: 'a'.repeat(32_767) }],
    ['2-byte é (16,386 characters)', { abc: 'é'.repeat(16_383) }],
    ['3-byte € (10,924 characters)', { abc: '€'.repeat(10_922) }],
    ['4-byte emoji', { abcde: '😀'.repeat(8_191) }],
    ['two attributes', { a: 'x'.repeat(16_383), b: 'y'.repeat(16_384) }],
  ])('%s: 32,769 bytes are refused', (_name, attributes) => {
    const total = Object.entries(attributes).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
    expect(total).toBe(32_769);
    const problem = expectOneProblem(check(attributes), 'VALIDATION_ERROR', 'Attributes');
    expect(problem.message).toMatch(/32,768 UTF-8 bytes.*32769/);
  });

  test('a key of 32,767 characters is accepted, 32,768 refused', () => {
    expectOk(check({ ['a'.repeat(32_767)]: '' }));
    const failed = expectFailure(check({ ['a'.repeat(32_768)]: '' }), 'VALIDATION_ERROR');
    expect(failed.details).toHaveLength(1);
    expect(failed.details[0].field).toBe(`Attributes.${'a'.repeat(64)}…`);
    expect(failed.details[0].message).toMatch(/1 to 32,767 characters/);
  });

  test('a value of 0 and of 32,767 characters is accepted, 32,768 refused', () => {
    expectOk(check({ k: '' }));
    expectOk(check({ k: 'v'.repeat(32_767) }));
    const failed = expectFailure(check({ k: 'v'.repeat(32_768) }), 'VALIDATION_ERROR');
    expect(failed.details.find((d) => d.field === 'Attributes.k')?.message).toMatch(/at most 32,767 characters/);
  });

  test.each([
    ['my key', 'Attributes.my key'],
    ['a.b', 'Attributes.a.b'],
    ['ключ', 'Attributes.ключ'],
    ['a$', 'Attributes.a$'],
    ['', 'Attributes.(empty key)'],
  ])('the key %j is refused', (key, field) => {
    const problem = expectOneProblem(check({ [key]: 'v' }), 'VALIDATION_ERROR', field);
    expect(problem.message).toMatch(key === '' ? /1 to 32,767/ : /only letters/);
  });

  test('keys of letters, digits, "_" and "-" are accepted', () => {
    expect(expectOk(check({ 'Az09_-': 'v', '_': '', '-': '' })).request.Attributes).toStrictEqual({ 'Az09_-': 'v', '_': '', '-': '' });
  });

  test.each<[unknown]>([[1], [true], [null], [{}], [['v']]])('the value %j is refused: values are strings', (value) => {
    const problem = expectOneProblem(check({ k: value }), 'VALIDATION_ERROR', 'Attributes.k');
    expect(problem.message).toMatch(/must be strings/);
  });

  test('an attribute named "__proto__" (from JSON) is kept as a plain attribute', () => {
    const parsed = JSON.parse(`{"DestinationPhoneNumber":"${US_NUMBER}","Attributes":{"__proto__":"x","a":"b"}}`);
    const attributes = expectOk(checkRequest(parsed, policy())).request.Attributes!;
    expect(Object.keys(attributes).sort()).toEqual(['__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(attributes, '__proto__')?.value).toBe('x');
  });
});

// ---------------------------------------------------------------------------
// RingTimeoutInSeconds, TrafficType, answering-machine detection, campaigns
// ---------------------------------------------------------------------------

describe('RingTimeoutInSeconds', () => {
  test.each<[unknown, boolean]>([
    [14, false],
    [15, true],
    [30, true],
    [60, true],
    [61, false],
    [15.5, false],
    [0, false],
    [-15, false],
    ['30', false],
  ])('%j: accepted = %s', (value, accepted) => {
    const result = checkRequest(body({ RingTimeoutInSeconds: value }), policy());
    if (accepted) {
      expect(expectOk(result).request.RingTimeoutInSeconds).toBe(value);
    } else {
      expectOneProblem(result, 'VALIDATION_ERROR', 'RingTimeoutInSeconds');
    }
  });
});

describe('TrafficType and campaigns', () => {
  test('defaults to GENERAL', () => {
    expect(expectOk(checkRequest(body(), policy())).request.TrafficType).toBe('GENERAL');
  });

  test.each<[unknown, 'GENERAL' | 'CAMPAIGN' | undefined]>([
    ['GENERAL', 'GENERAL'],
    ['CAMPAIGN', 'CAMPAIGN'],
    ['general', undefined],
    ['Campaign', undefined],
    ['PREVIEW', undefined],
    ['', undefined],
  ])('%j → %s', (value, expected) => {
    const result = checkRequest(body({ TrafficType: value }), policy({ allowCampaignCalls: true }));
    if (expected) {
      expect(expectOk(result).request.TrafficType).toBe(expected);
    } else {
      expect(expectOneProblem(result, 'VALIDATION_ERROR', 'TrafficType').message).toMatch(/GENERAL or CAMPAIGN/);
    }
  });

  test('CAMPAIGN is FORBIDDEN unless allowCampaignCalls', () => {
    const problem = expectOneProblem(checkRequest(body({ TrafficType: 'CAMPAIGN' }), policy()), 'FORBIDDEN', 'TrafficType');
    expect(problem.message).toMatch(/allowCampaignCalls/);
    expect(expectOk(checkRequest(body({ TrafficType: 'CAMPAIGN' }), policy({ allowCampaignCalls: true }))).request.TrafficType)
      .toBe('CAMPAIGN');
  });

  // [AnswerMachineDetectionConfig, TrafficType, allowCampaignCalls, expected code or 'ok', field]
  // Every row has all 5 values: a shorter row would make Jest pass a `done` callback and wait.
  test.each<[Record<string, unknown>, string | undefined, boolean, string, string | undefined]>([
    [{ EnableAnswerMachineDetection: true }, undefined, true, 'VALIDATION_ERROR', 'TrafficType'],
    [{ EnableAnswerMachineDetection: true }, 'GENERAL', true, 'VALIDATION_ERROR', 'TrafficType'],
    [{ EnableAnswerMachineDetection: true }, 'CAMPAIGN', true, 'ok', undefined],
    [{ EnableAnswerMachineDetection: true }, 'CAMPAIGN', false, 'FORBIDDEN', 'TrafficType'],
    [{ EnableAnswerMachineDetection: true }, undefined, false, 'VALIDATION_ERROR', 'TrafficType'],
    [{ EnableAnswerMachineDetection: false }, undefined, false, 'ok', undefined],
    [{ EnableAnswerMachineDetection: false, AwaitAnswerMachinePrompt: true }, 'GENERAL', false, 'ok', undefined],
    [{ AwaitAnswerMachinePrompt: true }, undefined, false, 'ok', undefined],
    [{}, undefined, false, 'ok', undefined],
    [{ EnableAnswerMachineDetection: 'true' }, 'CAMPAIGN', true, 'VALIDATION_ERROR', 'AnswerMachineDetectionConfig.EnableAnswerMachineDetection'],
    [{ EnableAnswerMachineDetection: null }, undefined, true, 'VALIDATION_ERROR', 'AnswerMachineDetectionConfig.EnableAnswerMachineDetection'],
    [{ AwaitAnswerMachinePrompt: 1 }, undefined, true, 'VALIDATION_ERROR', 'AnswerMachineDetectionConfig.AwaitAnswerMachinePrompt'],
    [{ Foo: true }, undefined, true, 'VALIDATION_ERROR', 'AnswerMachineDetectionConfig.Foo'],
    [{ enableAnswerMachineDetection: true }, undefined, true, 'VALIDATION_ERROR', 'AnswerMachineDetectionConfig.enableAnswerMachineDetection'],
  ])('AMD %j with TrafficType %s (allowCampaignCalls %s) → %s %s', (amd, trafficType, allowCampaignCalls, expected, field) => {
    const extra: Record<string, unknown> = { AnswerMachineDetectionConfig: amd };
    if (trafficType !== undefined) extra.TrafficType = trafficType;
    const result = checkRequest(body(extra), policy({ allowCampaignCalls }));
    if (expected === 'ok') {
      const ok = expectOk(result);
      expect(ok.request.AnswerMachineDetectionConfig).toStrictEqual(amd);
      expect(ok.request.TrafficType).toBe(trafficType ?? 'GENERAL');
    } else {
      const problem = expectOneProblem(result, expected as Failed['code'], field!);
      if (field === 'TrafficType' && expected === 'VALIDATION_ERROR') {
        expect(problem.message).toMatch(/CAMPAIGN when AnswerMachineDetectionConfig.EnableAnswerMachineDetection is true/);
      }
      if (field!.endsWith('enableAnswerMachineDetection')) {
        expect(problem.message).toContain('did you mean EnableAnswerMachineDetection?');
      }
    }
  });
});

// ---------------------------------------------------------------------------
// References
// ---------------------------------------------------------------------------

describe('References', () => {
  const check = (references: unknown) => checkRequest(body({ References: references }), policy());

  test.each(['URL', 'NUMBER', 'STRING', 'DATE', 'EMAIL'])('Type %s is accepted', (type) => {
    expect(expectOk(check({ r: { Type: type, Value: 'v' } })).request.References).toStrictEqual({ r: { Type: type, Value: 'v' } });
  });

  test('Value may be omitted, empty or 4,096 characters long', () => {
    expect(expectOk(check({ r: { Type: 'STRING' } })).request.References).toStrictEqual({ r: { Type: 'STRING' } });
    expectOk(check({ r: { Type: 'STRING', Value: '' } }));
    expectOk(check({ r: { Type: 'STRING', Value: 'v'.repeat(4096) } }));
  });

  test('reference names of 1 and 4,096 characters are accepted', () => {
    expectOk(check({ r: { Type: 'STRING', Value: 'v' } }));
    expectOk(check({ ['n'.repeat(4096)]: { Type: 'STRING', Value: 'v' } }));
  });

  test.each<[string, unknown, string, RegExp]>([
    ['ATTACHMENT', { r: { Type: 'ATTACHMENT', Value: 'a' } }, 'References.r.Type', /ATTACHMENT references are not supported/],
    ['a lower-case type', { r: { Type: 'url', Value: 'a' } }, 'References.r.Type', /one of URL, NUMBER, STRING, DATE, EMAIL/],
    ['a missing Type', { r: { Value: 'a' } }, 'References.r.Type', /Type is required/],
    ['a numeric Type', { r: { Type: 1, Value: 'a' } }, 'References.r.Type', /one of/],
    ['a Value of 4,097 characters', { r: { Type: 'STRING', Value: 'v'.repeat(4097) } }, 'References.r.Value', /at most 4,096/],
    ['a null Value', { r: { Type: 'STRING', Value: null } }, 'References.r.Value', /omit the field/],
    ['a numeric Value', { r: { Type: 'NUMBER', Value: 42 } }, 'References.r.Value', /must be a string/],
    ['Arn', { r: { Type: 'URL', Value: 'a', Arn: 'arn:aws:x' } }, 'References.r.Arn', /cannot be set/],
    ['Status', { r: { Type: 'URL', Value: 'a', Status: 'APPROVED' } }, 'References.r.Status', /cannot be set/],
    ['StatusReason', { r: { Type: 'URL', Value: 'a', StatusReason: 'x' } }, 'References.r.StatusReason', /cannot be set/],
    ['an unknown member', { r: { Type: 'URL', Value: 'a', Foo: 'x' } }, 'References.r.Foo', /Unknown member/],
    ['an empty name', { '': { Type: 'URL', Value: 'a' } }, 'References.(empty key)', /1 to 4,096/],
    ['a name of 4,097 characters', { ['n'.repeat(4097)]: { Type: 'URL', Value: 'a' } }, `References.${'n'.repeat(64)}…`, /1 to 4,096/],
    ['a string entry', { r: 'https://example.com' }, 'References.r', /must be an object/],
    ['a null entry', { r: null }, 'References.r', /must be an object/],
    ['an array entry', { r: [] }, 'References.r', /must be an object/],
  ])('%s is refused', (_name, references, field, message) => {
    expect(expectOneProblem(check(references), 'VALIDATION_ERROR', field).message).toMatch(message);
  });
});

// ---------------------------------------------------------------------------
// Contact flow ARNs and the override rules
// ---------------------------------------------------------------------------

describe('ContactFlowId given as an ARN', () => {
  test.each([
    ['aws', 'us-west-2'],
    ['aws-cn', 'cn-north-1'],
    ['aws-us-gov', 'us-gov-west-1'],
  ])('an ARN in partition %s is reduced to the flow id', (partition, region) => {
    const result = expectOk(checkRequest(body({ ContactFlowId: arn(INSTANCE, FLOW, partition, region) }), policy()));
    expect(result.request.ContactFlowId).toBe(FLOW);
  });

  test('the ARN of an allowed other flow is reduced and accepted', () => {
    const result = checkRequest(body({ ContactFlowId: arn(INSTANCE, OTHER_FLOW) }), policy({ allowedContactFlowIds: [OTHER_FLOW] }));
    expect(expectOk(result).request.ContactFlowId).toBe(OTHER_FLOW);
  });

  test('the ARN of a flow in another instance is FORBIDDEN, even for the default flow id', () => {
    const problem = expectOneProblem(
      checkRequest(body({ ContactFlowId: arn(OTHER_INSTANCE, FLOW) }), policy()), 'FORBIDDEN', 'ContactFlowId');
    expect(problem.message).toMatch(/another Amazon Connect instance/);
    expect(problem.message).not.toContain(OTHER_INSTANCE);
  });

  test('the ARN of a flow that is not allowed is FORBIDDEN', () => {
    const problem = expectOneProblem(
      checkRequest(body({ ContactFlowId: arn(INSTANCE, OTHER_FLOW) }), policy()), 'FORBIDDEN', 'ContactFlowId');
    expect(problem.message).toMatch(/allowedContactFlowIds/);
  });

  test.each([
    `arn:aws:connect:us-west-2:123456789012:instance/${INSTANCE}/queue/${QUEUE}`,
    `arn:aws:connect:us-west-2:123456789012:instance/${INSTANCE}`,
    `arn:aws:connect:us-west-2:123456789012:instance/${INSTANCE}/contact-flow/${FLOW}/extra`,
    `arn:aws:lambda:us-west-2:123456789012:function:f/contact-flow/${FLOW}`,
  ])('%s is not a contact-flow ARN', (value) => {
    const problem = expectOneProblem(checkRequest(body({ ContactFlowId: value }), policy()), 'VALIDATION_ERROR', 'ContactFlowId');
    expect(problem.message).toMatch(/not a contact-flow ARN/);
  });
});

describe('instance ids compare case-insensitively, as the construct compares them', () => {
  test('InstanceId in upper case is this instance, forwarded as the construct names it', () => {
    expect(expectOk(checkRequest(body({ InstanceId: INSTANCE.toUpperCase() }), policy())).request.InstanceId).toBe(INSTANCE);
  });

  test('a contact-flow ARN whose instance id is in upper case belongs to this instance', () => {
    expect(expectOk(checkRequest(body({ ContactFlowId: arn(INSTANCE.toUpperCase(), FLOW) }), policy())).request.ContactFlowId)
      .toBe(FLOW);
  });
});

describe('overrides are closed by default', () => {
  // [field, value, policy, accepted, prop named in the message]
  // Every row has all 5 values: a shorter row would make Jest pass a `done` callback and wait.
  test.each<[string, string, Partial<RequestPolicy>, boolean, string | undefined]>([
    ['ContactFlowId', FLOW, {}, true, undefined],
    ['ContactFlowId', OTHER_FLOW, {}, false, 'allowedContactFlowIds'],
    ['ContactFlowId', OTHER_FLOW, { allowedContactFlowIds: [THIRD_FLOW] }, false, 'allowedContactFlowIds'],
    ['ContactFlowId', OTHER_FLOW, { allowedContactFlowIds: [THIRD_FLOW, OTHER_FLOW] }, true, undefined],
    ['ContactFlowId', OTHER_FLOW.toUpperCase(), { allowedContactFlowIds: [OTHER_FLOW] }, false, 'allowedContactFlowIds'],
    ['QueueId', QUEUE, {}, true, undefined],
    ['QueueId', OTHER_QUEUE, {}, false, 'allowedQueueIds'],
    ['QueueId', OTHER_QUEUE, { allowedQueueIds: [OTHER_QUEUE] }, true, undefined],
    ['QueueId', QUEUE, { queueId: undefined }, false, 'allowedQueueIds'],
    ['QueueId', QUEUE, { queueId: undefined, allowedQueueIds: [QUEUE] }, true, undefined],
    ['SourcePhoneNumber', SOURCE, {}, true, undefined],
    ['SourcePhoneNumber', OTHER_SOURCE, {}, false, 'allowedSourcePhoneNumbers'],
    ['SourcePhoneNumber', OTHER_SOURCE, { allowedSourcePhoneNumbers: [OTHER_SOURCE] }, true, undefined],
    ['SourcePhoneNumber', SOURCE, { sourcePhoneNumber: undefined }, false, 'allowedSourcePhoneNumbers'],
    ['InstanceId', INSTANCE, {}, true, undefined],
    ['InstanceId', OTHER_INSTANCE, {}, false, 'instanceId'],
  ])('%s %s with policy %j: accepted = %s', (field, value, overrides, accepted, prop) => {
    const p = policy(overrides);
    const result = checkRequest(body({ [field]: value }), p);
    if (accepted) {
      expect((expectOk(result).request as unknown as Record<string, unknown>)[field]).toBe(value);
    } else {
      const problem = expectOneProblem(result, 'FORBIDDEN', field);
      expect(problem.message).toContain(prop!);
      // Never lists the allowed values themselves.
      const allowedValues = [p.contactFlowId, p.queueId, p.sourcePhoneNumber, p.instanceId, ...p.allowedContactFlowIds,
        ...p.allowedQueueIds, ...p.allowedSourcePhoneNumbers].filter((v): v is string => v !== undefined);
      for (const allowed of allowedValues) {
        expect(problem.message).not.toContain(allowed);
        expect(problem.message).not.toContain(allowed.slice(2)); // nor the national digits of a number
      }
    }
  });

  test('source numbers are compared in normalised E.164', () => {
    // libphonenumber drops the trunk "0" after +44: both spellings are the same number.
    const p = policy({ allowedSourcePhoneNumbers: ['+4402071838750'] });
    expect(expectOk(checkRequest(body({ SourcePhoneNumber: GB_NUMBER }), p)).request.SourcePhoneNumber).toBe(GB_NUMBER);
    const q = policy({ allowedSourcePhoneNumbers: [GB_NUMBER] });
    expect(expectOk(checkRequest(body({ SourcePhoneNumber: '+4402071838750' }), q)).request.SourcePhoneNumber).toBe(GB_NUMBER);
  });

  test('an invalid source number is a VALIDATION_ERROR, not FORBIDDEN', () => {
    expectOneProblem(checkRequest(body({ SourcePhoneNumber: '+15551234567' }), policy()), 'VALIDATION_ERROR', 'SourcePhoneNumber');
    expectOneProblem(checkRequest(body({ SourcePhoneNumber: '2065550100' }), policy()), 'VALIDATION_ERROR', 'SourcePhoneNumber');
  });

  test('without a default caller id a request must give a source number or a queue', () => {
    const bare = policy({ sourcePhoneNumber: undefined, queueId: undefined, allowedQueueIds: [QUEUE] });
    expectOneProblem(checkRequest(body(), bare), 'VALIDATION_ERROR', 'SourcePhoneNumber');
    expect(expectOk(checkRequest(body({ QueueId: QUEUE }), bare)).request).toStrictEqual({
      InstanceId: INSTANCE, ContactFlowId: FLOW, DestinationPhoneNumber: US_NUMBER, QueueId: QUEUE, TrafficType: 'GENERAL',
    });
  });
});

// ---------------------------------------------------------------------------
// Phone numbers and the destination policy
// ---------------------------------------------------------------------------

describe('DestinationPhoneNumber', () => {
  test.each([
    ['no plus', '12125550123'],
    ['spaces', '+1 212 555 0123'],
    ['dashes', '+1-212-555-0123'],
    ['brackets', '+1(212)5550123'],
    ['a leading space', ' +12125550123'],
    ['an extension', '+12125550123;ext=5'],
    ['country code 0', '+01212555012'],
    ['16 digits', '+1212555012312345'],
    ['only a plus', '+'],
    ['empty', ''],
  ])('not E.164 (%s) is refused', (_name, value) => {
    const problem = expectOneProblem(checkRequest(body({ DestinationPhoneNumber: value }), policy()), 'VALIDATION_ERROR', 'DestinationPhoneNumber');
    expect(problem.message).toMatch(/E\.164/);
  });

  test.each([
    ['US 555 exchange code', '+15551234567'],
    ['US area code 000', '+10000000000'],
    ['US area code starting with 1', '+11234567890'],
    ['too short for the US', '+1212555012'],
    ['unassigned country code 999', '+999123456'],
    ['too short for the UK', '+44207183875'],
    ['+882 without a valid network', '+882345678901'],
  ])('matches the E.164 pattern but is not a valid number (%s): refused', (_name, value) => {
    const problem = expectOneProblem(checkRequest(body({ DestinationPhoneNumber: value }), policy()), 'VALIDATION_ERROR', 'DestinationPhoneNumber');
    expect(problem.message).toMatch(/not a valid phone number/);
    expect(problem.message).not.toContain(value);
    expect(problem.message).toContain(`***${value.slice(-4)}`);
  });

  test('the number is forwarded as libphonenumber formats it', () => {
    const result = expectOk(checkRequest(body({ DestinationPhoneNumber: '+4402071838750' }), policy()));
    expect(result.request.DestinationPhoneNumber).toBe(GB_NUMBER);
    expect(destinationCountry(result)).toBe('GB');
  });

  const countries: CountryCode[] = ['US', 'GB', 'DE', 'FR', 'JP', 'AU', 'BR', 'IN', 'ZA', 'MX'];
  test.each(countries)('the example mobile number of %s is accepted with its country in the list', (country) => {
    const example = getExampleNumber(country, mobileExamples as unknown as Examples, maxMetadata as unknown as MetadataJson)!;
    const result = expectOk(checkRequest(body({ DestinationPhoneNumber: example.number }),
      policy({ allowedDestinationCountries: [country] })));
    expect(result.request.DestinationPhoneNumber).toBe(example.number);
    expect(destinationCountry(result)).toBe(country);
  });
});

describe('destination policy', () => {
  const usCa = policy({ allowedDestinationCountries: ['US', 'CA'] });

  test.each([
    [US_NUMBER, 'US'],
    [CA_NUMBER, 'CA'],
  ])('%s is in an allowed country (%s)', (number, country) => {
    expect(destinationCountry(expectOk(checkRequest(body({ DestinationPhoneNumber: number }), usCa)))).toBe(country);
  });

  test('a number outside the allowed countries is DESTINATION_NOT_ALLOWED, masked', () => {
    const problem = expectOneProblem(
      checkRequest(body({ DestinationPhoneNumber: GB_NUMBER }), usCa), 'DESTINATION_NOT_ALLOWED', 'DestinationPhoneNumber');
    expect(problem.message).toMatch(/country GB is not allowed/);
    expect(problem.message).toMatch(/allowedDestinationCountries/);
    expect(problem.message).toContain('***8750');
    expect(problem.message).not.toContain('20718');
    expect(problem.message).not.toMatch(/\bUS\b|\bCA\b/); // the allowed countries are not listed
  });

  test('a non-geographic number (+800) is refused with a country list and accepted without', () => {
    const problem = expectOneProblem(
      checkRequest(body({ DestinationPhoneNumber: INTL_FREEPHONE }), usCa), 'DESTINATION_NOT_ALLOWED', 'DestinationPhoneNumber');
    expect(problem.message).toMatch(/non-geographic/);
    const ok = expectOk(checkRequest(body({ DestinationPhoneNumber: INTL_FREEPHONE }), policy()));
    expect(ok.request.DestinationPhoneNumber).toBe(INTL_FREEPHONE);
    expect(destinationCountry(ok)).toBeUndefined();
  });

  test('an empty country list allows no destination', () => {
    expectOneProblem(checkRequest(body(), policy({ allowedDestinationCountries: [] })), 'DESTINATION_NOT_ALLOWED', 'DestinationPhoneNumber');
  });

  test.each([
    ['UK 09xx premium rate', GB_PREMIUM, /premium-rate number/],
    ['US 1-900 premium rate', US_PREMIUM, /premium-rate number/],
    ['international premium rate (+979)', INTL_PREMIUM, /premium-rate number/],
    ['French 0810 shared cost', FR_SHARED_COST, /shared-cost number/],
    ['Spanish 901 shared cost', ES_SHARED_COST, /shared-cost number/],
  ])('%s is blocked by default and allowed with blockPremiumRateNumbers: false', (_name, number, message) => {
    const problem = expectOneProblem(
      checkRequest(body({ DestinationPhoneNumber: number }), policy()), 'DESTINATION_NOT_ALLOWED', 'DestinationPhoneNumber');
    expect(problem.message).toMatch(message);
    expect(problem.message).toMatch(/blockPremiumRateNumbers/);
    expect(problem.message).not.toContain(number.slice(1, -4));
    const ok = expectOk(checkRequest(body({ DestinationPhoneNumber: number }), policy({ blockPremiumRateNumbers: false })));
    expect(ok.request.DestinationPhoneNumber).toBe(number);
  });

  test('toll-free and ordinary numbers are not blocked as premium', () => {
    expectOk(checkRequest(body({ DestinationPhoneNumber: '+18002345678' }), policy()));
    expectOk(checkRequest(body({ DestinationPhoneNumber: GB_NUMBER }), policy()));
  });

  test('a premium number outside the country list reports both problems', () => {
    const failed = expectFailure(
      checkRequest(body({ DestinationPhoneNumber: GB_PREMIUM }), usCa), 'DESTINATION_NOT_ALLOWED');
    expect(failed.details).toHaveLength(2);
    expect(failed.message).toBe('2 problems in the request; see details.');
  });
});

// ---------------------------------------------------------------------------
// Idempotency key
// ---------------------------------------------------------------------------

describe('idempotency key', () => {
  // [ClientToken in the body, Idempotency-Key header, expected key or the field of the problem]
  test.each<[string | undefined, string | undefined, { key?: string; problem?: string }]>([
    [undefined, undefined, {}],
    [undefined, 'header-key', { key: 'header-key' }],
    ['body-key', undefined, { key: 'body-key' }],
    ['same-key', 'same-key', { key: 'same-key' }],
    ['body-key', 'header-key', { problem: 'Idempotency-Key' }],
    ['Key', 'key', { problem: 'Idempotency-Key' }], // case-sensitive, like the API's ClientToken
    [undefined, '', { problem: 'Idempotency-Key' }],
    [undefined, 'h'.repeat(500), { key: 'h'.repeat(500) }],
    [undefined, 'h'.repeat(501), { problem: 'Idempotency-Key' }],
    ['b'.repeat(501), 'header-key', { problem: 'ClientToken' }],
  ])('ClientToken %s, header %s → %j', (clientToken, header, expected) => {
    const extra = clientToken === undefined ? {} : { ClientToken: clientToken };
    const headers = header === undefined ? {} : { idempotencyKey: header };
    const result = checkRequest(body(extra), policy(), headers);
    if (expected.problem !== undefined) {
      const problem = expectOneProblem(result, 'VALIDATION_ERROR', expected.problem);
      if (clientToken !== undefined && header !== undefined && clientToken.length <= 500) {
        expect(problem.message).toMatch(/differ/);
      }
    } else {
      const ok = expectOk(result);
      expect(ok.idempotencyKey).toBe(expected.key);
      expect('ClientToken' in ok.request).toBe(false);
    }
  });
});

// ---------------------------------------------------------------------------
// Several problems at once, precedence of codes, no raw numbers in messages
// ---------------------------------------------------------------------------

describe('several problems', () => {
  test('all problems of a request are reported together', () => {
    const result = checkRequest({
      DestinationPhoneNumber: '212-555-0123',
      RingTimeoutInSeconds: 5,
      Foo: 1,
      Attributes: { 'my key': 'v' },
      Name: 'n'.repeat(1025),
    }, policy());
    const failed = expectFailure(result, 'VALIDATION_ERROR');
    expect(fields(result)).toEqual(['Attributes.my key', 'DestinationPhoneNumber', 'Foo', 'Name', 'RingTimeoutInSeconds']);
    expect(failed.message).toBe('5 problems in the request; see details.');
  });

  test('several FORBIDDEN problems are reported together', () => {
    const result = checkRequest(body({
      ContactFlowId: OTHER_FLOW, QueueId: OTHER_QUEUE, SourcePhoneNumber: OTHER_SOURCE, InstanceId: OTHER_INSTANCE, TrafficType: 'CAMPAIGN',
    }), policy());
    expectFailure(result, 'FORBIDDEN');
    expect(fields(result)).toEqual(['ContactFlowId', 'InstanceId', 'QueueId', 'SourcePhoneNumber', 'TrafficType']);
  });

  test('VALIDATION_ERROR wins over FORBIDDEN and DESTINATION_NOT_ALLOWED, and lists only its own problems', () => {
    const result = checkRequest(body({ DestinationPhoneNumber: GB_PREMIUM, QueueId: OTHER_QUEUE, Name: 1, Description: 2 }), policy());
    expectFailure(result, 'VALIDATION_ERROR');
    expect(fields(result)).toEqual(['Description', 'Name']);
  });

  test('FORBIDDEN wins over DESTINATION_NOT_ALLOWED', () => {
    const result = checkRequest(body({ DestinationPhoneNumber: GB_PREMIUM, QueueId: OTHER_QUEUE }), policy());
    expectOneProblem(result, 'FORBIDDEN', 'QueueId');
  });

  test('DESTINATION_NOT_ALLOWED alone', () => {
    expectOneProblem(checkRequest(body({ DestinationPhoneNumber: GB_PREMIUM }), policy()), 'DESTINATION_NOT_ALLOWED', 'DestinationPhoneNumber');
  });

  test.each([
    ['an invalid destination', { DestinationPhoneNumber: '+15551234567' }, policy()],
    ['a premium destination', { DestinationPhoneNumber: GB_PREMIUM }, policy()],
    ['a destination outside the countries', { DestinationPhoneNumber: GB_NUMBER }, policy({ allowedDestinationCountries: ['US'] })],
    ['a source not allowed', { DestinationPhoneNumber: US_NUMBER, SourcePhoneNumber: OTHER_SOURCE }, policy()],
    ['an invalid source', { DestinationPhoneNumber: US_NUMBER, SourcePhoneNumber: '+15551234567' }, policy()],
  ])('no message echoes a full phone number (%s)', (_name, request, p) => {
    const result = checkRequest(request, p);
    const failed = expectFailure(result, result.ok ? 'VALIDATION_ERROR' : result.code);
    const text = JSON.stringify(failed);
    for (const number of Object.values(request)) {
      expect(text).not.toContain(number.slice(0, -4));
      expect(text).not.toContain(number.slice(1, -4));
    }
  });
});

describe('caller-chosen names never echo a phone number', () => {
  test.each([
    ['an unknown field', { 'call +1 201-555-0123': true }],
    ['an attribute key', { Attributes: { 'Mobile_12015550123!': 'x' } }],
    ['an answering-machine member', { AnswerMachineDetectionConfig: { 12015550123: true } }],
  ])('%s: digits masked to the last 4 in field and message', (_name, extra) => {
    const result = checkRequest({ DestinationPhoneNumber: '+12125550123', ...extra }, {
      instanceId: INSTANCE_ID,
      contactFlowId: CONTACT_FLOW_ID,
      sourcePhoneNumber: SOURCE_PHONE_NUMBER,
      allowedContactFlowIds: [],
      allowedQueueIds: [],
      allowedSourcePhoneNumbers: [],
      blockPremiumRateNumbers: true,
      allowCampaignCalls: false,
    });
    expect(result.ok).toBe(false);
    const text = JSON.stringify(result);
    expect(text).not.toMatch(/201.?555/);
    expect(text).toContain('***0123');
  });
});
