/**
 * The request rules of `PUT /contact/outbound-voice`, in one place.
 *
 * Pure and synchronous: no I/O, no AWS clients. `checkRequest()` checks a
 * parsed JSON body against the rules below and the construct's policy, and
 * either returns the normalised StartOutboundVoiceContact input or every
 * problem found, so nothing is written or called for a request that would fail.
 *
 * Limits and where they come from (the numbers are LIMITS in the shared
 * contract, src/private/contract.ts):
 * API = https://docs.aws.amazon.com/connect/latest/APIReference/API_StartOutboundVoiceContact.html,
 * SDK = the StartOutboundVoiceContactRequest type and request validators of the AWS SDKs.
 *
 * | Field                        | Rule enforced here                                        | Source                                             |
 * |------------------------------|-----------------------------------------------------------|----------------------------------------------------|
 * | (body)                       | a JSON object; only the 15 fields below                   | README, "The HTTP contract" (typos are refused)    |
 * | DestinationPhoneNumber       | required; pattern ^\+[1-9]\d{1,14}$ and a valid number    | API (E.164 pattern); SDK docs ("E.164 format")     |
 * | SourcePhoneNumber            | same as DestinationPhoneNumber                            | API; SDK docs                                      |
 * | ContactFlowId                | 1–500 characters; a GUID, or a contact-flow ARN reduced   | API ("Maximum length of 500"; ARN values are not   |
 * |                              | to its GUID ("ARN values are not supported")              | supported); SDK validators (length 0..500)         |
 * | InstanceId                   | 1–100 characters                                          | API; SDK validators                                |
 * | QueueId                      | non-empty (no documented limit)                           | API (Type: String, no constraint)                  |
 * | ClientToken, Idempotency-Key | 1–500 characters (API: max 500; an empty key identifies   | API; SDK validators                                |
 * |                              | nothing, so 1 is our minimum)                             |                                                    |
 * | Attributes                   | string → string; key [A-Za-z0-9_-], 1–32,767 characters;  | API ("Key/Value Length Constraints"; "up to 32,768 |
 * |                              | value 0–32,767 characters; keys + values ≤ 32,768 UTF-8   | UTF-8 bytes across all key-value pairs")           |
 * |                              | bytes in all                                              |                                                    |
 * | AnswerMachineDetectionConfig | object of booleans EnableAnswerMachineDetection,          | API (request syntax)                               |
 * |                              | AwaitAnswerMachinePrompt; nothing else                    |                                                    |
 * | TrafficType                  | GENERAL or CAMPAIGN; default GENERAL; CAMPAIGN when       | API ("Use CAMPAIGN if                              |
 * |                              | EnableAnswerMachineDetection is true                      | EnableAnswerMachineDetection is set to true")      |
 * | CampaignId                   | 1–100 characters                                          | API                                                |
 * | RingTimeoutInSeconds         | integer 15–60                                             | API                                                |
 * | Name                         | 0–1024 characters                                         | API                                                |
 * | Description                  | 0–4096 characters                                         | API                                                |
 * | RelatedContactId             | 1–256 characters                                          | API                                                |
 * | References                   | key 1–4096 characters → { Type, Value? }; Type URL,       | API ("ATTACHMENT is not a supported reference type |
 * |                              | NUMBER, STRING, DATE or EMAIL; Value 0–4096 characters;   | during voice contact creation"); SDK Reference     |
 * |                              | Arn, Status, StatusReason are not settable at creation     | (Type required, Value optional)                    |
 * | OutboundStrategy             | refused                                                   | API ("only the Amazon Connect outbound campaigns   |
 * |                              |                                                           | service principal is allowed ... OutboundStrategy")|
 *
 * Lengths are counted in UTF-16 code units (JavaScript's `length`). That count
 * is never smaller than the count in code points, so a value accepted here is
 * within the limit however the service counts. Attribute bytes are UTF-8 bytes.
 *
 * Error codes and precedence: VALIDATION_ERROR (400) over FORBIDDEN (403) over
 * DESTINATION_NOT_ALLOWED (403). Only the problems of the winning code are
 * listed in `details`. Messages never contain a full phone number (masked to
 * the last 4 digits) nor the values of the operator's allow-lists.
 */
import type { StartOutboundVoiceContactCommandInput } from '@aws-sdk/client-connect';
import { maskNumberLike, maskPhoneNumber } from './masking';
import { isE164, parsePhoneNumber } from './phone';
import {
  ANSWER_MACHINE_DETECTION_MEMBERS, type ErrorCode, LIMITS, PATTERNS, REFERENCE_TYPES, REQUEST_FIELDS, sameConnectId, TRAFFIC_TYPES,
} from '../src/private/contract';

// ---------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------

/** What the construct allows; built by the handler from its environment. */
export interface RequestPolicy {
  /** The construct's Connect instance id (GUID). */
  readonly instanceId: string;
  /** Default contact flow (GUID). */
  readonly contactFlowId: string;
  /** Default caller id (E.164). */
  readonly sourcePhoneNumber?: string;
  /** Default queue. */
  readonly queueId?: string;
  /** Further flows a request may name. */
  readonly allowedContactFlowIds: readonly string[];
  /** Further queues a request may name. */
  readonly allowedQueueIds: readonly string[];
  /** Further caller ids a request may name (E.164). */
  readonly allowedSourcePhoneNumbers: readonly string[];
  /** ISO 3166-1 alpha-2, upper case; undefined = all countries. */
  readonly allowedDestinationCountries?: readonly string[];
  /** Refuse destinations of type PREMIUM_RATE and SHARED_COST. */
  readonly blockPremiumRateNumbers: boolean;
  /** Allow TrafficType CAMPAIGN. */
  readonly allowCampaignCalls: boolean;
}

export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

/** The codes a request's own content can earn (the contract's vocabulary). */
export type RequestErrorCode = Extract<ErrorCode, 'VALIDATION_ERROR' | 'FORBIDDEN' | 'DESTINATION_NOT_ALLOWED'>;

export type TrafficTypeValue = typeof TRAFFIC_TYPES[number];

/** Reference types a voice contact may carry at creation (ATTACHMENT is not one). */
export type ReferenceTypeValue = typeof REFERENCE_TYPES[number];

export interface OutboundReference {
  readonly Type: ReferenceTypeValue;
  readonly Value?: string;
}

export interface AnswerMachineDetection {
  readonly EnableAnswerMachineDetection?: boolean;
  readonly AwaitAnswerMachinePrompt?: boolean;
}

/**
 * The normalised StartOutboundVoiceContact input, without ClientToken (the
 * handler derives its own). Assignable to
 * `Omit<StartOutboundVoiceContactCommandInput, 'ClientToken'>`.
 */
export interface OutboundCallRequest {
  readonly InstanceId: string;
  /** Always a GUID (an ARN in the request is reduced). */
  readonly ContactFlowId: string;
  /** E.164 as formatted by libphonenumber. */
  readonly DestinationPhoneNumber: string;
  readonly SourcePhoneNumber?: string;
  readonly QueueId?: string;
  readonly Attributes?: Readonly<Record<string, string>>;
  readonly AnswerMachineDetectionConfig?: AnswerMachineDetection;
  readonly CampaignId?: string;
  /** Always set; GENERAL unless the request says CAMPAIGN. */
  readonly TrafficType: TrafficTypeValue;
  readonly RingTimeoutInSeconds?: number;
  readonly Name?: string;
  readonly Description?: string;
  readonly References?: Readonly<Record<string, OutboundReference>>;
  readonly RelatedContactId?: string;
}

export type CheckResult =
  | {
    readonly ok: true;
    readonly request: OutboundCallRequest;
    /** From the Idempotency-Key header or the body's ClientToken; undefined when neither was sent. */
    readonly idempotencyKey?: string;
  }
  | {
    readonly ok: false;
    readonly code: RequestErrorCode;
    readonly message: string;
    readonly details: FieldProblem[];
  };

/** The 15 body fields accepted, PascalCase as in the API (the shared contract). */
export const ACCEPTED_FIELDS: readonly string[] = REQUEST_FIELDS;

/** The limits of the table above (the shared contract). */
export { LIMITS };

/**
 * Compile-time proof that the normalised request is what the SDK accepts: this
 * type fails to compile if OutboundCallRequest drifts from the SDK's input.
 * Types only; nothing of the SDK is bundled by this file.
 */
export type OutboundCallRequestFitsSdk = AssertTrue<
  OutboundCallRequest extends Omit<StartOutboundVoiceContactCommandInput, 'ClientToken'> ? true : false
>;
type AssertTrue<T extends true> = T;

// ---------------------------------------------------------------------------
// checkRequest
// ---------------------------------------------------------------------------

type JsonObject = Record<string, unknown>;

/**
 * Checks a parsed JSON body (and the Idempotency-Key header) against the
 * request rules and the policy. All problems are collected and reported
 * together; see the file comment for precedence.
 */
export function checkRequest(
  body: unknown,
  policy: RequestPolicy,
  headers: { idempotencyKey?: string } = {},
): CheckResult {
  if (!isJsonObject(body)) {
    return new Problems()
      .invalid('(body)', `The request body must be a JSON object (got ${jsonType(body)}), e.g. {"DestinationPhoneNumber": "+12065550100"}.`)
      .result();
  }

  const problems = new Problems();
  checkFieldNames(body, problems);

  const destination = checkDestination(body, policy, problems);
  const instanceId = checkInstanceId(body, policy, problems);
  const contactFlowId = checkContactFlowId(body, policy, problems);
  const queueId = checkQueueId(body, policy, problems);
  const sourcePhoneNumber = checkSourcePhoneNumber(body, policy, problems);
  checkCallerIdPresent(body, policy, problems);
  const attributes = checkAttributes(body, problems);
  const answerMachineDetection = checkAnswerMachineDetection(body, problems);
  const trafficType = checkTrafficType(body, answerMachineDetection, policy, problems);
  const ringTimeout = checkRingTimeout(body, problems);
  const campaignId = optionalString(body, 'CampaignId', LIMITS.campaignId, problems);
  const name = optionalString(body, 'Name', LIMITS.name, problems);
  const description = optionalString(body, 'Description', LIMITS.description, problems);
  const relatedContactId = optionalString(body, 'RelatedContactId', LIMITS.relatedContactId, problems);
  const references = checkReferences(body, problems);
  const idempotencyKey = checkIdempotencyKey(body, headers, problems);

  if (problems.any() || destination === undefined || instanceId === undefined || contactFlowId === undefined) {
    return problems.result();
  }

  const request: OutboundCallRequest = {
    InstanceId: instanceId,
    ContactFlowId: contactFlowId,
    DestinationPhoneNumber: destination,
    TrafficType: trafficType,
    ...(sourcePhoneNumber !== undefined && { SourcePhoneNumber: sourcePhoneNumber }),
    ...(queueId !== undefined && { QueueId: queueId }),
    ...(attributes !== undefined && { Attributes: attributes }),
    ...(answerMachineDetection !== undefined && { AnswerMachineDetectionConfig: answerMachineDetection }),
    ...(campaignId !== undefined && { CampaignId: campaignId }),
    ...(ringTimeout !== undefined && { RingTimeoutInSeconds: ringTimeout }),
    ...(name !== undefined && { Name: name }),
    ...(description !== undefined && { Description: description }),
    ...(references !== undefined && { References: references }),
    ...(relatedContactId !== undefined && { RelatedContactId: relatedContactId }),
  };
  return {
    ok: true,
    request,
    ...(idempotencyKey !== undefined && { idempotencyKey }),
  };
}

// ---------------------------------------------------------------------------
// Problems: collected per code, reported by precedence
// ---------------------------------------------------------------------------

class Problems {
  private readonly byCode: Record<RequestErrorCode, FieldProblem[]> = {
    VALIDATION_ERROR: [],
    FORBIDDEN: [],
    DESTINATION_NOT_ALLOWED: [],
  };

  /** 400: the request breaks a rule of the API or of this contract. */
  invalid(field: string, message: string): this {
    this.byCode.VALIDATION_ERROR.push({ field, message });
    return this;
  }

  /** 403: the request names something the operator has not allowed. */
  forbidden(field: string, message: string): this {
    this.byCode.FORBIDDEN.push({ field, message });
    return this;
  }

  /** 403: the destination is outside the destination policy. */
  destinationNotAllowed(field: string, message: string): this {
    this.byCode.DESTINATION_NOT_ALLOWED.push({ field, message });
    return this;
  }

  any(): boolean {
    return this.byCode.VALIDATION_ERROR.length + this.byCode.FORBIDDEN.length + this.byCode.DESTINATION_NOT_ALLOWED.length > 0;
  }

  /** Only the problems of the code that wins (see the file comment). */
  result(): CheckResult {
    const precedence: RequestErrorCode[] = ['VALIDATION_ERROR', 'FORBIDDEN', 'DESTINATION_NOT_ALLOWED'];
    for (const code of precedence) {
      const details = this.byCode[code];
      if (details.length > 0) {
        const message = details.length === 1
          ? details[0].message
          : `${details.length} problems in the request; see details.`;
        return { ok: false, code, message, details };
      }
    }
    throw new Error('Problems.result() called without problems');
  }
}

// ---------------------------------------------------------------------------
// Field names
// ---------------------------------------------------------------------------

function checkFieldNames(body: JsonObject, problems: Problems): void {
  for (const key of Object.keys(body)) {
    if (ACCEPTED_FIELDS.includes(key)) {
      continue;
    }
    const display = truncate(key);
    if (key === 'OutboundStrategy') {
      problems.invalid(key, 'OutboundStrategy is not accepted: only the Amazon Connect outbound campaigns service may use it.');
      continue;
    }
    const suggestion = ACCEPTED_FIELDS.find((name) => looseName(name) === looseName(key));
    if (suggestion !== undefined) {
      problems.invalid(display, `Unknown field "${display}": did you mean ${suggestion}? Field names are PascalCase and case-sensitive.`);
    } else {
      problems.invalid(display, `Unknown field "${display}". Accepted fields: ${ACCEPTED_FIELDS.join(', ')}.`);
    }
  }
}

/** "destination_phone_number", "destinationPhoneNumber" → "destinationphonenumber". */
function looseName(name: string): string {
  return name.toLowerCase().replace(/[_-]/g, '');
}

// ---------------------------------------------------------------------------
// Phone numbers and the destination policy
// ---------------------------------------------------------------------------

/** The destination in E.164 as libphonenumber formats it, inside the destination policy. */
function checkDestination(body: JsonObject, policy: RequestPolicy, problems: Problems): string | undefined {
  const field = 'DestinationPhoneNumber';
  const value = own(body, field);
  if (value === undefined) {
    problems.invalid(field, 'DestinationPhoneNumber is required: the number to call, in E.164 format (e.g. +12065550100).');
    return undefined;
  }
  const parsed = checkPhoneNumber(field, value, problems);
  if (parsed === undefined) {
    return undefined;
  }

  const masked = maskPhoneNumber(parsed.e164);
  const countries = policy.allowedDestinationCountries;
  if (countries !== undefined) {
    if (parsed.country === undefined) {
      problems.destinationNotAllowed(field,
        `Calls to ${masked} are not allowed: it is a non-geographic number (no country), and this endpoint allows only some destination countries. ` +
        'The operator sets them with allowedDestinationCountries.');
    } else if (!countries.includes(parsed.country)) {
      problems.destinationNotAllowed(field,
        `Calls to ${masked} are not allowed: destination country ${parsed.country} is not allowed by this endpoint. ` +
        'The operator sets the allowed countries with allowedDestinationCountries.');
    }
  }
  if (policy.blockPremiumRateNumbers && (parsed.type === 'PREMIUM_RATE' || parsed.type === 'SHARED_COST')) {
    const kind = parsed.type === 'PREMIUM_RATE' ? 'a premium-rate' : 'a shared-cost';
    problems.destinationNotAllowed(field,
      `Calls to ${masked} are not allowed: it is ${kind} number, and premium-rate and shared-cost numbers are blocked. ` +
      'The operator can allow them with blockPremiumRateNumbers: false.');
  }
  return parsed.e164;
}

function checkSourcePhoneNumber(body: JsonObject, policy: RequestPolicy, problems: Problems): string | undefined {
  const field = 'SourcePhoneNumber';
  const value = own(body, field);
  if (value === undefined) {
    return policy.sourcePhoneNumber;
  }
  const parsed = checkPhoneNumber(field, value, problems);
  if (parsed === undefined) {
    return undefined;
  }
  const allowed = [policy.sourcePhoneNumber, ...policy.allowedSourcePhoneNumbers]
    .filter((n): n is string => n !== undefined)
    .map((n) => parsePhoneNumber(n)?.e164 ?? n);
  if (!allowed.includes(parsed.e164)) {
    problems.forbidden(field,
      `SourcePhoneNumber ${maskPhoneNumber(parsed.e164)} may not be used as caller id by this endpoint. ` +
      'The operator can allow more caller ids with allowedSourcePhoneNumbers; or omit the field to use the default.');
  }
  return parsed.e164;
}

/** Type, E.164 pattern and validity of a phone-number field; problems are VALIDATION_ERROR. */
function checkPhoneNumber(field: string, value: unknown, problems: Problems) {
  if (value === null) {
    problems.invalid(field, `${field} must not be null; give a number in E.164 format or omit the field.`);
    return undefined;
  }
  if (typeof value !== 'string') {
    problems.invalid(field, `${field} must be a string in E.164 format, e.g. "+12065550100" (got ${jsonType(value)}).`);
    return undefined;
  }
  if (!isE164(value)) {
    problems.invalid(field,
      `${field} must be in E.164 format: "+", the country code and the number, digits only, at most 15 digits ` +
      '(no spaces, dashes or brackets), e.g. +12065550100.');
    return undefined;
  }
  const parsed = parsePhoneNumber(value);
  if (parsed === undefined) {
    problems.invalid(field, `${field} ${maskPhoneNumber(value)} is not a valid phone number (no such number exists in its country's numbering plan).`);
    return undefined;
  }
  return parsed;
}

// ---------------------------------------------------------------------------
// Instance, contact flow, queue: overrides are closed by default
// ---------------------------------------------------------------------------

function checkInstanceId(body: JsonObject, policy: RequestPolicy, problems: Problems): string | undefined {
  const value = optionalString(body, 'InstanceId', LIMITS.instanceId, problems);
  if (value === undefined) {
    return own(body, 'InstanceId') === undefined ? policy.instanceId : undefined;
  }
  if (!sameConnectId(value, policy.instanceId)) {
    problems.forbidden('InstanceId',
      "InstanceId must be this endpoint's own Amazon Connect instance (the construct's instanceId); omit the field.");
    return undefined;
  }
  // The same instance (ids are case-insensitive): forwarded as the construct names it.
  return policy.instanceId;
}

/** arn:<partition>:connect:<region>:<account>:instance/<instance-id>/contact-flow/<flow-id> */
const CONTACT_FLOW_ARN = new RegExp(PATTERNS.requestContactFlowArn);

function checkContactFlowId(body: JsonObject, policy: RequestPolicy, problems: Problems): string | undefined {
  const field = 'ContactFlowId';
  const value = optionalString(body, field, LIMITS.contactFlowId, problems);
  if (value === undefined) {
    return own(body, field) === undefined ? policy.contactFlowId : undefined;
  }

  let flowId = value;
  if (value.startsWith('arn:')) {
    const match = CONTACT_FLOW_ARN.exec(value);
    if (match === null) {
      problems.invalid(field,
        'ContactFlowId looks like an ARN but is not a contact-flow ARN ' +
        '(arn:<partition>:connect:<region>:<account>:instance/<instance-id>/contact-flow/<flow-id>); give the flow id or its ARN.');
      return undefined;
    }
    if (!sameConnectId(match[1], policy.instanceId)) {
      problems.forbidden(field,
        "ContactFlowId is the ARN of a flow in another Amazon Connect instance; only flows of this endpoint's instance can be used.");
      return undefined;
    }
    flowId = match[2];
  }

  return allowedOverride(field, flowId, policy.contactFlowId, policy.allowedContactFlowIds, problems,
    'This contact flow may not be named in requests to this endpoint. ' +
    'The operator can allow more flows with allowedContactFlowIds; or omit the field to use the default flow.');
}

function checkQueueId(body: JsonObject, policy: RequestPolicy, problems: Problems): string | undefined {
  const field = 'QueueId';
  const value = optionalString(body, field, LIMITS.queueId, problems);
  if (value === undefined) {
    return own(body, field) === undefined ? policy.queueId : undefined;
  }
  return allowedOverride(field, value, policy.queueId, policy.allowedQueueIds, problems,
    'This queue may not be named in requests to this endpoint. ' +
    'The operator can allow more queues with allowedQueueIds; or omit the field to use the default.');
}

/** An override is closed by default: the value must be the construct's default or in its allow-list. */
function allowedOverride(
  field: string, value: string, defaultValue: string | undefined, allowed: readonly string[], problems: Problems,
  refusal: string,
): string | undefined {
  if (value === defaultValue || allowed.includes(value)) return value;
  problems.forbidden(field, refusal);
  return undefined;
}

/** The API needs a caller id: a source number or a queue (API: "If you do not specify a queue, you must specify a source phone number"). */
function checkCallerIdPresent(body: JsonObject, policy: RequestPolicy, problems: Problems): void {
  const sourceGiven = own(body, 'SourcePhoneNumber') !== undefined || policy.sourcePhoneNumber !== undefined;
  const queueGiven = own(body, 'QueueId') !== undefined || policy.queueId !== undefined;
  if (!sourceGiven && !queueGiven) {
    problems.invalid('SourcePhoneNumber',
      'This endpoint has no default caller id: give SourcePhoneNumber or QueueId (one the operator allows).');
  }
}

// ---------------------------------------------------------------------------
// Attributes
// ---------------------------------------------------------------------------

const ATTRIBUTE_KEY = new RegExp(PATTERNS.attributeKey);

function checkAttributes(body: JsonObject, problems: Problems): Record<string, string> | undefined {
  const field = 'Attributes';
  const value = optionalObject(body, field, 'an object of string keys and string values', problems);
  if (value === undefined) {
    return undefined;
  }
  let totalBytes = 0;
  let valid = true;
  for (const [key, attributeValue] of Object.entries(value)) {
    const path = `${field}.${displayKey(key)}`;
    if (key.length < LIMITS.attributeKey.min || key.length > LIMITS.attributeKey.max) {
      problems.invalid(path, `Attribute keys must be 1 to 32,767 characters long (got ${key.length}).`);
      valid = false;
    } else if (!ATTRIBUTE_KEY.test(key)) {
      problems.invalid(path, 'Attribute keys may contain only letters A-Z and a-z, digits, "_" and "-".');
      valid = false;
    }
    if (typeof attributeValue !== 'string') {
      const hint = attributeValue === null ? ' (omit the attribute instead of null)' : '; send numbers and booleans as strings, e.g. "42"';
      problems.invalid(path, `Attribute values must be strings (got ${jsonType(attributeValue)})${hint}.`);
      valid = false;
      continue;
    }
    if (attributeValue.length > LIMITS.attributeValue.max) {
      problems.invalid(path, `Attribute values must be at most 32,767 characters long (got ${attributeValue.length}).`);
      valid = false;
    }
    totalBytes += Buffer.byteLength(key, 'utf8') + Buffer.byteLength(attributeValue, 'utf8');
  }
  if (totalBytes > LIMITS.attributesTotalBytes) {
    problems.invalid(field,
      `Attributes must be at most 32,768 UTF-8 bytes, all keys and values together (got ${totalBytes} bytes).`);
    valid = false;
  }
  // Object.fromEntries copies "__proto__" as an own key, like JSON.parse made it.
  return valid ? Object.fromEntries(Object.entries(value as Record<string, string>)) : undefined;
}

// ---------------------------------------------------------------------------
// Answering-machine detection, traffic type, campaign, ring timeout
// ---------------------------------------------------------------------------

const AMD_MEMBERS = ANSWER_MACHINE_DETECTION_MEMBERS;

function checkAnswerMachineDetection(body: JsonObject, problems: Problems): AnswerMachineDetection | undefined {
  const field = 'AnswerMachineDetectionConfig';
  const value = optionalObject(body, field, 'an object with the booleans EnableAnswerMachineDetection and AwaitAnswerMachinePrompt', problems);
  if (value === undefined) {
    return undefined;
  }
  let valid = true;
  const config: { EnableAnswerMachineDetection?: boolean; AwaitAnswerMachinePrompt?: boolean } = {};
  for (const [key, member] of Object.entries(value)) {
    const path = `${field}.${displayKey(key)}`;
    if (key !== 'EnableAnswerMachineDetection' && key !== 'AwaitAnswerMachinePrompt') {
      const suggestion = AMD_MEMBERS.find((name) => looseName(name) === looseName(key));
      problems.invalid(path, suggestion !== undefined
        ? `Unknown member "${displayKey(key)}": did you mean ${suggestion}?`
        : `Unknown member "${displayKey(key)}"; ${field} accepts only ${AMD_MEMBERS.join(' and ')}.`);
      valid = false;
    } else if (typeof member !== 'boolean') {
      problems.invalid(path, member === null
        ? `${key} must be true or false, not null; omit the field instead.`
        : `${key} must be true or false (got ${jsonType(member)}).`);
      valid = false;
    } else {
      config[key] = member;
    }
  }
  return valid ? config : undefined;
}

function checkTrafficType(
  body: JsonObject,
  answerMachineDetection: AnswerMachineDetection | undefined,
  policy: RequestPolicy,
  problems: Problems,
): TrafficTypeValue {
  const field = 'TrafficType';
  const value = own(body, field);
  let trafficType: TrafficTypeValue = 'GENERAL';
  if (value === null) {
    problems.invalid(field, 'TrafficType must not be null; omit the field instead (the default is GENERAL).');
  } else if (value === 'GENERAL' || value === 'CAMPAIGN') {
    trafficType = value;
  } else if (value !== undefined) {
    problems.invalid(field, typeof value === 'string'
      ? 'TrafficType must be GENERAL or CAMPAIGN (upper case).'
      : `TrafficType must be the string GENERAL or CAMPAIGN (got ${jsonType(value)}).`);
  }

  const amdEnabled = answerMachineDetection?.EnableAnswerMachineDetection === true;
  if (amdEnabled && trafficType !== 'CAMPAIGN' && (value === undefined || value === 'GENERAL')) {
    problems.invalid(field,
      'TrafficType must be CAMPAIGN when AnswerMachineDetectionConfig.EnableAnswerMachineDetection is true ' +
      `(${value === undefined ? 'TrafficType defaults to GENERAL' : 'got GENERAL'}).`);
  }
  if (trafficType === 'CAMPAIGN' && !policy.allowCampaignCalls) {
    problems.forbidden(field,
      'Campaign calls (TrafficType CAMPAIGN) are not enabled for this endpoint. The operator can enable them with allowCampaignCalls.');
  }
  return trafficType;
}

function checkRingTimeout(body: JsonObject, problems: Problems): number | undefined {
  const field = 'RingTimeoutInSeconds';
  const value = own(body, field);
  if (value === undefined) {
    return undefined;
  }
  const { min, max } = LIMITS.ringTimeoutInSeconds;
  if (value === null) {
    problems.invalid(field, `${field} must not be null; omit the field instead (the default is 60 seconds).`);
  } else if (typeof value !== 'number' || !Number.isInteger(value)) {
    problems.invalid(field, `${field} must be a whole number of seconds from ${min} to ${max} (got ${jsonType(value)}).`);
  } else if (value < min || value > max) {
    problems.invalid(field, `${field} must be from ${min} to ${max} seconds (got ${value}).`);
  } else {
    return value;
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// References
// ---------------------------------------------------------------------------

const REFERENCE_READ_ONLY_MEMBERS = ['Arn', 'Status', 'StatusReason'];

function checkReferences(body: JsonObject, problems: Problems): Record<string, OutboundReference> | undefined {
  const field = 'References';
  const value = optionalObject(body, field, 'an object of reference names to {"Type": …, "Value": …}', problems);
  if (value === undefined) {
    return undefined;
  }
  let valid = true;
  const references: Array<[string, OutboundReference]> = [];
  for (const [key, entry] of Object.entries(value)) {
    const path = `${field}.${displayKey(key)}`;
    if (key.length < LIMITS.referenceKey.min || key.length > LIMITS.referenceKey.max) {
      problems.invalid(path, `Reference names must be 1 to 4,096 characters long (got ${key.length}).`);
      valid = false;
    }
    const reference = checkReference(path, entry, problems);
    if (reference === undefined) {
      valid = false;
    } else {
      references.push([key, reference]);
    }
  }
  return valid ? Object.fromEntries(references) : undefined;
}

function checkReference(path: string, entry: unknown, problems: Problems): OutboundReference | undefined {
  if (!isJsonObject(entry)) {
    problems.invalid(path, `A reference must be an object {"Type": …, "Value": …} (got ${jsonType(entry)}).`);
    return undefined;
  }
  let valid = true;
  for (const key of Object.keys(entry)) {
    if (key === 'Type' || key === 'Value') {
      continue;
    }
    problems.invalid(`${path}.${displayKey(key)}`, REFERENCE_READ_ONLY_MEMBERS.includes(key)
      ? `${key} cannot be set when a contact is created; a reference takes only Type and Value.`
      : `Unknown member "${displayKey(key)}"; a reference takes only Type and Value.`);
    valid = false;
  }

  const type = own(entry, 'Type');
  if (type === 'ATTACHMENT') {
    problems.invalid(`${path}.Type`, 'ATTACHMENT references are not supported when a voice contact is created; use URL, NUMBER, STRING, DATE or EMAIL.');
    valid = false;
  } else if (typeof type !== 'string' || !(REFERENCE_TYPES as readonly string[]).includes(type)) {
    problems.invalid(`${path}.Type`, type === undefined
      ? 'Type is required: one of URL, NUMBER, STRING, DATE, EMAIL.'
      : 'Type must be one of URL, NUMBER, STRING, DATE, EMAIL.');
    valid = false;
  }

  const referenceValue = own(entry, 'Value');
  if (referenceValue === null) {
    problems.invalid(`${path}.Value`, 'Value must not be null; omit the field instead.');
    valid = false;
  } else if (referenceValue !== undefined && typeof referenceValue !== 'string') {
    problems.invalid(`${path}.Value`, `Value must be a string (got ${jsonType(referenceValue)}).`);
    valid = false;
  } else if (typeof referenceValue === 'string' && referenceValue.length > LIMITS.referenceValue.max) {
    problems.invalid(`${path}.Value`, `Value must be at most 4,096 characters long (got ${referenceValue.length}).`);
    valid = false;
  }

  if (!valid) {
    return undefined;
  }
  return {
    Type: type as ReferenceTypeValue,
    ...(referenceValue !== undefined && { Value: referenceValue as string }),
  };
}

// ---------------------------------------------------------------------------
// Idempotency key
// ---------------------------------------------------------------------------

function checkIdempotencyKey(body: JsonObject, headers: { idempotencyKey?: string }, problems: Problems): string | undefined {
  const fromBody = optionalString(body, 'ClientToken', LIMITS.clientToken, problems);
  const bodyGiven = own(body, 'ClientToken') !== undefined;

  const header = headers.idempotencyKey;
  let fromHeader: string | undefined;
  if (header !== undefined) {
    if (typeof header !== 'string') {
      problems.invalid('Idempotency-Key', 'The Idempotency-Key header must be a string.');
    } else if (header.length < LIMITS.clientToken.min || header.length > LIMITS.clientToken.max) {
      problems.invalid('Idempotency-Key', `The Idempotency-Key header must be 1 to 500 characters long (got ${header.length}).`);
    } else {
      fromHeader = header;
    }
  }

  if (fromHeader !== undefined && fromBody !== undefined && fromHeader !== fromBody) {
    problems.invalid('Idempotency-Key',
      "The Idempotency-Key header and the body's ClientToken differ; send one of them, or the same value in both.");
    return undefined;
  }
  if (bodyGiven && fromBody === undefined) {
    return undefined;
  }
  return fromHeader ?? fromBody;
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

/** A field's value; undefined when it is absent, or null (a problem: omit the field instead). */
function present(body: JsonObject, field: string, problems: Problems): unknown {
  const value = own(body, field);
  if (value === null) {
    problems.invalid(field, `${field} must not be null; omit the field instead.`);
    return undefined;
  }
  return value;
}

/** An optional string field with length limits; null and other types are problems. */
function optionalString(
  body: JsonObject,
  field: string,
  limits: { readonly min: number; readonly max: number },
  problems: Problems,
): string | undefined {
  const value = present(body, field, problems);
  if (value === undefined) {
    return undefined;
  }
  if (typeof value !== 'string') {
    problems.invalid(field, `${field} must be a string (got ${jsonType(value)}).`);
    return undefined;
  }
  if (value.length < limits.min) {
    problems.invalid(field, `${field} must not be empty.`);
    return undefined;
  }
  if (value.length > limits.max) {
    problems.invalid(field, `${field} must be at most ${limits.max} characters long (got ${value.length}).`);
    return undefined;
  }
  return value;
}

/** An optional JSON-object field; null and other types are problems. */
function optionalObject(body: JsonObject, field: string, expected: string, problems: Problems): JsonObject | undefined {
  const value = present(body, field, problems);
  if (value === undefined) {
    return undefined;
  }
  if (!isJsonObject(value)) {
    problems.invalid(field, `${field} must be ${expected} (got ${jsonType(value)}).`);
    return undefined;
  }
  return value;
}

/** The object's own property (never one inherited from Object.prototype). */
function own(object: JsonObject, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
}

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? 'object' : typeof value;
}

const MAX_ECHO = 64;

/** A caller-given name, for messages and field paths (which reach the logs): number-like runs masked, then shortened. */
function truncate(name: string): string {
  const masked = maskNumberLike(name);
  return masked.length > MAX_ECHO ? `${masked.slice(0, MAX_ECHO)}…` : masked;
}

/** A map key as shown in a field path ("Attributes.my key"). */
function displayKey(key: string): string {
  return key === '' ? '(empty key)' : truncate(key);
}
