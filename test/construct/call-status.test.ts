/** OutboundCaller: call-status tracking (contact-events rule, status function, dead-letter queue, GET route), and without it. */
import { CfnParameter } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { OutboundCaller } from '../../src';
import { removeTestApps } from '../support/cdk-test-app';
import {
  build, logicalId, only, handlerFunction, statusFunction, environment, methodOf, httpMethods, handlerStatements,
  statementsWithActionPrefix,
} from '../support/construct-template';
import { INSTANCE_ID, instanceArn } from '../support/fixtures';

afterAll(removeTestApps);

// ---------------------------------------------------------------------------
// Call status: contact events → status function; GET route.
// ---------------------------------------------------------------------------

describe('call status (callStatus, on by default)', () => {
  const built = build();
  const { stack, caller, template } = built;
  const tableId = logicalId(stack, caller.table as dynamodb.Table);
  const queueId = logicalId(stack, caller.deadLetterQueue as sqs.Queue);
  const dlqArn = { 'Fn::GetAtt': [queueId, 'Arn'] };
  const fn = statusFunction(template);
  const functionArn = { 'Fn::GetAtt': [fn.id, 'Arn'] };

  test('exposes the status method, the status function and the dead-letter queue', () => {
    expect(caller.statusMethod).toBeDefined();
    expect(logicalId(stack, caller.statusMethod!)).toBe(methodOf(template, 'GET').id);
    expect(logicalId(stack, caller.statusFunction!)).toBe(fn.id);
    expect(caller.deadLetterQueue).toBeDefined();
    expect(OutboundCaller.STATUS_ROUTE_PATH).toBe('/contact/outbound-voice/{contactId}');
  });

  describe('contact-events rule', () => {
    test('is one rule on the default event bus, enabled', () => {
      const rule = only(template, 'AWS::Events::Rule').resource;
      expect(rule.Properties.EventBusName).toBeUndefined();
      expect(rule.Properties.State).toBe('ENABLED');
      expect(rule.Properties.ScheduleExpression).toBeUndefined();
    });

    test('matches the contact events of this instance\'s API-initiated contacts, and nothing else', () => {
      expect(only(template, 'AWS::Events::Rule').resource.Properties.EventPattern).toEqual({
        'source': ['aws.connect'],
        'detail-type': ['Amazon Connect Contact Event'],
        'detail': {
          instanceArn: [{ suffix: `:instance/${INSTANCE_ID}` }],
          initiationMethod: ['API'],
        },
      });
    });

    test('targets the status function alone, with the dead-letter queue and a retry policy of 8 attempts within 2 hours', () => {
      expect(only(template, 'AWS::Events::Rule').resource.Properties.Targets).toEqual([{
        Id: expect.any(String),
        Arn: functionArn,
        DeadLetterConfig: { Arn: dlqArn },
        RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
      }]);
    });

    test('with an instance ARN, matches by that instance\'s id', () => {
      const { template: fromArn } = build({ instanceId: instanceArn(INSTANCE_ID, 'aws', 'eu-west-2', '444455556666') });
      expect(only(fromArn, 'AWS::Events::Rule').resource.Properties.EventPattern.detail).toEqual({
        instanceArn: [{ suffix: `:instance/${INSTANCE_ID}` }],
        initiationMethod: ['API'],
      });
    });

    test('with a token instance id (a CfnParameter), matches by the token', () => {
      const { template: fromToken } = build((s) => ({ instanceId: new CfnParameter(s, 'ConnectInstanceId').valueAsString }));
      const pattern = only(fromToken, 'AWS::Events::Rule').resource.Properties.EventPattern;
      expect(pattern.detail).toEqual({
        instanceArn: [{ suffix: { 'Fn::Join': ['', [':instance/', { Ref: 'ConnectInstanceId' }]] } }],
        initiationMethod: ['API'],
      });
      expect(pattern.source).toEqual(['aws.connect']);
      expect(statusFunction(fromToken).resource.Properties.Environment.Variables.INSTANCE_ID).toEqual({ Ref: 'ConnectInstanceId' });
    });
  });

  describe('status function', () => {
    test('runs on arm64 with the pinned nodejs24.x runtime', () => {
      expect(fn.resource.Properties).toEqual(expect.objectContaining({
        Architectures: ['arm64'],
        Runtime: 'nodejs24.x',
        Handler: 'index.handler',
      }));
    });

    test('ships its own bundle, not the handler\'s', () => {
      const s3Key: string = fn.resource.Properties.Code.S3Key;
      expect(s3Key).toMatch(/^[0-9a-f]{64}\.zip$/);
      expect(s3Key).not.toBe(handlerFunction(template).Properties.Code.S3Key);
    });

    test('logs in JSON to its own log group', () => {
      const logGroupId = logicalId(stack, caller.statusFunction!.logGroup as logs.LogGroup);
      expect(fn.resource.Properties.LoggingConfig).toEqual({ LogFormat: 'JSON', LogGroup: { Ref: logGroupId } });
      expect(logGroupId).not.toBe(logicalId(stack, caller.handler.logGroup as logs.LogGroup));
    });

    test('has 128 MiB, a 10 s timeout, active tracing and no reserved concurrency', () => {
      expect(fn.resource.Properties).toEqual(expect.objectContaining({
        MemorySize: 128,
        Timeout: 10,
        TracingConfig: { Mode: 'Active' },
      }));
      expect(fn.resource.Properties).not.toHaveProperty('ReservedConcurrentExecutions');
    });

    test('gets exactly these environment variables', () => {
      expect(fn.resource.Properties.Environment.Variables).toEqual({
        INSTANCE_ID: INSTANCE_ID,
        LEDGER_TABLE_NAME: { Ref: tableId },
        METRICS_NAMESPACE: 'OutboundCaller',
      });
    });

    test('retries a failed asynchronous invocation twice, then sends the event to the dead-letter queue', () => {
      const invokeConfig = only(template, 'AWS::Lambda::EventInvokeConfig').resource.Properties;
      expect(invokeConfig).toEqual({ FunctionName: { Ref: fn.id }, Qualifier: '$LATEST', MaximumRetryAttempts: 2 });
      expect(fn.resource.Properties.DeadLetterConfig).toEqual({ TargetArn: dlqArn });
    });
  });

  describe('dead-letter queue', () => {
    test('is one queue with SQS-managed encryption that keeps messages 14 days, retained by default', () => {
      template.resourceCountIs('AWS::SQS::Queue', 1);
      const queue = only(template, 'AWS::SQS::Queue').resource;
      expect(queue.Properties).toEqual({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
      expect(queue.DeletionPolicy).toBe('Retain');
      expect(queue.UpdateReplacePolicy).toBe('Retain');
    });

    test('refuses every request without TLS, and accepts messages from the contact-events rule only', () => {
      const policy = only(template, 'AWS::SQS::QueuePolicy').resource.Properties;
      expect(policy.Queues).toEqual([{ Ref: queueId }]);
      const ruleId = only(template, 'AWS::Events::Rule').id;
      expect(policy.PolicyDocument.Statement).toEqual([
        {
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 'sqs:*',
          Resource: dlqArn,
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
        {
          Sid: expect.any(String),
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: dlqArn,
          Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
        },
      ]);
    });
  });

  describe('GET /contact/outbound-voice/{contactId}', () => {
    test('is a path-parameter resource under the route, served by the handler through a Lambda proxy integration', () => {
      const route = only(template, 'AWS::ApiGateway::Resource', { Properties: { PathPart: 'outbound-voice' } });
      const contactId = only(template, 'AWS::ApiGateway::Resource', { Properties: { PathPart: '{contactId}' } });
      expect(contactId.resource.Properties.ParentId).toEqual({ Ref: route.id });
      const get = methodOf(template, 'GET').resource.Properties;
      expect(get.ResourceId).toEqual({ Ref: contactId.id });
      expect(get.Integration).toEqual({
        Type: 'AWS_PROXY',
        IntegrationHttpMethod: 'POST',
        Uri: expect.objectContaining({
          'Fn::Join': ['', expect.arrayContaining([{ 'Fn::GetAtt': [logicalId(stack, caller.handler), 'Arn'] }])],
        }),
      });
    });

    test('requires the contactId path parameter, takes no body, and uses the request validator', () => {
      const validator = only(template, 'AWS::ApiGateway::RequestValidator');
      const get = methodOf(template, 'GET').resource.Properties;
      expect(get.RequestParameters).toEqual({ 'method.request.path.contactId': true });
      expect(get.RequestValidatorId).toEqual({ Ref: validator.id });
      expect(get.RequestModels).toBeUndefined();
      // The same validator serves the PUT.
      expect(methodOf(template, 'PUT').resource.Properties.RequestValidatorId).toEqual({ Ref: validator.id });
    });

    test('has its own stage throttle, rate 10 and burst 20, next to the PUT\'s Connect quota', () => {
      const stage = only(template, 'AWS::ApiGateway::Stage').resource;
      const settings = stage.Properties.MethodSettings.map((setting: any) => ({
        HttpMethod: setting.HttpMethod,
        ResourcePath: setting.ResourcePath,
        ThrottlingRateLimit: setting.ThrottlingRateLimit,
        ThrottlingBurstLimit: setting.ThrottlingBurstLimit,
      }));
      expect(settings).toEqual([
        { HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 2, ThrottlingBurstLimit: 5 },
        { HttpMethod: 'PUT', ResourcePath: '/~1contact~1outbound-voice', ThrottlingRateLimit: 2, ThrottlingBurstLimit: 5 },
        { HttpMethod: 'GET', ResourcePath: '/~1contact~1outbound-voice~1{contactId}', ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      ]);
    });

    test('a custom statusThrottle goes on the GET and leaves the PUT and the stage default alone', () => {
      const { template: custom } = build({ statusThrottle: { rateLimit: 50, burstLimit: 100 } });
      custom.hasResourceProperties('AWS::ApiGateway::Stage', {
        MethodSettings: [
          Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 2, ThrottlingBurstLimit: 5 }),
          Match.objectLike({ HttpMethod: 'PUT', ResourcePath: '/~1contact~1outbound-voice', ThrottlingRateLimit: 2, ThrottlingBurstLimit: 5 }),
          Match.objectLike({
            HttpMethod: 'GET', ResourcePath: '/~1contact~1outbound-voice~1{contactId}', ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100,
          }),
        ],
      });
    });

    test('a partial statusThrottle keeps the default of the other limit', () => {
      const { template: partial } = build({ statusThrottle: { rateLimit: 4 } });
      partial.hasResourceProperties('AWS::ApiGateway::Stage', {
        MethodSettings: Match.arrayWith([
          Match.objectLike({ HttpMethod: 'GET', ThrottlingRateLimit: 4, ThrottlingBurstLimit: 20 }),
        ]),
      });
    });

    test('the handler is told that call status is on', () => {
      expect(environment(template).CALL_STATUS).toBe('true');
    });
  });
});

describe('callStatus: false', () => {
  const built = build({ callStatus: false });
  const { stack, caller, template } = built;
  const tableId = logicalId(stack, caller.table as dynamodb.Table);

  test('serves the PUT only: no GET method, no {contactId} resource, no status throttle', () => {
    expect(httpMethods(template)).toEqual(['PUT']);
    expect(template.findResources('AWS::ApiGateway::Resource', { Properties: { PathPart: '{contactId}' } })).toEqual({});
    const settings = only(template, 'AWS::ApiGateway::Stage').resource.Properties.MethodSettings;
    expect(settings.map((setting: any) => setting.HttpMethod)).toEqual(['*', 'PUT']);
    expect(caller.statusMethod).toBeUndefined();
  });

  test('creates no rule, no status function, no dead-letter queue and no status role', () => {
    template.resourceCountIs('AWS::Events::Rule', 0);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    expect(handlerFunction(template)).toBeDefined();
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 0);
    template.resourceCountIs('AWS::SQS::Queue', 0);
    template.resourceCountIs('AWS::SQS::QueuePolicy', 0);
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.resourceCountIs('AWS::IAM::Policy', 1);
    template.resourceCountIs('AWS::Logs::LogGroup', 2);
    template.resourceCountIs('AWS::Lambda::Permission', 1);
    expect(caller.statusFunction).toBeUndefined();
    expect(caller.deadLetterQueue).toBeUndefined();
  });

  test('the handler role has exactly the three item actions it needs without status: no GetItem, no index Query', () => {
    const statements = statementsWithActionPrefix(built, 'dynamodb:');
    expect(statements).toEqual([{
      Effect: 'Allow',
      Sid: 'LedgerItems',
      Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      Resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
    }]);
    expect(handlerStatements(built)).toHaveLength(4);
    // No status route, no DescribeContact.
    expect(statementsWithActionPrefix(built, 'connect:DescribeContact')).toEqual([]);
  });

  test('tells the handler that call status is off', () => {
    expect(environment(template).CALL_STATUS).toBe('false');
  });

  test.each(['metricCallsConnected', 'metricCallsFailed'] as const)('%s() throws, naming callStatus', (name) => {
    expect(() => caller[name]()).toThrow(
      `OutboundCaller: ${name}() needs callStatus; got callStatus: false. Turn callStatus on to follow calls.`);
  });

  test('the handler\'s metrics are still there', () => {
    expect(stack.resolve(caller.metricCallsStarted().dimensions)).toEqual({ FunctionName: { Ref: logicalId(stack, caller.handler) } });
  });
});
