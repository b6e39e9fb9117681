/** OutboundCaller with its defaults: the template snapshot and what a security review expects of it. */
import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { ASSET_HASH_PLACEHOLDER, assetHashSerializer } from './support/asset-hash-serializer';
import { removeTestApps } from './support/cdk-test-app';
import {
  build, logicalId, only, byPath, handlerFunction, statusFunction, expectHandlerProperties, environment, httpMethods,
  handlerStatements, statusStatements, actionsOf, withActionPrefix, statementsWithActionPrefix, PARTITION,
  REGION_REF, ACCOUNT_REF, REQUEST_FIELDS, GATEWAY_RESPONSES,
} from './support/construct-template';
import { CONTACT_FLOW_ID, INSTANCE_ID, SOURCE_PHONE_NUMBER } from './support/fixtures';

expect.addSnapshotSerializer(assetHashSerializer);
afterAll(removeTestApps);

// ---------------------------------------------------------------------------
// The default stack: one synth shared by every assertion on defaults.
// ---------------------------------------------------------------------------

describe('OutboundCaller with only the required props', () => {
  const built = build();
  const { stack, caller, template } = built;
  const apiId = logicalId(stack, caller.api as apigw.RestApi);
  const stageId = logicalId(stack, (caller.api as apigw.RestApi).deploymentStage);
  const handlerId = logicalId(stack, caller.handler);
  const tableId = logicalId(stack, caller.table as dynamodb.Table);

  test('matches the template snapshot (asset hashes hidden)', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });

  test('the snapshot serializer hides the handler asset hash', () => {
    const s3Key: string = handlerFunction(template).Properties.Code.S3Key;
    expect(s3Key).toMatch(/^[0-9a-f]{64}\.zip$/);
    expect(assetHashSerializer.test(s3Key)).toBe(true);
    const printed = assetHashSerializer.serialize(s3Key, {} as any, '', 0, [], (value: unknown) => String(value));
    expect(printed).toBe(`${ASSET_HASH_PLACEHOLDER}.zip`);
  });

  describe('REST API', () => {
    test('creates one REGIONAL REST API', () => {
      template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
      template.hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: ['REGIONAL'] } });
    });

    test('writes JSON access logs that carry the request id', () => {
      const stage = only(template, 'AWS::ApiGateway::Stage').resource;
      const format = JSON.parse(stage.Properties.AccessLogSetting.Format);
      expect(format).toEqual(expect.objectContaining({
        requestId: '$context.requestId',
        status: '$context.status',
        caller: '$context.identity.caller',
        apiKeyId: '$context.identity.apiKeyId',
      }));
      const accessLogsId = logicalId(stack, caller.node.findChild('AccessLogs') as logs.LogGroup);
      expect(stage.Properties.AccessLogSetting.DestinationArn).toEqual({ 'Fn::GetAtt': [accessLogsId, 'Arn'] });
    });

    test('traces the stage with X-Ray', () => {
      template.hasResourceProperties('AWS::ApiGateway::Stage', { TracingEnabled: true });
    });

    test('validates request body and parameters with a validator on the method', () => {
      const validator = only(template, 'AWS::ApiGateway::RequestValidator', {
        Properties: { ValidateRequestBody: true, ValidateRequestParameters: true },
      });
      template.hasResourceProperties('AWS::ApiGateway::Method', { RequestValidatorId: { Ref: validator.id } });
    });

    test('models the body as a JSON schema of the 15 request fields and nothing else', () => {
      const model = only(template, 'AWS::ApiGateway::Model').resource;
      expect(model.Properties.ContentType).toBe('application/json');
      const schema = model.Properties.Schema;
      expect(schema.type).toBe('object');
      expect(schema.additionalProperties).toBe(false);
      expect(schema.required).toEqual(['DestinationPhoneNumber']);
      expect(Object.keys(schema.properties).sort()).toEqual([...REQUEST_FIELDS].sort());
      expect(schema.properties).not.toHaveProperty('OutboundStrategy');
      template.hasResourceProperties('AWS::ApiGateway::Method', {
        RequestModels: { 'application/json': { Ref: only(template, 'AWS::ApiGateway::Model').id } },
      });
    });

    test('serves PUT /contact/outbound-voice through a Lambda proxy integration with IAM authorization', () => {
      const contact = only(template, 'AWS::ApiGateway::Resource', { Properties: { PathPart: 'contact' } });
      expect(contact.resource.Properties.ParentId).toEqual({ 'Fn::GetAtt': [apiId, 'RootResourceId'] });
      const route = only(template, 'AWS::ApiGateway::Resource', { Properties: { PathPart: 'outbound-voice' } });
      expect(route.resource.Properties.ParentId).toEqual({ Ref: contact.id });

      // The route's methods: this PUT and the status GET (callStatus, on by default) and nothing else.
      expect(httpMethods(template)).toEqual(['GET', 'PUT']);
      template.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: 'PUT',
        ResourceId: { Ref: route.id },
        AuthorizationType: 'AWS_IAM',
        ApiKeyRequired: Match.absent(),
        RequestParameters: { 'method.request.header.Idempotency-Key': false },
        Integration: {
          Type: 'AWS_PROXY',
          IntegrationHttpMethod: 'POST',
          Uri: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([{ 'Fn::GetAtt': [handlerId, 'Arn'] }])] }),
        },
      });
      template.resourceCountIs('AWS::ApiGateway::Authorizer', 0);
      template.resourceCountIs('AWS::ApiGateway::UsagePlan', 0);
      template.resourceCountIs('AWS::ApiGateway::ApiKey', 0);
    });

    test('exposes the URL of the route on the stage', () => {
      expect(stack.resolve(caller.url)).toEqual({
        'Fn::Join': ['', [
          'https://', { Ref: apiId }, '.execute-api.', REGION_REF, '.', { Ref: 'AWS::URLSuffix' }, '/',
          { Ref: stageId }, '/contact/outbound-voice',
        ]],
      });
    });

    test('throttles the stage and the route to the Connect quota: rate 2, burst 5', () => {
      template.hasResourceProperties('AWS::ApiGateway::Stage', {
        MethodSettings: Match.arrayWith([
          Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 2, ThrottlingBurstLimit: 5 }),
          Match.objectLike({
            HttpMethod: 'PUT', ResourcePath: '/~1contact~1outbound-voice', ThrottlingRateLimit: 2, ThrottlingBurstLimit: 5,
          }),
        ]),
      });
    });

    test('leaves execution logging off (it needs the account-wide CloudWatch role)', () => {
      template.hasResourceProperties('AWS::ApiGateway::Stage', {
        MethodSettings: Match.arrayWith([Match.objectLike({ ResourcePath: '/*', LoggingLevel: 'OFF' })]),
      });
      template.resourceCountIs('AWS::ApiGateway::Account', 0);
    });

    test('answers every gateway error type in the envelope and no other', () => {
      const types = Object.values(template.findResources('AWS::ApiGateway::GatewayResponse'))
        .map((response: any) => response.Properties.ResponseType);
      expect(types.sort()).toEqual(GATEWAY_RESPONSES.map((response) => response.type).sort());
    });

    test.each(GATEWAY_RESPONSES)('gateway response $type renders code $code with x-request-id', (expected) => {
      const { resource } = only(template, 'AWS::ApiGateway::GatewayResponse', { Properties: { ResponseType: expected.type } });
      const properties = resource.Properties;
      expect(properties.RestApiId).toEqual({ Ref: apiId });
      expect(properties.StatusCode).toBe(expected.status);
      const headers = properties.ResponseParameters;
      expect(headers['gatewayresponse.header.x-request-id']).toBe('context.requestId');
      expect(headers['gatewayresponse.header.content-type']).toBe("'application/json'");
      if (expected.retryAfter) {
        expect(headers['gatewayresponse.header.retry-after']).toMatch(expected.retryAfter);
      } else {
        expect(headers).not.toHaveProperty('gatewayresponse.header.retry-after');
      }
      const body = JSON.parse(properties.ResponseTemplates['application/json']);
      expect(body).toEqual({ success: false, error: { code: expected.code, message: expect.any(String), details: [] } });
      // No internal detail: the message is fixed text, not API Gateway's error.
      expect(body.error.message).not.toMatch(/\$context/);
    });
  });

  describe('handler', () => {
    test('runs on arm64 with the pinned nodejs24.x runtime and no runtime lookup table', () => {
      expectHandlerProperties(template, {
        Architectures: ['arm64'],
        Runtime: 'nodejs24.x',
        Handler: 'index.handler',
      });
      expect(template.toJSON().Mappings).toBeUndefined();
    });

    test('logs in JSON to its own log group', () => {
      const logGroupId = logicalId(stack, caller.handler.logGroup as logs.LogGroup);
      expectHandlerProperties(template, {
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logGroupId } },
      });
    });

    test('has 1024 MiB, a 25 s timeout, active tracing and no reserved concurrency', () => {
      expectHandlerProperties(template, {
        MemorySize: 1024,
        Timeout: 25,
        TracingConfig: { Mode: 'Active' },
        ReservedConcurrentExecutions: Match.absent(),
      });
    });

    test('gets its configuration from exactly these environment variables', () => {
      expect(environment(template)).toEqual({
        INSTANCE_ID: INSTANCE_ID,
        CONTACT_FLOW_ID: CONTACT_FLOW_ID,
        SOURCE_PHONE_NUMBER: SOURCE_PHONE_NUMBER,
        ALLOWED_CONTACT_FLOW_IDS: '',
        ALLOWED_QUEUE_IDS: '',
        ALLOWED_SOURCE_PHONE_NUMBERS: '',
        ALLOWED_DESTINATION_COUNTRIES: '*',
        BLOCK_PREMIUM_RATE_NUMBERS: 'true',
        ALLOW_CAMPAIGN_CALLS: 'false',
        AUTH_MODE: 'IAM',
        LEDGER_TABLE_NAME: { Ref: tableId },
        IDEMPOTENCY_WINDOW_SECONDS: '604800',
        METRICS_NAMESPACE: 'OutboundCaller',
        CALL_STATUS: 'true',
      });
    });
  });

  describe('ledger table', () => {
    test('is PAY_PER_REQUEST, encrypted, with point-in-time recovery, TTL on expiresAt, key pk (S) and the keys-only contact index', () => {
      template.resourceCountIs('AWS::DynamoDB::Table', 1);
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'contactId', AttributeType: 'S' }],
        GlobalSecondaryIndexes: [{
          IndexName: 'contactId',
          KeySchema: [{ AttributeName: 'contactId', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        }],
      });
    });

    test('has no index without call status', () => {
      const off = build({ callStatus: false });
      off.template.hasResourceProperties('AWS::DynamoDB::Table', {
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        GlobalSecondaryIndexes: Match.absent(),
      });
      const actions = handlerStatements(off).flatMap(actionsOf);
      expect(actions.filter((action) => action.startsWith('dynamodb:'))).toEqual(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']);
    });

    test('is retained when it leaves the stack', () => {
      template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    });
  });

  test('keeps the handler logs, the status function logs and the access logs for one year, and retains them', () => {
    template.resourceCountIs('AWS::Logs::LogGroup', 3);
    const expected = [caller.handler.logGroup, caller.statusFunction!.logGroup, caller.node.findChild('AccessLogs')]
      .map((group) => logicalId(stack, group as logs.LogGroup)).sort();
    expect(Object.keys(template.findResources('AWS::Logs::LogGroup')).sort()).toEqual(expected);
    template.allResources('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 365 },
      DeletionPolicy: 'Retain',
    });
  });

  describe('IAM (least privilege)', () => {
    test('the handler role has exactly: its logs, X-Ray, StartOutboundVoiceContact and DescribeContact on this instance, four item actions on the ledger, Query on its contact index', () => {
      const logGroupId = logicalId(stack, caller.handler.logGroup as logs.LogGroup);
      const statements = handlerStatements(built);
      expect(statements).toHaveLength(6);
      expect(statements).toEqual(expect.arrayContaining([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
        },
        { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
        {
          Effect: 'Allow',
          Sid: 'StartOutboundVoiceContactOnThisInstance',
          Action: 'connect:StartOutboundVoiceContact',
          Resource: {
            'Fn::Join': ['', ['arn:', PARTITION, ':connect:', REGION_REF, ':', ACCOUNT_REF, `:instance/${INSTANCE_ID}/contact/*`]],
          },
        },
        {
          Effect: 'Allow',
          // The status route asks Connect about calls whose events were lost: this instance's contacts only.
          Sid: 'DescribeContactOnThisInstance',
          Action: 'connect:DescribeContact',
          Resource: {
            'Fn::Join': ['', ['arn:', PARTITION, ':connect:', REGION_REF, ':', ACCOUNT_REF, `:instance/${INSTANCE_ID}/contact/*`]],
          },
        },
        {
          Effect: 'Allow',
          Sid: 'LedgerItems',
          Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem'],
          Resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
        },
        contactIndexQuery(),
      ]));
    });

    test('the status role has exactly: its logs, X-Ray, sending to its dead-letter queue, UpdateItem on the ledger, Query on its contact index', () => {
      const logGroupId = logicalId(stack, caller.statusFunction!.logGroup as logs.LogGroup);
      const queueId = logicalId(stack, caller.deadLetterQueue as sqs.Queue);
      const statements = statusStatements(built);
      expect(statements).toHaveLength(5);
      expect(statements).toEqual(expect.arrayContaining([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
        },
        { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
        // Lambda sends events that failed every retry to the DeadLetterConfig queue with the function's role.
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [queueId, 'Arn'] } },
        { Effect: 'Allow', Sid: 'LedgerItems', Action: 'dynamodb:UpdateItem', Resource: { 'Fn::GetAtt': [tableId, 'Arn'] } },
        contactIndexQuery(),
      ]));
    });

    test('the status role can neither call Connect nor read, put or delete ledger items', () => {
      const actions = statusStatements(built).flatMap(actionsOf);
      expect(actions.filter((action) => action.startsWith('connect:'))).toEqual([]);
      expect(actions.filter((action) => action.startsWith('dynamodb:'))).toEqual(['dynamodb:UpdateItem', 'dynamodb:Query']);
    });

    /** Query on the contact index alone, no `index/*`. */
    function contactIndexQuery(): unknown {
      return {
        Effect: 'Allow',
        Sid: 'QueryContactIndex',
        Action: 'dynamodb:Query',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [tableId, 'Arn'] }, '/index/contactId']] },
      };
    }

    test.each([
      ['handler', handlerStatements],
      ['status', statusStatements],
    ] as const)('no statement of the %s role uses Resource "*" except the X-Ray actions', (_role, statementsOf) => {
      const wildcard = statementsOf(built).filter((statement) =>
        statement.Resource === '*' || (Array.isArray(statement.Resource) && statement.Resource.includes('*')));
      expect(wildcard.flatMap(actionsOf).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    });

    test('no KMS actions without an encryption key', () => {
      expect(statementsWithActionPrefix(built, 'kms:')).toEqual([]);
      expect(withActionPrefix(statusStatements(built), 'kms:')).toEqual([]);
    });

    test('the handler role and the status role have no managed policies and no other policy', () => {
      template.resourceCountIs('AWS::IAM::Role', 2);
      for (const name of ['HandlerRole', 'StatusRole']) {
        const role = byPath(template, 'AWS::IAM::Role', name);
        expect(role.resource.Properties.ManagedPolicyArns).toBeUndefined();
        expect(role.resource.Properties.Policies).toBeUndefined();
        // Exactly one policy (its DefaultPolicy) is attached to each role.
        expect(Object.keys(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role.id }] } })))
          .toHaveLength(1);
      }
      template.resourceCountIs('AWS::IAM::Policy', 2);
      template.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
    });

    test('the two functions have their own roles', () => {
      expect(handlerFunction(template).Properties.Role).toEqual({ 'Fn::GetAtt': [byPath(template, 'AWS::IAM::Role', 'HandlerRole').id, 'Arn'] });
      expect(statusFunction(template).resource.Properties.Role)
        .toEqual({ 'Fn::GetAtt': [byPath(template, 'AWS::IAM::Role', 'StatusRole').id, 'Arn'] });
    });

    test('only API Gateway may invoke the handler, and only from these two routes', () => {
      const handlerArn = { 'Fn::GetAtt': [handlerId, 'Arn'] };
      const permissions = Object.values(template.findResources('AWS::Lambda::Permission', { Properties: { FunctionName: handlerArn } }))
        .map((permission: any) => permission.Properties);
      const sourceArn = (path: string): object => ({
        'Fn::Join': ['', [
          'arn:', PARTITION, ':execute-api:', REGION_REF, ':', ACCOUNT_REF, ':', { Ref: apiId }, '/', { Ref: stageId }, path,
        ]],
      });
      expect(permissions).toHaveLength(2);
      expect(permissions).toEqual(expect.arrayContaining([
        { Action: 'lambda:InvokeFunction', FunctionName: handlerArn, Principal: 'apigateway.amazonaws.com', SourceArn: sourceArn('/PUT/contact/outbound-voice') },
        { Action: 'lambda:InvokeFunction', FunctionName: handlerArn, Principal: 'apigateway.amazonaws.com', SourceArn: sourceArn('/GET/contact/outbound-voice/*') },
      ]));
    });

    test('only the contact-events rule may invoke the status function', () => {
      const functionArn = { 'Fn::GetAtt': [statusFunction(template).id, 'Arn'] };
      const permissions = Object.values(template.findResources('AWS::Lambda::Permission', { Properties: { FunctionName: functionArn } }))
        .map((permission: any) => permission.Properties);
      const ruleId = only(template, 'AWS::Events::Rule').id;
      expect(permissions).toEqual([{
        Action: 'lambda:InvokeFunction',
        FunctionName: functionArn,
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
      }]);
      template.resourceCountIs('AWS::Lambda::Permission', 3);
    });
  });

  describe('metrics', () => {
    const functionName = { Ref: handlerId };

    test.each([
      ['metricCallsStarted', 'CallsStarted'],
      ['metricReplays', 'Replays'],
      ['metricRejections', 'Rejections'],
      ['metricConnectErrors', 'ConnectErrors'],
    ] as const)('%s() is %s in namespace OutboundCaller, per handler, summed over 5 minutes', (method, metricName) => {
      const metric: cloudwatch.Metric = caller[method]();
      expect(metric.namespace).toBe('OutboundCaller');
      expect(metric.metricName).toBe(metricName);
      expect(metric.statistic).toBe('Sum');
      expect(metric.period.toSeconds()).toBe(300);
      expect(stack.resolve(metric.dimensions)).toEqual({ FunctionName: functionName });
    });

    test('dimensionsMap adds to the FunctionName dimension, and options override the defaults', () => {
      const metric = caller.metricRejections({
        dimensionsMap: { Code: 'VALIDATION_ERROR' }, period: Duration.minutes(1), statistic: 'Average',
      });
      expect(stack.resolve(metric.dimensions)).toEqual({ FunctionName: functionName, Code: 'VALIDATION_ERROR' });
      expect(metric.period.toSeconds()).toBe(60);
      expect(metric.statistic).toBe('Average');
    });

    test('metricConnectErrors() takes an ErrorType dimension next to FunctionName', () => {
      const metric = caller.metricConnectErrors({ dimensionsMap: { ErrorType: 'LimitExceededException' } });
      expect(stack.resolve(metric.dimensions)).toEqual({ FunctionName: functionName, ErrorType: 'LimitExceededException' });
    });

    test.each([
      ['metricCallsConnected', 'CallsConnected'],
      ['metricCallsFailed', 'CallsFailed'],
    ] as const)('%s() is %s in namespace OutboundCaller, per status function, summed over 5 minutes', (name, metricName) => {
      const metric: cloudwatch.Metric = caller[name]();
      expect(metric.namespace).toBe('OutboundCaller');
      expect(metric.metricName).toBe(metricName);
      expect(metric.statistic).toBe('Sum');
      expect(metric.period.toSeconds()).toBe(300);
      // The status function emits them, not the handler.
      expect(stack.resolve(metric.dimensions)).toEqual({ FunctionName: { Ref: statusFunction(template).id } });
    });

    test('metricCallsFailed() options override the defaults and add dimensions', () => {
      const metric = caller.metricCallsFailed({ period: Duration.hours(1), statistic: 'Maximum', dimensionsMap: { Extra: 'x' } });
      expect(metric.period.toSeconds()).toBe(3600);
      expect(metric.statistic).toBe('Maximum');
      expect(stack.resolve(metric.dimensions)).toEqual({ FunctionName: { Ref: statusFunction(template).id }, Extra: 'x' });
    });
  });
});
