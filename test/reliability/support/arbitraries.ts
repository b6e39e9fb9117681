/**
 * Generated requests for the bad-input properties, each with what the
 * contract (README, "The HTTP contract") says the answer must be. The oracle is written from
 * the contract and the API reference's limits, not read from lambda/: phone
 * numbers are judged with libphonenumber-js (full metadata), the library the
 * contract names.
 */
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { getCountries, getExampleNumber, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';
import { CONTACT_FLOW_ID, INSTANCE_ID, SOURCE_PHONE_NUMBER } from '../../lambda/bundle';

// ---------------------------------------------------------------------------
// The endpoint under test
// ---------------------------------------------------------------------------

export const OTHER_FLOW_ID = '2f4c6e8a-1b3d-4f5a-8c7e-9d0b1a2c3e4f';
export const QUEUE_ID = '5b2b7a5e-7c5a-4b8a-9c47-9a6f0a1d2e3f';
export const OTHER_SOURCE = '+14155550101';
const OTHER_INSTANCE_ID = '99999999-8888-4777-8666-555555555555';

/** Environment of the fuzzed stand: one more flow, a queue and one more caller id are allowed; campaigns are not. */
export const FUZZ_POLICY_ENV = {
  ALLOWED_CONTACT_FLOW_IDS: OTHER_FLOW_ID,
  ALLOWED_QUEUE_IDS: QUEUE_ID,
  ALLOWED_SOURCE_PHONE_NUMBERS: OTHER_SOURCE,
  ALLOW_CAMPAIGN_CALLS: 'false',
  BLOCK_PREMIUM_RATE_NUMBERS: 'true',
  ALLOWED_DESTINATION_COUNTRIES: '*',
};

const flowArn = (flowId: string, instanceId = INSTANCE_ID): string =>
  `arn:aws:connect:us-east-1:111122223333:instance/${instanceId}/contact-flow/${flowId}`;

// ---------------------------------------------------------------------------
// Phone numbers and their verdicts
// ---------------------------------------------------------------------------

export type PhoneVerdict =
  | { readonly kind: 'invalid' }
  /** premium-rate or shared-cost: refused by the destination policy */
  | { readonly kind: 'blocked'; readonly e164: string }
  | { readonly kind: 'valid'; readonly e164: string };

const E164 = /^\+[1-9]\d{1,14}$/;

/** What the contract says about a phone-number field value: E.164 syntax and a valid number, then its type. */
export function judgePhone(value: unknown): PhoneVerdict {
  if (typeof value !== 'string' || !E164.test(value)) return { kind: 'invalid' };
  const parsed = parsePhoneNumberFromString(value);
  if (!parsed || !parsed.isValid()) return { kind: 'invalid' };
  const type = parsed.getType();
  if (type === 'PREMIUM_RATE' || type === 'SHARED_COST') return { kind: 'blocked', e164: parsed.number };
  return { kind: 'valid', e164: parsed.number };
}

/** The simulator refuses these destinations (Connect blocks UK mobiles until a quota increase). */
export const CONNECT_BLOCKED_PREFIX = '+447';

/** One valid example mobile number per country (libphonenumber's examples), E.164. */
export const EXAMPLE_NUMBERS: readonly string[] = [...new Set(getCountries()
  .map((country) => getExampleNumber(country, examples)?.number)
  .filter((n): n is NonNullable<typeof n> => n !== undefined)
  .map(String))];

/** Destinations that validate and that the simulator accepts. */
export const GOOD_DESTINATIONS: readonly string[] = EXAMPLE_NUMBERS
  .filter((n) => judgePhone(n).kind === 'valid' && !n.startsWith(CONNECT_BLOCKED_PREFIX));

/** Premium-rate and shared-cost numbers (toll fraud): the destination policy refuses them. */
export const PREMIUM_NUMBERS: readonly string[] = [
  '+19005550123', '+19765550123', '+448712345678', '+449012345678', '+33891234567', '+4990012345678', '+61190012345',
].filter((n) => judgePhone(n).kind === 'blocked');

if (GOOD_DESTINATIONS.length < 100 || PREMIUM_NUMBERS.length < 2 || judgePhone(OTHER_SOURCE).kind !== 'valid') {
  throw new Error('arbitraries: the phone-number fixtures are not what the oracle expects; check libphonenumber-js');
}

const ALLOWED_SOURCES = [SOURCE_PHONE_NUMBER, OTHER_SOURCE];

// ---------------------------------------------------------------------------
// Cases and expectations
// ---------------------------------------------------------------------------

export type Expectation =
  /** 200 and exactly one new contact in the simulator */
  | { readonly kind: 'placed' }
  /** refused before anything is written or called: this status and code, these fields named in details */
  | { readonly kind: 'refused'; readonly status: number; readonly code: string; readonly fields?: readonly string[] }
  /** valid, but Connect says no: one Connect request, no contact */
  | { readonly kind: 'connect-refused'; readonly status: number; readonly code: string }
  /** any definite 4xx, and no Connect call (inputs whose exact answer the contract leaves open) */
  | { readonly kind: 'no-call' }
  /** either placed (200, one contact) or a 4xx without a Connect call */
  | { readonly kind: 'placed-or-refused' }
  /** one of these answers, and no Connect call */
  | { readonly kind: 'one-of'; readonly answers: ReadonlyArray<{ readonly status: number; readonly code: string }> };

export interface Case {
  readonly label: string;
  /** GET /contact/outbound-voice/{contactId} (the status route) instead of the PUT. */
  readonly statusOf?: string;
  /** Raw body; undefined: no body (null in the event). */
  readonly body?: string | Uint8Array;
  readonly base64?: boolean;
  /** Header map; null: the event's `headers` is null (no headers at all). */
  readonly headers: Record<string, string | string[]> | null;
  readonly expect: Expectation;
  /** Phone numbers this request carries anywhere: none may reach the logs beyond its last 4 digits. */
  readonly numbers: readonly string[];
}

const placed: Expectation = { kind: 'placed' };
const invalid = (...fields: string[]): Expectation => ({ kind: 'refused', status: 400, code: 'VALIDATION_ERROR', fields });
const forbidden = (...fields: string[]): Expectation => ({ kind: 'refused', status: 403, code: 'FORBIDDEN', fields });
const tooLarge: Expectation = { kind: 'refused', status: 413, code: 'PAYLOAD_TOO_LARGE' };
const unsupported: Expectation = { kind: 'refused', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' };
const JSON_HEADERS = { 'Content-Type': 'application/json' };

type Body = Record<string, unknown>;

function jsonCase(label: string, body: unknown, expect: Expectation, options: Partial<Case> = {}): Case {
  return { label, body: typeof body === 'string' ? body : JSON.stringify(body), headers: JSON_HEADERS, expect, numbers: [], ...options };
}

/** Phone numbers in a request body built from the valid-request arbitrary. */
function numbersOf(body: Body): string[] {
  return [body.DestinationPhoneNumber, body.SourcePhoneNumber].filter((n): n is string => typeof n === 'string');
}

/** What a valid request answers: placed, unless Connect refuses the destination. */
function expectForValid(body: Body): Expectation {
  const verdict = judgePhone(body.DestinationPhoneNumber);
  if (verdict.kind === 'valid' && verdict.e164.startsWith(CONNECT_BLOCKED_PREFIX)) {
    return { kind: 'connect-refused', status: 403, code: 'DESTINATION_NOT_ALLOWED' };
  }
  return placed;
}

/** Exactly `length` UTF-16 code units made of `unit` (padded with "x" when a surrogate pair would not fit). */
export function fill(length: number, unit: string): string {
  if (length <= 0) return '';
  return unit.repeat(Math.floor(length / unit.length)) + 'x'.repeat(length % unit.length);
}

const BYTES_LIMIT = 128 * 1024;

// ---------------------------------------------------------------------------
// A valid request
// ---------------------------------------------------------------------------

const attributeKey = fc.stringMatching(/^[A-Za-z0-9_-]{1,16}$/);
/** At most `maxLength` UTF-16 code units (a 'binary' unit may be a surrogate pair, two units). */
const text = (maxLength: number, minLength = 0): fc.Arbitrary<string> =>
  fc.string({ minLength, maxLength: Math.max(minLength, Math.floor(maxLength / 2)), unit: 'binary' });
const REFERENCE_TYPES = ['URL', 'NUMBER', 'STRING', 'DATE', 'EMAIL'] as const;

/** A request every rule accepts (small values; the limits have their own arbitrary). */
export const validRequest: fc.Arbitrary<Body> = fc.record({
  DestinationPhoneNumber: fc.constantFrom(...GOOD_DESTINATIONS),
  ContactFlowId: fc.constantFrom(CONTACT_FLOW_ID, OTHER_FLOW_ID, flowArn(CONTACT_FLOW_ID), flowArn(OTHER_FLOW_ID)),
  InstanceId: fc.constant(INSTANCE_ID),
  QueueId: fc.constant(QUEUE_ID),
  SourcePhoneNumber: fc.constantFrom(...ALLOWED_SOURCES),
  Attributes: fc.dictionary(attributeKey, text(40), { maxKeys: 4, noNullPrototype: true }),
  CampaignId: text(100, 1),
  TrafficType: fc.constant('GENERAL'),
  RingTimeoutInSeconds: fc.integer({ min: 15, max: 60 }),
  Name: text(60),
  Description: text(120),
  References: fc.dictionary(text(20, 1), fc.record({ Type: fc.constantFrom(...REFERENCE_TYPES), Value: text(40) }, { requiredKeys: ['Type'] }),
    { maxKeys: 3, noNullPrototype: true }),
  RelatedContactId: text(64, 1),
  AnswerMachineDetectionConfig: fc.record({ AwaitAnswerMachinePrompt: fc.boolean(), EnableAnswerMachineDetection: fc.constant(false) },
    { requiredKeys: [] }),
}, { requiredKeys: ['DestinationPhoneNumber'] }) as fc.Arbitrary<Body>;

// ---------------------------------------------------------------------------
// A. Random JSON
// ---------------------------------------------------------------------------

const ACCEPTED = new Set([
  'DestinationPhoneNumber', 'ContactFlowId', 'InstanceId', 'QueueId', 'SourcePhoneNumber', 'Attributes', 'ClientToken',
  'AnswerMachineDetectionConfig', 'CampaignId', 'TrafficType', 'RingTimeoutInSeconds', 'Name', 'Description', 'References',
  'RelatedContactId',
]);

/** Any JSON value or text as the body: never a valid request. */
export const randomJsonCase: fc.Arbitrary<Case> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((value) => jsonCase('random JSON value', value, invalid())),
  fc.json({ maxDepth: 3 }).map((textBody) => jsonCase('random JSON text', textBody, invalid())),
  fc.string({ maxLength: 200, unit: 'binary' }).map((textBody) => jsonCase('random text', textBody, invalid())),
  fc.tuple(validRequest, fc.dictionary(fc.string({ minLength: 1, maxLength: 30, unit: 'binary' }).filter((k) => !ACCEPTED.has(k)),
    fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 4 }))
    .map(([body, extra]) => {
      const merged = { ...body, ...extra };
      // details name each unknown field (long names are shortened in messages: only the short ones are checked)
      const fields = Object.keys(extra).filter((k) => k.length <= 64);
      return jsonCase('valid request with unknown fields', merged, invalid(...fields), { numbers: numbersOf(body) });
    }),
);

// ---------------------------------------------------------------------------
// B. Bytes: invalid UTF-8, base64, BOM
// ---------------------------------------------------------------------------

const INVALID_UTF8: ReadonlyArray<readonly number[]> = [
  [0x80], [0xbf], [0xc0, 0xaf], [0xc1, 0xbf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf],
  [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xfe], [0xff], [0xe2, 0x82], [0xf0, 0x9f, 0x98],
];

function base64Case(label: string, bytes: Uint8Array, expect: Expectation, numbers: string[] = []): Case {
  return { label, body: bytes, base64: true, headers: JSON_HEADERS, expect, numbers };
}

/** Random bytes, and valid requests with an invalid UTF-8 sequence in a string, sent base64-encoded. */
export const bytesCase: fc.Arbitrary<Case> = fc.oneof(
  {
    arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => base64Case('random bytes', bytes,
    // random bytes are never a valid request; an empty body is a 400 too
      isUtf8(bytes) ? invalid() : invalid('(body)'))),
    weight: 2,
  },
  {
    arbitrary: fc.tuple(validRequest, fc.constantFrom(...INVALID_UTF8), fc.nat()).map(([body, bad, at]) => {
      const marker = 'INVALID_UTF8_HERE';
      const json = Buffer.from(JSON.stringify({ ...body, Name: `${String(body.Name ?? '').slice(0, at % 8)}${marker}` }), 'utf8');
      const position = json.indexOf(marker);
      const bytes = Buffer.concat([json.subarray(0, position), Buffer.from(bad), json.subarray(position + marker.length)]);
      return base64Case('valid request with an invalid UTF-8 sequence', bytes, invalid('(body)'), numbersOf(body));
    }),
    weight: 2,
  },
  // valid, so placed: fewer of them (a placed call costs ~50 times a refusal)
  {
    arbitrary: fc.tuple(validRequest, fc.string({ maxLength: 60, unit: 'grapheme' }).filter((name) => name.length <= 1024)).map(([body, name]) =>
      base64Case('valid request with multi-byte UTF-8, base64', Buffer.from(JSON.stringify({ ...body, Name: name }), 'utf8'),
        expectForValid(body), numbersOf(body))),
    weight: 1,
  },
  {
    arbitrary: fc.tuple(validRequest, fc.constantFrom(...INVALID_UTF8)).map(([body, bad]) =>
      base64Case('invalid UTF-8 before the JSON', Buffer.concat([Buffer.from(bad), Buffer.from(JSON.stringify(body))]), invalid('(body)'),
        numbersOf(body))),
    weight: 2,
  },
);

// ---------------------------------------------------------------------------
// C. Wrong types per field
// ---------------------------------------------------------------------------

const smallArray = fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 });
const notAString = fc.oneof(fc.constant(null), fc.integer(), fc.double({ noNaN: true }), fc.boolean(), smallArray,
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }));
const notAnObject = fc.oneof(fc.constant(null), fc.integer(), fc.boolean(), fc.string({ maxLength: 10 }), smallArray);
const notABoolean = fc.oneof(fc.constant(null), fc.integer(), fc.string({ maxLength: 10 }), fc.array(fc.boolean(), { maxLength: 2 }),
  fc.constant({}));
const notAnInteger = fc.oneof(fc.constant(null), fc.boolean(), fc.string({ maxLength: 10 }), fc.constant('30'), fc.array(fc.integer(), { maxLength: 2 }),
  fc.constant({}), fc.double({ min: 15, max: 60, noNaN: true }).filter((x) => !Number.isInteger(x)));

const WRONG: Record<string, fc.Arbitrary<unknown>> = {
  DestinationPhoneNumber: notAString,
  ContactFlowId: notAString,
  InstanceId: notAString,
  QueueId: notAString,
  SourcePhoneNumber: notAString,
  ClientToken: notAString,
  CampaignId: notAString,
  Name: notAString,
  Description: notAString,
  RelatedContactId: notAString,
  TrafficType: fc.oneof(notAString, fc.constantFrom('general', 'Campaign', 'OTHER', ' GENERAL', '')),
  RingTimeoutInSeconds: notAnInteger,
  Attributes: fc.oneof(notAnObject, fc.dictionary(attributeKey, notAString.filter((v) => typeof v !== 'string'), { minKeys: 1, maxKeys: 3 })),
  AnswerMachineDetectionConfig: fc.oneof(notAnObject,
    fc.record({ EnableAnswerMachineDetection: notABoolean }), fc.record({ AwaitAnswerMachinePrompt: notABoolean })),
  References: fc.oneof(notAnObject,
    fc.dictionary(text(10, 1), notAnObject, { minKeys: 1, maxKeys: 2 }),
    fc.dictionary(text(10, 1), fc.record({ Type: notAString }), { minKeys: 1, maxKeys: 2 }),
    fc.dictionary(text(10, 1), fc.record({ Type: fc.constantFrom(...REFERENCE_TYPES), Value: notAString }), { minKeys: 1, maxKeys: 2 })),
};

/** A valid request with one to three fields of the wrong type (or removed, for the required one). */
export const wrongTypeCase: fc.Arbitrary<Case> = fc.tuple(
  validRequest,
  fc.uniqueArray(fc.constantFrom(...Object.keys(WRONG)), { minLength: 1, maxLength: 3 }),
).chain(([body, fields]) => fc.tuple(fc.constant(body), fc.constant(fields), fc.tuple(...fields.map((f) => WRONG[f])), fc.boolean()))
  .map(([body, fields, values, dropDestination]) => {
    const mutated: Body = { ...body };
    fields.forEach((field, i) => { mutated[field] = values[i]; });
    if (dropDestination && fields.includes('DestinationPhoneNumber')) delete mutated.DestinationPhoneNumber;
    return jsonCase(`wrong type: ${fields.join(', ')}`, mutated, invalid(...fields), { numbers: numbersOf(body) });
  });

// ---------------------------------------------------------------------------
// D. Every field at and beyond its limits; both key sources
// ---------------------------------------------------------------------------

interface Limit {
  readonly name: string;
  /** Changes the body (and headers); returns a raw body to send instead of JSON.stringify(body), if any. */
  readonly apply: (body: Body, headers: Record<string, string>, unit: string) => string | void;
  readonly expect: Expectation;
}

const set = (field: string, value: (unit: string) => unknown) => (body: Body, _h: Record<string, string>, unit: string): void => {
  body[field] = value(unit);
};
const lengthLimits = (field: string, min: number, max: number, extra: Limit[] = []): Limit[] => [
  ...(min === 0 ? [{ name: `${field} empty`, apply: set(field, () => ''), expect: placed }] : [
    { name: `${field} at ${min}`, apply: set(field, (u) => fill(min, u)), expect: placed },
    { name: `${field} empty`, apply: set(field, () => ''), expect: invalid(field) },
  ]),
  { name: `${field} at ${max}`, apply: set(field, (u) => fill(max, u)), expect: placed },
  { name: `${field} at ${max + 1}`, apply: set(field, (u) => fill(max + 1, u)), expect: invalid(field) },
  ...extra,
];
const header = (value: (unit: string) => string) => (_b: Body, headers: Record<string, string>, unit: string): void => {
  headers['Idempotency-Key'] = value(unit);
};
const ascii = (length: number, char = 'a'): string => char.repeat(length);

/** A valid request padded with JSON whitespace (or with reference values first) to exactly `size` bytes. */
function padTo(body: Body, size: number, withContent: boolean): string {
  const padded: Body = { ...body };
  if (withContent) {
    const references: Record<string, { Type: string; Value: string }> = { ...(body.References as object) };
    let i = 0;
    while (Buffer.byteLength(JSON.stringify({ ...padded, References: references })) < size - 4200) {
      references[`pad${i++}`] = { Type: 'STRING', Value: ascii(4096, 'v') };
    }
    padded.References = references;
  }
  const json = JSON.stringify(padded);
  const missing = size - Buffer.byteLength(json);
  if (missing < 0) throw new Error(`padTo: body is already ${Buffer.byteLength(json)} bytes`);
  return `${json.slice(0, -1)}${' '.repeat(missing)}}`;
}

/** The request with RingTimeoutInSeconds written as this JSON number literal. */
function rawRingTimeout(body: Body, literal: string): string {
  return JSON.stringify({ ...body, RingTimeoutInSeconds: '@RING@' }).replace('"@RING@"', literal);
}

const LIMITS: Limit[] = [
  ...lengthLimits('ClientToken', 1, 500),
  { name: 'Idempotency-Key header at 1', apply: header((u) => fill(1, u)), expect: placed },
  { name: 'Idempotency-Key header at 500', apply: header((u) => fill(500, u)), expect: placed },
  { name: 'Idempotency-Key header empty', apply: header(() => ''), expect: invalid('Idempotency-Key') },
  { name: 'Idempotency-Key header at 501', apply: header((u) => fill(501, u)), expect: invalid('Idempotency-Key') },
  {
    name: 'Idempotency-Key header and ClientToken equal',
    apply: (b, h, u) => { h['Idempotency-Key'] = fill(40, u); b.ClientToken = fill(40, u); },
    expect: placed,
  },
  {
    name: 'Idempotency-Key header and ClientToken differ',
    apply: (b, h, u) => { h['Idempotency-Key'] = fill(40, u); b.ClientToken = `${fill(39, u)}!`; },
    expect: invalid('Idempotency-Key'),
  },
  { name: 'ContactFlowId another allowed flow', apply: set('ContactFlowId', () => OTHER_FLOW_ID), expect: placed },
  { name: 'ContactFlowId the ARN of the default flow', apply: set('ContactFlowId', () => flowArn(CONTACT_FLOW_ID)), expect: placed },
  { name: 'ContactFlowId a flow of another instance', apply: set('ContactFlowId', () => flowArn(CONTACT_FLOW_ID, OTHER_INSTANCE_ID)), expect: forbidden('ContactFlowId') },
  { name: 'ContactFlowId a flow not allowed', apply: set('ContactFlowId', () => '11111111-2222-3333-4444-555555555555'), expect: forbidden('ContactFlowId') },
  { name: 'ContactFlowId at 500', apply: set('ContactFlowId', (u) => fill(500, u)), expect: forbidden('ContactFlowId') },
  { name: 'ContactFlowId at 501', apply: set('ContactFlowId', (u) => fill(501, u)), expect: invalid('ContactFlowId') },
  { name: 'ContactFlowId empty', apply: set('ContactFlowId', () => ''), expect: invalid('ContactFlowId') },
  { name: 'ContactFlowId a broken ARN', apply: set('ContactFlowId', () => 'arn:aws:connect:us-east-1:1:instance'), expect: invalid('ContactFlowId') },
  { name: 'InstanceId its own', apply: set('InstanceId', () => INSTANCE_ID), expect: placed },
  { name: 'InstanceId at 100', apply: set('InstanceId', (u) => fill(100, u)), expect: forbidden('InstanceId') },
  { name: 'InstanceId at 101', apply: set('InstanceId', (u) => fill(101, u)), expect: invalid('InstanceId') },
  { name: 'InstanceId empty', apply: set('InstanceId', () => ''), expect: invalid('InstanceId') },
  { name: 'QueueId allowed', apply: set('QueueId', () => QUEUE_ID), expect: placed },
  { name: 'QueueId not allowed', apply: set('QueueId', (u) => fill(36, u)), expect: forbidden('QueueId') },
  { name: 'QueueId empty', apply: set('QueueId', () => ''), expect: invalid('QueueId') },
  ...lengthLimits('CampaignId', 1, 100),
  ...lengthLimits('Name', 0, 1024),
  ...lengthLimits('Description', 0, 4096),
  ...lengthLimits('RelatedContactId', 1, 256),
  { name: 'RingTimeoutInSeconds at 15', apply: set('RingTimeoutInSeconds', () => 15), expect: placed },
  { name: 'RingTimeoutInSeconds at 60', apply: set('RingTimeoutInSeconds', () => 60), expect: placed },
  { name: 'RingTimeoutInSeconds at 14', apply: set('RingTimeoutInSeconds', () => 14), expect: invalid('RingTimeoutInSeconds') },
  { name: 'RingTimeoutInSeconds at 61', apply: set('RingTimeoutInSeconds', () => 61), expect: invalid('RingTimeoutInSeconds') },
  { name: 'RingTimeoutInSeconds at -15', apply: set('RingTimeoutInSeconds', () => -15), expect: invalid('RingTimeoutInSeconds') },
  { name: 'RingTimeoutInSeconds 15.5', apply: set('RingTimeoutInSeconds', () => 15.5), expect: invalid('RingTimeoutInSeconds') },
  { name: 'RingTimeoutInSeconds written 30.0', apply: (b) => rawRingTimeout(b, '30.0'), expect: placed },
  { name: 'RingTimeoutInSeconds 1e400', apply: (b) => rawRingTimeout(b, '1e400'), expect: invalid('RingTimeoutInSeconds') },
  { name: 'Attributes key at 1', apply: set('Attributes', () => ({ k: 'v' })), expect: placed },
  { name: 'Attributes key at 32767', apply: set('Attributes', () => ({ [ascii(32767, 'k')]: '' })), expect: placed },
  { name: 'Attributes key at 32768', apply: set('Attributes', () => ({ [ascii(32768, 'k')]: '' })), expect: invalid('Attributes') },
  { name: 'Attributes value at 32767, total 32768 bytes', apply: set('Attributes', () => ({ k: ascii(32767) })), expect: placed },
  { name: 'Attributes value at 32767, total 32769 bytes', apply: set('Attributes', () => ({ kk: ascii(32767) })), expect: invalid('Attributes') },
  { name: 'Attributes value at 32768', apply: set('Attributes', () => ({ k: ascii(32768) })), expect: invalid('Attributes') },
  { name: 'Attributes 2-byte characters, total 32768 bytes', apply: set('Attributes', () => ({ ab: 'é'.repeat(16383) })), expect: placed },
  { name: 'Attributes 2-byte characters, total 32769 bytes', apply: set('Attributes', () => ({ abc: 'é'.repeat(16383) })), expect: invalid('Attributes') },
  { name: 'Attributes 4-byte characters, total 32768 bytes', apply: set('Attributes', () => ({ abcd: '😀'.repeat(8191) })), expect: placed },
  {
    name: 'Attributes 64 entries, total 32768 bytes',
    apply: set('Attributes', () => Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${String(i).padStart(2, '0')}`, ascii(509)]))),
    expect: placed,
  },
  {
    name: 'Attributes 64 entries, total 32769 bytes',
    apply: set('Attributes', () => Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${String(i).padStart(2, '0')}`, ascii(i === 0 ? 510 : 509)]))),
    expect: invalid('Attributes'),
  },
  { name: 'Attributes key with a space', apply: set('Attributes', () => ({ 'a b': 'v' })), expect: invalid('Attributes') },
  { name: 'Attributes key with a dot', apply: set('Attributes', () => ({ 'a.b': 'v' })), expect: invalid('Attributes') },
  { name: 'Attributes key not ASCII', apply: set('Attributes', () => ({ ä: 'v' })), expect: invalid('Attributes') },
  { name: 'Attributes empty key', apply: set('Attributes', () => ({ '': 'v' })), expect: invalid('Attributes') },
  { name: 'References key at 1', apply: set('References', () => ({ r: { Type: 'URL', Value: 'https://example.com' } })), expect: placed },
  { name: 'References key at 4096', apply: set('References', (u) => ({ [fill(4096, u)]: { Type: 'STRING' } })), expect: placed },
  { name: 'References key at 4097', apply: set('References', (u) => ({ [fill(4097, u)]: { Type: 'STRING' } })), expect: invalid('References') },
  { name: 'References empty key', apply: set('References', () => ({ '': { Type: 'STRING' } })), expect: invalid('References') },
  { name: 'References value empty', apply: set('References', () => ({ r: { Type: 'STRING', Value: '' } })), expect: placed },
  { name: 'References value at 4096', apply: set('References', (u) => ({ r: { Type: 'STRING', Value: fill(4096, u) } })), expect: placed },
  { name: 'References value at 4097', apply: set('References', (u) => ({ r: { Type: 'STRING', Value: fill(4097, u) } })), expect: invalid('References') },
  ...REFERENCE_TYPES.map((type): Limit => ({ name: `References type ${type}`, apply: set('References', () => ({ r: { Type: type } })), expect: placed })),
  { name: 'References type ATTACHMENT', apply: set('References', () => ({ r: { Type: 'ATTACHMENT' } })), expect: invalid('References') },
  { name: 'References type in lower case', apply: set('References', () => ({ r: { Type: 'url' } })), expect: invalid('References') },
  { name: 'References without a type', apply: set('References', () => ({ r: { Value: 'x' } })), expect: invalid('References') },
  { name: 'References with an Arn', apply: set('References', () => ({ r: { Type: 'URL', Arn: 'arn:x' } })), expect: invalid('References') },
  { name: 'References value null', apply: set('References', () => ({ r: { Type: 'URL', Value: null } })), expect: invalid('References') },
  { name: 'TrafficType GENERAL', apply: set('TrafficType', () => 'GENERAL'), expect: placed },
  { name: 'TrafficType CAMPAIGN (not allowed here)', apply: set('TrafficType', () => 'CAMPAIGN'), expect: forbidden('TrafficType') },
  { name: 'TrafficType in lower case', apply: set('TrafficType', () => 'general'), expect: invalid('TrafficType') },
  { name: 'TrafficType empty', apply: set('TrafficType', () => ''), expect: invalid('TrafficType') },
  { name: 'AnswerMachineDetectionConfig empty', apply: set('AnswerMachineDetectionConfig', () => ({})), expect: placed },
  {
    name: 'AnswerMachineDetectionConfig await prompt only',
    apply: set('AnswerMachineDetectionConfig', () => ({ AwaitAnswerMachinePrompt: true })),
    expect: placed,
  },
  {
    name: 'AnswerMachineDetectionConfig enabled with GENERAL traffic',
    apply: (b) => { b.AnswerMachineDetectionConfig = { EnableAnswerMachineDetection: true }; delete b.TrafficType; },
    expect: invalid('TrafficType'),
  },
  {
    name: 'AnswerMachineDetectionConfig enabled with CAMPAIGN traffic (not allowed here)',
    apply: (b) => { b.AnswerMachineDetectionConfig = { EnableAnswerMachineDetection: true }; b.TrafficType = 'CAMPAIGN'; },
    expect: forbidden('TrafficType'),
  },
  {
    name: 'AnswerMachineDetectionConfig unknown member',
    apply: set('AnswerMachineDetectionConfig', () => ({ EnableAnswerMachineDetection: false, Beep: true })),
    expect: invalid('AnswerMachineDetectionConfig'),
  },
  { name: 'OutboundStrategy', apply: set('OutboundStrategy', () => ({ Type: 'AGENT_FIRST' })), expect: invalid('OutboundStrategy') },
  { name: 'DestinationPhoneNumber 16 digits', apply: set('DestinationPhoneNumber', () => '+1212555012345678'), expect: invalid('DestinationPhoneNumber') },
  { name: 'DestinationPhoneNumber +1', apply: set('DestinationPhoneNumber', () => '+1'), expect: invalid('DestinationPhoneNumber') },
  { name: 'DestinationPhoneNumber empty', apply: set('DestinationPhoneNumber', () => ''), expect: invalid('DestinationPhoneNumber') },
  { name: 'DestinationPhoneNumber missing', apply: (b) => { delete b.DestinationPhoneNumber; }, expect: invalid('DestinationPhoneNumber') },
  { name: 'body of exactly 128 KiB (whitespace)', apply: (b) => padTo(b, BYTES_LIMIT, false), expect: placed },
  { name: 'body of exactly 128 KiB (references)', apply: (b) => padTo(b, BYTES_LIMIT, true), expect: placed },
  { name: 'body of 128 KiB + 1 byte', apply: (b) => padTo(b, BYTES_LIMIT + 1, false), expect: tooLarge },
  { name: 'body of 128 KiB + 1 byte (references)', apply: (b) => padTo(b, BYTES_LIMIT + 1, true), expect: tooLarge },
];

/** Units strings are filled with: ASCII, 2-, 3- and 4-byte UTF-8, characters JSON escapes. */
const FILL_UNITS = ['a', 'Z', '0', '-', ' ', 'é', 'ß', '中', '😀', '"', '\\', '\u0000', '\u2028', '\t'];

export const limitCase: fc.Arbitrary<Case> = fc.tuple(
  validRequest,
  fc.constantFrom(...LIMITS),
  fc.constantFrom(...FILL_UNITS),
  fc.boolean(),
).map(([base, limit, unit, base64]) => {
  const body: Body = { ...base };
  // The limits own the fields they touch; keep the rest of the request small and valid.
  const headers: Record<string, string> = { ...JSON_HEADERS };
  const raw = limit.apply(body, headers, unit);
  const payload = typeof raw === 'string' ? raw : JSON.stringify(body);
  let expect = limit.expect;
  if (expect.kind === 'placed') expect = expectForValid(body);
  return {
    label: limit.name,
    body: base64 ? Buffer.from(payload, 'utf8') : payload,
    base64,
    headers,
    expect,
    numbers: numbersOf(base),
  };
});

// ---------------------------------------------------------------------------
// E. Huge and deeply nested bodies
// ---------------------------------------------------------------------------

const nest = (depth: number, inner: string, open = '[', close = ']'): string => open.repeat(depth) + inner + close.repeat(depth);
const nestObjects = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

export const hugeCase: fc.Arbitrary<Case> = fc.oneof(
  fc.integer({ min: 1_000, max: 65_536 }).map((d) => jsonCase(`arrays nested ${d} deep`, nest(d, ''), invalid('(body)'))),
  fc.integer({ min: 65_537, max: 120_000 }).map((d) => jsonCase(`arrays nested ${d} deep (over 128 KiB)`, nest(d, ''), tooLarge)),
  // 6 bytes a level: at most 21,845 levels fit in 128 KiB
  fc.integer({ min: 100, max: 21_000 }).map((d) => jsonCase(`objects nested ${d} deep`, nestObjects(d), invalid('a'))),
  fc.integer({ min: 1_000, max: 100_000 }).map((d) => jsonCase(`unterminated nesting ${d} deep`, '['.repeat(d), invalid('(body)'))),
  fc.tuple(fc.constantFrom(...GOOD_DESTINATIONS), fc.integer({ min: 100, max: 20_000 }),
    fc.constantFrom('DestinationPhoneNumber', 'Attributes', 'References', 'AnswerMachineDetectionConfig', 'Name'))
    .map(([destination, d, field]) => {
      const deep = nest(d, '"x"');
      const valueFor: Record<string, string> = {
        DestinationPhoneNumber: deep,
        Attributes: `{"k":${deep}}`,
        References: `{"r":{"Type":"URL","Value":${deep}}}`,
        AnswerMachineDetectionConfig: `{"EnableAnswerMachineDetection":${deep}}`,
        Name: deep,
      };
      const destinationPart = field === 'DestinationPhoneNumber' ? '' : `"DestinationPhoneNumber":${JSON.stringify(destination)},`;
      return jsonCase(`${field} nested ${d} deep`, `{${destinationPart}"${field}":${valueFor[field]}}`, invalid(field), { numbers: [destination] });
    }),
  fc.tuple(fc.constantFrom(...GOOD_DESTINATIONS), fc.integer({ min: 4_097, max: 125_000 })).map(([destination, n]) =>
    jsonCase(`Description of ${n} characters`, { DestinationPhoneNumber: destination, Description: ascii(n, 'd') }, invalid('Description'),
      { numbers: [destination] })),
  fc.tuple(fc.constantFrom(...GOOD_DESTINATIONS), fc.integer({ min: 131_100, max: 6_000_000 })).map(([destination, n]) =>
    jsonCase(`body of ${n} bytes`, { DestinationPhoneNumber: destination, Description: ascii(n, 'd') }, tooLarge, { numbers: [destination] })),
  fc.tuple(fc.constantFrom(...GOOD_DESTINATIONS), fc.integer({ min: 1_000, max: 16_000 })).map(([destination, n]) => {
    const fields = Array.from({ length: n }, (_, i) => `"u${i.toString(36)}":0`).join(',');
    const body = `{"DestinationPhoneNumber":${JSON.stringify(destination)},${fields}}`;
    return jsonCase(`${n} unknown fields`, body, Buffer.byteLength(body) > BYTES_LIMIT ? tooLarge : invalid('u0'), { numbers: [destination] });
  }),
  fc.tuple(fc.constantFrom(...GOOD_DESTINATIONS), fc.integer({ min: 10, max: 3_000 })).map(([destination, n]) => {
    // each entry: key "a<i>" (2-5 bytes) + value of 8 bytes
    const attributes = Object.fromEntries(Array.from({ length: n }, (_, i) => [`a${i}`, 'vvvvvvvv']));
    const bytes = Object.entries(attributes).reduce((sum, [k, v]) => sum + k.length + v.length, 0);
    const body = { DestinationPhoneNumber: destination, Attributes: attributes };
    return jsonCase(`${n} attributes (${bytes} bytes)`, body, bytes <= 32_768 ? expectForValid(body) : invalid('Attributes'), { numbers: [destination] });
  }),
  fc.tuple(fc.constantFrom(...GOOD_DESTINATIONS), fc.constantFrom('1e400', '-1e400', '900000000000000000000000000000', '1.5e1', '4.0e1', '-0'))
    .map(([destination, literal]) => {
      const value = Number(literal);
      const ok = Number.isInteger(value) && value >= 15 && value <= 60;
      const body = `{"DestinationPhoneNumber":${JSON.stringify(destination)},"RingTimeoutInSeconds":${literal}}`;
      return jsonCase(`RingTimeoutInSeconds ${literal}`, body, ok ? expectForValid({ DestinationPhoneNumber: destination }) : invalid('RingTimeoutInSeconds'),
        { numbers: [destination] });
    }),
);

// ---------------------------------------------------------------------------
// F. Odd headers and content types; both key sources
// ---------------------------------------------------------------------------

const ACCEPTED_CONTENT_TYPES = [
  'application/json', 'application/json; charset=utf-8', 'application/json;charset=UTF-8', 'application/json ; charset=utf-8',
  ' application/json', 'application/json ',
];
const REFUSED_CONTENT_TYPES = [
  '', ' ', 'text/plain', 'text/json', 'application/jsonp', 'application/json-patch+json', 'application/problem+json',
  'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '*/*', 'application/*', 'json', 'application/xml',
  'application/json,text/plain', 'text/plain; x=application/json', 'application/ json', 'application\\json',
];
const CONTENT_TYPE_NAMES = ['Content-Type', 'content-type', 'CONTENT-TYPE', 'Content-type', 'cOnTeNt-TyPe'];
const KEY_HEADER_NAMES = ['Idempotency-Key', 'idempotency-key', 'IDEMPOTENCY-KEY', 'idempotency-KEY'];
const OTHER_HEADERS: Record<string, fc.Arbitrary<string>> = {
  'Accept': fc.constantFrom('*/*', 'text/html', 'application/xml', ''),
  'Content-Encoding': fc.constantFrom('gzip', 'br', 'identity'),
  'Content-Length': fc.constantFrom('0', '1', '999999999', '-1', 'abc'),
  'Transfer-Encoding': fc.constantFrom('chunked', 'gzip, chunked'),
  'Authorization': fc.string({ maxLength: 80 }),
  'X-Forwarded-For': fc.constantFrom('1.2.3.4', '1.2.3.4, 5.6.7.8', 'garbage'),
  'X-Amzn-Trace-Id': fc.string({ maxLength: 60 }),
  'Accept-Charset': fc.constantFrom('iso-8859-1', 'utf-8'),
  'X-Api-Key': fc.string({ maxLength: 40 }),
  'Content-MD5': fc.string({ maxLength: 24 }),
};

const keyValue = fc.oneof(
  { arbitrary: fc.string({ minLength: 1, maxLength: 60, unit: 'binary' }), weight: 6 },
  { arbitrary: fc.constantFrom(' ', '  ', 'a b', 'ü', '😀', '0', 'null', '\t'), weight: 2 },
  { arbitrary: fc.constantFrom('', 'x'.repeat(501), '😀'.repeat(251)), weight: 1 },
);

export const headersCase: fc.Arbitrary<Case> = fc.record({
  body: validRequest,
  contentTypeName: fc.constantFrom(...CONTENT_TYPE_NAMES),
  contentType: fc.oneof(
    {
      arbitrary: fc.tuple(fc.constantFrom(...ACCEPTED_CONTENT_TYPES), fc.boolean()).map(([ct, upper]) => ({ value: ct, accepted: true, upper })),
      weight: 2,
    },
    { arbitrary: fc.constantFrom(...REFUSED_CONTENT_TYPES).map((ct) => ({ value: ct, accepted: false, upper: false })), weight: 2 },
    { arbitrary: fc.constant({ value: undefined as string | undefined, accepted: false, upper: false }), weight: 1 },
  ),
  keySource: fc.constantFrom('none', 'header', 'body', 'both-same', 'both-different'),
  keyHeaderName: fc.constantFrom(...KEY_HEADER_NAMES),
  key: keyValue,
  others: fc.subarray(Object.keys(OTHER_HEADERS), { maxLength: 4 })
    .chain((names) => fc.record(Object.fromEntries(names.map((n) => [n, OTHER_HEADERS[n]])) as Record<string, fc.Arbitrary<string>>)),
  noHeadersAtAll: fc.boolean(),
  duplicateContentType: fc.boolean(),
}).map((r): Case => {
  const body: Body = { ...r.body };
  const headers: Record<string, string | string[]> = { ...r.others };
  const numbers = numbersOf(body);
  if (r.contentType.value !== undefined) headers[r.contentTypeName] = r.contentType.upper ? r.contentType.value.toUpperCase() : r.contentType.value;
  const headerKey = r.keySource === 'header' || r.keySource.startsWith('both');
  const bodyKey = r.keySource === 'body' || r.keySource.startsWith('both');
  if (headerKey) headers[r.keyHeaderName] = r.key;
  if (bodyKey) body.ClientToken = r.keySource === 'both-different' ? `${r.key}~` : r.key;
  const payload = JSON.stringify(body);

  if (r.noHeadersAtAll && r.keySource === 'none') {
    return { label: 'no headers at all (null)', body: payload, headers: null, expect: unsupported, numbers };
  }
  if (r.duplicateContentType && r.contentType.value !== undefined) {
    // Two content types that disagree, in different casing: the contract leaves the pick open; whichever is
    // taken, a 200 places exactly one call and a refusal none.
    headers[r.contentTypeName === 'content-type' ? 'Content-Type' : 'content-type'] = r.contentType.accepted ? 'text/plain' : 'application/json';
    return { label: 'two content types that disagree', body: payload, headers, expect: { kind: 'placed-or-refused' }, numbers };
  }
  if (!r.contentType.accepted) {
    return { label: `content type ${JSON.stringify(r.contentType.value ?? '(missing)')}`, body: payload, headers, expect: unsupported, numbers };
  }
  const keyTooLong = r.key.length > 500;
  const keyEmpty = r.key.length === 0;
  let expect: Expectation = expectForValid(body);
  if (r.keySource === 'both-different') expect = invalid('Idempotency-Key');
  else if (headerKey && (keyEmpty || keyTooLong)) expect = invalid('Idempotency-Key');
  else if (bodyKey && (keyEmpty || keyTooLong)) expect = invalid('ClientToken');
  return { label: `key from ${r.keySource}, content type ${JSON.stringify(r.contentType.value)}`, body: payload, headers, expect, numbers };
});

// ---------------------------------------------------------------------------
// G. Phone numbers
// ---------------------------------------------------------------------------

const digits = (min: number, max: number): fc.Arbitrary<string> => fc.string({ minLength: min, maxLength: max, unit: fc.constantFrom(...'0123456789') });

/** Phone-number field values: valid numbers, numbers one digit off, random digits, formatted, foreign digits, premium, UK mobiles. */
export const phoneValue: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...EXAMPLE_NUMBERS), weight: 4 },
  { arbitrary: fc.tuple(fc.constantFrom(...EXAMPLE_NUMBERS), digits(1, 3)).map(([n, tail]) => n.slice(0, -tail.length) + tail), weight: 3 },
  { arbitrary: fc.tuple(fc.constantFrom(...EXAMPLE_NUMBERS), fc.integer({ min: -3, max: 3 })).map(([n, d]) => (d >= 0 ? n + '7'.repeat(d) : n.slice(0, d))), weight: 2 },
  { arbitrary: fc.tuple(fc.integer({ min: 1, max: 9 }), digits(1, 16)).map(([cc, rest]) => `+${cc}${rest}`), weight: 2 },
  {
    arbitrary: fc.tuple(fc.constantFrom(...EXAMPLE_NUMBERS), fc.constantFrom('international', 'national', 'dashed', 'no-plus', '00', 'spaced-end', 'fullwidth', 'arabic'))
      .map(([n, format]) => {
        const parsed = parsePhoneNumberFromString(n)!;
        switch (format) {
          case 'international': return parsed.formatInternational();
          case 'national': return parsed.formatNational();
          case 'dashed': return parsed.formatInternational().replace(/ /g, '-');
          case 'no-plus': return n.slice(1);
          case '00': return `00${n.slice(1)}`;
          case 'spaced-end': return ` ${n} `;
          case 'fullwidth': return n.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d))).replace('+', '＋');
          default: return n.replace(/\d/g, (d) => String.fromCharCode(0x0660 + Number(d)));
        }
      }),
    weight: 2,
  },
  { arbitrary: fc.constantFrom(...PREMIUM_NUMBERS), weight: 1 },
  { arbitrary: fc.constantFrom('+447911123456', '+447700900123', '+447400123456'), weight: 1 },
);

/** The rules' precedence (VALIDATION_ERROR over FORBIDDEN over DESTINATION_NOT_ALLOWED), then Connect. */
function expectForNumbers(destination: string, source: string | undefined): Expectation {
  const d = judgePhone(destination);
  const s = source === undefined ? undefined : judgePhone(source);
  const invalidFields = [
    ...(d.kind === 'invalid' ? ['DestinationPhoneNumber'] : []),
    ...(s?.kind === 'invalid' ? ['SourcePhoneNumber'] : []),
  ];
  if (invalidFields.length > 0) return invalid(...invalidFields);
  if (s !== undefined && s.kind !== 'invalid' && !ALLOWED_SOURCES.includes(s.e164)) return forbidden('SourcePhoneNumber');
  if (d.kind === 'blocked') return { kind: 'refused', status: 403, code: 'DESTINATION_NOT_ALLOWED', fields: ['DestinationPhoneNumber'] };
  return expectForValid({ DestinationPhoneNumber: destination });
}

export const phoneCase: fc.Arbitrary<Case> = fc.tuple(
  phoneValue,
  fc.option(fc.oneof(phoneValue, fc.constantFrom(...ALLOWED_SOURCES)), { nil: undefined }),
  fc.boolean(),
).map(([destination, source, asHeaderKey]) => {
  const body: Body = { DestinationPhoneNumber: destination, ...(source !== undefined && { SourcePhoneNumber: source }) };
  const headers: Record<string, string> = { ...JSON_HEADERS, ...(asHeaderKey && { 'Idempotency-Key': `phone-${destination}` }) };
  return {
    label: 'phone numbers',
    body: JSON.stringify(body),
    headers,
    expect: expectForNumbers(destination, source),
    numbers: [destination, ...(source === undefined ? [] : [source])],
  };
});

// ---------------------------------------------------------------------------
// H. Phone numbers where the caller chooses a name, and in malformed JSON
// ---------------------------------------------------------------------------

const FORMATS = ['e164', 'digits', 'international', 'national', 'dashed', 'dotted', 'tel-uri', 'glued', 'idd'] as const;
const PLACES = [
  'unknown field name', 'attribute key', 'reference key', 'reference member', 'answer-machine member',
  'unquoted value', 'whole body', 'form-encoded body', 'destination value', 'name value', 'attribute value',
] as const;

function formatNumber(n: string, format: typeof FORMATS[number]): string {
  const parsed = parsePhoneNumberFromString(n)!;
  switch (format) {
    case 'e164': return n;
    case 'digits': return n.slice(1);
    case 'international': return parsed.formatInternational();
    case 'national': return parsed.formatNational();
    case 'dashed': return parsed.formatInternational().replace(/ /g, '-');
    case 'dotted': return parsed.formatInternational().replace(/ /g, '.');
    case 'tel-uri': return parsed.getURI();
    case 'glued': return `Mobile_${n.slice(1)}`;
    default: return `00${n.slice(1)}`;
  }
}

export const echoedNumberCase: fc.Arbitrary<Case> = fc.tuple(
  fc.constantFrom(...GOOD_DESTINATIONS),
  fc.constantFrom(...GOOD_DESTINATIONS),
  fc.constantFrom(...FORMATS),
  fc.constantFrom(...PLACES),
).map(([destination, n, format, place]): Case => {
  const value = formatNumber(n, format);
  const base = { DestinationPhoneNumber: destination };
  // The echoed number first: a leak is reported under the first number it matches.
  const numbers = [n, destination];
  const label = `${format} number in ${place}`;
  const json = (body: unknown, expect: Expectation): Case => ({ ...jsonCase(label, body, expect), numbers });
  switch (place) {
    case 'unknown field name': return json({ ...base, [`call ${value}`]: true }, invalid());
    case 'attribute key': return json({ ...base, Attributes: { [value]: 'x' } }, /^[A-Za-z0-9_-]+$/.test(value) ? expectForValid(base) : invalid('Attributes'));
    case 'reference key': return json({ ...base, References: { [value]: { Type: 'PHONE' } } }, invalid('References'));
    case 'reference member': return json({ ...base, References: { r: { Type: 'URL', [value]: 'x' } } }, invalid('References'));
    case 'answer-machine member': return json({ ...base, AnswerMachineDetectionConfig: { [value]: true } }, invalid('AnswerMachineDetectionConfig'));
    case 'unquoted value': return json(`{"DestinationPhoneNumber": ${value}}`, invalid());
    case 'whole body': return json(value, invalid());
    case 'form-encoded body': return json(`DestinationPhoneNumber=${encodeURIComponent(value)}&Name=x`, invalid());
    case 'destination value': return json({ DestinationPhoneNumber: value }, expectForNumbers(value, undefined));
    case 'name value': return json({ ...base, Name: `call ${value}` }, expectForValid(base));
    default: return json({ ...base, Attributes: { callback: value } }, expectForValid(base));
  }
});

// ---------------------------------------------------------------------------
// I. The status route: GET /contact/outbound-voice/{contactId}
// ---------------------------------------------------------------------------

/** Stands for the id of a call another caller placed (the runner substitutes a real one). */
export const ANOTHER_CALLERS_CONTACT = '@another-callers-contact@';

const notFound = { status: 404, code: 'RESOURCE_NOT_FOUND' };
const statusOf = (label: string, contactId: string, expect: Expectation): Case =>
  ({ label, statusOf: contactId, headers: {}, expect, numbers: [] });

/** Any contact id: a 400 or a 404, unless the caller placed that call; another caller's call is a plain 404. */
export const statusCase: fc.Arbitrary<Case> = fc.oneof(
  fc.string({ maxLength: 300, unit: 'binary' }).map((id) => statusOf('random contact id', id,
    { kind: 'one-of', answers: [notFound, { status: 400, code: 'VALIDATION_ERROR' }] })),
  fc.constantFrom('', ' ', '..', '../../etc/passwd', 'contact#x', '%00', '\u0000', '*', 'x'.repeat(257), 'x'.repeat(256), '__proto__', 'constructor')
    .map((id) => statusOf('odd contact id', id, { kind: 'one-of', answers: [notFound, { status: 400, code: 'VALIDATION_ERROR' }] })),
  fc.uuid().map((id) => statusOf('a contact id nobody placed', id, { kind: 'refused', ...notFound })),
  fc.constant(statusOf('another caller\'s contact id', ANOTHER_CALLERS_CONTACT, { kind: 'refused', ...notFound })),
);

/** Exported for the report: how many distinct limit cases exist. */
export const LIMIT_CASE_COUNT = LIMITS.length;
