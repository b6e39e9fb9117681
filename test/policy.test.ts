import { Aspects, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import {
  AwsSolutionsChecks, INagLogger, NagLoggerErrorData, NagLoggerNonComplianceData, NagLoggerSuppressedData,
  ServerlessChecks,
} from 'cdk-nag';
import { CallerAuthorization, OutboundCaller, OutboundCallerProps } from '../src';
import { AcknowledgingGuardValidator, GuardRun, describeViolations } from './support/acknowledging-guard-validator';
import { removeTestApps, testApp } from './support/cdk-test-app';
import { INSTANCE_ID, REQUIRED_PROPS, fullyConfiguredProps, monitorFully } from './support/fixtures';

/**
 * Policy checks of synthesized stacks: cdk-nag 2.x (AwsSolutions and
 * Serverless packs, as Aspects) and cfn-guard's Control Tower rules (through
 * the App's policy validation). OutboundCaller acknowledges, on the resources
 * themselves, the findings its design justifies; everything else must either
 * not occur or stay visible to the user.
 */

afterAll(removeTestApps);

// ---------------------------------------------------------------------------
// Running the checks
// ---------------------------------------------------------------------------

interface NagFinding {
  readonly rule: string;
  /** Construct path below the stack, e.g. `Caller/Handler/Resource`. */
  readonly path: string;
  /** cdk-nag's finding id: the rule id, or for IAM5 the offending value (`Resource::*`). */
  readonly finding: string;
  readonly level: string;
  readonly reason?: string;
}

class RecordingNagLogger implements INagLogger {
  public readonly unacknowledged: NagFinding[] = [];
  public readonly acknowledged: NagFinding[] = [];
  public readonly errors: string[] = [];

  onNonCompliance(data: NagLoggerNonComplianceData): void {
    this.unacknowledged.push(finding(data));
  }

  onSuppressed(data: NagLoggerSuppressedData): void {
    this.acknowledged.push({ ...finding(data), reason: data.suppressionReason });
  }

  onError(data: NagLoggerErrorData): void {
    this.errors.push(`${data.ruleId} on ${data.resource.node.path}: ${data.errorMessage}`);
  }

  onCompliance(): void {}
  onSuppressedError(): void {}
  onNotApplicable(): void {}
}

function finding(data: NagLoggerNonComplianceData): NagFinding {
  return {
    rule: data.ruleId,
    path: data.resource.node.path.split('/').slice(1).join('/'),
    finding: data.findingId,
    level: data.ruleLevel,
  };
}

interface PolicyRun {
  readonly nag: RecordingNagLogger;
  /** Error and warning annotations in the cloud assembly (cdk-nag 2.x reports findings this way). */
  readonly annotations: string[];
  readonly guard: GuardRun;
}

/** Synthesizes one stack with OutboundCaller, cdk-nag and the acknowledging cfn-guard validator, once. */
function runPolicyChecks(
  props: (stack: Stack) => Partial<OutboundCallerProps>, extra?: (stack: Stack, caller: OutboundCaller) => void,
): PolicyRun {
  const guard = new AcknowledgingGuardValidator();
  const app = quietly(() => testApp({
    policyValidationBeta1: [guard],
    context: {
      // Construct paths in the template, for the guard table.
      'aws:cdk:enable-path-metadata': true,
      // The tests assert on the validator's record instead: on 2.257.0 a failed
      // validation prints the report and sets process.exitCode (it does not throw),
      // which would fail the jest run outside of any test.
      '@aws-cdk/core:failSynthOnValidationErrors': false,
    },
  }));
  const stack = new Stack(app, 'PolicyCheck');
  const caller = new OutboundCaller(stack, 'Caller', { ...REQUIRED_PROPS, ...props(stack) });
  extra?.(stack, caller);
  const nag = new RecordingNagLogger();
  Aspects.of(app).add(new AwsSolutionsChecks({ additionalLoggers: [nag], reports: false }));
  Aspects.of(app).add(new ServerlessChecks({ additionalLoggers: [nag], reports: false }));

  const assembly = quietly(() => app.synth());
  const annotations = assembly.getStackArtifact(stack.artifactId).messages
    .filter((message) => message.level === 'error' || message.level === 'warning')
    .map((message) => `${message.level} ${message.id}: ${String(message.entry.data).split('\n')[0]}`);
  return { nag, annotations, guard: guard.lastRun };
}

/**
 * Runs `fn` without the two lines every synth here prints: the deprecation
 * warning of `policyValidationBeta1` (the API cdk-validator-cfnguard documents; it
 * works on 2.257.0) and "Performing Policy Validations".
 */
function quietly<T>(fn: () => T): T {
  const deprecated = process.env.JSII_DEPRECATED;
  process.env.JSII_DEPRECATED = 'quiet';
  const error = jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    if (!(args.length === 1 && typeof args[0] === 'string' && args[0].startsWith('Performing Policy Validations'))) {
      process.stderr.write(`${args.map(String).join(' ')}\n`);
    }
  });
  try {
    return fn();
  } finally {
    error.mockRestore();
    if (deprecated === undefined) delete process.env.JSII_DEPRECATED;
    else process.env.JSII_DEPRECATED = deprecated;
  }
}

function describeNag(findings: NagFinding[]): string {
  return findings.map((f) => `${f.level} ${f.rule} on ${f.path} [${f.finding}]`).join('\n');
}

/** `rule @ path [finding]`, sorted: a stable set to compare. */
function nagKeys(findings: NagFinding[]): string[] {
  return [...new Set(findings.map((f) => hasOwnFinding(f) ? `${f.rule} @ ${f.path} [${f.finding}]` : `${f.rule} @ ${f.path}`))].sort();
}

/** IAM5-style rules name the offending value; others leave the finding id empty (or the rule id). */
function hasOwnFinding(f: NagFinding): boolean {
  return f.finding !== '' && f.finding !== f.rule;
}

function guardKeys(run: GuardRun): string[] {
  return run.acknowledged.map((ack) => `${ack.ruleName} @ ${guardResource(ack.constructPath ?? ack.resourceLogicalId)}`).sort();
}

/** Construct path below the stack; the Lambda permission's id embeds a hash of the API's path: hide it. */
function guardResource(constructPath: string): string {
  return constructPath.split('/').slice(1).join('/').replace(/\/ApiPermission\.[^/]*$/, '/ApiPermission');
}

/** Fails with the findings in the message, so a failure shows what to fix or acknowledge. */
function expectNoUnacknowledgedFindings(run: PolicyRun): void {
  expect(run.nag.errors).toEqual([]);
  expect(describeNag(run.nag.unacknowledged)).toBe('');
  expect(run.annotations).toEqual([]);
  expect(run.guard.error).toBeUndefined();
  expect(describeViolations(run.guard.unacknowledged)).toBe('');
}

// ---------------------------------------------------------------------------
// What the construct acknowledges, and why (the README lists this table)
// ---------------------------------------------------------------------------

/**
 * Control Tower guard rules OutboundCaller acknowledges, reviewed. The
 * reasons are summaries of the ones in src/outbound-caller.ts
 * (acknowledgeFindings); a rule not in this list must not be acknowledged.
 */
const REVIEWED_GUARD_RULES: Record<string, string> = {
  lambda_inside_vpc_check:
    'The handler calls only AWS APIs (Connect, DynamoDB) under IAM; a VPC adds NAT/endpoint cost and cold start without reducing exposure.',
  lambda_function_public_access_prohibited_check:
    'The principal is apigateway.amazonaws.com with SourceArn = this API\'s method; the rule cannot evaluate the Fn::Join that builds it.',
  cloudwatch_log_group_encrypted_check:
    'CloudWatch Logs encrypts at rest with service keys; the logs hold no phone numbers (masked to the last 4 digits).',
  api_gw_v1_execution_logging_enabled_check:
    'JSON access logs are on; execution logs need the account-wide API Gateway CloudWatch role (set executionLoggingLevel once it exists).',
  sqs_dlq_check:
    'The queue is itself the dead-letter queue of the contact-events rule and the status function.',
};

const CONNECT_WILDCARD_ENV_AGNOSTIC =
  `Resource::arn:<AWS::Partition>:connect:<AWS::Region>:<AWS::AccountId>:instance/${INSTANCE_ID}/contact/*`;
const CONNECT_WILDCARD_FROM_ARN = `Resource::arn:aws:connect:us-east-1:111122223333:instance/${INSTANCE_ID}/contact/*`;

const EXPECTED_GUARD_ACKNOWLEDGEMENTS = [
  'api_gw_v1_execution_logging_enabled_check @ Caller/Api/DeploymentStage.prod/Resource',
  'cloudwatch_log_group_encrypted_check @ Caller/AccessLogs/Resource',
  'cloudwatch_log_group_encrypted_check @ Caller/HandlerLogs/Resource',
  'cloudwatch_log_group_encrypted_check @ Caller/StatusLogs/Resource',
  'lambda_function_public_access_prohibited_check @ Caller/Api/Default/contact/outbound-voice/PUT/ApiPermission',
  'lambda_function_public_access_prohibited_check @ Caller/Api/Default/contact/outbound-voice/{contactId}/GET/ApiPermission',
  'lambda_inside_vpc_check @ Caller/Handler/Resource',
  'lambda_inside_vpc_check @ Caller/StatusFunction/Resource',
  'sqs_dlq_check @ Caller/StatusDeadLetterQueue/Resource',
].sort();

/** Findings of the call-status resources (callStatus: true, the default), in every configuration. */
const STATUS_NAG = [
  'AwsSolutions-IAM5 @ Caller/StatusRole/DefaultPolicy/Resource [Resource::*]',
  'Serverless-LambdaAsyncFailureDestination @ Caller/StatusFunction/EventInvokeConfig/Resource',
  'Serverless-SQSRedrivePolicy @ Caller/StatusDeadLetterQueue/Resource',
];

/** Findings of the batch-calls resources (batchCalls), in every configuration. */
const BATCH_NAG = [
  'AwsSolutions-IAM5 @ Caller/BatchApiRole/DefaultPolicy/Resource [Resource::*]',
  'Serverless-LambdaDLQ @ Caller/BatchApi/Resource',
  `AwsSolutions-IAM5 @ Caller/DispatcherRole/DefaultPolicy/Resource [${CONNECT_WILDCARD_ENV_AGNOSTIC}]`,
  'AwsSolutions-IAM5 @ Caller/DispatcherRole/DefaultPolicy/Resource [Resource::*]',
  'Serverless-LambdaDLQ @ Caller/Dispatcher/Resource',
  'Serverless-LambdaEventSourceMappingDestination @ Caller/Dispatcher/SqsEventSource:PolicyCheckCallerBatchQueue194C313F/Resource',
  'Serverless-SQSRedrivePolicy @ Caller/BatchDeadLetterQueue/Resource',
];

const BATCH_GUARD = [
  'cloudwatch_log_group_encrypted_check @ Caller/BatchApiLogs/Resource',
  'lambda_inside_vpc_check @ Caller/BatchApi/Resource',
  'cloudwatch_log_group_encrypted_check @ Caller/DispatcherLogs/Resource',
  'lambda_function_public_access_prohibited_check @ Caller/Api/Default/contact/outbound-voice/batches/POST/ApiPermission',
  'lambda_function_public_access_prohibited_check @ Caller/Api/Default/contact/outbound-voice/batches/{batchId}/GET/ApiPermission',
  'lambda_function_public_access_prohibited_check @ Caller/Api/Default/contact/outbound-voice/batches/{batchId}/DELETE/ApiPermission',
  'lambda_inside_vpc_check @ Caller/Dispatcher/Resource',
  'sqs_dlq_check @ Caller/BatchDeadLetterQueue/Resource',
];

/** tool | rule | resource | reason → the stacks it was seen in. */
const acknowledgedTable = new Map<string, Set<string>>();

function recordTable(stackName: string, run: PolicyRun): void {
  const rows = [
    ...run.nag.acknowledged.map((ack) => ['cdk-nag', ack.rule, hasOwnFinding(ack) ? `${ack.path} ${ack.finding}` : ack.path,
      (ack.reason ?? '').replace(/^\[[^\]]*\] /, '')]),
    ...run.guard.acknowledged.map((ack) => ['cfn-guard', ack.ruleName, guardResource(ack.constructPath ?? ack.resourceLogicalId),
      REVIEWED_GUARD_RULES[ack.ruleName] ?? '(not reviewed)']),
  ];
  for (const row of rows) {
    const key = `| ${row.join(' | ')} |`;
    acknowledgedTable.set(key, (acknowledgedTable.get(key) ?? new Set()).add(stackName));
  }
}

afterAll(() => {
  if (acknowledgedTable.size === 0) return;
  const lines = [...acknowledgedTable].map(([row, stacks]) => `${row} ${[...stacks].join(', ')} |`);
  console.log(['Findings acknowledged by OutboundCaller:', '', '| tool | rule | resource | reason | stacks |',
    '|---|---|---|---|---|', ...lines].join('\n'));
});

// ---------------------------------------------------------------------------
// (a) defaults and (b) every prop set: nothing left for the user to decide
// ---------------------------------------------------------------------------

describe.each([
  {
    name: 'defaults',
    props: (): Partial<OutboundCallerProps> => ({}),
    expectedNag: [
      'AwsSolutions-APIG3 @ Caller/Api/DeploymentStage.prod/Resource',
      'AwsSolutions-APIG6 @ Caller/Api/DeploymentStage.prod/Resource',
      'AwsSolutions-COG4 @ Caller/Api/Default/contact/outbound-voice/PUT/Resource',
      'AwsSolutions-COG4 @ Caller/Api/Default/contact/outbound-voice/{contactId}/GET/Resource',
      `AwsSolutions-IAM5 @ Caller/HandlerRole/DefaultPolicy/Resource [${CONNECT_WILDCARD_ENV_AGNOSTIC}]`,
      'AwsSolutions-IAM5 @ Caller/HandlerRole/DefaultPolicy/Resource [Resource::*]',
      'Serverless-LambdaDLQ @ Caller/Handler/Resource',
      ...STATUS_NAG,
    ],
  },
  {
    name: 'fully configured (Cognito, KMS keys, allow-lists, countries, throttle, window, concurrency, batch calls, alarms, dashboard)',
    props: fullyConfiguredProps,
    monitor: (stack: Stack, caller: OutboundCaller) => monitorFully(caller, stack),
    expectedNag: [
      'AwsSolutions-APIG3 @ Caller/Api/DeploymentStage.prod/Resource',
      'AwsSolutions-APIG6 @ Caller/Api/DeploymentStage.prod/Resource',
      `AwsSolutions-IAM5 @ Caller/HandlerRole/DefaultPolicy/Resource [${CONNECT_WILDCARD_FROM_ARN}]`,
      'AwsSolutions-IAM5 @ Caller/HandlerRole/DefaultPolicy/Resource [Resource::*]',
      'Serverless-LambdaDLQ @ Caller/Handler/Resource',
      ...STATUS_NAG,
      ...BATCH_NAG.map((key) => key.replace(CONNECT_WILDCARD_ENV_AGNOSTIC, CONNECT_WILDCARD_FROM_ARN)),
    ],
    guard: [...EXPECTED_GUARD_ACKNOWLEDGEMENTS, ...BATCH_GUARD].sort(),
  },
  {
    name: 'batch calls (batchCalls: {}, the rest defaults, alarms and dashboard)',
    props: (): Partial<OutboundCallerProps> => ({ batchCalls: {} }),
    monitor: (stack: Stack, caller: OutboundCaller) => monitorFully(caller, stack),
    expectedNag: [
      'AwsSolutions-APIG3 @ Caller/Api/DeploymentStage.prod/Resource',
      'AwsSolutions-APIG6 @ Caller/Api/DeploymentStage.prod/Resource',
      ...[
        'outbound-voice/PUT', 'outbound-voice/{contactId}/GET', 'outbound-voice/batches/POST',
        'outbound-voice/batches/{batchId}/GET', 'outbound-voice/batches/{batchId}/DELETE',
      ].map((method) => `AwsSolutions-COG4 @ Caller/Api/Default/contact/${method}/Resource`),
      `AwsSolutions-IAM5 @ Caller/HandlerRole/DefaultPolicy/Resource [${CONNECT_WILDCARD_ENV_AGNOSTIC}]`,
      'AwsSolutions-IAM5 @ Caller/HandlerRole/DefaultPolicy/Resource [Resource::*]',
      'Serverless-LambdaDLQ @ Caller/Handler/Resource',
      ...STATUS_NAG,
      ...BATCH_NAG,
    ],
    guard: [...EXPECTED_GUARD_ACKNOWLEDGEMENTS, ...BATCH_GUARD].sort(),
  },
])('policy checks of a stack with $name', ({ name, props, expectedNag, monitor, guard }: {
  name: string;
  props: (stack: Stack) => Partial<OutboundCallerProps>;
  expectedNag: string[];
  monitor?: (stack: Stack, caller: OutboundCaller) => void;
  guard?: string[];
}) => {
  const run = runPolicyChecks(props, monitor);
  recordTable(name.split(' ')[0], run);

  test('cdk-nag (AwsSolutions, Serverless) and cfn-guard (Control Tower) leave no unacknowledged finding', () => {
    expectNoUnacknowledgedFindings(run);
  });

  test('cdk-nag: the construct acknowledges exactly the reviewed findings, each with a reason', () => {
    expect(nagKeys(run.nag.acknowledged)).toEqual([...expectedNag].sort());
    for (const ack of run.nag.acknowledged) {
      expect(ack.reason?.replace(/^\[[^\]]*\] /, '').length).toBeGreaterThanOrEqual(60);
    }
  });

  test('cfn-guard: the construct acknowledges exactly the reviewed rules on the expected resources', () => {
    expect(guardKeys(run.guard)).toEqual(guard ?? EXPECTED_GUARD_ACKNOWLEDGEMENTS);
    for (const ack of run.guard.acknowledged) {
      expect(Object.keys(REVIEWED_GUARD_RULES)).toContain(ack.ruleName);
    }
  });
});

// ---------------------------------------------------------------------------
// The user's decisions stay visible
// ---------------------------------------------------------------------------

describe.each([
  { name: 'CallerAuthorization.none()', authorization: CallerAuthorization.none() },
  { name: 'CallerAuthorization.apiKey()', authorization: CallerAuthorization.apiKey() },
])('with $name', ({ authorization }) => {
  const run = runPolicyChecks(() => ({ authorization }));
  const methods = [
    'Caller/Api/Default/contact/outbound-voice/PUT/Resource',
    'Caller/Api/Default/contact/outbound-voice/{contactId}/GET/Resource',
  ];

  test('cdk-nag reports APIG4 and COG4 on both methods, and nothing else', () => {
    expect(nagKeys(run.nag.unacknowledged)).toEqual(
      methods.flatMap((method) => [`AwsSolutions-APIG4 @ ${method}`, `AwsSolutions-COG4 @ ${method}`]).sort());
    expect(run.nag.unacknowledged.every((f) => f.level === 'Error')).toBe(true);
  });

  test('the findings are error annotations in the assembly (what fails a cdk-nag pipeline)', () => {
    const escape = (text: string): string => text.replace(/[{}]/g, '\\$&');
    expect([...run.annotations].sort()).toEqual(methods.flatMap((method) => [
      expect.stringMatching(new RegExp(`^error /PolicyCheck/${escape(method)}: AwsSolutions-APIG4:`)),
      expect.stringMatching(new RegExp(`^error /PolicyCheck/${escape(method)}: AwsSolutions-COG4:`)),
    ]));
  });

  test('the construct acknowledges neither', () => {
    const acknowledgedRules = run.nag.acknowledged.map((f) => f.rule);
    expect(acknowledgedRules).not.toContain('AwsSolutions-APIG4');
    expect(acknowledgedRules).not.toContain('AwsSolutions-COG4');
  });

  test('cfn-guard has no rule about REST API authorization: nothing new there', () => {
    expect(describeViolations(run.guard.unacknowledged)).toBe('');
    expect(guardKeys(run.guard)).toEqual(EXPECTED_GUARD_ACKNOWLEDGEMENTS);
  });
});

describe('with alarms that notify nobody (addAlarms() without alarmActions)', () => {
  const run = runPolicyChecks(() => ({}), (_stack, caller) => {
    caller.addAlarms();
    caller.addDashboard();
  });

  test('cfn-guard reports each alarm without an action, and nothing else; cdk-nag has nothing to say', () => {
    const violations = run.guard.unacknowledged.flatMap((violation) =>
      violation.violatingResources.map(() => violation.ruleName));
    expect(violations).toEqual(Array(12).fill('cloudwatch_alarm_action_check'));
    expect(describeNag(run.nag.unacknowledged)).toBe('');
  });

  test('the construct leaves that decision visible: it acknowledges nothing on the alarms', () => {
    expect(guardKeys(run.guard)).toEqual(EXPECTED_GUARD_ACKNOWLEDGEMENTS);
    expect(run.nag.acknowledged.filter((f) => f.path.startsWith('Caller/Alarms') || f.path.startsWith('Caller/Dashboard'))).toEqual([]);
  });
});

describe('with tracing: false', () => {
  const run = runPolicyChecks(() => ({ tracing: false }));

  test('the X-Ray findings stay visible in cdk-nag and cfn-guard', () => {
    expect(nagKeys(run.nag.unacknowledged)).toEqual([
      'Serverless-APIGWXrayEnabled @ Caller/Api/DeploymentStage.prod/Resource',
      'Serverless-LambdaTracing @ Caller/Handler/Resource',
      'Serverless-LambdaTracing @ Caller/StatusFunction/Resource',
    ]);
    expect(run.guard.unacknowledged.map((violation) => violation.ruleName)).toEqual(['api_gw_xray_enabled_check']);
  });

  test('and the X-Ray wildcard is neither granted nor acknowledged', () => {
    expect(run.nag.acknowledged.filter((f) => f.finding === 'Resource::*')).toEqual([]);
  });
});

describe('the acknowledging guard validator', () => {
  test('acknowledges per resource: a log group without the metadata stays a violation', () => {
    const run = runPolicyChecks(() => ({}), (stack) => {
      new logs.LogGroup(stack, 'UnrelatedLogs', { retention: logs.RetentionDays.ONE_YEAR });
    });
    const remaining = run.guard.unacknowledged.flatMap((violation) =>
      violation.violatingResources.map((resource) => `${violation.ruleName} @ ${resource.resourceLogicalId}`));
    expect(remaining).toEqual([expect.stringMatching(/^cloudwatch_log_group_encrypted_check @ UnrelatedLogs/)]);
    expect(guardKeys(run.guard)).toEqual(EXPECTED_GUARD_ACKNOWLEDGEMENTS);
  });
});
