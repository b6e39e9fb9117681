/** OutboundCaller with a REST API or a table of the user's. */
import { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { OutboundCaller } from '../../src';
import { removeTestApps, testApp } from '../support/cdk-test-app';
import {
  build, logicalId, only, statusFunction, environment, statusStatements, withActionPrefix, statementsWithActionPrefix,
} from '../support/construct-template';
import { ACCOUNT, REQUIRED_PROPS } from '../support/fixtures';

afterAll(removeTestApps);

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

  test('grants the four item actions on that table only, and Query on its contact index only', () => {
    const statements = statementsWithActionPrefix(built, 'dynamodb:');
    expect(statements).toHaveLength(2);
    expect(statements[0].Action).toEqual(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem']);
    expect(statements[0].Resource).toEqual(tableArn);
    expect(statements[1].Action).toEqual('dynamodb:Query');
    expect(statements[1].Resource).toEqual(`${tableArn}/index/contactId`);
  });

  test('lets the status function update items of that table only (and Query its contact index), and gives it the table\'s name', () => {
    const statements = withActionPrefix(statusStatements(built), 'dynamodb:');
    expect(statements).toHaveLength(2);
    expect(statements[0].Action).toEqual('dynamodb:UpdateItem');
    expect(statements[0].Resource).toEqual(tableArn);
    expect(statements[1].Action).toEqual('dynamodb:Query');
    expect(statements[1].Resource).toEqual(`${tableArn}/index/contactId`);
    expect(statusFunction(built.template).resource.Properties.Environment.Variables.LEDGER_TABLE_NAME).toBe('outbound-ledger');
  });
});
