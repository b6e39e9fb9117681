/** OutboundCaller: the props that shape the API, the handler, its permissions, the ledger key and the logs. */
import { CfnParameter, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { removeTestApps } from '../support/cdk-test-app';
import {
  build, logicalId, byPath, statusFunction, expectHandlerProperties, environment, handlerStatements,
  statusStatements, actionsOf, withActionPrefix, statementsWithActionPrefix, connectStatement, PARTITION, REGION_REF,
  ACCOUNT_REF, propsError, expectProblem,
} from '../support/construct-template';
import {
  CONTACT_FLOW_ID, INSTANCE_ID, OTHER_CONTACT_FLOW_ID, OTHER_QUEUE_ID, OTHER_SOURCE_PHONE_NUMBER, QUEUE_ID,
  SOURCE_PHONE_NUMBER, contactFlowArn, instanceArn, queueArn,
} from '../support/fixtures';

afterAll(removeTestApps);

// ---------------------------------------------------------------------------
// Each prop
// ---------------------------------------------------------------------------

describe('endpointType', () => {
  test('EDGE creates an API with that endpoint type (PRIVATE is refused: see the synth-time checks)', () => {
    const { template } = build({ endpointType: apigw.EndpointType.EDGE });
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: ['EDGE'] } });
  });
});

describe('tracing: false', () => {
  const built = build({ tracing: false });

  test('turns X-Ray off on the stage, the handler and the status function', () => {
    built.template.hasResourceProperties('AWS::ApiGateway::Stage', { TracingEnabled: false });
    expectHandlerProperties(built.template, { TracingConfig: Match.absent() });
    expect(statusFunction(built.template).resource.Properties.TracingConfig).toBeUndefined();
    built.template.resourceCountIs('AWS::Lambda::Function', 2);
  });

  test('drops the X-Ray permissions, so no statement has Resource "*"', () => {
    expect(statementsWithActionPrefix(built, 'xray:')).toEqual([]);
    expect(handlerStatements(built).filter((statement) => JSON.stringify(statement.Resource).includes('"*"'))).toEqual([]);
  });

  test('drops the X-Ray permissions of the status role: exactly its logs, its dead-letter queue, UpdateItem and the index Query remain', () => {
    expect(statusStatements(built).flatMap(actionsOf).sort()).toEqual(
      ['dynamodb:Query', 'dynamodb:UpdateItem', 'logs:CreateLogStream', 'logs:PutLogEvents', 'sqs:SendMessage']);
    expect(statusStatements(built).filter((statement) => JSON.stringify(statement.Resource).includes('"*"'))).toEqual([]);
  });

  test('no longer acknowledges the X-Ray wildcard', () => {
    const policy = byPath(built.template, 'AWS::IAM::Policy', 'HandlerRoleDefaultPolicy').resource;
    const reasons = policy.Metadata.cdk_nag.rules_to_suppress.map((rule: { reason: string }) => rule.reason);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/StartOutboundVoiceContact/);
    // The status role's policy had nothing else to acknowledge.
    expect(byPath(built.template, 'AWS::IAM::Policy', 'StatusRoleDefaultPolicy').resource.Metadata?.cdk_nag).toBeUndefined();
  });
});

describe('throttle', () => {
  test('custom limits go on the stage default and on the route', () => {
    const { template } = build({ throttle: { rateLimit: 10, burstLimit: 20 } });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([
        Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 }),
        Match.objectLike({ HttpMethod: 'PUT', ResourcePath: '/~1contact~1outbound-voice', ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 }),
      ]),
    });
  });

  test('the status GET keeps its own throttle when the PUT throttle changes', () => {
    const { template } = build({ throttle: { rateLimit: 1, burstLimit: 1 } });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          HttpMethod: 'GET', ResourcePath: '/~1contact~1outbound-voice~1{contactId}', ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20,
        }),
      ]),
    });
  });

  test('a partial throttle keeps the default of the other limit', () => {
    const { template } = build({ throttle: { burstLimit: 3 } });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([
        Match.objectLike({ HttpMethod: 'PUT', ThrottlingRateLimit: 2, ThrottlingBurstLimit: 3 }),
      ]),
    });
  });
});

describe('handler props', () => {
  test('memorySize, timeout and reservedConcurrentExecutions are applied', () => {
    // 2048, not the default 1024: the test proves the prop is applied.
    const { template } = build({ memorySize: 2048, timeout: Duration.seconds(29), reservedConcurrentExecutions: 10 });
    expectHandlerProperties(template, {
      MemorySize: 2048, Timeout: 29, ReservedConcurrentExecutions: 10,
    });
    // They are the handler's: the status function keeps its own size and timeout.
    expect(statusFunction(template).resource.Properties).toEqual(expect.objectContaining({ MemorySize: 128, Timeout: 10 }));
    expect(statusFunction(template).resource.Properties).not.toHaveProperty('ReservedConcurrentExecutions');
  });

  test('executionLoggingLevel sets the stage logging level', () => {
    const { template } = build({ executionLoggingLevel: apigw.MethodLoggingLevel.ERROR });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([Match.objectLike({ ResourcePath: '/*', LoggingLevel: 'ERROR' })]),
    });
  });

  test('the request policy props reach the handler as environment variables', () => {
    const { template } = build({
      queueId: QUEUE_ID,
      allowedContactFlowIds: [OTHER_CONTACT_FLOW_ID, CONTACT_FLOW_ID],
      allowedQueueIds: [OTHER_QUEUE_ID, QUEUE_ID],
      allowedSourcePhoneNumbers: [OTHER_SOURCE_PHONE_NUMBER, '+442071838750'],
      allowedDestinationCountries: ['us', 'CA', 'gb'],
      blockPremiumRateNumbers: false,
      allowCampaignCalls: true,
      idempotencyWindow: Duration.hours(24),
    });
    expect(environment(template)).toEqual(expect.objectContaining({
      SOURCE_PHONE_NUMBER: SOURCE_PHONE_NUMBER,
      QUEUE_ID: QUEUE_ID,
      ALLOWED_CONTACT_FLOW_IDS: `${OTHER_CONTACT_FLOW_ID},${CONTACT_FLOW_ID}`,
      ALLOWED_QUEUE_IDS: `${OTHER_QUEUE_ID},${QUEUE_ID}`,
      ALLOWED_SOURCE_PHONE_NUMBERS: `${OTHER_SOURCE_PHONE_NUMBER},+442071838750`,
      ALLOWED_DESTINATION_COUNTRIES: 'US,CA,GB',
      BLOCK_PREMIUM_RATE_NUMBERS: 'false',
      ALLOW_CAMPAIGN_CALLS: 'true',
      IDEMPOTENCY_WINDOW_SECONDS: '86400',
    }));
  });

  test('a queue alone is a caller id: QUEUE_ID set, SOURCE_PHONE_NUMBER absent', () => {
    const { template } = build({ sourcePhoneNumber: undefined, queueId: QUEUE_ID });
    const env = environment(template);
    expect(env.QUEUE_ID).toBe(QUEUE_ID);
    expect(env).not.toHaveProperty('SOURCE_PHONE_NUMBER');
  });

  test('ARNs of the instance, flows and queues are reduced to their GUIDs', () => {
    const { caller, template } = build({
      instanceId: instanceArn(),
      contactFlowId: contactFlowArn(CONTACT_FLOW_ID),
      queueId: queueArn(QUEUE_ID),
      allowedContactFlowIds: [contactFlowArn(OTHER_CONTACT_FLOW_ID)],
      allowedQueueIds: [queueArn(OTHER_QUEUE_ID)],
    });
    expect(environment(template)).toEqual(expect.objectContaining({
      INSTANCE_ID: INSTANCE_ID,
      CONTACT_FLOW_ID: CONTACT_FLOW_ID,
      QUEUE_ID: QUEUE_ID,
      ALLOWED_CONTACT_FLOW_IDS: OTHER_CONTACT_FLOW_ID,
      ALLOWED_QUEUE_IDS: OTHER_QUEUE_ID,
    }));
    expect(caller.instanceId).toBe(INSTANCE_ID);
    expect(caller.contactFlowId).toBe(CONTACT_FLOW_ID);
  });
});

describe('StartOutboundVoiceContact permission', () => {
  test('in an environment-agnostic stack uses the stack pseudo parameters', () => {
    expect(connectStatement(build()).Resource).toEqual({
      'Fn::Join': ['', ['arn:', PARTITION, ':connect:', REGION_REF, ':', ACCOUNT_REF, `:instance/${INSTANCE_ID}/contact/*`]],
    });
  });

  test('in a stack with an explicit environment uses its region and account', () => {
    const built = build({}, { env: { account: '444455556666', region: 'eu-west-2' } });
    expect(connectStatement(built).Resource).toEqual({
      'Fn::Join': ['', ['arn:', PARTITION, `:connect:eu-west-2:444455556666:instance/${INSTANCE_ID}/contact/*`]],
    });
  });

  test('with an instance ARN uses the ARN\'s partition, region and account, not the stack\'s tokens', () => {
    // An environment-agnostic stack (a stack in another account or region is refused: see the synth-time checks).
    const built = build({ instanceId: instanceArn(INSTANCE_ID, 'aws-us-gov', 'us-gov-west-1', '123456789012') });
    expect(connectStatement(built).Resource)
      .toBe(`arn:aws-us-gov:connect:us-gov-west-1:123456789012:instance/${INSTANCE_ID}/contact/*`);
    expect(environment(built.template).INSTANCE_ID).toBe(INSTANCE_ID);
  });

  test('with a token instance id (a CfnParameter) puts the token in the ARN', () => {
    const built = build((stack) => ({ instanceId: new CfnParameter(stack, 'ConnectInstanceId').valueAsString }));
    expect(connectStatement(built).Resource).toEqual({
      'Fn::Join': ['', [
        'arn:', PARTITION, ':connect:', REGION_REF, ':', ACCOUNT_REF, ':instance/', { Ref: 'ConnectInstanceId' }, '/contact/*',
      ]],
    });
    expect(environment(built.template).INSTANCE_ID).toEqual({ Ref: 'ConnectInstanceId' });
  });
});

describe('encryptionKey', () => {
  let key: kms.Key | undefined;
  const built = build((stack) => {
    key = new kms.Key(stack, 'LedgerKey', { enableKeyRotation: true });
    return { encryptionKey: key };
  });
  const keyArn = { 'Fn::GetAtt': [logicalId(built.stack, key!), 'Arn'] };

  test('encrypts the ledger with the customer-managed key', () => {
    built.template.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: keyArn },
    });
  });

  test('lets the handler use that key, and only that key', () => {
    expect(statementsWithActionPrefix(built, 'kms:')).toEqual([{
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
      Resource: keyArn,
    }]);
  });

  test('lets the status function use that key, and only that key, without re-encryption', () => {
    expect(withActionPrefix(statusStatements(built), 'kms:')).toEqual([{
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
      Resource: keyArn,
    }]);
    // Nothing else changes: logs, the dead-letter queue, X-Ray, UpdateItem and the index Query besides the key.
    expect(statusStatements(built).flatMap(actionsOf).filter((action) => !action.startsWith('kms:')).sort()).toEqual([
      'dynamodb:Query', 'dynamodb:UpdateItem', 'logs:CreateLogStream', 'logs:PutLogEvents', 'sqs:SendMessage',
      'xray:PutTelemetryRecords', 'xray:PutTraceSegments',
    ]);
  });
});

describe('removalPolicy and logRetention', () => {
  test('removalPolicy DESTROY deletes the ledger, the three log groups and the dead-letter queue with the stack', () => {
    const { template } = build({ removalPolicy: RemovalPolicy.DESTROY });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    template.resourceCountIs('AWS::Logs::LogGroup', 3);
    template.allResources('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
    template.resourceCountIs('AWS::SQS::Queue', 1);
    template.hasResource('AWS::SQS::Queue', { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
  });

  test('logRetention applies to the handler logs, the status function logs and the access logs', () => {
    const { template } = build({ logRetention: logs.RetentionDays.ONE_MONTH });
    template.resourceCountIs('AWS::Logs::LogGroup', 3);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });
});

describe('contactSearchAttribute (opt-in)', () => {
  const built = build({ contactSearchAttribute: 'outbound_caller_token' });

  test('hands the key to the handler and lets it search this instance\'s contacts, and nothing else', () => {
    expect(environment(built.template).CONTACT_SEARCH_ATTRIBUTE).toBe('outbound_caller_token');
    const thisInstanceArn = ['arn:', PARTITION, ':connect:', REGION_REF, ':', ACCOUNT_REF, `:instance/${INSTANCE_ID}`];
    expect(statementsWithActionPrefix(built, 'connect:SearchContacts')).toEqual([{
      Effect: 'Allow',
      Sid: 'SearchContactsOfThisInstance',
      Action: 'connect:SearchContacts',
      Resource: { 'Fn::Join': ['', thisInstanceArn] },
    }]);
    expect(statementsWithActionPrefix(built, 'connect:GetContactAttributes')).toEqual([{
      Effect: 'Allow',
      Sid: 'GetContactAttributesOnThisInstance',
      Action: 'connect:GetContactAttributes',
      Resource: { 'Fn::Join': ['', [...thisInstanceArn.slice(0, -1), `:instance/${INSTANCE_ID}/contact/*`]] },
    }]);
  });

  test('off by default: no variable, no search permission', () => {
    const defaults = build();
    expect(environment(defaults.template).CONTACT_SEARCH_ATTRIBUTE).toBeUndefined();
    expect(statementsWithActionPrefix(defaults, 'connect:SearchContacts')).toEqual([]);
    expect(statementsWithActionPrefix(defaults, 'connect:GetContactAttributes')).toEqual([]);
  });

  test.each(['', 'has space', 'x'.repeat(101), 'oc.token'])('refuses %j: not a searchable attribute key', (key) => {
    expectProblem(propsError({ contactSearchAttribute: key }), {
      prop: 'contactSearchAttribute', rule: /1 to 100 letters, digits/, value: key, fix: /searchable contact attribute in the instance/,
    });
  });
});
