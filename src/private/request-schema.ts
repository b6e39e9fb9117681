import * as apigw from 'aws-cdk-lib/aws-apigateway';

/**
 * The JSON-schema request model API Gateway checks before the handler runs:
 * the StartOutboundVoiceContact fields with their types and the API
 * reference's limits, and no other field (`additionalProperties: false`, so
 * typos and `OutboundStrategy` are refused). The handler checks everything
 * again, and more (valid numbers, UTF-8 byte totals, allow-lists, destination
 * policy): this model is the first gate, not the only one.
 */
export function outboundVoiceRequestSchema(): apigw.JsonSchema {
  const { STRING, OBJECT, BOOLEAN, INTEGER } = apigw.JsonSchemaType;
  const text = (maxLength: number, minLength = 0): apigw.JsonSchema => ({ type: STRING, minLength, maxLength });
  const e164: apigw.JsonSchema = { type: STRING, pattern: '^\\+[1-9][0-9]{1,14}$' };
  return {
    schema: apigw.JsonSchemaVersion.DRAFT4,
    title: 'StartOutboundVoiceContactRequest',
    type: OBJECT,
    required: ['DestinationPhoneNumber'],
    additionalProperties: false,
    properties: {
      DestinationPhoneNumber: e164,
      ContactFlowId: text(500),
      InstanceId: text(100, 1),
      QueueId: { type: STRING, minLength: 1 },
      SourcePhoneNumber: e164,
      Attributes: {
        type: OBJECT,
        patternProperties: { '^[A-Za-z0-9_-]+$': text(32767) },
        additionalProperties: false,
      },
      ClientToken: text(500, 1),
      AnswerMachineDetectionConfig: {
        type: OBJECT,
        additionalProperties: false,
        properties: {
          EnableAnswerMachineDetection: { type: BOOLEAN },
          AwaitAnswerMachinePrompt: { type: BOOLEAN },
        },
      },
      CampaignId: text(100, 1),
      TrafficType: { type: STRING, enum: ['GENERAL', 'CAMPAIGN'] },
      RingTimeoutInSeconds: { type: INTEGER, minimum: 15, maximum: 60 },
      Name: text(1024),
      Description: text(4096),
      References: {
        type: OBJECT,
        additionalProperties: {
          type: OBJECT,
          required: ['Type'],
          additionalProperties: false,
          properties: {
            Type: { type: STRING, enum: ['URL', 'NUMBER', 'STRING', 'DATE', 'EMAIL'] },
            Value: text(4096),
          },
        },
      },
      RelatedContactId: text(256, 1),
    },
  };
}
