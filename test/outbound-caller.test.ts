import { CfnElement, CfnParameter, Duration, Environment, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { CallerAuthorization, OutboundCaller, OutboundCallerProps } from '../src';
import { ASSET_HASH_PLACEHOLDER, assetHashSerializer } from './support/asset-hash-serializer';
import { removeTestApps, testApp } from './support/cdk-test-app';
import {
  ACCOUNT, CONTACT_FLOW_ID, INSTANCE_ID, OTHER_CONTACT_FLOW_ID, OTHER_QUEUE_ID, OTHER_SOURCE_PHONE_NUMBER, QUEUE_ID,
  REQUIRED_PROPS, SOURCE_PHONE_NUMBER, contactFlowArn, instanceArn, queueArn,
} from './support/fixtures';

expect.addSnapshotSerializer(assetHashSerializer);
afterAll(removeTestApps);

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

interface Built {
  readonly stack: Stack;
  readonly caller: OutboundCaller;
  readonly template: Template;
}

/**
 * One stack with one OutboundCaller. `props` may be a function of the stack,
 * for props that are constructs (user pools, keys, APIs, tables, parameters).
 * `extra` runs after the construct exists and before the synth.
 */
function build(
  props: Partial<OutboundCallerProps> | ((stack: Stack) => Partial<OutboundCallerProps>) = {},
  options: { env?: Environment; extra?: (stack: Stack, caller: OutboundCaller) => void } = {},
): Built {
  const stack = new Stack(testApp(), 'Test', { env: options.env });
  const extraProps = typeof props === 'function' ? props(stack) : props;
  const caller = new OutboundCaller(stack, 'Caller', { ...REQUIRED_PROPS, ...extraProps });
  options.extra?.(stack, caller);
  return { stack, caller, template: Template.fromStack(stack) };
}

function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } } | CfnElement): string {
  const element = construct instanceof CfnElement ? construct : construct.node.defaultChild as CfnElement;
  return stack.getLogicalId(element);
}

/** The only resource of a type (fails when there are none or several). */
function only(template: Template, type: string, props: object = {}): { id: string; resource: any } {
  const found = Object.entries(template.findResources(type, props));
  expect(found.map(([id]) => id)).toHaveLength(1);
  return { id: found[0][0], resource: found[0][1] };
}

function handlerFunction(template: Template): any {
  return only(template, 'AWS::Lambda::Function').resource;
}

function environment(template: Template): Record<string, unknown> {
  return handlerFunction(template).Properties.Environment.Variables;
}

interface Statement {
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Effect: string;
  readonly Sid?: string;
}

/** Every statement of every policy attached to the handler's role. */
function handlerStatements(built: Built): Statement[] {
  const roleId = logicalId(built.stack, built.caller.handler.role as iam.Role);
  const policies = built.template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } });
  return Object.values(policies).flatMap((policy: any) => policy.Properties.PolicyDocument.Statement);
}

function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

function statementsWithActionPrefix(built: Built, prefix: string): Statement[] {
  return handlerStatements(built).filter((statement) => actionsOf(statement).some((action) => action.startsWith(prefix)));
}

function connectStatement(built: Built): Statement {
  const statements = statementsWithActionPrefix(built, 'connect:');
  expect(statements).toHaveLength(1);
  return statements[0];
}

/** The error OutboundCaller throws for these props (fails the test when it does not throw). */
function propsError(props: Partial<OutboundCallerProps> | ((stack: Stack) => Partial<OutboundCallerProps>)): string {
  const stack = new Stack(testApp(), 'Test');
  try {
    new OutboundCaller(stack, 'Caller', { ...REQUIRED_PROPS, ...(typeof props === 'function' ? props(stack) : props) });
  } catch (error) {
    // Nothing was created before the check failed.
    expect(stack.node.findChild('Caller').node.children).toHaveLength(0);
    return (error as Error).message;
  }
  throw new Error('expected OutboundCaller to throw for these props');
}

/**
 * The message has one line for the prop, and that line names the rule, the
 * value (as JSON) and a fix.
 */
function expectProblem(message: string, problem: { prop: string; rule: RegExp; value: unknown; fix: RegExp }): void {
  expect(message).toMatch(/^OutboundCaller: \d+ problem\(s\) in props:/);
  const line = message.split('\n').find((candidate) => candidate.startsWith(`  - ${problem.prop} `));
  expect(line).toBeDefined();
  expect(line).toMatch(problem.rule);
  expect(line).toContain(`got ${JSON.stringify(problem.value)}`);
  expect(line).toMatch(problem.fix);
}

const PARTITION = { Ref: 'AWS::Partition' };
const REGION_REF = { Ref: 'AWS::Region' };
const ACCOUNT_REF = { Ref: 'AWS::AccountId' };

/** The 15 request fields of StartOutboundVoiceContact (DESIGN.md §3). */
const REQUEST_FIELDS = [
  'DestinationPhoneNumber', 'ContactFlowId', 'InstanceId', 'QueueId', 'SourcePhoneNumber', 'Attributes',
  'ClientToken', 'AnswerMachineDetectionConfig', 'CampaignId', 'TrafficType', 'RingTimeoutInSeconds', 'Name',
  'Description', 'References', 'RelatedContactId',
];

/** What API Gateway rejects itself, in the envelope (DESIGN.md §3). */
const GATEWAY_RESPONSES: Array<{ type: string; code: string; status?: string; retryAfter?: RegExp }> = [
  { type: 'BAD_REQUEST_BODY', code: 'VALIDATION_ERROR' },
  { type: 'BAD_REQUEST_PARAMETERS', code: 'VALIDATION_ERROR' },
  { type: 'UNAUTHORIZED', code: 'FORBIDDEN' },
  { type: 'MISSING_AUTHENTICATION_TOKEN', code: 'FORBIDDEN' },
  { type: 'ACCESS_DENIED', code: 'FORBIDDEN' },
  { type: 'INVALID_API_KEY', code: 'FORBIDDEN' },
  { type: 'INVALID_SIGNATURE', code: 'FORBIDDEN' },
  { type: 'EXPIRED_TOKEN', code: 'FORBIDDEN' },
  { type: 'WAF_FILTERED', code: 'FORBIDDEN' },
  { type: 'THROTTLED', code: 'RATE_LIMITED', retryAfter: /^'1'$/ },
  { type: 'QUOTA_EXCEEDED', code: 'RATE_LIMITED', retryAfter: /^'\d+'$/ },
  { type: 'REQUEST_TOO_LARGE', code: 'PAYLOAD_TOO_LARGE', status: '413' },
  { type: 'UNSUPPORTED_MEDIA_TYPE', code: 'UNSUPPORTED_MEDIA_TYPE', status: '415' },
  { type: 'DEFAULT_4XX', code: 'REQUEST_REJECTED' },
  { type: 'DEFAULT_5XX', code: 'INTERNAL_ERROR' },
];

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

      template.resourceCountIs('AWS::ApiGateway::Method', 1);
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
      template.hasResourceProperties('AWS::Lambda::Function', {
        Architectures: ['arm64'],
        Runtime: 'nodejs24.x',
        Handler: 'index.handler',
      });
      expect(template.toJSON().Mappings).toBeUndefined();
    });

    test('logs in JSON to its own log group', () => {
      const logGroupId = logicalId(stack, caller.handler.logGroup as logs.LogGroup);
      template.hasResourceProperties('AWS::Lambda::Function', {
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logGroupId } },
      });
    });

    test('has 256 MiB, a 25 s timeout, active tracing and no reserved concurrency', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        MemorySize: 256,
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
      });
    });
  });

  describe('ledger table', () => {
    test('is PAY_PER_REQUEST, encrypted, with point-in-time recovery, TTL on expiresAt and key pk (S)', () => {
      template.resourceCountIs('AWS::DynamoDB::Table', 1);
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      });
    });

    test('is retained when it leaves the stack', () => {
      template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    });
  });

  test('keeps the handler logs and the access logs for one year, and retains them', () => {
    template.resourceCountIs('AWS::Logs::LogGroup', 2);
    template.allResources('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 365 },
      DeletionPolicy: 'Retain',
    });
  });

  describe('IAM (least privilege)', () => {
    test('the handler role has exactly: its logs, X-Ray, StartOutboundVoiceContact on this instance, three item actions on the ledger', () => {
      const logGroupId = logicalId(stack, caller.handler.logGroup as logs.LogGroup);
      const statements = handlerStatements(built);
      expect(statements).toHaveLength(4);
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
          Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
          Resource: [{ 'Fn::GetAtt': [tableId, 'Arn'] }],
        },
      ]));
    });

    test('no statement uses Resource "*" except the X-Ray actions', () => {
      const wildcard = handlerStatements(built).filter((statement) =>
        statement.Resource === '*' || (Array.isArray(statement.Resource) && statement.Resource.includes('*')));
      expect(wildcard.flatMap(actionsOf).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    });

    test('no KMS actions without an encryption key', () => {
      expect(statementsWithActionPrefix(built, 'kms:')).toEqual([]);
    });

    test('the handler role has no managed policies and no other policy', () => {
      const role = only(template, 'AWS::IAM::Role').resource;
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(role.Properties.Policies).toBeUndefined();
      template.resourceCountIs('AWS::IAM::Policy', 1);
      template.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
    });

    test('only API Gateway may invoke the handler, and only from this route', () => {
      template.resourceCountIs('AWS::Lambda::Permission', 1);
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        Principal: 'apigateway.amazonaws.com',
        SourceArn: {
          'Fn::Join': ['', [
            'arn:', PARTITION, ':execute-api:', REGION_REF, ':', ACCOUNT_REF, ':', { Ref: apiId }, '/', { Ref: stageId },
            '/PUT/contact/outbound-voice',
          ]],
        },
      });
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
  });
});

// ---------------------------------------------------------------------------
// Each prop
// ---------------------------------------------------------------------------

describe('endpointType', () => {
  test.each([
    [apigw.EndpointType.EDGE, 'EDGE'],
    [apigw.EndpointType.PRIVATE, 'PRIVATE'],
  ])('%s creates an API with that endpoint type', (endpointType, expected) => {
    const { template } = build({ endpointType });
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: [expected] } });
  });
});

describe('tracing: false', () => {
  const built = build({ tracing: false });

  test('turns X-Ray off on the stage and the handler', () => {
    built.template.hasResourceProperties('AWS::ApiGateway::Stage', { TracingEnabled: false });
    built.template.hasResourceProperties('AWS::Lambda::Function', { TracingConfig: Match.absent() });
  });

  test('drops the X-Ray permissions, so no statement has Resource "*"', () => {
    expect(statementsWithActionPrefix(built, 'xray:')).toEqual([]);
    expect(handlerStatements(built).filter((statement) => JSON.stringify(statement.Resource).includes('"*"'))).toEqual([]);
  });

  test('no longer acknowledges the X-Ray wildcard', () => {
    const policy = only(built.template, 'AWS::IAM::Policy').resource;
    const reasons = policy.Metadata.cdk_nag.rules_to_suppress.map((rule: { reason: string }) => rule.reason);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/StartOutboundVoiceContact/);
  });
});

describe('authorization', () => {
  test('iam() is the default: AWS_IAM on the method and AUTH_MODE IAM', () => {
    const { template } = build({ authorization: CallerAuthorization.iam() });
    template.hasResourceProperties('AWS::ApiGateway::Method', { AuthorizationType: 'AWS_IAM' });
    expect(environment(template).AUTH_MODE).toBe('IAM');
  });

  describe('apiKey()', () => {
    const { stack, caller, template } = build({ authorization: CallerAuthorization.apiKey() });
    const apiId = logicalId(stack, caller.api as apigw.RestApi);
    const stageId = logicalId(stack, (caller.api as apigw.RestApi).deploymentStage);

    test('requires an API key on the method (no other authorization) and sets AUTH_MODE API_KEY', () => {
      template.hasResourceProperties('AWS::ApiGateway::Method', { AuthorizationType: 'NONE', ApiKeyRequired: true });
      expect(environment(template).AUTH_MODE).toBe('API_KEY');
    });

    test('creates a usage plan on the stage with the route throttle and no quota', () => {
      template.resourceCountIs('AWS::ApiGateway::UsagePlan', 1);
      template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
        Throttle: { RateLimit: 2, BurstLimit: 5 },
        Quota: Match.absent(),
        ApiStages: [{ ApiId: { Ref: apiId }, Stage: { Ref: stageId } }],
      });
      expect(caller.usagePlan).toBeDefined();
    });

    test('creates one API key attached to the usage plan', () => {
      template.resourceCountIs('AWS::ApiGateway::ApiKey', 1);
      const usagePlanId = only(template, 'AWS::ApiGateway::UsagePlan').id;
      const apiKeyId = only(template, 'AWS::ApiGateway::ApiKey').id;
      template.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', {
        KeyType: 'API_KEY', KeyId: { Ref: apiKeyId }, UsagePlanId: { Ref: usagePlanId },
      });
      expect(caller.apiKey).toBeDefined();
    });
  });

  test('apiKey() with a quota and a custom throttle puts both on the usage plan', () => {
    const { template } = build({
      authorization: CallerAuthorization.apiKey({ quota: { limit: 1000, period: apigw.Period.DAY } }),
      throttle: { rateLimit: 1, burstLimit: 2 },
    });
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 1, BurstLimit: 2 },
      Quota: { Limit: 1000, Period: 'DAY' },
    });
  });

  test('apiKey({ createApiKey: false }) creates the usage plan but no key', () => {
    const { caller, template } = build({ authorization: CallerAuthorization.apiKey({ createApiKey: false }) });
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 1);
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 0);
    template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 0);
    expect(caller.apiKey).toBeUndefined();
  });

  test('cognito() adds a COGNITO_USER_POOLS authorizer with every pool and the scopes', () => {
    const pools: cognito.UserPool[] = [];
    const { stack, template } = build((s) => {
      pools.push(new cognito.UserPool(s, 'Staff'), new cognito.UserPool(s, 'Partners'));
      return { authorization: CallerAuthorization.cognito(pools, { authorizationScopes: ['outbound/call'] }) };
    });
    const authorizer = only(template, 'AWS::ApiGateway::Authorizer');
    expect(authorizer.resource.Properties).toEqual(expect.objectContaining({
      Type: 'COGNITO_USER_POOLS',
      IdentitySource: 'method.request.header.Authorization',
      ProviderARNs: pools.map((pool) => ({ 'Fn::GetAtt': [logicalId(stack, pool), 'Arn'] })),
    }));
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      AuthorizationType: 'COGNITO_USER_POOLS',
      AuthorizerId: { Ref: authorizer.id },
      AuthorizationScopes: ['outbound/call'],
    });
    expect(environment(template).AUTH_MODE).toBe('COGNITO');
  });

  test('cognito() without scopes requires none', () => {
    const { template } = build((s) => ({ authorization: CallerAuthorization.cognito([new cognito.UserPool(s, 'Pool')]) }));
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      AuthorizationType: 'COGNITO_USER_POOLS', AuthorizationScopes: Match.absent(),
    });
  });

  test('none() leaves the method open: AuthorizationType NONE, no key, no authorizer, AUTH_MODE NONE', () => {
    const { template } = build({ authorization: CallerAuthorization.none() });
    template.hasResourceProperties('AWS::ApiGateway::Method', { AuthorizationType: 'NONE', ApiKeyRequired: Match.absent() });
    template.resourceCountIs('AWS::ApiGateway::Authorizer', 0);
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 0);
    expect(environment(template).AUTH_MODE).toBe('NONE');
  });
});

describe('grantInvoke()', () => {
  test('gives execute-api:Invoke on the PUT method of this route only', () => {
    let client: iam.Role | undefined;
    const { stack, caller, template } = build({}, {
      extra: (s, c) => {
        client = new iam.Role(s, 'Client', { assumedBy: new iam.AccountRootPrincipal() });
        c.grantInvoke(client);
      },
    });
    const apiId = logicalId(stack, caller.api as apigw.RestApi);
    const stageId = logicalId(stack, (caller.api as apigw.RestApi).deploymentStage);
    const policy = only(template, 'AWS::IAM::Policy', { Properties: { Roles: [{ Ref: logicalId(stack, client!) }] } });
    expect(policy.resource.Properties.PolicyDocument.Statement).toEqual([{
      Effect: 'Allow',
      Action: 'execute-api:Invoke',
      Resource: {
        'Fn::Join': ['', [
          'arn:', PARTITION, ':execute-api:', REGION_REF, ':', ACCOUNT_REF, ':', { Ref: apiId }, '/', { Ref: stageId },
          '/PUT/contact/outbound-voice',
        ]],
      },
    }]);
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
    const { template } = build({ memorySize: 1024, timeout: Duration.seconds(29), reservedConcurrentExecutions: 10 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 1024, Timeout: 29, ReservedConcurrentExecutions: 10,
    });
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

  test('with an instance ARN uses the ARN\'s partition, region and account, not the stack\'s', () => {
    const built = build(
      { instanceId: instanceArn(INSTANCE_ID, 'aws-us-gov', 'us-gov-west-1', '123456789012') },
      { env: { account: ACCOUNT, region: 'us-east-1' } },
    );
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
});

describe('removalPolicy and logRetention', () => {
  test('removalPolicy DESTROY deletes the ledger and both log groups with the stack', () => {
    const { template } = build({ removalPolicy: RemovalPolicy.DESTROY });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    template.resourceCountIs('AWS::Logs::LogGroup', 2);
    template.allResources('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
  });

  test('logRetention applies to the handler logs and the access logs', () => {
    const { template } = build({ logRetention: logs.RetentionDays.ONE_MONTH });
    template.resourceCountIs('AWS::Logs::LogGroup', 2);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });
});

describe('bring your own RestApi', () => {
  let userApi: apigw.RestApi | undefined;
  const built = build((stack) => {
    userApi = new apigw.RestApi(stack, 'UserApi', {
      deployOptions: { stageName: 'live', throttlingRateLimit: 100, throttlingBurstLimit: 200 },
    });
    userApi.root.addMethod('GET', new apigw.MockIntegration());
    return { restApi: userApi };
  });
  const { stack, caller, template } = built;
  const userApiId = logicalId(stack, userApi!);

  test('adds the route to that API instead of creating one', () => {
    expect(caller.api).toBe(userApi);
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'PUT', RestApiId: { Ref: userApiId }, AuthorizationType: 'AWS_IAM',
    });
    template.hasResourceProperties('AWS::ApiGateway::Model', { RestApiId: { Ref: userApiId } });
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { RestApiId: { Ref: userApiId } });
  });

  test('adds the route throttle to the API\'s stage and keeps the stage\'s own settings', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'live',
      MethodSettings: Match.arrayWith([
        Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 }),
        Match.objectLike({ HttpMethod: 'PUT', ResourcePath: '/~1contact~1outbound-voice', ThrottlingRateLimit: 2, ThrottlingBurstLimit: 5 }),
      ]),
    });
  });

  test('adds no gateway responses, access logs or stage acknowledgements of its own', () => {
    template.resourceCountIs('AWS::ApiGateway::GatewayResponse', 0);
    template.resourceCountIs('AWS::Logs::LogGroup', 1); // the handler's
    const stage = only(template, 'AWS::ApiGateway::Stage').resource;
    expect(stage.Metadata?.cdk_nag).toBeUndefined();
    expect(stage.Metadata?.guard).toBeUndefined();
  });

  test('a custom throttle reaches the API\'s stage for the route', () => {
    const { template: custom } = build((s) => {
      const api = new apigw.RestApi(s, 'UserApi');
      api.root.addMethod('GET', new apigw.MockIntegration());
      return { restApi: api, throttle: { rateLimit: 1, burstLimit: 1 } };
    });
    custom.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([
        Match.objectLike({ HttpMethod: 'PUT', ResourcePath: '/~1contact~1outbound-voice', ThrottlingRateLimit: 1, ThrottlingBurstLimit: 1 }),
      ]),
    });
  });
});

describe('bring your own RestApi that has no stage in this app', () => {
  test.each([
    ['a RestApi with deploy: false', (stack: Stack) => new apigw.RestApi(stack, 'UserApi', { deploy: false })],
    ['an imported RestApi', (stack: Stack) => apigw.RestApi.fromRestApiAttributes(stack, 'UserApi', { restApiId: 'a1b2c3d4e5', rootResourceId: 'r00t1d' })],
  ])('%s is refused: the route throttle needs the deployment stage', (_name, makeApi) => {
    const stack = new Stack(testApp(), 'Test');
    expect(() => new OutboundCaller(stack, 'Caller', { ...REQUIRED_PROPS, restApi: makeApi(stack) }))
      .toThrow(/^OutboundCaller: restApi has no deployment stage defined in this app, so the route's throttle could not be applied; got Test\/UserApi\. Use a RestApi with deploy: true/);
  });
});

describe('bring your own table', () => {
  const tableArn = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/outbound-ledger`;
  let userTable: dynamodb.ITable | undefined;
  const built = build((stack) => {
    userTable = dynamodb.Table.fromTableArn(stack, 'UserTable', tableArn);
    return { table: userTable };
  });

  test('creates no table and hands the handler the given table\'s name', () => {
    built.template.resourceCountIs('AWS::DynamoDB::Table', 0);
    expect(built.caller.table).toBe(userTable);
    expect(environment(built.template).LEDGER_TABLE_NAME).toBe('outbound-ledger');
  });

  test('grants the three item actions on that table only', () => {
    const statements = statementsWithActionPrefix(built, 'dynamodb:');
    expect(statements).toHaveLength(1);
    expect(statements[0].Action).toEqual(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']);
    const resources = ([] as unknown[]).concat(statements[0].Resource)
      .filter((resource) => JSON.stringify(resource) !== JSON.stringify({ Ref: 'AWS::NoValue' }));
    expect(resources).toEqual([tableArn]);
  });
});

// ---------------------------------------------------------------------------
// Synth-time errors: prop, rule, value and fix; all at once; tokens skipped.
// ---------------------------------------------------------------------------

describe('synth-time validation', () => {
  test('instanceId that is neither a GUID nor an instance ARN', () => {
    expectProblem(propsError({ instanceId: 'my-instance' }), {
      prop: 'instanceId',
      rule: /must be a Connect instance id \(a GUID\) or an instance ARN/,
      value: 'my-instance',
      fix: /Copy the instance ARN from the Amazon Connect console/,
    });
  });

  test('instanceId ARN of another service', () => {
    const arn = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${INSTANCE_ID}`;
    expectProblem(propsError({ instanceId: arn }), {
      prop: 'instanceId', rule: /GUID\) or an instance ARN/, value: arn, fix: /Amazon Connect console/,
    });
  });

  test('contactFlowId that is neither a GUID nor a contact-flow ARN', () => {
    expectProblem(propsError({ contactFlowId: 'Default outbound' }), {
      prop: 'contactFlowId',
      rule: /must be a contact-flow GUID or a contact-flow ARN/,
      value: 'Default outbound',
      fix: /Show additional flow information/,
    });
  });

  test('contactFlowId ARN of another instance', () => {
    const otherInstance = '99999999-8888-4777-8666-555555555555';
    const arn = contactFlowArn(CONTACT_FLOW_ID, otherInstance);
    expectProblem(propsError({ contactFlowId: arn }), {
      prop: 'contactFlowId',
      rule: new RegExp(`must belong to the instance ${INSTANCE_ID}`),
      value: arn,
      fix: /Use a contact-flow of the same Connect instance as instanceId/,
    });
  });

  test('queueId that is neither a GUID nor a queue ARN', () => {
    expectProblem(propsError({ queueId: 'BasicQueue' }), {
      prop: 'queueId', rule: /must be a queue GUID or a queue ARN/, value: 'BasicQueue', fix: /queue editor/,
    });
  });

  test('neither sourcePhoneNumber nor queueId', () => {
    expectProblem(propsError({ sourcePhoneNumber: undefined }), {
      prop: 'sourcePhoneNumber or queueId',
      rule: /is required: Connect needs a caller id/,
      value: undefined,
      fix: /Set sourcePhoneNumber to a number claimed by the instance, or queueId/,
    });
  });

  test.each(['4155550100', '+1 415 555 0100', '+0123', '+1234567890123456'])('sourcePhoneNumber %p is not E.164', (number) => {
    expectProblem(propsError({ sourcePhoneNumber: number }), {
      prop: 'sourcePhoneNumber', rule: /must be an E\.164 phone number/, value: number, fix: /Write it like \+14155550100/,
    });
  });

  const badListEntries: Array<{ list: string; props: Partial<OutboundCallerProps>; prop: string; value: string; rule: RegExp; fix: RegExp }> = [
    {
      list: 'allowedContactFlowIds',
      props: { allowedContactFlowIds: [OTHER_CONTACT_FLOW_ID, 'flow-2'] },
      prop: 'allowedContactFlowIds[1]',
      value: 'flow-2',
      rule: /must be a contact-flow GUID or a contact-flow ARN/,
      fix: /Show additional flow information/,
    },
    {
      list: 'allowedQueueIds',
      props: { allowedQueueIds: ['queue-1'] },
      prop: 'allowedQueueIds[0]',
      value: 'queue-1',
      rule: /must be a queue GUID or a queue ARN/,
      fix: /queue editor/,
    },
    {
      list: 'allowedSourcePhoneNumbers',
      props: { allowedSourcePhoneNumbers: [OTHER_SOURCE_PHONE_NUMBER, '555-0100'] },
      prop: 'allowedSourcePhoneNumbers[1]',
      value: '555-0100',
      rule: /must be an E\.164 phone number/,
      fix: /Write it like \+14155550100/,
    },
  ];
  test.each(badListEntries)('a bad entry of $list is named by its index', ({ props, prop, value, rule, fix }) => {
    expectProblem(propsError(props), { prop, rule, value, fix });
  });

  test('allowedQueueIds ARN of another instance', () => {
    const arn = queueArn(QUEUE_ID, '99999999-8888-4777-8666-555555555555');
    expectProblem(propsError({ allowedQueueIds: [arn] }), {
      prop: 'allowedQueueIds[0]', rule: /must belong to the instance/, value: arn, fix: /same Connect instance/,
    });
  });

  test('empty allowedDestinationCountries', () => {
    expectProblem(propsError({ allowedDestinationCountries: [] }), {
      prop: 'allowedDestinationCountries',
      rule: /must not be empty/,
      value: [],
      fix: /Leave it undefined to allow all countries/,
    });
  });

  test.each(['USA', 'U', '1A', 'United States'])('country code %p is not ISO 3166-1 alpha-2', (code) => {
    expectProblem(propsError({ allowedDestinationCountries: ['US', code] }), {
      prop: 'allowedDestinationCountries',
      rule: /must contain ISO 3166-1 alpha-2 country codes/,
      value: code,
      fix: /two-letter codes/,
    });
  });

  test.each([0, -1])('throttle.rateLimit %p is not greater than 0', (rateLimit) => {
    expectProblem(propsError({ throttle: { rateLimit } }), {
      prop: 'throttle.rateLimit', rule: /must be greater than 0/, value: rateLimit, fix: /Connect quota/,
    });
  });

  test.each([0, 5001, 2.5])('throttle.burstLimit %p is out of range', (burstLimit) => {
    expectProblem(propsError({ throttle: { burstLimit } }), {
      prop: 'throttle.burstLimit', rule: /must be an integer from 1 to 5000/, value: burstLimit, fix: /Connect quota/,
    });
  });

  test('idempotencyWindow over 7 days', () => {
    expectProblem(propsError({ idempotencyWindow: Duration.days(8) }), {
      prop: 'idempotencyWindow',
      rule: /must be from 1 second to 7 days/,
      value: '8 days',
      fix: /Connect remembers a ClientToken for 7 days/,
    });
  });

  test('timeout over 29 seconds', () => {
    expectProblem(propsError({ timeout: Duration.seconds(30) }), {
      prop: 'timeout',
      rule: /must be from 3 seconds to 29 seconds/,
      value: '30 seconds',
      fix: /API Gateway stops waiting after 29 seconds/,
    });
  });

  test.each([64, 10241])('memorySize %p is out of range', (memorySize) => {
    expectProblem(propsError({ memorySize }), {
      prop: 'memorySize', rule: /must be an integer from 128 to 10240/, value: memorySize, fix: /128 to 10240 MiB/,
    });
  });

  test('reservedConcurrentExecutions 0 would disable the handler', () => {
    expectProblem(propsError({ reservedConcurrentExecutions: 0 }), {
      prop: 'reservedConcurrentExecutions',
      rule: /must be an integer from 1 to/,
      value: 0,
      fix: /Leave it undefined for no reservation/,
    });
  });

  test('table and encryptionKey together', () => {
    const message = propsError((stack) => ({
      table: dynamodb.Table.fromTableName(stack, 'UserTable', 'outbound-ledger'),
      encryptionKey: new kms.Key(stack, 'Key'),
    }));
    expectProblem(message, {
      prop: 'encryptionKey',
      rule: /only applies to a table this construct creates/,
      value: '(a key)',
      fix: /Configure encryption on your own table, or drop the table prop/,
    });
  });

  test('cognito() without a user pool', () => {
    expectProblem(propsError({ authorization: CallerAuthorization.cognito([]) }), {
      prop: 'authorization',
      rule: /CallerAuthorization\.cognito\(\) needs at least one user pool/,
      value: [],
      fix: /CallerAuthorization\.cognito\(\[userPool\]\)/,
    });
  });

  test('several problems are reported together in one error', () => {
    const message = propsError({
      instanceId: 'bad-instance',
      contactFlowId: 'bad-flow',
      sourcePhoneNumber: '12345',
      memorySize: 1,
      timeout: Duration.minutes(1),
    });
    expect(message).toMatch(/^OutboundCaller: 5 problem\(s\) in props:/);
    for (const prop of ['instanceId', 'contactFlowId', 'sourcePhoneNumber', 'memorySize', 'timeout']) {
      expect(message).toContain(`\n  - ${prop} `);
    }
  });

  test('unresolved tokens are not checked: CfnParameters for ids, number and limits synthesize', () => {
    const { template } = build((stack) => ({
      instanceId: new CfnParameter(stack, 'InstanceId').valueAsString,
      contactFlowId: new CfnParameter(stack, 'ContactFlowId').valueAsString,
      sourcePhoneNumber: new CfnParameter(stack, 'SourcePhoneNumber').valueAsString,
      allowedDestinationCountries: [new CfnParameter(stack, 'Country').valueAsString],
      memorySize: new CfnParameter(stack, 'MemorySize', { type: 'Number' }).valueAsNumber,
      reservedConcurrentExecutions: Token.asNumber(new CfnParameter(stack, 'Reserved', { type: 'Number' }).value),
    }));
    expect(environment(template)).toEqual(expect.objectContaining({
      INSTANCE_ID: { Ref: 'InstanceId' },
      CONTACT_FLOW_ID: { Ref: 'ContactFlowId' },
      SOURCE_PHONE_NUMBER: { Ref: 'SourcePhoneNumber' },
    }));
    template.hasResourceProperties('AWS::Lambda::Function', { MemorySize: { Ref: 'MemorySize' } });
  });

  test('a contact-flow ARN is not checked against a token instance id', () => {
    const { template } = build((stack) => ({
      instanceId: new CfnParameter(stack, 'InstanceId').valueAsString,
      contactFlowId: contactFlowArn(CONTACT_FLOW_ID, '99999999-8888-4777-8666-555555555555'),
    }));
    expect(environment(template).CONTACT_FLOW_ID).toBe(CONTACT_FLOW_ID);
  });
});
