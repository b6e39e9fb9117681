import { CfnElement, CfnParameter, Duration, Environment, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { CallerAuthorization, OutboundCaller, OutboundCallerProps } from '../src';
import { ASSET_HASH_PLACEHOLDER, assetHashSerializer } from './support/asset-hash-serializer';
import { removeTestApps, testApp } from './support/cdk-test-app';
import {
  ACCOUNT, CONTACT_FLOW_ID, INSTANCE_ID, OTHER_CONTACT_FLOW_ID, OTHER_QUEUE_ID, OTHER_SOURCE_PHONE_NUMBER, QUEUE_ID,
  REQUIRED_PROPS, SOURCE_PHONE_NUMBER, contactFlowArn, instanceArn, queueArn,
} from './support/fixtures';
import { reducePhoneMetadata, type PhoneMetadata } from '../lambda/phone-metadata';
import { PHONE_NUMBER_COUNTRIES } from '../src/private/phone-countries';

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

/**
 * The one resource of a type whose logical id is the construct path's
 * (`Caller/<name>/Resource` → `Caller<name><8 hex>`), so that a test about the
 * handler finds the handler and not the status function.
 */
function byPath(template: Template, type: string, name: string): { id: string; resource: any } {
  const pattern = new RegExp(`^Caller${name}[0-9A-F]{8}$`);
  const found = Object.entries(template.findResources(type)).filter(([id]) => pattern.test(id));
  expect(found.map(([id]) => id)).toHaveLength(1);
  return { id: found[0][0], resource: found[0][1] };
}

/** The PUT handler (Caller/Handler), not the status function. */
function handlerFunction(template: Template): any {
  return byPath(template, 'AWS::Lambda::Function', 'Handler').resource;
}

/** The contact-events status function (Caller/StatusFunction). */
function statusFunction(template: Template): { id: string; resource: any } {
  return byPath(template, 'AWS::Lambda::Function', 'StatusFunction');
}

/** Asserts that the handler (and not just some function of the stack) has these properties (assertions `Match` semantics). */
function expectHandlerProperties(template: Template, properties: object): void {
  const handlerId = byPath(template, 'AWS::Lambda::Function', 'Handler').id;
  const matching = Object.keys(template.findResources('AWS::Lambda::Function', { Properties: properties }));
  expect({ handler: handlerId, matching }).toEqual({ handler: handlerId, matching: expect.arrayContaining([handlerId]) });
}

function environment(template: Template): Record<string, unknown> {
  return handlerFunction(template).Properties.Environment.Variables;
}

/** The API Gateway method of an HTTP verb (fails when there are none or several). */
function methodOf(template: Template, httpMethod: 'PUT' | 'GET'): { id: string; resource: any } {
  return only(template, 'AWS::ApiGateway::Method', { Properties: { HttpMethod: httpMethod } });
}

/** Asserts that the method of this verb (and not just some method of the stack) has these properties (`Match` semantics). */
function expectMethodProperties(template: Template, httpMethod: 'PUT' | 'GET', properties: object): void {
  const id = methodOf(template, httpMethod).id;
  const matching = Object.keys(template.findResources('AWS::ApiGateway::Method', { Properties: properties }));
  expect({ method: id, matching }).toEqual({ method: id, matching: expect.arrayContaining([id]) });
}

/** The HTTP verbs of every API Gateway method of the stack, sorted. */
function httpMethods(template: Template): string[] {
  return Object.values(template.findResources('AWS::ApiGateway::Method'))
    .map((resource: any) => resource.Properties.HttpMethod).sort();
}

/** The properties that decide who may call a method. */
function authorizationOf(methodResource: any): object {
  const { AuthorizationType, ApiKeyRequired, AuthorizerId, AuthorizationScopes } = methodResource.Properties;
  return { AuthorizationType, ApiKeyRequired, AuthorizerId, AuthorizationScopes };
}

interface Statement {
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Effect: string;
  readonly Sid?: string;
}

/** Every statement of every policy attached to a role. */
function roleStatements(built: Built, role: iam.IRole): Statement[] {
  const roleId = logicalId(built.stack, role as iam.Role);
  const policies = built.template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } });
  return Object.values(policies).flatMap((policy: any) => policy.Properties.PolicyDocument.Statement);
}

/** Every statement of every policy attached to the handler's role. */
function handlerStatements(built: Built): Statement[] {
  return roleStatements(built, built.caller.handler.role as iam.Role);
}

/** Every statement of every policy attached to the status function's role. */
function statusStatements(built: Built): Statement[] {
  expect(built.caller.statusFunction).toBeDefined();
  return roleStatements(built, built.caller.statusFunction!.role as iam.Role);
}

function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

function withActionPrefix(statements: Statement[], prefix: string): Statement[] {
  return statements.filter((statement) => actionsOf(statement).some((action) => action.startsWith(prefix)));
}

function statementsWithActionPrefix(built: Built, prefix: string): Statement[] {
  return withActionPrefix(handlerStatements(built), prefix);
}

function connectStatement(built: Built): Statement {
  const statements = statementsWithActionPrefix(built, 'connect:StartOutboundVoiceContact');
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

/** The 15 request fields of StartOutboundVoiceContact (README, "The HTTP contract"). */
const REQUEST_FIELDS = [
  'DestinationPhoneNumber', 'ContactFlowId', 'InstanceId', 'QueueId', 'SourcePhoneNumber', 'Attributes',
  'ClientToken', 'AnswerMachineDetectionConfig', 'CampaignId', 'TrafficType', 'RingTimeoutInSeconds', 'Name',
  'Description', 'References', 'RelatedContactId',
];

/** What API Gateway rejects itself, in the envelope (README, "The HTTP contract"). */
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

    test('has 256 MiB, a 25 s timeout, active tracing and no reserved concurrency', () => {
      expectHandlerProperties(template, {
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
        CALL_STATUS: 'true',
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
    test('the handler role has exactly: its logs, X-Ray, StartOutboundVoiceContact and DescribeContact on this instance, four item actions on the ledger', () => {
      const logGroupId = logicalId(stack, caller.handler.logGroup as logs.LogGroup);
      const statements = handlerStatements(built);
      expect(statements).toHaveLength(5);
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
          Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem'],
          Resource: [{ 'Fn::GetAtt': [tableId, 'Arn'] }],
        },
      ]));
    });

    test('the status role has exactly: its logs, X-Ray, sending to its dead-letter queue, UpdateItem on the ledger', () => {
      const logGroupId = logicalId(stack, caller.statusFunction!.logGroup as logs.LogGroup);
      const queueId = logicalId(stack, caller.deadLetterQueue as sqs.Queue);
      const statements = statusStatements(built);
      expect(statements).toHaveLength(4);
      expect(statements).toEqual(expect.arrayContaining([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
        },
        { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
        // Lambda sends events that failed every retry to the DeadLetterConfig queue with the function's role.
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [queueId, 'Arn'] } },
        { Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: [{ 'Fn::GetAtt': [tableId, 'Arn'] }] },
      ]));
    });

    test('the status role can neither call Connect nor read, put or delete ledger items', () => {
      const actions = statusStatements(built).flatMap(actionsOf);
      expect(actions.filter((action) => action.startsWith('connect:'))).toEqual([]);
      expect(actions.filter((action) => action.startsWith('dynamodb:'))).toEqual(['dynamodb:UpdateItem']);
    });

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

  test('drops the X-Ray permissions of the status role: exactly its logs, its dead-letter queue and UpdateItem remain', () => {
    expect(statusStatements(built).flatMap(actionsOf).sort()).toEqual(
      ['dynamodb:UpdateItem', 'logs:CreateLogStream', 'logs:PutLogEvents', 'sqs:SendMessage']);
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

describe('authorization', () => {
  test('iam() is the default: AWS_IAM on the method and AUTH_MODE IAM', () => {
    const { template } = build({ authorization: CallerAuthorization.iam() });
    expectMethodProperties(template, 'PUT', { AuthorizationType: 'AWS_IAM' });
    expect(environment(template).AUTH_MODE).toBe('IAM');
  });

  describe('apiKey()', () => {
    const { stack, caller, template } = build({ authorization: CallerAuthorization.apiKey() });
    const apiId = logicalId(stack, caller.api as apigw.RestApi);
    const stageId = logicalId(stack, (caller.api as apigw.RestApi).deploymentStage);

    test('requires an API key on the method (no other authorization) and sets AUTH_MODE API_KEY', () => {
      expectMethodProperties(template, 'PUT', { AuthorizationType: 'NONE', ApiKeyRequired: true });
      expect(environment(template).AUTH_MODE).toBe('API_KEY');
    });

    test('creates a usage plan on the stage with the status throttle per key, the route throttle on the PUT, and no quota', () => {
      template.resourceCountIs('AWS::ApiGateway::UsagePlan', 1);
      const plan = only(template, 'AWS::ApiGateway::UsagePlan').resource;
      expect(plan.Properties.Throttle).toEqual({ RateLimit: 10, BurstLimit: 20 });
      expect(plan.Properties.Quota).toBeUndefined();
      expect(plan.Properties.ApiStages).toEqual([{
        ApiId: { Ref: apiId },
        Stage: { Ref: stageId },
        Throttle: { '/contact/outbound-voice/PUT': { RateLimit: 2, BurstLimit: 5 } },
      }]);
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

  test('apiKey() with a quota and a custom throttle puts both on the usage plan (the throttle on the PUT)', () => {
    const { template } = build({
      authorization: CallerAuthorization.apiKey({ quota: { limit: 1000, period: apigw.Period.DAY } }),
      throttle: { rateLimit: 1, burstLimit: 2 },
    });
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 10, BurstLimit: 20 },
      Quota: { Limit: 1000, Period: 'DAY' },
      ApiStages: [Match.objectLike({ Throttle: { '/contact/outbound-voice/PUT': { RateLimit: 1, BurstLimit: 2 } } })],
    });
  });

  test('apiKey() with a custom statusThrottle makes it the usage plan\'s per-key throttle', () => {
    const { template } = build({
      authorization: CallerAuthorization.apiKey(),
      statusThrottle: { rateLimit: 50, burstLimit: 100 },
    });
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 50, BurstLimit: 100 },
      ApiStages: [Match.objectLike({ Throttle: { '/contact/outbound-voice/PUT': { RateLimit: 2, BurstLimit: 5 } } })],
    });
  });

  test('apiKey() with callStatus: false puts the route throttle on the usage plan and no per-method throttle', () => {
    const { template } = build({ authorization: CallerAuthorization.apiKey(), callStatus: false });
    const plan = only(template, 'AWS::ApiGateway::UsagePlan').resource;
    expect(plan.Properties.Throttle).toEqual({ RateLimit: 2, BurstLimit: 5 });
    expect(plan.Properties.ApiStages).toHaveLength(1);
    expect(Object.keys(plan.Properties.ApiStages[0].Throttle ?? {})).toEqual([]);
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
    expectMethodProperties(template, 'PUT', {
      AuthorizationType: 'COGNITO_USER_POOLS',
      AuthorizerId: { Ref: authorizer.id },
      AuthorizationScopes: ['outbound/call'],
    });
    expect(environment(template).AUTH_MODE).toBe('COGNITO');
  });

  test('cognito() without scopes requires none', () => {
    const { template } = build((s) => ({ authorization: CallerAuthorization.cognito([new cognito.UserPool(s, 'Pool')]) }));
    expectMethodProperties(template, 'PUT', {
      AuthorizationType: 'COGNITO_USER_POOLS', AuthorizationScopes: Match.absent(),
    });
  });

  test('none() leaves the method open: AuthorizationType NONE, no key, no authorizer, AUTH_MODE NONE', () => {
    const { template } = build({ authorization: CallerAuthorization.none() });
    expectMethodProperties(template, 'PUT', { AuthorizationType: 'NONE', ApiKeyRequired: Match.absent() });
    template.resourceCountIs('AWS::ApiGateway::Authorizer', 0);
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 0);
    expect(environment(template).AUTH_MODE).toBe('NONE');
  });
});

describe('the status GET has the same authorization as the PUT', () => {
  test.each([
    {
      name: 'iam()',
      props: (): Partial<OutboundCallerProps> => ({ authorization: CallerAuthorization.iam() }),
      expected: () => ({ AuthorizationType: 'AWS_IAM' }),
    },
    {
      name: 'apiKey()',
      props: (): Partial<OutboundCallerProps> => ({ authorization: CallerAuthorization.apiKey() }),
      expected: () => ({ AuthorizationType: 'NONE', ApiKeyRequired: true }),
    },
    {
      name: 'cognito() with scopes',
      props: (s: Stack): Partial<OutboundCallerProps> => ({
        authorization: CallerAuthorization.cognito([new cognito.UserPool(s, 'Pool')], { authorizationScopes: ['outbound/call'] }),
      }),
      expected: (template: Template) => ({
        AuthorizationType: 'COGNITO_USER_POOLS',
        AuthorizerId: { Ref: only(template, 'AWS::ApiGateway::Authorizer').id },
        AuthorizationScopes: ['outbound/call'],
      }),
    },
    {
      name: 'none()',
      props: (): Partial<OutboundCallerProps> => ({ authorization: CallerAuthorization.none() }),
      expected: () => ({ AuthorizationType: 'NONE' }),
    },
  ])('$name', ({ props, expected }) => {
    const { template } = build(props);
    const put = authorizationOf(methodOf(template, 'PUT').resource);
    const get = authorizationOf(methodOf(template, 'GET').resource);
    const absent: Record<string, unknown> = {
      AuthorizationType: undefined, ApiKeyRequired: undefined, AuthorizerId: undefined, AuthorizationScopes: undefined,
    };
    const want = { ...absent, ...expected(template) };
    expect(get).toEqual(want);
    expect(put).toEqual(want);
    // One authorizer at most, shared by both methods.
    expect(Object.keys(template.findResources('AWS::ApiGateway::Authorizer')).length).toBeLessThanOrEqual(1);
  });
});

describe('grantInvoke()', () => {
  function grantedResources(props: Partial<OutboundCallerProps>): { resources: unknown; methodArn: (path: string) => object } {
    let client: iam.Role | undefined;
    const { stack, caller, template } = build(props, {
      extra: (s, c) => {
        client = new iam.Role(s, 'Client', { assumedBy: new iam.AccountRootPrincipal() });
        c.grantInvoke(client);
      },
    });
    const apiId = logicalId(stack, caller.api as apigw.RestApi);
    const stageId = logicalId(stack, (caller.api as apigw.RestApi).deploymentStage);
    const policy = only(template, 'AWS::IAM::Policy', { Properties: { Roles: [{ Ref: logicalId(stack, client!) }] } });
    const statements = policy.resource.Properties.PolicyDocument.Statement;
    expect(statements).toHaveLength(1);
    expect(statements[0]).toEqual({ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: expect.anything() });
    return {
      resources: statements[0].Resource,
      methodArn: (path: string) => ({
        'Fn::Join': ['', [
          'arn:', PARTITION, ':execute-api:', REGION_REF, ':', ACCOUNT_REF, ':', { Ref: apiId }, '/', { Ref: stageId }, path,
        ]],
      }),
    };
  }

  test('gives execute-api:Invoke on the PUT method of this route and the status GET method only', () => {
    const { resources, methodArn } = grantedResources({});
    expect(resources).toEqual([
      methodArn('/PUT/contact/outbound-voice'),
      methodArn('/GET/contact/outbound-voice/*'),
    ]);
  });

  test('with callStatus: false gives execute-api:Invoke on the PUT method of this route only', () => {
    const { resources, methodArn } = grantedResources({ callStatus: false });
    expect(resources).toEqual(methodArn('/PUT/contact/outbound-voice'));
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
    const { template } = build({ memorySize: 1024, timeout: Duration.seconds(29), reservedConcurrentExecutions: 10 });
    expectHandlerProperties(template, {
      MemorySize: 1024, Timeout: 29, ReservedConcurrentExecutions: 10,
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
    // Nothing else changes: logs, the dead-letter queue, X-Ray and UpdateItem besides the key.
    expect(statusStatements(built).flatMap(actionsOf).filter((action) => !action.startsWith('kms:')).sort()).toEqual([
      'dynamodb:UpdateItem', 'logs:CreateLogStream', 'logs:PutLogEvents', 'sqs:SendMessage',
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

  test('the handler role has exactly the three item actions it needs without status: no GetItem', () => {
    const statements = statementsWithActionPrefix(built, 'dynamodb:');
    expect(statements).toEqual([{
      Effect: 'Allow',
      Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      Resource: [{ 'Fn::GetAtt': [tableId, 'Arn'] }],
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
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      RestApiId: { Ref: userApiId },
      AuthorizationType: 'AWS_IAM',
      RequestParameters: { 'method.request.path.contactId': true },
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
        Match.objectLike({
          HttpMethod: 'GET', ResourcePath: '/~1contact~1outbound-voice~1{contactId}', ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20,
        }),
      ]),
    });
  });

  test('adds no gateway responses, access logs or stage acknowledgements of its own', () => {
    template.resourceCountIs('AWS::ApiGateway::GatewayResponse', 0);
    template.resourceCountIs('AWS::Logs::LogGroup', 2); // the handler's and the status function's
    const stage = only(template, 'AWS::ApiGateway::Stage').resource;
    expect(stage.Metadata?.cdk_nag).toBeUndefined();
    expect(stage.Metadata?.guard).toBeUndefined();
  });

  test('a custom throttle and statusThrottle reach the API\'s stage for the routes', () => {
    const { template: custom } = build((s) => {
      const api = new apigw.RestApi(s, 'UserApi');
      api.root.addMethod('GET', new apigw.MockIntegration());
      return { restApi: api, throttle: { rateLimit: 1, burstLimit: 1 }, statusThrottle: { rateLimit: 3, burstLimit: 4 } };
    });
    custom.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([
        Match.objectLike({ HttpMethod: 'PUT', ResourcePath: '/~1contact~1outbound-voice', ThrottlingRateLimit: 1, ThrottlingBurstLimit: 1 }),
        Match.objectLike({
          HttpMethod: 'GET', ResourcePath: '/~1contact~1outbound-voice~1{contactId}', ThrottlingRateLimit: 3, ThrottlingBurstLimit: 4,
        }),
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

  test('grants the four item actions on that table only', () => {
    const statements = statementsWithActionPrefix(built, 'dynamodb:');
    expect(statements).toHaveLength(1);
    expect(statements[0].Action).toEqual(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem']);
    const resources = ([] as unknown[]).concat(statements[0].Resource)
      .filter((resource) => JSON.stringify(resource) !== JSON.stringify({ Ref: 'AWS::NoValue' }));
    expect(resources).toEqual([tableArn]);
  });

  test('lets the status function update items of that table only, and gives it the table\'s name', () => {
    const statements = withActionPrefix(statusStatements(built), 'dynamodb:');
    expect(statements).toHaveLength(1);
    expect(statements[0].Action).toEqual('dynamodb:UpdateItem');
    const resources = ([] as unknown[]).concat(statements[0].Resource)
      .filter((resource) => JSON.stringify(resource) !== JSON.stringify({ Ref: 'AWS::NoValue' }));
    expect(resources).toEqual([tableArn]);
    expect(statusFunction(built.template).resource.Properties.Environment.Variables.LEDGER_TABLE_NAME).toBe('outbound-ledger');
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

  test.each(['USA', 'U', '1A'])('country code %p is not ISO 3166-1 alpha-2', (code) => {
    expectProblem(propsError({ allowedDestinationCountries: ['US', code] }), {
      prop: 'allowedDestinationCountries',
      rule: /must contain ISO 3166-1 alpha-2 country codes/,
      value: code,
      fix: /two-letter codes/,
    });
  });

  test.each([
    ['UK', /Did you mean "GB" \(United Kingdom\)\?/],
    ['uk', /Did you mean "GB" \(United Kingdom\)\?/],
    ['EL', /Did you mean "GR" \(Greece\)\?/],
  ])('country code %p is refused at synth with the code it stands for (every call there would get 403)', (code, fix) => {
    expectProblem(propsError({ allowedDestinationCountries: ['US', code] }), {
      prop: 'allowedDestinationCountries',
      rule: /must contain country codes the phone-number library knows \(calls there would all be refused\)/,
      value: code,
      fix,
    });
  });

  test.each([
    ['United States', /Did you mean "US" \(United States\)\?/],
    ['germany', /Did you mean "DE" \(Germany\)\?/],
  ])('a country name %p gets its code suggested', (name, fix) => {
    expectProblem(propsError({ allowedDestinationCountries: [name] }), {
      prop: 'allowedDestinationCountries', rule: /must contain ISO 3166-1 alpha-2 country codes/, value: name, fix,
    });
  });

  test.each(['ZZ', 'AQ', 'EU'])('two letters the phone-number library knows no numbers of (%p) are refused', (code) => {
    expectProblem(propsError({ allowedDestinationCountries: [code] }), {
      prop: 'allowedDestinationCountries',
      rule: /must contain country codes the phone-number library knows/,
      value: code,
      fix: /Use the ISO 3166-1 alpha-2 code of the country/,
    });
  });

  test('the country list the construct checks is the handler\'s phone-number metadata, all of it', () => {
    // The handler bundles libphonenumber-js's max metadata; the construct carries a list generated from it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const metadata = require('libphonenumber-js/metadata.max.json') as { countries: Record<string, unknown> };
    expect([...PHONE_NUMBER_COUNTRIES]).toEqual(Object.keys(metadata.countries).sort());
    // The handler ships a reduction of it (formatting dropped): the same countries.
    expect(Object.keys(reducePhoneMetadata(metadata as unknown as PhoneMetadata).countries).sort()).toEqual([...PHONE_NUMBER_COUNTRIES]);
    const stack = new Stack(testApp(), 'Test');
    expect(() => new OutboundCaller(stack, 'Caller', { ...REQUIRED_PROPS, allowedDestinationCountries: ['GB', 'us', 'DE', 'GR', 'XK'] }))
      .not.toThrow();
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

  test.each([0, -1])('statusThrottle.rateLimit %p is not greater than 0', (rateLimit) => {
    expectProblem(propsError({ statusThrottle: { rateLimit } }), {
      prop: 'statusThrottle.rateLimit', rule: /must be greater than 0/, value: rateLimit, fix: /Use a positive rate, e\.g\. 10 per second/,
    });
  });

  test.each([0, 5001, 2.5])('statusThrottle.burstLimit %p is out of range', (burstLimit) => {
    expectProblem(propsError({ statusThrottle: { burstLimit } }), {
      prop: 'statusThrottle.burstLimit', rule: /must be an integer from 1 to 5000/, value: burstLimit, fix: /Use a burst such as 20/,
    });
  });

  test('statusThrottle problems are reported even with callStatus: false', () => {
    expectProblem(propsError({ callStatus: false, statusThrottle: { rateLimit: 0 } }), {
      prop: 'statusThrottle.rateLimit', rule: /must be greater than 0/, value: 0, fix: /Use a positive rate/,
    });
  });

  test.each([
    ['1500 ms', Duration.millis(1500), '1 second 500 millis'],
    ['1 day and 500 ms', Duration.millis(86_400_500), '1 day 500 millis'],
  ])('idempotencyWindow of %s is not a whole number of seconds', (_name, idempotencyWindow, human) => {
    expectProblem(propsError({ idempotencyWindow }), {
      prop: 'idempotencyWindow',
      rule: /must be a whole number of seconds/,
      value: human,
      fix: /Use Duration\.seconds\(\), minutes\(\), hours\(\) or days\(\)/,
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

  test('token statusThrottle limits are not checked and reach the stage', () => {
    const { template } = build((stack) => ({
      statusThrottle: {
        rateLimit: new CfnParameter(stack, 'StatusRate', { type: 'Number' }).valueAsNumber,
        burstLimit: new CfnParameter(stack, 'StatusBurst', { type: 'Number' }).valueAsNumber,
      },
    }));
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([Match.objectLike({
        HttpMethod: 'GET', ThrottlingRateLimit: { Ref: 'StatusRate' }, ThrottlingBurstLimit: { Ref: 'StatusBurst' },
      })]),
    });
  });

  test('a contact-flow ARN is not checked against a token instance id', () => {
    const { template } = build((stack) => ({
      instanceId: new CfnParameter(stack, 'InstanceId').valueAsString,
      contactFlowId: contactFlowArn(CONTACT_FLOW_ID, '99999999-8888-4777-8666-555555555555'),
    }));
    expect(environment(template).CONTACT_FLOW_ID).toBe(CONTACT_FLOW_ID);
  });
});

describe('props accepted at synth that would fail every request are refused', () => {
  test.each([
    ['region', `arn:aws:connect:eu-west-2:${ACCOUNT}:instance/${INSTANCE_ID}`, `${ACCOUNT}/eu-west-2`],
    ['account', `arn:aws:connect:us-east-1:999988887777:instance/${INSTANCE_ID}`, '999988887777/us-east-1'],
  ])('an instance ARN of another %s than the stack (the handler calls Connect in its own)', (_what, instanceId, value) => {
    const stack = new Stack(testApp(), 'Test', { env: { account: ACCOUNT, region: 'us-east-1' } });
    let message = '';
    try {
      new OutboundCaller(stack, 'Caller', { ...REQUIRED_PROPS, instanceId });
    } catch (error) {
      message = (error as Error).message;
    }
    expectProblem(message, {
      prop: 'instanceId',
      rule: new RegExp(`must be an instance in the stack's account and region \\(${ACCOUNT}/us-east-1\\).*every call would fail with 404`),
      value,
      fix: /Deploy this stack to the instance's account and region/,
    });
  });

  test('an instance ARN is accepted in the stack\'s own account and region, and in an environment-agnostic stack', () => {
    const own = new Stack(testApp(), 'Own', { env: { account: ACCOUNT, region: 'us-east-1' } });
    expect(() => new OutboundCaller(own, 'Caller', { ...REQUIRED_PROPS, instanceId: instanceArn() })).not.toThrow();
    const agnostic = new Stack(testApp(), 'Agnostic');
    const elsewhere = `arn:aws:connect:eu-west-2:999988887777:instance/${INSTANCE_ID}`;
    expect(() => new OutboundCaller(agnostic, 'Caller', { ...REQUIRED_PROPS, instanceId: elsewhere })).not.toThrow();
  });

  test.each([
    ['another partition key', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } }, 'id (partition key, S)'],
    ['a Number partition key', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.NUMBER } }, 'pk (partition key, N)'],
    ['a sort key', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    }, 'pk (partition key, S), sk (sort key, S)'],
  ])('a table of the user\'s with %s (every claim would fail: 503 on every request)', (_what, tableProps, value) => {
    expectProblem(propsError((stack) => ({ table: new dynamodb.Table(stack, 'UserTable', tableProps) })), {
      prop: 'table',
      rule: /must have the partition key "pk" \(String\) and no sort key: every request would fail with 503 LEDGER_UNAVAILABLE/,
      value,
      fix: /partitionKey: \{ name: 'pk', type: AttributeType\.STRING \}/,
    });
  });

  test.each([
    ['region', `arn:aws:dynamodb:eu-west-2:${ACCOUNT}:table/outbound-ledger`],
    ['account', 'arn:aws:dynamodb:us-east-1:999988887777:table/outbound-ledger'],
  ])('a table imported from another %s than the stack (the handlers reach it by name in their own)', (_what, tableArn) => {
    const stack = new Stack(testApp(), 'Test', { env: { account: ACCOUNT, region: 'us-east-1' } });
    let message = '';
    try {
      new OutboundCaller(stack, 'Caller', { ...REQUIRED_PROPS, table: dynamodb.Table.fromTableArn(stack, 'UserTable', tableArn) });
    } catch (error) {
      message = (error as Error).message;
    }
    expectProblem(message, {
      prop: 'table',
      rule: new RegExp(`must be in the stack's account and region \\(${ACCOUNT}/us-east-1\\).*503 LEDGER_UNAVAILABLE`),
      value: tableArn,
      fix: /Use a table in this stack's account and region/,
    });
  });

  test('a table imported from the stack\'s own account and region, or into an environment-agnostic stack, is accepted', () => {
    const own = new Stack(testApp(), 'Own', { env: { account: ACCOUNT, region: 'us-east-1' } });
    const table = dynamodb.Table.fromTableArn(own, 'UserTable', `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/outbound-ledger`);
    expect(() => new OutboundCaller(own, 'Caller', { ...REQUIRED_PROPS, table })).not.toThrow();
    const agnostic = new Stack(testApp(), 'Agnostic');
    const elsewhere = dynamodb.Table.fromTableArn(agnostic, 'UserTable', 'arn:aws:dynamodb:eu-west-2:999988887777:table/outbound-ledger');
    expect(() => new OutboundCaller(agnostic, 'Caller', { ...REQUIRED_PROPS, table: elsewhere })).not.toThrow();
  });

  test('a TableV2 of the user\'s is checked too', () => {
    expectProblem(propsError((stack) => ({
      table: new dynamodb.TableV2(stack, 'UserTable', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } }),
    })), { prop: 'table', rule: /must have the partition key "pk"/, value: 'id (partition key, S)', fix: /timeToLiveAttribute/ });
  });

  test('a table of the user\'s with the ledger schema but TTL elsewhere synthesizes with a warning (records would never expire)', () => {
    const { stack } = build((s) => ({
      table: new dynamodb.Table(s, 'UserTable', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } }),
    }));
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('TTL is not on "expiresAt"')))
      .toHaveLength(1);
    const good = build((s) => ({
      table: new dynamodb.Table(s, 'UserTable', {
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING }, timeToLiveAttribute: 'expiresAt',
      }),
    }));
    expect(Annotations.fromStack(good.stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test('a table of the user\'s encrypted with their key: the handler and the status function get the key (else every claim fails)', () => {
    const { template, stack } = build((s) => ({
      table: new dynamodb.Table(s, 'UserTable', {
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        timeToLiveAttribute: 'expiresAt',
        encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryptionKey: new kms.Key(s, 'UserKey', { enableKeyRotation: true }),
      }),
    }));
    const keyId = logicalId(stack, stack.node.findChild('UserKey') as kms.Key);
    for (const role of ['HandlerRole', 'StatusRole']) {
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: Match.stringLikeRegexp(`^Caller${role}`) }],
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({
            Action: Match.arrayWith(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']),
            Resource: { 'Fn::GetAtt': [keyId, 'Arn'] },
          })]),
        },
      });
    }
  });

  test('endpointType PRIVATE without a REST API of the user\'s (no resource policy: every request refused)', () => {
    expectProblem(propsError({ endpointType: apigw.EndpointType.PRIVATE }), {
      prop: 'endpointType',
      rule: /PRIVATE needs a resource policy that admits your VPC endpoints/,
      value: 'PRIVATE',
      fix: /Create the private RestApi yourself .* and pass it as restApi/,
    });
  });
});
