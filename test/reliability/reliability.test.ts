/**
 * Reliability and security of OutboundCaller: nothing is lost,
 * duplicated or leaked, under bad input, concurrency, load, faults and
 * attacks on the API's configuration.
 *
 * Everything runs against what ships: the handler bundle in assets/ (with the
 * real SDK clients), DynamoDB Local and the Connect simulator; the security
 * part reads the synthesized CloudFormation template. At the end the suite
 * prints its figures and writes them to test-reports/reliability.md.
 *
 * RELIABILITY_SEED=<n> replays the generated requests of an earlier run (the
 * seed is in the report).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import fc from 'fast-check';
import { CallerAuthorization, OutboundCaller, type OutboundCallerProps } from '../../src';
import { SOURCE_PHONE_NUMBER } from '../lambda/bundle';
import { CONNECT_ERRORS, type ConnectErrorName, type DropWhen } from '../local/connect-simulator';
import { startDynamoDbLocal, type DynamoDbLocal } from '../local/dynamodb-local';
import { HANDLER_BUNDLE, type CallerIdentity } from '../local/proxy-event';
import { removeTestApps, testApp } from '../support/cdk-test-app';
import { REQUIRED_PROPS, compliantUserPool } from '../support/fixtures';
import {
  bytesCase, echoedNumberCase, FUZZ_POLICY_ENV, GOOD_DESTINATIONS, headersCase, hugeCase, limitCase, phoneCase,
  randomJsonCase, statusCase, wrongTypeCase, type Case,
} from './support/arbitraries';
import { CONTRACT_STATUS, GATEWAY_ONLY_CODES, type Answer } from './support/contract';
import { FaultProxy } from './support/fault-proxy';
import { Figures, type ScenarioFigures } from './support/figures';
import { FuzzRunner, type FoundLeak } from './support/fuzz';
import { findLeaks, LogTap, searchableLogText } from './support/leaks';
import { REF_ATTRIBUTE, Stand, type AuditResult } from './support/stand';

const SEED = process.env.RELIABILITY_SEED ? Number(process.env.RELIABILITY_SEED) : Math.floor(Math.random() * 2 ** 31);
const REPORT = path.join(__dirname, '..', '..', 'test-reports', 'reliability.md');
const CHILD_RUNNER = path.join(__dirname, 'support', 'child-handler.js');

const figures = new Figures();
const tap = new LogTap();
const suiteStarted = Date.now();

/** Destinations of the scenarios other than the generated ones (and the default caller id): checked in logs and ledgers. */
const DESTINATIONS = GOOD_DESTINATIONS.filter((_, i) => i % 2 === 0).slice(0, 100);
const NUMBERS_IN_USE = [...DESTINATIONS, SOURCE_PHONE_NUMBER];
const destination = (i: number): string => DESTINATIONS[i % DESTINATIONS.length];

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(() => tap.start());

afterAll(() => {
  tap.stop();
  figures.meta['fast-check seed'] = `${SEED} (replay with RELIABILITY_SEED=${SEED})`;
  figures.meta['suite run time'] = `${((Date.now() - suiteStarted) / 1000).toFixed(1)} s`;
  figures.meta.machine = `${os.cpus().length} CPUs, Node ${process.version}`;
  figures.write(REPORT);
  // eslint-disable-next-line no-console
  console.log(`${figures.markdown()}\n(written to ${path.relative(process.cwd(), REPORT)})`);
});

/** Times a describe block into its scenario's figures; returns the log mark where the scenario starts. */
function timed(scenario: ScenarioFigures): { mark: () => number } {
  let started = 0;
  let mark = 0;
  beforeAll(() => { started = Date.now(); mark = tap.mark(); });
  afterAll(() => { scenario.durationMs += Date.now() - started; });
  return { mark: () => mark };
}

/** The scenario's share of the logs: no number in use may appear in it. Forgets those lines afterwards. */
function expectNoNumbersInLogs(scenario: ScenarioFigures, from: number, extraLines: readonly string[] = []): void {
  const lines = [...tap.since(from), ...extraLines];
  const leaks = findLeaks(lines.map(searchableLogText), NUMBERS_IN_USE);
  scenario.leakedNumbers += leaks.length;
  tap.truncate(from);
  expect(leaks).toEqual([]);
  expect(lines.length).toBeGreaterThan(0);
}

/** The worst each stand's audits have seen so far (audits are cumulative: a figure counts each problem once). */
const worstSeen = new WeakMap<Stand, { duplicateCalls: number; staleClaims: number; leakedNumbers: number }>();

/** The ledger and the simulator agree; counts duplicates, stale claims and leaks into the figures. */
async function expectAgreement(scenario: ScenarioFigures, stand: Stand, expected: { inProgress?: number } = {}): Promise<AuditResult> {
  const audit = await stand.audit(NUMBERS_IN_USE);
  const seen = worstSeen.get(stand) ?? { duplicateCalls: 0, staleClaims: 0, leakedNumbers: 0 };
  const now = {
    duplicateCalls: audit.duplicateCalls,
    staleClaims: Math.max(0, audit.inProgress - (expected.inProgress ?? 0)),
    leakedNumbers: audit.leakedNumbers,
  };
  for (const field of ['duplicateCalls', 'staleClaims', 'leakedNumbers'] as const) {
    scenario[field] += Math.max(0, now[field] - seen[field]);
    seen[field] = Math.max(seen[field], now[field]);
  }
  worstSeen.set(stand, seen);
  expect({
    unknownContactIds: audit.unknownContactIds,
    sharedContactIds: audit.sharedContactIds,
    missingStatusItems: audit.missingStatusItems,
    orphanStatusItems: audit.orphanStatusItems,
    duplicateCalls: audit.duplicateCalls,
    leakedNumbers: audit.leakedNumbers,
    unexpectedAttributes: audit.unexpectedAttributes,
    inProgress: audit.inProgress,
  }).toEqual({
    unknownContactIds: [],
    sharedContactIds: [],
    missingStatusItems: [],
    orphanStatusItems: [],
    duplicateCalls: 0,
    leakedNumbers: 0,
    unexpectedAttributes: [],
    inProgress: expected.inProgress ?? 0,
  });
  // A contact no COMPLETED item records is only allowed while an IN_PROGRESS claim covers it (unknown outcome).
  expect(audit.unrecordedContacts.length).toBeLessThanOrEqual(audit.inProgress);
  return audit;
}

function contactsFor(stand: Stand, ref: string): string[] {
  return stand.sim.contacts
    .filter((c) => (c.body.Attributes as Record<string, string> | undefined)?.[REF_ATTRIBUTE] === ref)
    .map((c) => c.contactId);
}

function expectAnswer(answer: Answer, status: number, code: string): void {
  expect({ status: answer.status, code: answer.code, problem: answer.problem }).toEqual({ status, code, problem: undefined });
}

// ===========================================================================
// 5 (template). Security of the synthesized API
// ===========================================================================

describe('security: the synthesized API refuses callers without credentials and grants nothing extra', () => {
  const scenario = figures.scenario('Security: synthesized template');
  timed(scenario);
  let stacks = 0;
  afterAll(() => {
    scenario.notes.push(`${stacks} stacks synthesized (auth modes iam, apiKey, cognito, none and the default; call status and tracing on and off)`);
    removeTestApps();
  });

  type Mode = 'default' | 'iam' | 'apiKey' | 'cognito' | 'none';
  function synth(mode: Mode, props: Partial<OutboundCallerProps> = {}): Template {
    const stack = new Stack(testApp(), 'Security');
    const authorization = {
      default: () => undefined,
      iam: () => CallerAuthorization.iam(),
      apiKey: () => CallerAuthorization.apiKey(),
      cognito: () => CallerAuthorization.cognito([compliantUserPool(stack)]),
      none: () => CallerAuthorization.none(),
    }[mode]();
    new OutboundCaller(stack, 'Caller', { ...REQUIRED_PROPS, ...(authorization && { authorization }), ...props });
    stacks += 1;
    return Template.fromStack(stack);
  }
  const resources = (template: Template, type: string): Array<[string, any]> =>
    Object.entries(template.findResources(type)).map(([id, r]: [string, any]) => [id, r.Properties]);
  const methods = (template: Template): any[] => resources(template, 'AWS::ApiGateway::Method').map(([, p]) => p);

  const EXPECTED_AUTH: Array<[Mode, { AuthorizationType: string; ApiKeyRequired?: boolean }]> = [
    ['default', { AuthorizationType: 'AWS_IAM' }],
    ['iam', { AuthorizationType: 'AWS_IAM' }],
    ['apiKey', { AuthorizationType: 'NONE', ApiKeyRequired: true }],
    ['cognito', { AuthorizationType: 'COGNITO_USER_POOLS' }],
    ['none', { AuthorizationType: 'NONE' }],
  ];
  test.each(EXPECTED_AUTH)('auth mode %s: every method of the API (PUT and the status GET) is %j', (mode, expected) => {
    for (const callStatus of [true, false]) {
      const all = methods(synth(mode, { callStatus }));
      expect(all.map((m) => m.HttpMethod).sort()).toEqual(callStatus ? ['GET', 'PUT'] : ['PUT']);
      for (const method of all) {
        expect({ method: method.HttpMethod, AuthorizationType: method.AuthorizationType, ApiKeyRequired: method.ApiKeyRequired })
          .toEqual({ method: method.HttpMethod, ...expected });
      }
    }
  });

  test('only CallerAuthorization.none() leaves a method open; the default is IAM, never NONE', () => {
    for (const [mode] of EXPECTED_AUTH) {
      const all = methods(synth(mode));
      const open = all.filter((m) => m.AuthorizationType === 'NONE' && m.ApiKeyRequired !== true);
      expect({ mode, open: open.length }).toEqual({ mode, open: mode === 'none' ? all.length : 0 });
    }
    expect(methods(synth('default')).map((m) => m.AuthorizationType)).toEqual(['AWS_IAM', 'AWS_IAM']);
  });

  test('Cognito: every method names the user-pool authorizer; API keys: a usage plan binds the key to the stage', () => {
    const cognito = synth('cognito');
    const authorizers = resources(cognito, 'AWS::ApiGateway::Authorizer');
    expect(authorizers).toHaveLength(1);
    expect(authorizers[0][1].Type).toBe('COGNITO_USER_POOLS');
    expect(authorizers[0][1].ProviderARNs.length).toBeGreaterThan(0);
    for (const method of methods(cognito)) expect(method.AuthorizerId).toEqual({ Ref: authorizers[0][0] });
    const apiKey = synth('apiKey');
    expect(resources(apiKey, 'AWS::ApiGateway::UsagePlan')).toHaveLength(1);
    expect(resources(apiKey, 'AWS::ApiGateway::UsagePlanKey')).toHaveLength(1);
  });

  test('the functions can be invoked only by this API\'s routes and the contact-events rule: no function URL, no open grant', () => {
    for (const [mode] of EXPECTED_AUTH) {
      const template = synth(mode);
      expect(resources(template, 'AWS::Lambda::Url')).toEqual([]);
      const rules = resources(template, 'AWS::Events::Rule').map(([id]) => id);
      const permissions = resources(template, 'AWS::Lambda::Permission').map(([, p]) => p);
      expect(permissions.length).toBeGreaterThan(0);
      for (const permission of permissions) {
        const source = JSON.stringify(permission.SourceArn);
        if (permission.Principal === 'apigateway.amazonaws.com') {
          expect(source).toMatch(/\/(PUT\/contact\/outbound-voice|GET\/contact\/outbound-voice\/\*)"/);
        } else {
          expect(permission.Principal).toBe('events.amazonaws.com');
          expect(permission.SourceArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^(${rules.join('|')})$`)), 'Arn'] });
        }
      }
    }
  });

  test('the contact-events rule matches only API-initiated contacts of this instance; its queue admits only that rule', () => {
    const template = synth('default');
    const [[, rule]] = resources(template, 'AWS::Events::Rule');
    expect(rule.EventPattern).toEqual({
      'source': ['aws.connect'],
      'detail-type': ['Amazon Connect Contact Event'],
      'detail': { instanceArn: [{ suffix: `:instance/${REQUIRED_PROPS.instanceId}` }], initiationMethod: ['API'] },
    });
    for (const [, policy] of resources(template, 'AWS::SQS::QueuePolicy')) {
      for (const statement of policy.PolicyDocument.Statement) {
        if (statement.Effect === 'Deny') continue;
        expect(statement.Principal).toEqual({ Service: 'events.amazonaws.com' });
        expect(statement.Condition?.ArnEquals?.['aws:SourceArn']).toBeDefined();
      }
    }
  });

  // Per role: exactly the actions its function uses (docs/architecture.md), "*" only where X-Ray allows nothing else.
  const roleActions = (role: 'Handler' | 'Status', callStatus: boolean, tracing: boolean): string[] => [
    ...(role === 'Handler'
      ? ['connect:StartOutboundVoiceContact', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem',
        // The status route finds the call's record through the contact index (Query), reads it (GetItem)
        // and asks Connect (DescribeContact) about a call with no news.
        ...(callStatus ? ['dynamodb:Query', 'dynamodb:GetItem', 'connect:DescribeContact'] : [])]
      : ['dynamodb:Query', 'dynamodb:UpdateItem', 'sqs:SendMessage']),
    'logs:CreateLogStream', 'logs:PutLogEvents',
    ...(tracing ? ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'] : []),
  ].sort();
  test.each([
    ['default', true, true], ['apiKey', true, true], ['cognito', true, true], ['none', true, true],
    ['default', false, true], ['default', true, false], ['default', false, false],
  ] as Array<[Mode, boolean, boolean]>)('IAM (auth %s, callStatus %s, tracing %s): each role has only its function\'s actions, "*" only for X-Ray',
    (mode, callStatus, tracing) => {
      const template = synth(mode, { callStatus, tracing });
      expect(resources(template, 'AWS::IAM::ManagedPolicy')).toEqual([]);
      const roles = resources(template, 'AWS::IAM::Role');
      expect(roles.map(([id]) => id.replace(/^Caller|[0-9A-F]{8}$/g, '')).sort()).toEqual(callStatus ? ['HandlerRole', 'StatusRole'] : ['HandlerRole']);
      for (const [roleId, role] of roles) {
        expect(role.ManagedPolicyArns ?? []).toEqual([]);
        expect(role.Policies ?? []).toEqual([]);
        expect(role.AssumeRolePolicyDocument.Statement).toEqual([
          { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
        ]);
        const statements = resources(template, 'AWS::IAM::Policy')
          .filter(([, p]) => JSON.stringify(p.Roles) === JSON.stringify([{ Ref: roleId }]))
          .flatMap(([, p]) => p.PolicyDocument.Statement);
        const actions = new Set<string>();
        for (const statement of statements) {
          expect(statement.Effect).toBe('Allow');
          expect(statement.NotAction ?? statement.NotResource ?? statement.Principal).toBeUndefined();
          const stmtActions: string[] = [statement.Action].flat();
          stmtActions.forEach((a) => actions.add(a));
          for (const resource of [statement.Resource].flat()) {
            if (resource === '*') expect({ stmtActions, star: true }).toEqual({ stmtActions: stmtActions.filter((a) => a.startsWith('xray:')), star: true });
            else expect(JSON.stringify(resource)).not.toMatch(/"\*"|::\*"/);
          }
          if (stmtActions.includes('connect:StartOutboundVoiceContact')) {
            expect(JSON.stringify(statement.Resource)).toMatch(/:instance\/[0-9a-f-]{36}\/contact\/\*"/);
          }
        }
        const kind = roleId.includes('HandlerRole') ? 'Handler' : 'Status';
        expect({ role: kind, actions: [...actions].sort() }).toEqual({ role: kind, actions: roleActions(kind, callStatus, tracing) });
      }
    });

  test('gateway responses answer in the envelope with static messages and leak no internals', () => {
    const template = synth('default');
    const responses = resources(template, 'AWS::ApiGateway::GatewayResponse').map(([, p]) => p);
    const byType = new Map(responses.map((r) => [r.ResponseType, r]));
    const EXPECTED_CODES: Record<string, string> = {
      BAD_REQUEST_BODY: 'VALIDATION_ERROR',
      UNAUTHORIZED: 'FORBIDDEN',
      MISSING_AUTHENTICATION_TOKEN: 'FORBIDDEN',
      ACCESS_DENIED: 'FORBIDDEN',
      INVALID_API_KEY: 'FORBIDDEN',
      INVALID_SIGNATURE: 'FORBIDDEN',
      EXPIRED_TOKEN: 'FORBIDDEN',
      THROTTLED: 'RATE_LIMITED',
      QUOTA_EXCEEDED: 'RATE_LIMITED',
      REQUEST_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
      UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
      DEFAULT_4XX: 'REQUEST_REJECTED',
      DEFAULT_5XX: 'INTERNAL_ERROR',
    };
    for (const [type, code] of Object.entries(EXPECTED_CODES)) {
      expect({ type, present: byType.has(type) }).toEqual({ type, present: true });
      const body = JSON.parse(byType.get(type).ResponseTemplates['application/json']);
      expect({ type, code: body.error.code }).toEqual({ type, code });
    }
    const SAFE_VARIABLES = new Set(['$context.requestId', '$context.extendedRequestId']);
    const ALLOWED_HEADERS: Record<string, RegExp> = {
      'x-request-id': /^context\.requestId$/,
      'content-type': /^'application\/json'$/,
      'retry-after': /^'\d+'$/,
    };
    for (const response of responses) {
      const text = response.ResponseTemplates?.['application/json'];
      expect(typeof text).toBe('string');
      const body = JSON.parse(text);
      expect(Object.keys(body).sort()).toEqual(['error', 'success']);
      expect(body.success).toBe(false);
      expect(Object.keys(body.error).sort()).toEqual(['code', 'details', 'message']);
      expect(body.error.details).toEqual([]);
      expect([...Object.keys(CONTRACT_STATUS), ...GATEWAY_ONLY_CODES]).toContain(body.error.code);
      const variables: string[] = text.match(/\$[\w.{}]+/g) ?? [];
      expect(variables.filter((v) => !SAFE_VARIABLES.has(v))).toEqual([]);
      expect(text).not.toMatch(/stack|exception|\$context\.error|\$input|\$util|authorizer/i);
      for (const [name, value] of Object.entries(response.ResponseParameters ?? {})) {
        const header = name.replace('gatewayresponse.header.', '');
        expect({ header, value, allowed: ALLOWED_HEADERS[header]?.test(String(value)) ?? false }).toEqual({ header, value, allowed: true });
      }
      expect(response.ResponseParameters?.['gatewayresponse.header.x-request-id']).toBe('context.requestId');
      if (response.ResponseType === 'THROTTLED' || response.ResponseType === 'QUOTA_EXCEEDED') {
        expect(response.ResponseParameters['gatewayresponse.header.retry-after']).toMatch(/^'\d+'$/);
      }
    }
  });
});

// ===========================================================================
// 1. Bad input, property-based
// ===========================================================================

describe('bad input: generated requests against the shipped bundle', () => {
  const scenario = figures.scenario('Bad input (fast-check, shipped bundle)');
  // Each generated request's log lines are checked (and dropped) as it runs.
  timed(scenario);
  let stand: Stand;
  let runner: FuzzRunner;

  beforeAll(async () => {
    stand = await Stand.start(figures, { name: 'fuzz', overrides: FUZZ_POLICY_ENV, warmDestination: destination(0) });
    runner = new FuzzRunner(stand, scenario, tap);
  });
  afterAll(async () => {
    scenario.notes.push(`${runner.generated.toLocaleString('en-US')} generated requests (shrinking runs included), ${runner.placed} of them valid and placed`);
    await stand.stop();
  });

  let property = 0;
  async function check(arbitrary: fc.Arbitrary<Case>, numRuns: number): Promise<void> {
    const seed = SEED + ++property;
    let leaks: FoundLeak[] = [];
    try {
      await fc.assert(fc.asyncProperty(arbitrary, (c) => runner.run(c)), { numRuns, seed });
    } finally {
      // The leaks found are this property's own, whether it passed or not.
      leaks = runner.takeLeaks();
    }
    expect(leaks).toEqual([]);
  }

  test('random JSON values and text: always a 400 envelope, never a Connect call (2,500 generated)', async () => {
    await check(randomJsonCase, 2_500);
  }, 60_000);

  test('bytes: invalid UTF-8 in a base64 body is a 400, valid multi-byte UTF-8 is accepted (1,500 generated)', async () => {
    await check(bytesCase, 1_500);
  }, 60_000);

  test('wrong types: a field of the wrong type is a 400 naming that field, never a call (2,500 generated)', async () => {
    await check(wrongTypeCase, 2_500);
  }, 60_000);

  test('limits: every field at its limit is accepted and one past it refused, for header and ClientToken keys alike (800 generated)', async () => {
    await check(limitCase, 800);
  }, 120_000);

  test('huge and deeply nested bodies: a 400 or 413, never a 5xx nor a payload Lambda cannot return (200 generated)', async () => {
    await check(hugeCase, 200);
  }, 60_000);

  test('odd headers and content types: 415 unless the media type is application/json; key conflicts are a 400 (1,000 generated)', async () => {
    await check(headersCase, 1_000);
  }, 90_000);

  test('phone numbers: only valid, non-premium E.164 numbers are dialled; the rest are refused before any call (1,200 generated)', async () => {
    await check(phoneCase, 1_200);
  }, 90_000);

  test('status route: any contact id is a 400 or 404 unless the caller placed that call; another caller\'s call is a plain 404 (800 generated)', async () => {
    await check(statusCase, 800);
  }, 60_000);

  // Found by this suite: a phone number the caller put in a field NAME (unknown field, attribute key, reference
  // key or member) or in malformed JSON was echoed into the "request rejected" log line unmasked when formatted
  // ("+1 201-555-0123", "Mobile_12015550123"). Fixed at the source: caller-chosen names are masked in messages
  // and field paths, and JSON.parse's snippet is no longer echoed.
  test('phone numbers in caller-chosen names and malformed JSON never reach the logs beyond their last 4 digits (500 generated)', async () => {
    const seed = SEED + ++property;
    await fc.assert(fc.asyncProperty(echoedNumberCase, (c) => runner.run(c)), { numRuns: 500, seed });
    const leaks = runner.takeLeaks();
    const byLabel = new Map<string, string>();
    for (const leak of leaks) if (!byLabel.has(leak.label)) byLabel.set(leak.label, `${leak.number} → …${leak.excerpt}…`);
    expect(Object.fromEntries(byLabel)).toEqual({});
  }, 60_000);

  test('at least 10,000 requests were generated, and every placed call is one COMPLETED item the simulator agrees with', async () => {
    expect(runner.generated).toBeGreaterThanOrEqual(10_000);
    const audit = await expectAgreement(scenario, stand);
    expect(audit.completed).toBe(runner.placed);
    expect(audit.contacts).toBe(runner.placed);
    expect(audit.unrecordedContacts).toEqual([]);
  }, 60_000);

});

// ===========================================================================
// 2. Concurrency
// ===========================================================================

describe('concurrency: one key, many requests at once', () => {
  const scenario = figures.scenario('Concurrency');
  const time = timed(scenario);
  let stand: Stand;
  const firstBodies = new Map<string, { body: Record<string, unknown>; answer: string }>();

  beforeAll(async () => {
    stand = await Stand.start(figures, { name: 'concurrency', warmDestination: destination(0) });
  });
  afterAll(() => stand.stop());

  test.each([
    ['answered at once', 0], ['answered after 300 ms', 300], ['answered after 1.5 s', 1_500], ['answered at once, again', 0],
  ])('50 concurrent requests with one key (Connect %s): exactly one call; every answer is 200 with its id or 409', async (_label, delayMs) => {
    const key = stand.key('one');
    const body = { DestinationPhoneNumber: destination(1) };
    if (delayMs > 0) stand.sim.delayNext({ ms: delayMs });
    const answers = await Promise.all(Array.from({ length: 50 }, () => stand.invoke(scenario, stand.event(body, { idempotencyKey: key }))));
    const contacts = contactsFor(stand, key);
    expect(contacts).toHaveLength(1);
    scenario.connectCalls += 1;
    const oks = answers.filter((a) => a.status === 200);
    expect(oks.length).toBeGreaterThanOrEqual(1);
    for (const answer of answers) {
      expect([200, 409]).toContain(answer.status);
      if (answer.status === 200) expect(answer.body.data.id).toBe(contacts[0]);
      else expect(answer.code).toBe('IDEMPOTENCY_IN_PROGRESS');
    }
    // Every 200 is the same body, byte for byte (the first answer or its replay).
    expect(new Set(oks.map((a) => a.result!.body)).size).toBe(1);
    firstBodies.set(key, { body, answer: oks[0].result!.body });
    await expectAgreement(scenario, stand);
  });

  test('50 keys × 3 duplicates at once: one call per key, and every 200 of a key names that call', async () => {
    stand.sim.delayNext({ ms: 200, count: 20 });
    const keys = Array.from({ length: 50 }, () => stand.key('many'));
    const jobs = keys.flatMap((key, i) => [0, 1, 2].map(() => ({ key, body: { DestinationPhoneNumber: destination(i) } })));
    const answers = await Promise.all(jobs.map((job) => stand.invoke(scenario, stand.event(job.body, { idempotencyKey: job.key }))));
    for (const [i, key] of keys.entries()) {
      const contacts = contactsFor(stand, key);
      expect({ key, calls: contacts.length }).toEqual({ key, calls: 1 });
      const mine = answers.filter((_, j) => jobs[j].key === key);
      expect(mine.some((a) => a.status === 200)).toBe(true);
      for (const answer of mine) {
        expect([200, 409]).toContain(answer.status);
        if (answer.status === 200) expect(answer.body.data.id).toBe(contacts[0]);
      }
      firstBodies.set(key, { body: jobs[i * 3].body, answer: mine.find((a) => a.status === 200)!.result!.body });
    }
    scenario.connectCalls += keys.length;
    await expectAgreement(scenario, stand);
  });

  test('one key, 20 different requests at once: one call; the others get 409 or 422, never a second call', async () => {
    const key = stand.key('different');
    stand.sim.delayNext({ ms: 300 });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      stand.invoke(scenario, stand.event({ DestinationPhoneNumber: destination(2), Name: `request ${i}` }, { idempotencyKey: key }))));
    expect(contactsFor(stand, key)).toHaveLength(1);
    scenario.connectCalls += 1;
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    for (const answer of answers.filter((a) => a.status !== 200)) expect(['IDEMPOTENCY_IN_PROGRESS', 'IDEMPOTENCY_KEY_REUSED']).toContain(answer.code);
    await expectAgreement(scenario, stand);
  });

  test('afterwards every key replays its first answer byte for byte, with Idempotent-Replayed, and places nothing', async () => {
    const before = stand.sim.requests.length;
    const entries = [...firstBodies];
    const answers = await Promise.all(entries.map(([key, first]) => stand.invoke(scenario, stand.event(first.body, { idempotencyKey: key }))));
    entries.forEach(([, first], i) => {
      expect(answers[i].status).toBe(200);
      expect(answers[i].result!.body).toBe(first.answer);
      expect(answers[i].headers['idempotent-replayed']).toBe('true');
    });
    expect(stand.sim.requests.length).toBe(before);
    const audit = await expectAgreement(scenario, stand);
    expect(audit.completed).toBe(audit.contacts);
  });

  test('no raw phone number in the logs of the concurrency runs', () => {
    expectNoNumbersInLogs(scenario, time.mark());
  });
});

// ===========================================================================
// 5 (runtime). One caller cannot replay or learn another caller's call
// ===========================================================================

describe('security: one caller never replays or learns another caller\'s call', () => {
  const scenario = figures.scenario('Security: caller isolation');
  const time = timed(scenario);
  const MODES: Array<[string, (who: string) => CallerIdentity]> = [
    ['IAM', (who) => ({ iamUserArn: `arn:aws:iam::111122223333:user/${who}` })],
    ['API_KEY', (who) => ({ apiKeyId: `key-${who}` })],
    ['COGNITO', (who) => ({ cognitoSub: `sub-${who}` })],
  ];
  const stands = new Map<string, Stand>();

  beforeAll(async () => {
    for (const [mode, as] of MODES) {
      stands.set(mode, await Stand.start(figures, {
        name: `auth-${mode.toLowerCase()}`, overrides: { AUTH_MODE: mode }, warmDestination: destination(0), warmCaller: as('warm-up'),
      }));
    }
  });
  afterAll(async () => { for (const stand of stands.values()) await stand.stop(); });

  test.each(MODES)('%s: caller B with caller A\'s key gets a call of its own, never A\'s id or body; in flight, B is not told about A', async (mode, as) => {
    const stand = stands.get(mode)!;
    const key = stand.key('shared');
    // The very same request from each caller (no tracing attribute): only the caller differs.
    const body = { DestinationPhoneNumber: destination(3) };
    const a = await stand.invoke(scenario, stand.event(body, { idempotencyKey: key, caller: as('alice'), ref: null }));
    expectAnswer(a, 200, 'OK');
    const b = await stand.invoke(scenario, stand.event(body, { idempotencyKey: key, caller: as('bob'), ref: null }));
    expectAnswer(b, 200, 'OK');
    expect(b.body.data.id).not.toBe(a.body.data.id);
    expect(b.result!.body).not.toContain(a.body.data.id);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    // A third caller with the same key and another request: a call of its own, not a 422 that would reveal the key is taken.
    const c = await stand.invoke(scenario, stand.event({ ...body, Name: 'other' }, { idempotencyKey: key, caller: as('carol'), ref: null }));
    expectAnswer(c, 200, 'OK');
    // While A's next call is in flight, B with the same key is not told about it (no 409).
    const key2 = stand.key('inflight');
    stand.sim.delayNext({ ms: 800 });
    const pendingA = stand.invoke(scenario, stand.event(body, { idempotencyKey: key2, caller: as('alice'), ref: null }));
    await sleep(200);
    const b2 = await stand.invoke(scenario, stand.event(body, { idempotencyKey: key2, caller: as('bob'), ref: null }));
    expectAnswer(b2, 200, 'OK');
    expectAnswer(await pendingA, 200, 'OK');
    // The status route answers A about A's call, and B exactly as for a call that never existed.
    const statusA = await stand.invoke(scenario, stand.statusEvent(a.body.data.id, as('alice')));
    expectAnswer(statusA, 200, 'OK');
    expect(statusA.body.data.id).toBe(a.body.data.id);
    const statusB = await stand.invoke(scenario, stand.statusEvent(a.body.data.id, as('bob')));
    const nobody = await stand.invoke(scenario, stand.statusEvent('00000000-0000-4000-8000-000000000000', as('bob')));
    expectAnswer(statusB, 404, 'RESOURCE_NOT_FOUND');
    expect(statusB.result!.body).toBe(nobody.result!.body);
    // A still replays exactly A's answer.
    const replay = await stand.invoke(scenario, stand.event(body, { idempotencyKey: key, caller: as('alice'), ref: null }));
    expect(replay.result!.body).toBe(a.result!.body);
    const tokens = stand.sim.contacts.map((contact) => contact.clientToken);
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(stand.sim.contacts).toHaveLength(5);
    scenario.connectCalls += 5;
    const audit = await expectAgreement(scenario, stand);
    expect(audit.completed).toBe(5);
  });

  test.each(MODES)('%s: a request without an authenticated identity is refused with 403 and places no call', async (mode) => {
    const stand = stands.get(mode)!;
    const before = { requests: stand.sim.requests.length, items: (await stand.items()).length };
    const noIdentity: CallerIdentity[] = [{ anonymous: true }, ...(mode === 'IAM' ? [] : [{ iamUserArn: 'arn:aws:iam::111122223333:user/wrong-mode' }])];
    for (const caller of noIdentity) {
      const answer = await stand.invoke(scenario, stand.event({ DestinationPhoneNumber: destination(4) }, { idempotencyKey: stand.key('anon'), caller }));
      expectAnswer(answer, 403, 'FORBIDDEN');
    }
    expect({ requests: stand.sim.requests.length, items: (await stand.items()).length }).toEqual(before);
  });

  test('no raw phone number in the logs or ledgers of the isolation runs', async () => {
    for (const stand of stands.values()) await expectAgreement(scenario, stand);
    expectNoNumbersInLogs(scenario, time.mark());
  });
});

// ===========================================================================
// 4. Faults
// ===========================================================================

describe('faults: Connect failing, slow or unreachable', () => {
  const scenario = figures.scenario('Faults: Connect');
  const time = timed(scenario);
  let stand: Stand;
  let proxy: FaultProxy;
  /**
   * A short Lambda context keeps the claim deadlines, and the waits for them, short: a budget for Connect of
   * 1.1 s, more than the SDK's backoff for 3 retries of a 5xx (at most 0.7 s).
   */
  const SHORT = 2_600;
  const PROVOKED = ['UPSTREAM_ERROR'];

  beforeAll(async () => {
    stand = await Stand.start(figures, {
      name: 'faults',
      warmDestination: destination(0),
      connectEndpoint: async (sim) => { proxy = await FaultProxy.start(sim.url); return proxy.url; },
    });
  });
  afterAll(async () => { await proxy.stop(); await stand.stop(); });
  // Each fault meets a fresh container: the SDK's retry quota (shared by a warm container's invocations) is full.
  beforeEach(() => stand.reload());

  /** Sends a fresh request; returns its key, body and answer. */
  async function attempt(remainingMs: number, label: string, i = 5) {
    const key = stand.key(label);
    const body = { DestinationPhoneNumber: destination(i) };
    const answer = await stand.invoke(scenario, stand.event(body, { idempotencyKey: key }), { remainingMs, expected5xx: PROVOKED });
    return { key, body, answer };
  }
  async function retry(key: string, body: Record<string, unknown>, remainingMs = SHORT): Promise<Answer> {
    return stand.invoke(scenario, stand.event(body, { idempotencyKey: key }), { remainingMs, expected5xx: PROVOKED });
  }
  /** The claim of an unknown outcome is kept; a retry after its deadline gets the call that exists (or places it once). */
  async function expectUnknownOutcomeResolves(key: string, body: Record<string, unknown>, answer: Answer): Promise<void> {
    expectAnswer(answer, 502, 'UPSTREAM_ERROR');
    expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    await expectAgreement(scenario, stand, { inProgress: 1 });
    const placedBefore = contactsFor(stand, key);
    const early = await retry(key, body);
    expectAnswer(early, 409, 'IDEMPOTENCY_IN_PROGRESS');
    await stand.waitForClaimDeadlines();
    const late = await retry(key, body);
    expectAnswer(late, 200, 'OK');
    const contacts = contactsFor(stand, key);
    expect(contacts).toHaveLength(1);
    if (placedBefore.length === 1) expect(late.body.data.id).toBe(placedBefore[0]);
    expect(late.body.data.id).toBe(contacts[0]);
    scenario.connectCalls += 1;
    await expectAgreement(scenario, stand);
  }

  const RETRIED_BY_SDK = (error: ConnectErrorName): boolean => CONNECT_ERRORS[error] === 429 || CONNECT_ERRORS[error] >= 500;
  const CONNECT_ANSWERS: Array<[ConnectErrorName, number, string, 'refused' | 'unknown outcome']> = [
    ['DestinationNotAllowedException', 403, 'DESTINATION_NOT_ALLOWED', 'refused'],
    ['OutboundContactNotPermittedException', 403, 'OUTBOUND_CONTACT_NOT_PERMITTED', 'refused'],
    ['ResourceNotFoundException', 404, 'RESOURCE_NOT_FOUND', 'refused'],
    ['InvalidParameterException', 400, 'VALIDATION_ERROR', 'refused'],
    ['InvalidRequestException', 400, 'VALIDATION_ERROR', 'refused'],
    ['AccessDeniedException', 502, 'UPSTREAM_ERROR', 'refused'],
    ['LimitExceededException', 429, 'RATE_LIMITED', 'refused'],
    ['ThrottlingException', 429, 'RATE_LIMITED', 'refused'],
    ['InternalServiceException', 502, 'UPSTREAM_ERROR', 'unknown outcome'],
    ['ServiceUnavailableException', 502, 'UPSTREAM_ERROR', 'unknown outcome'],
  ];

  test('every exception the simulator can answer is covered below', () => {
    expect(CONNECT_ANSWERS.map(([name]) => name).sort()).toEqual(Object.keys(CONNECT_ERRORS).sort());
  });

  test.each(CONNECT_ANSWERS)('Connect answers %s on every attempt → %i %s, %s; then the same key places exactly one call',
    async (error, status, code, outcome) => {
      stand.sim.failNext({ error, count: RETRIED_BY_SDK(error) ? 4 : 1 });
      // Throttling is retried with backoff (up to ~4 s): give it the time a real invocation has.
      const remainingMs = status === 429 ? 15_000 : SHORT;
      const { key, body, answer } = await attempt(remainingMs, error);
      expect(stand.sim.pendingFaults).toEqual([]);
      expect(contactsFor(stand, key)).toEqual([]);
      if (outcome === 'unknown outcome') {
        await expectUnknownOutcomeResolves(key, body, answer);
        return;
      }
      expectAnswer(answer, status, code);
      if (status === 429) expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      // Refused: nothing was placed, the claim is released at once, so the same key goes through now.
      await expectAgreement(scenario, stand);
      const again = await retry(key, body);
      expectAnswer(again, 200, 'OK');
      expect(contactsFor(stand, key)).toEqual([again.body.data.id]);
      scenario.connectCalls += 1;
      await expectAgreement(scenario, stand);
    }, 40_000);

  test.each([
    ['InternalServiceException once', () => stand.sim.failNext({ error: 'InternalServiceException' })],
    ['ServiceUnavailableException once', () => stand.sim.failNext({ error: 'ServiceUnavailableException' })],
    ['LimitExceededException once', () => stand.sim.failNext({ error: 'LimitExceededException' })],
    ['ThrottlingException twice', () => stand.sim.failNext({ error: 'ThrottlingException', count: 2 })],
    ['a connection dropped before the body', () => stand.sim.dropNext({ when: 'before-body' })],
    ['a connection dropped after the body', () => stand.sim.dropNext({ when: 'after-body' })],
    ['a connection dropped after Connect placed the call', () => stand.sim.dropNext({ when: 'after-processing' })],
    ['a load balancer\'s HTML 502', () => proxy.inject({ status: 502, body: '<html><body>502 Bad Gateway</body></html>', forward: false })],
    ['a gateway timeout (504) after Connect placed the call', () => proxy.inject({ status: 504, body: '<html>504 Gateway Time-out</html>', forward: true })],
  ])('a transient fault (%s) is retried by the SDK: 200, one call, recorded', async (_label, inject) => {
    inject();
    const { key, answer } = await attempt(15_000, 'transient', 6);
    expectAnswer(answer, 200, 'OK');
    expect(stand.sim.pendingFaults).toEqual([]);
    expect(proxy.pending).toBe(0);
    expect(contactsFor(stand, key)).toEqual([answer.body.data.id]);
    scenario.connectCalls += 1;
    await expectAgreement(scenario, stand);
  }, 30_000);

  test.each(['before-body', 'after-body', 'after-processing'] as DropWhen[])(
    'the connection dropped %s on every attempt: 502, claim kept; a retry after the deadline gets the one call', async (when) => {
      stand.sim.dropNext({ when, count: 4 });
      const { key, body, answer } = await attempt(SHORT, `drop-${when}`, 7);
      expect(stand.sim.pendingFaults).toEqual([]);
      expect(contactsFor(stand, key)).toHaveLength(when === 'after-processing' ? 1 : 0);
      await expectUnknownOutcomeResolves(key, body, answer);
    }, 30_000);

  test('HTML 502s from a load balancer on every attempt: 502, claim kept; a retry after the deadline places exactly one call', async () => {
    proxy.inject({ status: 502, body: '<html>Bad Gateway</html>', forward: false, count: 4 });
    const { key, body, answer } = await attempt(SHORT, 'lb-502', 8);
    expect(proxy.pending).toBe(0);
    await expectUnknownOutcomeResolves(key, body, answer);
  }, 30_000);

  test.each([
    ['a body that is not JSON', 'Service temporarily degraded'],
    ['JSON without a ContactId', '{}'],
  ])('a 200 with %s after Connect placed the call: never reported as placed without an id; the retry gets that call', async (_label, garbage) => {
    proxy.inject({ status: 200, body: garbage, contentType: 'application/json', forward: true });
    const { key, body, answer } = await attempt(SHORT, 'garbage', 9);
    expect(proxy.pending).toBe(0);
    expect(contactsFor(stand, key)).toHaveLength(1);
    await expectUnknownOutcomeResolves(key, body, answer);
  }, 30_000);

  test('an answer slower than the handler\'s budget: 502, claim kept; a retry after the deadline gets the same ContactId', async () => {
    stand.sim.delayNext({ ms: 6_000 });
    const started = Date.now();
    const { key, body, answer } = await attempt(4_000, 'slow', 10);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(contactsFor(stand, key)).toHaveLength(1);
    await expectUnknownOutcomeResolves(key, body, answer);
  }, 30_000);

  test('an attempt hung past the client\'s 8 s request timeout is abandoned and retried: 200 with the call it placed', async () => {
    stand.sim.delayNext({ ms: 9_500 });
    const started = Date.now();
    const { key, answer } = await attempt(15_000, 'hung', 11);
    const elapsed = Date.now() - started;
    expectAnswer(answer, 200, 'OK');
    expect(elapsed).toBeGreaterThanOrEqual(7_500);
    expect(elapsed).toBeLessThan(13_500);
    const contacts = contactsFor(stand, key);
    expect(contacts).toEqual([answer.body.data.id]);
    const requests = stand.sim.requests.filter((r) => (r.body as any)?.Attributes?.[REF_ATTRIBUTE] === key);
    expect(requests).toHaveLength(2);
    expect(requests[1].deduplicated).toBe(true);
    scenario.connectCalls += 1;
    await expectAgreement(scenario, stand);
  }, 30_000);

  test('no raw phone number in the logs of the Connect fault runs', () => {
    expectNoNumbersInLogs(scenario, time.mark());
  });
});

describe('faults: DynamoDB stopped and restarted mid-run', () => {
  const scenario = figures.scenario('Faults: DynamoDB outage');
  const time = timed(scenario);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'reliability-ddb-'));
  let ddb: DynamoDbLocal;
  let stand: Stand;
  const PROVOKED = ['LEDGER_UNAVAILABLE'];
  const before: Array<{ key: string; body: Record<string, unknown>; answer: Answer }> = [];
  const during: Array<{ key: string; body: Record<string, unknown> }> = [];
  let inFlight: { key: string; body: Record<string, unknown>; answer: Answer } | undefined;

  beforeAll(async () => {
    ddb = await startDynamoDbLocal({ dataDir });
    stand = await Stand.start(figures, { name: 'outage', dynamodbEndpoint: ddb.endpoint, warmDestination: destination(0) });
  });
  afterAll(async () => {
    await stand.stop();
    await ddb.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const send = (key: string, body: Record<string, unknown>, remainingMs = 6_000): Promise<Answer> =>
    stand.invoke(scenario, stand.event(body, { idempotencyKey: key }), { remainingMs, expected5xx: PROVOKED });

  test('before the outage: calls are placed and recorded', async () => {
    for (let i = 0; i < 3; i++) {
      const key = stand.key('before');
      const body = { DestinationPhoneNumber: destination(20 + i) };
      const answer = await send(key, body);
      expectAnswer(answer, 200, 'OK');
      before.push({ key, body, answer });
    }
    scenario.connectCalls += 3;
    await expectAgreement(scenario, stand);
  });

  test('a call in flight when DynamoDB stops is still answered 200 with its ContactId (only the record fails)', async () => {
    const key = stand.key('inflight');
    const body = { DestinationPhoneNumber: destination(23) };
    stand.sim.delayNext({ ms: 3_000 });
    const pending = send(key, body);
    const until = Date.now() + 5_000;
    while (contactsFor(stand, key).length === 0 && Date.now() < until) await sleep(20);
    expect(contactsFor(stand, key)).toHaveLength(1);
    await ddb.stop();
    const answer = await pending;
    expectAnswer(answer, 200, 'OK');
    expect(answer.body.data.id).toBe(contactsFor(stand, key)[0]);
    inFlight = { key, body, answer };
    scenario.connectCalls += 1;
  }, 30_000);

  test('while DynamoDB is stopped: new requests and replays get 503 LEDGER_UNAVAILABLE and no call is placed', async () => {
    const requestsBefore = stand.sim.requests.length;
    for (let i = 0; i < 5; i++) during.push({ key: stand.key('during'), body: { DestinationPhoneNumber: destination(24 + i) } });
    const answers = await Promise.all([
      ...during.map((r) => send(r.key, r.body)),
      ...before.map((r) => send(r.key, r.body)),
    ]);
    for (const answer of answers) {
      expectAnswer(answer, 503, 'LEDGER_UNAVAILABLE');
      expect(answer.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    }
    expect(stand.sim.requests.length).toBe(requestsBefore);
  }, 60_000);

  test('after DynamoDB restarts on its data: replays are byte-identical, refused requests go through, the in-flight call keeps its ContactId', async () => {
    ddb = await restartDynamoDb(ddb.port, dataDir);
    for (const r of before) {
      const replay = await send(r.key, r.body);
      expectAnswer(replay, 200, 'OK');
      expect(replay.result!.body).toBe(r.answer.result!.body);
      expect(replay.headers['idempotent-replayed']).toBe('true');
    }
    for (const r of during) {
      const answer = await send(r.key, r.body);
      expectAnswer(answer, 200, 'OK');
      expect(contactsFor(stand, r.key)).toEqual([answer.body.data.id]);
    }
    scenario.connectCalls += during.length;
    // The in-flight call's claim survived as IN_PROGRESS (its record failed): held until its deadline, then the same contact.
    await expectAgreement(scenario, stand, { inProgress: 1 });
    const claim = (await stand.items()).find((i) => i.status === 'IN_PROGRESS')!;
    if (claim.deadline! > Date.now() + 500) expectAnswer(await send(inFlight!.key, inFlight!.body), 409, 'IDEMPOTENCY_IN_PROGRESS');
    await stand.waitForClaimDeadlines();
    const late = await send(inFlight!.key, inFlight!.body);
    expectAnswer(late, 200, 'OK');
    expect(late.body.data.id).toBe(inFlight!.answer.body.data.id);
    expect(contactsFor(stand, inFlight!.key)).toHaveLength(1);
    const audit = await expectAgreement(scenario, stand);
    expect(audit.completed).toBe(before.length + during.length + 1);
  }, 60_000);

  test('no raw phone number in the logs of the outage runs', () => {
    expectNoNumbersInLogs(scenario, time.mark());
  });
});

async function restartDynamoDb(port: number, dataDir: string): Promise<DynamoDbLocal> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return await startDynamoDbLocal({ port, dataDir });
    } catch (error) {
      lastError = error;
      await sleep(500);
    }
  }
  throw lastError;
}

describe('faults: the handler killed between claim and record', () => {
  const scenario = figures.scenario('Faults: handler killed');
  const time = timed(scenario);
  let stand: Stand;
  const childLogs: string[] = [];

  beforeAll(async () => {
    stand = await Stand.start(figures, { name: 'kill', warmDestination: destination(0) });
  });
  afterAll(() => stand.stop());

  interface ChildRun { code: number | null; signal: NodeJS.Signals | null; stdout: string }
  function startChild(event: APIGatewayProxyEvent, remainingMs: number, exitOn = ''): { kill: () => void; done: Promise<ChildRun> } {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries({ ...process.env, ...stand.env })) if (value !== undefined) env[name] = value;
    Object.assign(env, {
      RELIABILITY_CHILD_BUNDLE: HANDLER_BUNDLE,
      RELIABILITY_CHILD_EVENT: JSON.stringify(event),
      RELIABILITY_CHILD_REMAINING_MS: String(remainingMs),
      RELIABILITY_CHILD_EXIT_ON: exitOn,
    });
    const child = spawn(process.execPath, [CHILD_RUNNER], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
    child.stderr.on('data', (chunk: Buffer) => childLogs.push(...chunk.toString('utf8').split('\n').filter((l) => l.length > 0)));
    const done = new Promise<ChildRun>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout })));
    scenario.requests += 1;
    scenario.killed += 1;
    return { kill: () => child.kill('SIGKILL'), done };
  }

  async function retryAfterDeadline(key: string, body: Record<string, unknown>, placed: string): Promise<void> {
    const items = await stand.items();
    expect(items.filter((i) => i.status === 'IN_PROGRESS')).toHaveLength(1);
    await expectAgreement(scenario, stand, { inProgress: 1 });
    const early = await stand.invoke(scenario, stand.event(body, { idempotencyKey: key }));
    expectAnswer(early, 409, 'IDEMPOTENCY_IN_PROGRESS');
    expect(contactsFor(stand, key)).toEqual([placed]);
    await stand.waitForClaimDeadlines();
    const late = await stand.invoke(scenario, stand.event(body, { idempotencyKey: key }));
    expectAnswer(late, 200, 'OK');
    expect(late.body.data.id).toBe(placed);
    expect(contactsFor(stand, key)).toEqual([placed]);
    scenario.connectCalls += 1;
    await expectAgreement(scenario, stand);
  }

  test('killed (SIGKILL) while Connect\'s answer is pending: a retry after the claim\'s deadline gets the same ContactId, one call', async () => {
    const key = stand.key('sigkill');
    const body = { DestinationPhoneNumber: destination(30) };
    stand.sim.delayNext({ ms: 20_000 });
    const child = startChild(stand.event(body, { idempotencyKey: key }), 3_000);
    const until = Date.now() + 15_000;
    while (contactsFor(stand, key).length === 0 && Date.now() < until) await sleep(10);
    const placed = contactsFor(stand, key);
    expect(placed).toHaveLength(1);
    child.kill();
    const run = await child.done;
    expect(run.signal).toBe('SIGKILL');
    expect(run.stdout).not.toContain('CHILD_RESULT');
    await retryAfterDeadline(key, body, placed[0]);
  }, 40_000);

  test('exits right after Connect answered, before the ledger record: a retry after the deadline gets the same ContactId, one call', async () => {
    const key = stand.key('exit');
    const body = { DestinationPhoneNumber: destination(31) };
    const run = await startChild(stand.event(body, { idempotencyKey: key }), 3_000, 'ledger-record').done;
    expect({ code: run.code, result: run.stdout.includes('CHILD_RESULT') }).toEqual({ code: 137, result: false });
    const placed = contactsFor(stand, key);
    expect(placed).toHaveLength(1);
    // Connect did answer (the contact's request got its 200) before the process died.
    expect(stand.sim.requests.filter((r) => (r.body as any)?.Attributes?.[REF_ATTRIBUTE] === key).map((r) => r.status)).toEqual([200]);
    await retryAfterDeadline(key, body, placed[0]);
  }, 40_000);

  test('no raw phone number in the logs of the killed handlers and their retries', () => {
    expectNoNumbersInLogs(scenario, time.mark(), childLogs);
  });
});

// ===========================================================================
// 3. Load against the Connect quota
// ===========================================================================

describe('load: 100 distinct requests at once against the Connect quota (2 per second, burst 5)', () => {
  const scenario = figures.scenario('Load at the Connect quota');
  const time = timed(scenario);
  let stand: Stand;
  const requests = Array.from({ length: 100 }, (_, i) => ({ key: '', body: { DestinationPhoneNumber: destination(i) } }));
  const firstAnswers: Answer[] = [];

  beforeAll(async () => {
    // The warm-up call takes one token of the bucket; the bucket then refills before the burst.
    stand = await Stand.start(figures, { name: 'quota', sim: { quota: { ratePerSecond: 2, burst: 5 } }, warmDestination: destination(0) });
    for (const request of requests) request.key = stand.key('load');
  });
  afterAll(() => stand.stop());

  test('a burst of 100: each answered 200 or 429 with Retry-After, none 5xx, no duplicate call, no claim left IN_PROGRESS', async () => {
    await sleep(3_000);
    const answers = await Promise.all(requests.map((r) => stand.invoke(scenario, stand.event(r.body, { idempotencyKey: r.key }))));
    firstAnswers.push(...answers);
    const placed = answers.filter((a) => a.status === 200);
    for (const answer of answers) {
      expect(answer.problem).toBeUndefined();
      if (answer.status !== 200) {
        expectAnswer(answer, 429, 'RATE_LIMITED');
        expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      }
    }
    expect(placed.length).toBeGreaterThanOrEqual(5);
    expect(stand.sim.contacts).toHaveLength(placed.length);
    scenario.connectCalls += placed.length;
    scenario.notes.push(`burst: ${placed.length} placed at once, ${answers.length - placed.length} answered 429 with Retry-After`);
    const audit = await expectAgreement(scenario, stand);
    expect(audit.completed).toBe(placed.length);
    expect(audit.unrecordedContacts).toEqual([]);
  }, 60_000);

  test('a client that honours Retry-After gets all 100 placed, each exactly once', async () => {
    const started = Date.now();
    const deadline = started + 150_000;
    let retries = 0;
    const finals = await Promise.all(requests.map(async (r, i) => {
      let answer = firstAnswers[i];
      while (answer.status !== 200 && Date.now() < deadline) {
        expect(answer.headers['retry-after']).toMatch(/^[1-9]\d*$/);
        await sleep(Number(answer.headers['retry-after']) * 1_000 + Math.floor(Math.random() * 200));
        retries += 1;
        answer = await stand.invoke(scenario, stand.event(r.body, { idempotencyKey: r.key }));
        if (answer.status !== 200) expect(['RATE_LIMITED', 'IDEMPOTENCY_IN_PROGRESS']).toContain(answer.code);
      }
      return answer;
    }));
    const seconds = (Date.now() - started) / 1000;
    scenario.notes.push(`honouring Retry-After: all ${finals.filter((a) => a.status === 200).length} placed after ${retries} retries in ${seconds.toFixed(1)} s`);
    requests.forEach((r, i) => {
      expect({ key: r.key, status: finals[i].status }).toEqual({ key: r.key, status: 200 });
      expect(contactsFor(stand, r.key)).toEqual([finals[i].body.data.id]);
    });
    expect(stand.sim.contacts).toHaveLength(100);
    scenario.connectCalls += 100 - firstAnswers.filter((a) => a.status === 200).length;
    const audit = await expectAgreement(scenario, stand);
    expect(audit.completed).toBe(100);
    expect(audit.unrecordedContacts).toEqual([]);
  }, 180_000);

  test('no raw phone number in the logs of the load runs', () => {
    expectNoNumbersInLogs(scenario, time.mark());
  });
});
