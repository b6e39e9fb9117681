/** OutboundCaller: batch calls (batchCalls): routes, dispatch queue, dispatcher, IAM, the Connect quota split, and without them. */
import { CfnParameter, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { CallerAuthorization, CallingHours, OutboundCaller, OutboundCallerProps } from '../../src';
import { BATCH, ENV, ROUTES } from '../../src/private/contract';
import { removeTestApps, testApp } from '../support/cdk-test-app';
import {
  Built, build, logicalId, only, environment, handlerStatements, roleStatements, actionsOf, propsError, expectProblem,
  authorizationOf, PARTITION, REGION_REF, ACCOUNT_REF, Statement,
} from '../support/construct-template';
import { INSTANCE_ID, REQUIRED_PROPS } from '../support/fixtures';

afterAll(removeTestApps);

/** A method's resource in the template. */
function methodOn(built: Built, method: apigw.Method): { id: string; resource: any } {
  return { id: logicalId(built.stack, method), resource: built.template.toJSON().Resources[logicalId(built.stack, method)] };
}

/** The stage's method settings, `<VERB> <path>` → [rate, burst]. */
function stageThrottles(template: Template): Record<string, [number, number]> {
  const stage = only(template, 'AWS::ApiGateway::Stage').resource;
  return Object.fromEntries(stage.Properties.MethodSettings.map((setting: any) => [
    `${setting.HttpMethod} ${setting.ResourcePath === '/*' ? '/*' : setting.ResourcePath.slice(1).replace(/~1/g, '/')}`, [setting.ThrottlingRateLimit, setting.ThrottlingBurstLimit],
  ]));
}

/** Every statement of a role's policies, without the log group's and X-Ray's (which every function has). */
function ownStatements(built: Built, role: iam.IRole): Statement[] {
  return roleStatements(built, role).filter((statement) =>
    !actionsOf(statement).some((action) => action.startsWith('logs:') || action.startsWith('xray:')));
}

// ---------------------------------------------------------------------------
// Off by default: nothing of it in the template.
// ---------------------------------------------------------------------------

describe('without batchCalls (the default)', () => {
  const built = build();

  test('the template is the same as with batchCalls: undefined, connectQuota at its default and nothing else', () => {
    const explicit = build({ batchCalls: undefined, connectQuota: { rateLimit: 2, burstLimit: 5 } });
    expect(explicit.template.toJSON()).toEqual(built.template.toJSON());
  });

  test('has no batch route, queue or dispatcher, and the handler has no batch variable', () => {
    const paths = Object.values(built.template.findResources('AWS::ApiGateway::Resource')).map((r: any) => r.Properties.PathPart);
    expect(paths).not.toContain('batches');
    built.template.resourceCountIs('AWS::SQS::Queue', 1); // the status dead-letter queue alone
    built.template.resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
    expect(environment(built.template)[ENV.batchQueueUrl]).toBeUndefined();
    expect(environment(built.template)[ENV.batchDialRate]).toBeUndefined();
    expect(built.caller.submitBatchMethod).toBeUndefined();
    expect(built.caller.batchQueue).toBeUndefined();
    expect(built.caller.batchDispatcher).toBeUndefined();
  });

  test('the PUT keeps the whole Connect quota (rate 2, burst 5)', () => {
    expect(stageThrottles(built.template)['PUT /contact/outbound-voice']).toEqual([2, 5]);
  });

  test('connectQuota alone (a raised quota) becomes the PUT throttle', () => {
    const raised = build({ connectQuota: { rateLimit: 10, burstLimit: 20 } });
    expect(stageThrottles(raised.template)['PUT /contact/outbound-voice']).toEqual([10, 20]);
  });
});

// ---------------------------------------------------------------------------
// On, with its defaults.
// ---------------------------------------------------------------------------

describe('batchCalls: {} (on, with its defaults)', () => {
  const built = build({ batchCalls: {} });
  const { stack, caller, template } = built;
  const queueId = logicalId(stack, caller.batchQueue as sqs.Queue);
  const dlqId = logicalId(stack, caller.batchDeadLetterQueue as sqs.Queue);
  const dispatcherId = logicalId(stack, caller.batchDispatcher!);
  const tableId = logicalId(stack, caller.table as dynamodb.Table);
  const tableArn = { 'Fn::GetAtt': [tableId, 'Arn'] };
  const queueArn = { 'Fn::GetAtt': [queueId, 'Arn'] };
  const dispatcher = template.toJSON().Resources[dispatcherId];
  const batchApiId = logicalId(stack, caller.batchApiFunction!);
  const batchApi = template.toJSON().Resources[batchApiId];

  describe('routes', () => {
    test('POST /contact/outbound-voice/batches and GET and DELETE /contact/outbound-voice/batches/{batchId}, on the batch API function', () => {
      const submit = methodOn(built, caller.submitBatchMethod!).resource;
      const status = methodOn(built, caller.batchStatusMethod!).resource;
      const cancel = methodOn(built, caller.cancelBatchMethod!).resource;
      expect([submit, status, cancel].map((m) => m.Properties.HttpMethod)).toEqual(['POST', 'GET', 'DELETE']);
      const handlerId = logicalId(stack, caller.handler);
      for (const method of [submit, status, cancel]) {
        expect(JSON.stringify(method.Properties.Integration.Uri)).toContain(batchApiId);
        expect(JSON.stringify(method.Properties.Integration.Uri)).not.toContain(handlerId);
        expect(method.Properties.Integration.Type).toBe('AWS_PROXY');
      }
      // The PUT and the status GET stay on the handler.
      for (const method of [caller.method, caller.statusMethod!]) {
        expect(JSON.stringify(methodOn(built, method).resource.Properties.Integration.Uri)).toContain(handlerId);
      }
      const resources = template.toJSON().Resources;
      expect(resources[submit.Properties.ResourceId.Ref].Properties.PathPart).toBe('batches');
      expect(resources[status.Properties.ResourceId.Ref].Properties.PathPart).toBe('{batchId}');
      expect(status.Properties.ResourceId).toEqual(cancel.Properties.ResourceId);
      expect(ROUTES.batches).toBe('/contact/outbound-voice/batches');
      expect(ROUTES.batch).toBe('/contact/outbound-voice/batches/{batchId}');
    });

    test('every batch method has the construct\'s authorization (IAM) and the request validator', () => {
      const put = methodOn(built, caller.method).resource;
      for (const method of [caller.submitBatchMethod!, caller.batchStatusMethod!, caller.cancelBatchMethod!]) {
        const resource = methodOn(built, method).resource;
        expect(authorizationOf(resource)).toEqual(authorizationOf(put));
        expect(resource.Properties.AuthorizationType).toBe('AWS_IAM');
        expect(resource.Properties.RequestValidatorId).toEqual(put.Properties.RequestValidatorId);
      }
    });

    test('GET and DELETE require the batchId path parameter', () => {
      for (const method of [caller.batchStatusMethod!, caller.cancelBatchMethod!]) {
        expect(methodOn(built, method).resource.Properties.RequestParameters).toEqual({ 'method.request.path.batchId': true });
      }
    });

    test('POST checks the body against the batch model: 1 to 1,000 calls, each a PUT body with ClientToken required', () => {
      const submit = methodOn(built, caller.submitBatchMethod!).resource;
      const modelId = submit.Properties.RequestModels['application/json'].Ref;
      const model = template.toJSON().Resources[modelId];
      expect(model.Type).toBe('AWS::ApiGateway::Model');
      const schema = model.Properties.Schema;
      expect(schema).toEqual(expect.objectContaining({ type: 'object', required: ['Calls'], additionalProperties: false }));
      expect(Object.keys(schema.properties).sort()).toEqual(['Calls', 'NotAfter', 'NotBefore']);
      expect(schema.properties.Calls).toEqual(expect.objectContaining({ type: 'array', minItems: 1, maxItems: BATCH.calls.max }));
      const putModel = only(template, 'AWS::ApiGateway::Model', { Properties: { Name: Match.absent(), Description: Match.stringLikeRegexp('^StartOutboundVoiceContact') } }).resource;
      const { $schema: _draft, title: _title, required: _required, ...putRest } = putModel.Properties.Schema;
      const { required, ...callRest } = schema.properties.Calls.items;
      expect(required).toEqual(['DestinationPhoneNumber', 'ClientToken']);
      expect(callRest).toEqual(putRest);
    });

    test('throttles: the PUT gets the quota minus the dial rate, POST its own limits, GET and DELETE the status route\'s', () => {
      expect(stageThrottles(template)).toEqual({
        '* /*': [1, 4],
        'PUT /contact/outbound-voice': [1, 4],
        'GET /contact/outbound-voice/{contactId}': [10, 20],
        'POST /contact/outbound-voice/batches': [BATCH.routeThrottle.rateLimit, BATCH.routeThrottle.burstLimit],
        'GET /contact/outbound-voice/batches/{batchId}': [10, 20],
        'DELETE /contact/outbound-voice/batches/{batchId}': [10, 20],
      });
    });

    test('grantInvoke() covers the PUT, the status GET and the three batch methods, and nothing else', () => {
      const grantStack = new Stack(testApp(), 'Grant');
      const grantCaller = new OutboundCaller(grantStack, 'Caller', { ...REQUIRED_PROPS, batchCalls: {} });
      const role = new iam.Role(grantStack, 'Client', { assumedBy: new iam.AccountRootPrincipal() });
      grantCaller.grantInvoke(role);
      const statements = roleStatements({ stack: grantStack, caller: grantCaller, template: Template.fromStack(grantStack) }, role);
      expect(statements).toHaveLength(1);
      expect(statements[0].Action).toBe('execute-api:Invoke');
      const arns = JSON.stringify(statements[0].Resource);
      for (const [verb, path] of [['PUT', '/contact/outbound-voice'], ['GET', '/contact/outbound-voice/*'],
        ['POST', '/contact/outbound-voice/batches'], ['GET', '/contact/outbound-voice/batches/*'],
        ['DELETE', '/contact/outbound-voice/batches/*']]) {
        expect(arns).toContain(`/${verb}${path}"`);
      }
      expect(statements[0].Resource).toHaveLength(5);
    });
  });

  describe('dispatch queue and dead-letter queue', () => {
    test('the queue: SQS-managed encryption, 14 days, a visibility timeout of 6 times the dispatcher\'s timeout, redrive after 5 receives', () => {
      expect(template.toJSON().Resources[queueId].Properties).toEqual({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
        VisibilityTimeout: 6 * BATCH.dispatcherTimeoutSeconds,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: BATCH.maxReceiveCount },
      });
      expect(dispatcher.Properties.Timeout).toBe(BATCH.dispatcherTimeoutSeconds);
      expect(template.toJSON().Resources[queueId].Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * dispatcher.Properties.Timeout);
    });

    test('the dead-letter queue: SQS-managed encryption, 14 days', () => {
      expect(template.toJSON().Resources[dlqId].Properties).toEqual({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    });

    test('both refuse requests without TLS', () => {
      for (const id of [queueId, dlqId]) {
        const policy = only(template, 'AWS::SQS::QueuePolicy', { Properties: { Queues: [{ Ref: id }] } }).resource;
        expect(policy.Properties.PolicyDocument.Statement).toEqual([expect.objectContaining({
          Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        })]);
      }
    });

    test('are retained on delete by default, and follow removalPolicy', () => {
      expect(template.toJSON().Resources[queueId].DeletionPolicy).toBe('Retain');
      expect(template.toJSON().Resources[dlqId].DeletionPolicy).toBe('Retain');
    });
  });

  describe('dispatcher', () => {
    test('arm64, the pinned runtime, JSON logs in its own log group, traced, 256 MiB', () => {
      expect(dispatcher.Properties).toEqual(expect.objectContaining({
        Architectures: ['arm64'],
        Runtime: 'nodejs24.x',
        MemorySize: 256,
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: expect.objectContaining({ LogFormat: 'JSON' }),
      }));
      const logsId = logicalId(stack, caller.node.findChild('DispatcherLogs') as any);
      expect(dispatcher.Properties.LoggingConfig.LogGroup).toEqual({ Ref: logsId });
    });

    test('is triggered by the dispatch queue alone: batches of 10, ReportBatchItemFailures, at most 2 at once', () => {
      const mapping = only(template, 'AWS::Lambda::EventSourceMapping').resource;
      expect(mapping.Properties).toEqual({
        FunctionName: { Ref: dispatcherId },
        EventSourceArn: queueArn,
        BatchSize: BATCH.eventBatchSize,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 2 },
      });
      template.resourceCountIs('AWS::Events::Rule', 1); // the contact-events rule: no schedule
      expect(Object.values(template.findResources('AWS::Lambda::Permission'))
        .filter((p: any) => JSON.stringify(p.Properties.FunctionName).includes(dispatcherId))).toEqual([]);
    });

    test('gets the handler\'s environment, and the queue URL and dial rate (which the handler does not get)', () => {
      const handlerEnv = environment(template);
      expect(dispatcher.Properties.Environment.Variables).toEqual({
        ...handlerEnv, [ENV.batchQueueUrl]: { Ref: queueId }, [ENV.batchDialRate]: '1',
      });
      expect(handlerEnv[ENV.batchQueueUrl]).toBeUndefined();
      expect(handlerEnv[ENV.batchDialRate]).toBeUndefined();
    });
  });

  describe('batch API function', () => {
    test('arm64, the pinned runtime, JSON logs in its own log group, traced, the handler\'s memory and timeout, the dispatcher\'s environment', () => {
      const handler = template.toJSON().Resources[logicalId(stack, caller.handler)];
      expect(batchApi.Properties).toEqual(expect.objectContaining({
        Architectures: ['arm64'],
        Runtime: 'nodejs24.x',
        MemorySize: handler.Properties.MemorySize,
        Timeout: handler.Properties.Timeout,
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: expect.objectContaining({ LogFormat: 'JSON' }),
      }));
      const logsId = logicalId(stack, caller.node.findChild('BatchApiLogs') as any);
      expect(batchApi.Properties.LoggingConfig.LogGroup).toEqual({ Ref: logsId });
      expect(batchApi.Properties.Environment.Variables).toEqual(dispatcher.Properties.Environment.Variables);
      expect(batchApi.Properties.Code).not.toEqual(handler.Properties.Code);
      expect(caller.batchApiFunction).toBeInstanceOf(lambda.Function);
    });
  });

  describe('IAM, least privilege', () => {
    const contactArn = { 'Fn::Join': ['', ['arn:', PARTITION, ':connect:', REGION_REF, ':', ACCOUNT_REF, `:instance/${INSTANCE_ID}/contact/*`]] };

    test('the handler: nothing for batch calls (no SQS action, no BatchGetItem)', () => {
      const statements = ownStatements(built, caller.handler.role!);
      expect(statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')))).toEqual([]);
      expect(statements.flatMap(actionsOf)).not.toContain('dynamodb:BatchGetItem');
      expect(statements).toContainEqual(expect.objectContaining({
        Sid: 'LedgerItems', Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem'], Resource: tableArn,
      }));
    });

    test('the batch API function: exactly its ledger item actions and SendMessage on the queue, no Connect action', () => {
      expect(ownStatements(built, caller.batchApiFunction!.role!)).toEqual([
        {
          Sid: 'LedgerItems',
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchGetItem'],
          Resource: tableArn,
        },
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: queueArn },
      ]);
      const role = template.toJSON().Resources[logicalId(stack, caller.batchApiFunction!.role as iam.Role)];
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      const wildcards = roleStatements(built, caller.batchApiFunction!.role!).filter((s) => s.Resource === '*');
      expect(wildcards.flatMap(actionsOf).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    });

    test('the dispatcher: exactly StartOutboundVoiceContact on this instance\'s contacts, its ledger item actions, the queue', () => {
      const statements = ownStatements(built, caller.batchDispatcher!.role!);
      expect(statements).toEqual([
        { Sid: 'StartOutboundVoiceContactOnThisInstance', Effect: 'Allow', Action: 'connect:StartOutboundVoiceContact', Resource: contactArn },
        {
          Sid: 'LedgerItems',
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
          Resource: tableArn,
        },
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: queueArn },
        {
          Effect: 'Allow',
          Action: ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
          Resource: queueArn,
        },
      ]);
    });

    test('the dispatcher has no managed policies and nothing on "*" but X-Ray', () => {
      const role = template.toJSON().Resources[logicalId(stack, caller.batchDispatcher!.role as iam.Role)];
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      const wildcards = roleStatements(built, caller.batchDispatcher!.role!).filter((s) => s.Resource === '*');
      expect(wildcards.flatMap(actionsOf).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    });

    test('with contactSearchAttribute, the dispatcher may search this instance\'s contacts like the handler', () => {
      const searching = build({ batchCalls: {}, contactSearchAttribute: 'outbound_caller_token' });
      const sids = (b: Built, role: iam.IRole): string[] => ownStatements(b, role)
        .filter((s) => actionsOf(s).every((a) => a.startsWith('connect:'))).flatMap((s) => s.Sid ? [s.Sid] : []).sort();
      expect(sids(searching, searching.caller.batchDispatcher!.role!)).toEqual(
        ['GetContactAttributesOnThisInstance', 'SearchContactsOfThisInstance', 'StartOutboundVoiceContactOnThisInstance']);
      const dispatcherSids = sids(searching, searching.caller.batchDispatcher!.role!);
      expect(sids(searching, searching.caller.handler.role!)).toEqual(expect.arrayContaining(dispatcherSids));
    });

    test('without callStatus, the handler has the ledger actions of the PUT alone (the batch routes are not its routes)', () => {
      const noStatus = build({ batchCalls: {}, callStatus: false });
      const dynamo = handlerStatements(noStatus).filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
      expect(dynamo.map(actionsOf)).toEqual([['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']]);
    });
  });
});

// ---------------------------------------------------------------------------
// Options.
// ---------------------------------------------------------------------------

describe('batchCalls options', () => {
  test('dialRatePerSecond reaches both functions and moves the PUT throttle\'s default (quota minus the rate, the burst minus the rate rounded up)', () => {
    const built = build({ batchCalls: { dialRatePerSecond: 0.5 } });
    const variables = (fn: lambda.Function): Record<string, unknown> =>
      built.template.toJSON().Resources[logicalId(built.stack, fn)].Properties.Environment.Variables;
    expect(variables(built.caller.batchDispatcher!)[ENV.batchDialRate]).toBe('0.5');
    expect(variables(built.caller.batchApiFunction!)[ENV.batchDialRate]).toBe('0.5');
    expect(stageThrottles(built.template)['PUT /contact/outbound-voice']).toEqual([1.5, 4]);
  });

  test('a raised connectQuota is split: dial rate 5 of rate 10, burst 20 leaves the PUT rate 5, burst 15', () => {
    const built = build({ connectQuota: { rateLimit: 10, burstLimit: 20 }, batchCalls: { dialRatePerSecond: 5 } });
    expect(stageThrottles(built.template)['PUT /contact/outbound-voice']).toEqual([5, 15]);
    expect(built.template.toJSON().Resources[logicalId(built.stack, built.caller.batchApiFunction!)]
      .Properties.Environment.Variables[ENV.batchDialRate]).toBe('5');
  });

  test('a PUT throttle of the user\'s that fits beside the dial rate is kept', () => {
    const built = build({ throttle: { rateLimit: 0.5, burstLimit: 2 }, batchCalls: { dialRatePerSecond: 1.5 } });
    expect(stageThrottles(built.template)['PUT /contact/outbound-voice']).toEqual([0.5, 2]);
  });

  test('submitThrottle sets the POST route\'s limits', () => {
    const built = build({ batchCalls: { submitThrottle: { rateLimit: 0.2, burstLimit: 1 } } });
    expect(stageThrottles(built.template)['POST /contact/outbound-voice/batches']).toEqual([0.2, 1]);
  });

  test('maxReceiveCount sets the redrive policy', () => {
    const built = build({ batchCalls: { maxReceiveCount: 10 } });
    const queue = built.template.toJSON().Resources[logicalId(built.stack, built.caller.batchQueue as sqs.Queue)];
    expect(queue.Properties.RedrivePolicy.maxReceiveCount).toBe(10);
  });

  test('encryptionKey encrypts both queues with it, and lets the batch API function and the dispatcher send with it', () => {
    const built = build((stack) => ({ batchCalls: { encryptionKey: new kms.Key(stack, 'QueueKey', { enableKeyRotation: true }) } }));
    const keyArn = { 'Fn::GetAtt': [only(built.template, 'AWS::KMS::Key').id, 'Arn'] };
    for (const queue of [built.caller.batchQueue, built.caller.batchDeadLetterQueue]) {
      const resource = built.template.toJSON().Resources[logicalId(built.stack, queue as sqs.Queue)];
      expect(resource.Properties.KmsMasterKeyId).toEqual(keyArn);
      expect(resource.Properties.SqsManagedSseEnabled).toBeUndefined();
    }
    expect(roleStatements(built, built.caller.handler.role!).filter((s) => JSON.stringify(s.Resource) === JSON.stringify(keyArn))).toEqual([]);
    for (const role of [built.caller.batchApiFunction!.role!, built.caller.batchDispatcher!.role!]) {
      const kmsStatements = roleStatements(built, role).filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')));
      expect(kmsStatements).toContainEqual(expect.objectContaining({ Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: keyArn }));
    }
  });

  test('with CallerAuthorization.apiKey(), the usage plan holds the PUT and the POST to their own throttles', () => {
    const built = build({ authorization: CallerAuthorization.apiKey(), batchCalls: {} });
    const plan = only(built.template, 'AWS::ApiGateway::UsagePlan').resource;
    expect(plan.Properties.Throttle).toEqual({ RateLimit: 10, BurstLimit: 20 });
    const throttles = plan.Properties.ApiStages[0].Throttle;
    expect(throttles).toEqual({
      '/contact/outbound-voice/PUT': { RateLimit: 1, BurstLimit: 4 },
      '/contact/outbound-voice/batches/POST': { RateLimit: 1, BurstLimit: 2 },
    });
  });

  test('with callStatus: false and an API key, the plan\'s per-key throttle is still the status routes\' (the batch GET)', () => {
    const built = build({ authorization: CallerAuthorization.apiKey(), callStatus: false, batchCalls: {} });
    expect(only(built.template, 'AWS::ApiGateway::UsagePlan').resource.Properties.Throttle).toEqual({ RateLimit: 10, BurstLimit: 20 });
  });

  test('with CallerAuthorization.cognito(), every batch method uses the one authorizer', () => {
    const built = build((stack) => ({
      authorization: CallerAuthorization.cognito([new cognito.UserPool(stack, 'Pool')]),
      batchCalls: {},
    }));
    const authorizerId = only(built.template, 'AWS::ApiGateway::Authorizer').id;
    for (const method of [built.caller.submitBatchMethod!, built.caller.batchStatusMethod!, built.caller.cancelBatchMethod!]) {
      expect(methodOn(built, method).resource.Properties).toEqual(expect.objectContaining({
        AuthorizationType: 'COGNITO_USER_POOLS', AuthorizerId: { Ref: authorizerId },
      }));
    }
  });

  test('removalPolicy DESTROY deletes both queues and the dispatcher\'s and batch API function\'s logs with the stack', () => {
    const built = build({ batchCalls: {}, removalPolicy: RemovalPolicy.DESTROY });
    for (const child of ['BatchQueue', 'BatchDeadLetterQueue', 'DispatcherLogs', 'BatchApiLogs']) {
      const resource = built.template.toJSON().Resources[logicalId(built.stack, built.caller.node.findChild(child) as any)];
      expect(resource.DeletionPolicy).toBe('Delete');
    }
  });

  test('on a REST API of the user\'s, the batch routes go on it with their throttles on its stage', () => {
    const built = build((stack) => ({ restApi: new apigw.RestApi(stack, 'UserApi', { cloudWatchRole: false }), batchCalls: {} }));
    built.template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    const userApiId = only(built.template, 'AWS::ApiGateway::RestApi').id;
    for (const method of [built.caller.submitBatchMethod!, built.caller.batchStatusMethod!, built.caller.cancelBatchMethod!]) {
      expect(methodOn(built, method).resource.Properties.RestApiId).toEqual({ Ref: userApiId });
    }
    expect(stageThrottles(built.template)).toEqual(expect.objectContaining({
      'PUT /contact/outbound-voice': [1, 4],
      'POST /contact/outbound-voice/batches': [1, 2],
      'GET /contact/outbound-voice/batches/{batchId}': [10, 20],
      'DELETE /contact/outbound-voice/batches/{batchId}': [10, 20],
    }));
  });

  test('with callingHours, the dispatcher gets the policy too (queued calls wait for their window)', () => {
    const built = build({ batchCalls: {}, callingHours: CallingHours.usTelemarketing() });
    const dispatcher = built.template.toJSON().Resources[logicalId(built.stack, built.caller.batchDispatcher!)];
    const handlerEnv = environment(built.template);
    expect(handlerEnv[ENV.callingHours]).toEqual(expect.any(String));
    expect(dispatcher.Properties.Environment.Variables[ENV.callingHours]).toBe(handlerEnv[ENV.callingHours]);
    expect(dispatcher.Properties.Environment.Variables).toEqual(expect.objectContaining(handlerEnv));
  });

  test('the dispatcher is a lambda.Function (alarms and metrics can use it)', () => {
    expect(build({ batchCalls: {} }).caller.batchDispatcher).toBeInstanceOf(lambda.Function);
  });
});

// ---------------------------------------------------------------------------
// Synth-time errors: the prop, the rule, the value, the fix.
// ---------------------------------------------------------------------------

describe('batchCalls checks at synth', () => {
  test.each([0, -1])('dialRatePerSecond %p is refused', (rate) => {
    expectProblem(propsError({ batchCalls: { dialRatePerSecond: rate } }), {
      prop: 'batchCalls.dialRatePerSecond', rule: /must be greater than 0/, value: rate, fix: /Use 1/,
    });
  });

  test('a dialRatePerSecond that is not a finite number is refused', () => {
    expectProblem(propsError({ batchCalls: { dialRatePerSecond: Infinity } }), {
      prop: 'batchCalls.dialRatePerSecond', rule: /finite/, value: 'Infinity', fix: /Use 1/,
    });
  });

  test('a dial rate above the dispatcher\'s limit is refused', () => {
    expectProblem(propsError({ connectQuota: { rateLimit: 5000, burstLimit: 5000 }, batchCalls: { dialRatePerSecond: 1001 } }), {
      prop: 'batchCalls.dialRatePerSecond', rule: /must be at most 1000 calls per second/, value: 1001, fix: /e\.g\. 1/,
    });
  });

  test('a dial rate that leaves the PUT nothing of the quota is refused (rate 2 of 2)', () => {
    expectProblem(propsError({ batchCalls: { dialRatePerSecond: 2 } }), {
      prop: 'batchCalls.dialRatePerSecond',
      rule: /must leave the synchronous route part of connectQuota \(rate 2 per second, burst 5\)/,
      value: 2,
      fix: /below 2 .*connectQuota/,
    });
  });

  test('a dial rate whose round-up takes the whole burst is refused (rate 4.5 of 10, burst 5)', () => {
    expectProblem(propsError({ connectQuota: { rateLimit: 10, burstLimit: 5 }, batchCalls: { dialRatePerSecond: 4.5 } }), {
      prop: 'batchCalls.dialRatePerSecond', rule: /burst 5/, value: 4.5, fix: /below the burst 5/,
    });
  });

  test('a PUT throttle rate that, with the dial rate, exceeds the quota is refused', () => {
    expectProblem(propsError({ throttle: { rateLimit: 2 }, batchCalls: {} }), {
      prop: 'throttle.rateLimit',
      rule: /plus batchCalls.dialRatePerSecond \(1\) must be at most connectQuota.rateLimit \(2\)/,
      value: 2,
      fix: /at most 1, lower the dial rate, or set connectQuota/,
    });
  });

  test('a PUT throttle burst that, with the dispatcher\'s, exceeds the quota\'s burst is refused', () => {
    expectProblem(propsError({ throttle: { rateLimit: 1, burstLimit: 5 }, batchCalls: {} }), {
      prop: 'throttle.burstLimit',
      rule: /plus the dispatcher's burst \(1, the dial rate rounded up\) must be at most connectQuota.burstLimit \(5\)/,
      value: 5,
      fix: /at most 4/,
    });
  });

  test('without batchCalls, a PUT throttle above the quota is the user\'s business (no split to protect)', () => {
    expect(() => build({ throttle: { rateLimit: 50, burstLimit: 100 } })).not.toThrow();
  });

  test.each<[string, Partial<OutboundCallerProps>, string, unknown]>([
    ['connectQuota.rateLimit', { connectQuota: { rateLimit: 0 } }, 'connectQuota.rateLimit', 0],
    ['connectQuota.burstLimit', { connectQuota: { burstLimit: 0 } }, 'connectQuota.burstLimit', 0],
    ['submitThrottle.rateLimit', { batchCalls: { submitThrottle: { rateLimit: 0 } } }, 'batchCalls.submitThrottle.rateLimit', 0],
    ['maxReceiveCount', { batchCalls: { maxReceiveCount: 0 } }, 'batchCalls.maxReceiveCount', 0],
    ['maxReceiveCount', { batchCalls: { maxReceiveCount: 1001 } }, 'batchCalls.maxReceiveCount', 1001],
  ])('%s out of range is refused', (_, props, prop, value) => {
    expectProblem(propsError(props), { prop, rule: /must be/, value, fix: /\w/ });
  });

  test('every problem is reported at once', () => {
    const message = propsError({ throttle: { rateLimit: 2, burstLimit: 5 }, batchCalls: { maxReceiveCount: 0 } });
    expect(message).toMatch(/^OutboundCaller: 3 problem\(s\) in props:/);
  });

  test('a dial rate given as a token is not checked, and reaches the functions as the token', () => {
    const built = build((stack) => ({ batchCalls: { dialRatePerSecond: new CfnParameter(stack, 'DialRate', { type: 'Number' }).valueAsNumber } }));
    for (const fn of [built.caller.batchApiFunction!, built.caller.batchDispatcher!]) {
      const variables = built.template.toJSON().Resources[logicalId(built.stack, fn)].Properties.Environment.Variables;
      expect(JSON.stringify(variables[ENV.batchDialRate])).toContain('DialRate');
    }
  });
});
