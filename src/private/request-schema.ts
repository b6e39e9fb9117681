import * as apigw from 'aws-cdk-lib/aws-apigateway';
import {
  ANSWER_MACHINE_DETECTION_MEMBERS, Limit, LIMITS, PATTERNS, REFERENCE_TYPES, REQUEST_FIELDS, RequestField, TRAFFIC_TYPES,
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
