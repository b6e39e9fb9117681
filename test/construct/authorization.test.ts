/** OutboundCaller: who may call the routes (IAM, API keys, Cognito, none) and grantInvoke(). */
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CallerAuthorization, OutboundCallerProps } from '../../src';
import { removeTestApps } from '../support/cdk-test-app';
import {
  build, logicalId, only, environment, methodOf, expectMethodProperties, authorizationOf, PARTITION, REGION_REF,
  ACCOUNT_REF,
} from '../support/construct-template';

afterAll(removeTestApps);

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
