/**
 * The construct, the API Gateway request model and the handlers share one
 * contract (src/private/contract.ts). These tests fail when any side drifts
 * from it: a field, a limit, a pattern, an environment variable, a metric, an
 * auth mode or a ledger attribute that one side names and the other does not.
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { placedStatusAttributes } from '../lambda/call-status';
import { loadConfig } from '../lambda/config';
import { MAX_BODY_BYTES } from '../lambda/http';
import { METRIC } from '../lambda/observability';
import { E164_PATTERN } from '../lambda/phone';
import { checkRequest, CheckResult, RequestPolicy } from '../lambda/request';
import { CallerAuthorization, CallerAuthorizationMode, OutboundCaller } from '../src';
import { removeTestApps, testApp } from './support/cdk-test-app';
import { CONTACT_FLOW_ID, fullyConfiguredProps, INSTANCE_ID, REQUIRED_PROPS, SOURCE_PHONE_NUMBER } from './support/fixtures';
import {
  ANSWER_MACHINE_DETECTION_MEMBERS, AUTH_MODES, ENV, LEDGER, Limit, LIMITS, METRICS, PATTERNS, REFERENCE_TYPES,
  REQUEST_FIELDS, ROUTES, TRAFFIC_TYPES,
} from '../src/private/contract';
import { outboundVoiceRequestSchema } from '../src/private/request-schema';

afterAll(removeTestApps);

const model = outboundVoiceRequestSchema();
const properties = model.properties as Record<string, apigw.JsonSchema>;

const POLICY: RequestPolicy = {
  instanceId: INSTANCE_ID,
  contactFlowId: CONTACT_FLOW_ID,
  sourcePhoneNumber: SOURCE_PHONE_NUMBER,
  allowedContactFlowIds: [],
  allowedQueueIds: [],
  allowedSourcePhoneNumbers: [],
  blockPremiumRateNumbers: true,
  allowCampaignCalls: true,
};
const DESTINATION = '+12125550123';

/** The fields the handler refused with VALIDATION_ERROR (none when it accepted or refused for another reason). */
function invalidFields(result: CheckResult): string[] {
  return !result.ok && result.code === 'VALIDATION_ERROR' ? result.details.map((detail) => detail.field) : [];
}

function check(fields: Record<string, unknown>): CheckResult {
  return checkRequest({ DestinationPhoneNumber: DESTINATION, ...fields }, POLICY);
}

describe('request fields', () => {
  test('the model lists exactly the contract\'s fields, in its order, and refuses any other', () => {
    expect(Object.keys(properties)).toEqual([...REQUEST_FIELDS]);
    expect(model.additionalProperties).toBe(false);
    expect(model.required).toEqual(['DestinationPhoneNumber']);
  });

  test.each([...REQUEST_FIELDS])('the handler knows the field %s', (field) => {
    const result = check({ [field]: 'x' });
    // A wrong value may be refused, but never as an unknown field.
    const messages = result.ok ? [] : result.details.map((detail) => detail.message);
    expect(messages.filter((message) => message.startsWith('Unknown field'))).toEqual([]);
  });

  test.each(['OutboundStrategy', 'destinationPhoneNumber', 'Extra'])('the handler refuses %s, which the contract does not list', (field) => {
    expect(invalidFields(check({ [field]: 'x' }))).toEqual([field]);
    expect(REQUEST_FIELDS as readonly string[]).not.toContain(field);
  });
});

describe('limits', () => {
  /** String fields whose length the model and the handler both bound. */
  const stringLimits: Array<[string, Limit]> = [
    ['ClientToken', LIMITS.clientToken],
    ['ContactFlowId', LIMITS.contactFlowId],
    ['InstanceId', LIMITS.instanceId],
    ['QueueId', LIMITS.queueId],
    ['CampaignId', LIMITS.campaignId],
    ['Name', LIMITS.name],
    ['Description', LIMITS.description],
    ['RelatedContactId', LIMITS.relatedContactId],
  ];

  test.each(stringLimits)('%s: the model bounds it as the contract says', (field, limit) => {
    const schema = properties[field];
    expect(schema.type).toBe(apigw.JsonSchemaType.STRING);
    expect(schema.maxLength).toBe(Number.isFinite(limit.max) ? limit.max : undefined);
    // The model is never stricter than the handler (it may let an empty flow id through to the handler's message).
    expect(schema.minLength).toBeLessThanOrEqual(limit.min);
  });

  test.each(stringLimits)('%s: the handler accepts the contract\'s bounds and refuses one past them', (field, limit) => {
    const filler = (length: number) => 'a'.repeat(length);
    if (Number.isFinite(limit.max)) {
      expect(invalidFields(check({ [field]: filler(limit.max) }))).not.toContain(field);
      expect(invalidFields(check({ [field]: filler(limit.max + 1) }))).toContain(field);
    }
    if (limit.min > 0) {
      expect(invalidFields(check({ [field]: filler(limit.min) }))).not.toContain(field);
      expect(invalidFields(check({ [field]: filler(limit.min - 1) }))).toContain(field);
    }
  });

  test('RingTimeoutInSeconds: model and handler take the contract\'s range', () => {
    const { min, max } = LIMITS.ringTimeoutInSeconds;
    expect(properties.RingTimeoutInSeconds).toMatchObject({ type: apigw.JsonSchemaType.INTEGER, minimum: min, maximum: max });
    expect([min, max].map((value) => check({ RingTimeoutInSeconds: value }).ok)).toEqual([true, true]);
    expect([min - 1, max + 1].map((value) => invalidFields(check({ RingTimeoutInSeconds: value }))))
      .toEqual([['RingTimeoutInSeconds'], ['RingTimeoutInSeconds']]);
  });

  test('Attributes: model and handler take the contract\'s key pattern and value length', () => {
    expect(Object.keys(properties.Attributes.patternProperties!)).toEqual([PATTERNS.attributeKey]);
    expect(properties.Attributes.patternProperties![PATTERNS.attributeKey].maxLength).toBe(LIMITS.attributeValue.max);
    expect(check({ Attributes: { 'a-b_C9': 'v'.repeat(LIMITS.attributeValue.max - 6) } }).ok).toBe(true);
    expect(invalidFields(check({ Attributes: { 'a.b': 'v' } }))).toEqual(['Attributes.a.b']);
    expect(invalidFields(check({ Attributes: { k: 'v'.repeat(LIMITS.attributeValue.max + 1) } }))).toContain('Attributes.k');
  });

  test('References: model and handler take the contract\'s types and value length', () => {
    const reference = properties.References.additionalProperties as apigw.JsonSchema;
    expect(reference.properties!.Type.enum).toEqual([...REFERENCE_TYPES]);
    expect(reference.properties!.Value.maxLength).toBe(LIMITS.referenceValue.max);
    for (const type of REFERENCE_TYPES) expect(check({ References: { r: { Type: type, Value: 'v' } } }).ok).toBe(true);
    expect(invalidFields(check({ References: { r: { Type: 'ATTACHMENT' } } }))).toEqual(['References.r.Type']);
    expect(invalidFields(check({ References: { r: { Type: 'URL', Value: 'v'.repeat(LIMITS.referenceValue.max + 1) } } })))
      .toEqual(['References.r.Value']);
  });

  test('TrafficType and AnswerMachineDetectionConfig: model and handler take the contract\'s values', () => {
    expect(properties.TrafficType.enum).toEqual([...TRAFFIC_TYPES]);
    for (const type of TRAFFIC_TYPES) expect(check({ TrafficType: type }).ok).toBe(true);
    expect(invalidFields(check({ TrafficType: 'OTHER' }))).toEqual(['TrafficType']);
    expect(Object.keys(properties.AnswerMachineDetectionConfig.properties!)).toEqual([...ANSWER_MACHINE_DETECTION_MEMBERS]);
    const amd = Object.fromEntries(ANSWER_MACHINE_DETECTION_MEMBERS.map((member) => [member, false]));
    expect(check({ AnswerMachineDetectionConfig: amd }).ok).toBe(true);
  });

  test('phone numbers: the model and the handler use the contract\'s E.164 pattern', () => {
    expect(properties.DestinationPhoneNumber.pattern).toBe(PATTERNS.e164);
    expect(properties.SourcePhoneNumber.pattern).toBe(PATTERNS.e164);
    expect(E164_PATTERN.source).toBe(new RegExp(PATTERNS.e164).source);
    expect(invalidFields(checkRequest({ DestinationPhoneNumber: '+0123456789' }, POLICY))).toEqual(['DestinationPhoneNumber']);
  });

  test('the handler refuses bodies over the contract\'s size', () => {
    expect(MAX_BODY_BYTES).toBe(LIMITS.bodyBytes);
  });
});

describe('construct and handler configuration', () => {
  function synth(props: (stack: Stack) => object) {
    const stack = new Stack(testApp(), 'Test');
    const caller = new OutboundCaller(stack, 'Caller', { ...REQUIRED_PROPS, ...props(stack) });
    return { caller, template: Template.fromStack(stack) };
  }
  const defaults = synth(() => ({}));
  const full = synth((stack) => fullyConfiguredProps(stack));

  /** What a reference (a Ref) in a function's environment is when deployed: the table's name, the queue's URL. */
  const DEPLOYED: Record<string, string> = {
    [ENV.tableName]: 'ledger',
    [ENV.batchQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/111122223333/Test-CallerBatchQueue',
  };

  /** The environment of a function, with references (the table name, the queue URL) made plain strings. */
  function environmentOf(template: Template, description: string): Record<string, string> {
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: description } }));
    const variables = (fn as any).Properties.Environment.Variables as Record<string, unknown>;
    return Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, typeof value === 'string' ? value : DEPLOYED[name]]));
  }

  test.each([
    ['only the required props', defaults],
    ['every prop set', full],
  ])('with %s, the handler reads every variable the construct writes, and the construct writes only contract names', (_, built) => {
    const env = environmentOf(built.template, 'OutboundCaller: PUT /contact/outbound-voice');
    expect(Object.values(ENV)).toEqual(expect.arrayContaining(Object.keys(env)));
    const config = loadConfig(env);
    expect(config.callStatus).toBe(env[ENV.callStatus] === 'true');
    expect(config.authMode).toBe(env[ENV.authMode]);
    expect(config.metricsNamespace).toBe(METRICS.namespace);
    expect(config.idempotencyWindowSeconds).toBe(Number(env[ENV.idempotencyWindowSeconds]));
    expect(config.policy.instanceId).toBe(built.caller.instanceId);
    expect(config.policy.contactFlowId).toBe(built.caller.contactFlowId);
    expect(config.callingHours).toEqual(env[ENV.callingHours] === undefined ? undefined : JSON.parse(env[ENV.callingHours]));
    expect(config.callingHoursOnSyncRoute).toBe(env[ENV.callingHoursSync] === 'true');

    const statusEnv = environmentOf(built.template, 'OutboundCaller: contact events to call status');
    expect(Object.values(ENV)).toEqual(expect.arrayContaining(Object.keys(statusEnv)));
    expect(statusEnv[ENV.metricsNamespace]).toBe(METRICS.namespace);

    // The synchronous route's handler never has batch calls (the batch routes have a function of their own).
    expect(config.batch).toBeUndefined();
    // With batch calls (every prop set), the dispatcher and the batch API function load the same configuration,
    // batch calls on.
    if (built.caller.batchDispatcher) {
      expect(built.caller.batchApiFunction).toBeDefined();
      for (const description of ['OutboundCaller: dials the calls of batches, paced',
        'OutboundCaller: POST /contact/outbound-voice/batches, GET|DELETE .../batches/{batchId}']) {
        const batchEnv = environmentOf(built.template, description);
        expect(Object.values(ENV)).toEqual(expect.arrayContaining(Object.keys(batchEnv)));
        const batchConfig = loadConfig(batchEnv);
        expect(batchConfig.batch).toEqual(expect.objectContaining({
          queueUrl: DEPLOYED[ENV.batchQueueUrl], dialRatePerSecond: Number(batchEnv[ENV.batchDialRate]),
        }));
        expect(batchConfig.policy).toEqual(config.policy);
      }
    }
  });

  test('the construct\'s metric*() methods read the metrics the handlers emit, in their namespace and dimension', () => {
    const { caller } = defaults;
    const metrics = [caller.metricCallsStarted(), caller.metricReplays(), caller.metricRejections(),
      caller.metricConnectErrors(), caller.metricCallsConnected(), caller.metricCallsFailed(), caller.metricLostCallsFound()];
    expect(metrics.map((metric) => metric.metricName))
      .toEqual(Object.values(METRICS.names).filter((name) => name !== METRICS.names.ledgerLatency));
    for (const metric of metrics) {
      expect(metric.namespace).toBe(METRICS.namespace);
      expect(Object.keys(metric.dimensions ?? {})).toEqual([METRICS.dimensions.functionName]);
    }
    expect(METRIC).toBe(METRICS.names);
    expect(OutboundCaller.METRICS_NAMESPACE).toBe(METRICS.namespace);
  });

  test('the routes are the contract\'s', () => {
    expect([OutboundCaller.ROUTE_PATH, OutboundCaller.STATUS_ROUTE_PATH]).toEqual([ROUTES.placeCall, ROUTES.callStatus]);
  });

  test('the auth modes of the construct are the ones the handler reads', () => {
    expect(Object.values(CallerAuthorizationMode)).toEqual([...AUTH_MODES]);
    for (const authorization of [CallerAuthorization.iam(), CallerAuthorization.apiKey(), CallerAuthorization.none()]) {
      const env = { ...environmentOf(defaults.template, 'OutboundCaller: PUT /contact/outbound-voice'), [ENV.authMode]: authorization.mode };
      expect(loadConfig(env).authMode).toBe(authorization.mode);
    }
  });

  test('the ledger table has the contract\'s key, TTL attribute and contact index; the call status uses only contract attributes', () => {
    defaults.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: LEDGER.partitionKey, KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: LEDGER.ttlAttribute, Enabled: true },
      GlobalSecondaryIndexes: [{
        IndexName: LEDGER.contactIndex.name,
        KeySchema: [{ AttributeName: LEDGER.contactIndex.partitionKey, KeyType: 'HASH' }],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      }],
    });
    expect(LEDGER.contactIndex.partitionKey).toBe(LEDGER.record.contactId);
    const attributes = placedStatusAttributes({ caller: 'IAM:arn', createdAt: '2026-01-01T00:00:00.000Z' });
    expect(Object.keys(attributes).sort()).toEqual(Object.values(LEDGER.callStatus).sort());
    // The call status never overwrites an attribute of the record itself.
    const record = new Set<string>([LEDGER.partitionKey, LEDGER.ttlAttribute, ...Object.values(LEDGER.record)]);
    expect([...Object.values(LEDGER.callStatus), ...Object.values(LEDGER.callStatusUpdates)].filter((name) => record.has(name))).toEqual([]);
  });
});
