import * as apigw from 'aws-cdk-lib/aws-apigateway';
import {
  ANSWER_MACHINE_DETECTION_MEMBERS, BATCH, Limit, LIMITS, PATTERNS, REFERENCE_TYPES, REQUEST_FIELDS, RequestField, TRAFFIC_TYPES,
} from './contract';

/**
 * The JSON-schema request model API Gateway checks before the handler runs,
 * built from the shared contract: the StartOutboundVoiceContact fields with
 * their types and the API reference's limits, and no other field
 * (`additionalProperties: false`, so typos and `OutboundStrategy` are refused).
 * The handler checks everything again, and more (valid numbers, UTF-8 byte
 * totals, allow-lists, destination policy): this model is the first gate, not
 * the only one.
 */
export function outboundVoiceRequestSchema(): apigw.JsonSchema {
  const { STRING, OBJECT, BOOLEAN, INTEGER } = apigw.JsonSchemaType;
  const text = ({ min, max }: Limit): apigw.JsonSchema => ({
    type: STRING, minLength: min, ...(Number.isFinite(max) ? { maxLength: max } : {}),
  });
  const e164: apigw.JsonSchema = { type: STRING, pattern: PATTERNS.e164 };
  const fields: Record<RequestField, apigw.JsonSchema> = {
    DestinationPhoneNumber: e164,
    // Minimum 0, not the contract's 1: an empty flow id reaches the handler, whose answer names the field and
    // what to send (the model is never stricter than the handler: test/contract.test.ts).
    ContactFlowId: text({ min: 0, max: LIMITS.contactFlowId.max }),
    InstanceId: text(LIMITS.instanceId),
    QueueId: text(LIMITS.queueId),
    SourcePhoneNumber: e164,
    Attributes: {
      type: OBJECT,
      patternProperties: { [PATTERNS.attributeKey]: text(LIMITS.attributeValue) },
      additionalProperties: false,
    },
    ClientToken: text(LIMITS.clientToken),
    AnswerMachineDetectionConfig: {
      type: OBJECT,
      additionalProperties: false,
      properties: Object.fromEntries(ANSWER_MACHINE_DETECTION_MEMBERS.map((member) => [member, { type: BOOLEAN }])),
    },
    CampaignId: text(LIMITS.campaignId),
    TrafficType: { type: STRING, enum: [...TRAFFIC_TYPES] },
    RingTimeoutInSeconds: { type: INTEGER, minimum: LIMITS.ringTimeoutInSeconds.min, maximum: LIMITS.ringTimeoutInSeconds.max },
    Name: text(LIMITS.name),
    Description: text(LIMITS.description),
    References: {
      type: OBJECT,
      additionalProperties: {
        type: OBJECT,
        required: ['Type'],
        additionalProperties: false,
        properties: {
          Type: { type: STRING, enum: [...REFERENCE_TYPES] },
          Value: text(LIMITS.referenceValue),
        },
      },
    },
    RelatedContactId: text(LIMITS.relatedContactId),
  };
  return {
    schema: apigw.JsonSchemaVersion.DRAFT4,
    title: 'StartOutboundVoiceContactRequest',
    type: OBJECT,
    required: ['DestinationPhoneNumber'],
    additionalProperties: false,
    properties: Object.fromEntries(REQUEST_FIELDS.map((field) => [field, fields[field]])),
  };
}

/**
 * The request model of `POST /contact/outbound-voice/batches`: `Calls`, each a
 * body of the synchronous route with `ClientToken` required (the call's
 * idempotency key), and the optional `NotBefore` and `NotAfter` (ISO 8601).
 * The handler checks each call with the synchronous route's rules, and what a
 * schema cannot say (duplicate keys inside the batch, the times' range).
 */
export function batchRequestSchema(): apigw.JsonSchema {
  const { schema: _draft, title: _title, ...call } = outboundVoiceRequestSchema();
  const time = (meaning: string): apigw.JsonSchema => ({ type: apigw.JsonSchemaType.STRING, format: 'date-time', description: meaning });
  return {
    schema: apigw.JsonSchemaVersion.DRAFT4,
    title: 'SubmitBatchRequest',
    type: apigw.JsonSchemaType.OBJECT,
    required: ['Calls'],
    additionalProperties: false,
    properties: {
      Calls: {
        type: apigw.JsonSchemaType.ARRAY,
        minItems: BATCH.calls.min,
        maxItems: BATCH.calls.max,
        items: { ...call, required: ['DestinationPhoneNumber', 'ClientToken'] },
      },
      NotBefore: time('Dial no call before this time (at most 35 days ahead).'),
      NotAfter: time('Calls not dialled by this time expire.'),
    },
  };
}
