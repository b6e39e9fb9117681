/** OutboundCaller: every synth-time error names the prop, the rule, the value and the fix. */
import { CfnParameter, Duration, Stack, Token } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import { reducePhoneMetadata, type PhoneMetadata } from '../../lambda/phone-metadata';
import { CallerAuthorization, OutboundCaller, OutboundCallerProps } from '../../src';
import { PHONE_NUMBER_COUNTRIES } from '../../src/private/phone-countries';
import { removeTestApps, testApp } from '../support/cdk-test-app';
import {
  build, logicalId, environment, propsError, expectProblem,
} from '../support/construct-template';
import {
  ACCOUNT, CONTACT_FLOW_ID, INSTANCE_ID, OTHER_CONTACT_FLOW_ID, OTHER_SOURCE_PHONE_NUMBER, QUEUE_ID, REQUIRED_PROPS,
  contactFlowArn, instanceArn, queueArn,
} from '../support/fixtures';

afterAll(removeTestApps);

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

  const CONTACT_INDEX = {
    indexName: 'contactId',
    partitionKey: { name: 'contactId', type: dynamodb.AttributeType.STRING },
    projectionType: dynamodb.ProjectionType.KEYS_ONLY,
  };
  type IndexProps = { indexName: string; partitionKey: dynamodb.Attribute; sortKey?: dynamodb.Attribute; projectionType: dynamodb.ProjectionType };
  const withIndex = <T extends dynamodb.Table | dynamodb.TableV2>(table: T, index: IndexProps = CONTACT_INDEX): T => {
    table.addGlobalSecondaryIndex(index);
    return table;
  };
  const LEDGER_SCHEMA = { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING }, timeToLiveAttribute: 'expiresAt' };

  test.each([
    ['no index', (s: Stack) => new dynamodb.Table(s, 'UserTable', LEDGER_SCHEMA), 'indexes: none'],
    ['another index', (s: Stack) => withIndex(new dynamodb.Table(s, 'UserTable', LEDGER_SCHEMA), { ...CONTACT_INDEX, indexName: 'byContact' }), 'indexes: "byContact"'],
    ['the index on a Number', (s: Stack) => withIndex(new dynamodb.Table(s, 'UserTable', LEDGER_SCHEMA),
      { ...CONTACT_INDEX, partitionKey: { name: 'contactId', type: dynamodb.AttributeType.NUMBER } }), 'index "contactId" keyed on contactId (partition key, N)'],
    ['the index with a sort key', (s: Stack) => withIndex(new dynamodb.Table(s, 'UserTable', LEDGER_SCHEMA),
      { ...CONTACT_INDEX, sortKey: { name: 'createdAt', type: dynamodb.AttributeType.STRING } }), 'index "contactId" keyed on contactId (partition key, S), createdAt (sort key, S)'],
    ['a TableV2 without the index', (s: Stack) => new dynamodb.TableV2(s, 'UserTable', LEDGER_SCHEMA), 'indexes: none'],
  ])('with call status on, a table of the user\'s needs the contact index (%s: every status lookup would fail)', (_what, makeTable, value) => {
    expectProblem(propsError((stack) => ({ table: makeTable(stack) })), {
      prop: 'table',
      rule: /must have the global secondary index "contactId" with the partition key "contactId" \(String\) and no sort key when callStatus is on/,
      value,
      fix: /call table\.addGlobalSecondaryIndex\(\{ indexName: 'contactId', partitionKey: \{ name: 'contactId', type: AttributeType\.STRING \}, projectionType: ProjectionType\.KEYS_ONLY \}\), or set callStatus: false/,
    });
  });

  test('a table of the user\'s with the contact index (Table or TableV2, any projection) is accepted; without call status no index is needed', () => {
    expect(() => build((s) => ({ table: withIndex(new dynamodb.Table(s, 'UserTable', LEDGER_SCHEMA)) }))).not.toThrow();
    expect(() => build((s) => ({ table: withIndex(new dynamodb.TableV2(s, 'UserTable', LEDGER_SCHEMA), { ...CONTACT_INDEX, projectionType: dynamodb.ProjectionType.ALL }) }))).not.toThrow();
    expect(() => build((s) => ({ table: new dynamodb.Table(s, 'UserTable', LEDGER_SCHEMA), callStatus: false }))).not.toThrow();
  });

  test('a table of the user\'s with the ledger schema but TTL elsewhere synthesizes with a warning (records would never expire)', () => {
    const { stack } = build((s) => ({
      table: withIndex(new dynamodb.Table(s, 'UserTable', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } })),
    }));
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('TTL is not on "expiresAt"')))
      .toHaveLength(1);
    const good = build((s) => ({ table: withIndex(new dynamodb.Table(s, 'UserTable', LEDGER_SCHEMA)) }));
    expect(Annotations.fromStack(good.stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test('a table of the user\'s encrypted with their key: the handler and the status function get the key (else every claim fails)', () => {
    const { template, stack } = build((s) => ({
      table: withIndex(new dynamodb.Table(s, 'UserTable', {
        ...LEDGER_SCHEMA,
        encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryptionKey: new kms.Key(s, 'UserKey', { enableKeyRotation: true }),
      })),
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
