import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { classifyConnectFailure } from '../lambda/connect';
import { METRIC, RequestMetrics } from '../lambda/observability';
import { OutboundCaller, OutboundCallerAlarmsOptions, OutboundCallerProps } from '../src';
import { StdoutCapture } from './lambda/bundle';
import { removeTestApps, testApp } from './support/cdk-test-app';
import { Widget, dashboardBody, emfMetricKeys, metricKey, readMetric } from './support/dashboard';
import { REQUIRED_PROPS } from './support/fixtures';
import { ERROR_STATUS, METRICS } from '../src/private/contract';

afterAll(removeTestApps);

interface Built {
  readonly stack: Stack;
  readonly caller: OutboundCaller;
  readonly template: Template;
}

function build(props: Partial<OutboundCallerProps>, monitor: (caller: OutboundCaller, stack: Stack) => void): Built {
  const stack = new Stack(testApp(), 'Test');
  const caller = new OutboundCaller(stack, 'Caller', { ...REQUIRED_PROPS, ...props });
  monitor(caller, stack);
  return { stack, caller, template: Template.fromStack(stack) };
}

type CfnAlarm = { Properties: Record<string, any> };

/** Alarms by the id of their construct (`Caller/Alarms/<id>`). */
function alarmsById(built: Built): Record<string, CfnAlarm> {
  const byLogicalId = built.template.findResources('AWS::CloudWatch::Alarm') as Record<string, CfnAlarm>;
  const alarms = built.caller.node.findChild('Alarms');
  return Object.fromEntries(alarms.node.children
    .filter((child): child is cloudwatch.Alarm => child instanceof cloudwatch.Alarm)
    .map((alarm) => [alarm.node.id, byLogicalId[built.stack.getLogicalId(alarm.node.defaultChild as cloudwatch.CfnAlarm)]]));
}

function ref(built: Built, construct: { node: { defaultChild?: unknown } }): { Ref: string } {
  return { Ref: built.stack.getLogicalId(construct.node.defaultChild as cloudwatch.CfnAlarm) };
}

const ALL_ALARMS = [
  'ServerErrorRate', 'RateLimited', 'ConnectResourceNotFound', 'ConnectOutboundNotPermitted', 'ConnectAccessDenied',
  'ConnectServiceErrors', 'LedgerUnavailable', 'HandlerErrors', 'HandlerThrottles', 'HandlerDuration',
  'StatusDeadLetters', 'StatusEventFailures',
];

describe('addAlarms() with the defaults', () => {
  const built = build({}, (caller) => caller.addAlarms());
  const alarms = alarmsById(built);
  const handlerRef = ref(built, built.caller.handler);
  const dims = (alarm: CfnAlarm): Record<string, unknown> =>
    Object.fromEntries((alarm.Properties.Dimensions ?? []).map((d: { Name: string; Value: unknown }) => [d.Name, d.Value]));

  test('creates one alarm per way calls stop going out, and nothing without addAlarms()', () => {
    expect(Object.keys(alarms).sort()).toEqual([...ALL_ALARMS].sort());
    const plain = build({}, () => undefined);
    plain.template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    plain.template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
  });

  test('each description says what it means and what to check first; missing data is not breaching; no actions', () => {
    for (const [id, alarm] of Object.entries(alarms)) {
      expect([id, alarm.Properties.AlarmDescription]).toEqual([id, expect.stringMatching(/\. Check first: .+\. Missing data is not breaching \(.+\)\.$/)]);
      expect(alarm.Properties.TreatMissingData).toBe('notBreaching');
      expect(alarm.Properties.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
      expect(alarm.Properties.AlarmActions).toBeUndefined();
      expect(alarm.Properties.AlarmName).toBeUndefined();
    }
  });

  test('handler metrics come from the contract: namespace, name and the Code / ErrorType breakdown', () => {
    const own = (alarm: CfnAlarm, name: string, extra: Record<string, string>): void => {
      expect(alarm.Properties).toEqual(expect.objectContaining({
        Namespace: METRICS.namespace, MetricName: name, Statistic: 'Sum', Period: 300,
      }));
      expect(dims(alarm)).toEqual({ [METRICS.dimensions.functionName]: handlerRef, ...extra });
    };
    own(alarms.RateLimited, METRICS.names.rejections, { [METRICS.dimensions.code]: 'RATE_LIMITED' });
    own(alarms.ConnectServiceErrors, METRICS.names.rejections, { [METRICS.dimensions.code]: 'UPSTREAM_ERROR' });
    own(alarms.LedgerUnavailable, METRICS.names.rejections, { [METRICS.dimensions.code]: 'LEDGER_UNAVAILABLE' });
    own(alarms.ConnectResourceNotFound, METRICS.names.connectErrors, { [METRICS.dimensions.errorType]: 'ResourceNotFoundException' });
    own(alarms.ConnectOutboundNotPermitted, METRICS.names.connectErrors, {
      [METRICS.dimensions.errorType]: 'OutboundContactNotPermittedException',
    });
    own(alarms.ConnectAccessDenied, METRICS.names.connectErrors, { [METRICS.dimensions.errorType]: 'AccessDeniedException' });
  });

  test('each Connect alarm names the answer the handler really gives for that exception', () => {
    for (const [id, errorType] of [
      ['ConnectResourceNotFound', 'ResourceNotFoundException'],
      ['ConnectOutboundNotPermitted', 'OutboundContactNotPermittedException'],
      ['ConnectAccessDenied', 'AccessDeniedException'],
    ]) {
      const failure = classifyConnectFailure({ name: errorType, $fault: 'client', $metadata: { httpStatusCode: 400 } }, '+14155550123');
      expect(failure.errorType).toBe(errorType);
      expect(alarms[id].Properties.AlarmDescription).toContain(`${ERROR_STATUS[failure.apiError.code]} ${failure.apiError.code}`);
    }
  });

  test('default thresholds: 5 % 5xx, 429s in 3 periods running, 3 upstream errors, 20 s of the 25 s timeout, else 1', () => {
    const thresholds = Object.fromEntries(Object.entries(alarms).map(([id, alarm]) => [id, alarm.Properties.Threshold]));
    expect(thresholds).toEqual({
      ServerErrorRate: 5,
      RateLimited: 1,
      ConnectResourceNotFound: 1,
      ConnectOutboundNotPermitted: 1,
      ConnectAccessDenied: 1,
      ConnectServiceErrors: 3,
      LedgerUnavailable: 1,
      HandlerErrors: 1,
      HandlerThrottles: 1,
      HandlerDuration: 20_000,
      StatusDeadLetters: 1,
      StatusEventFailures: 1,
    });
    expect(alarms.RateLimited.Properties).toEqual(expect.objectContaining({ EvaluationPeriods: 3, DatapointsToAlarm: 3 }));
    expect(alarms.LedgerUnavailable.Properties).toEqual(expect.objectContaining({ EvaluationPeriods: 1, DatapointsToAlarm: 1 }));
  });

  test('the 5xx rate is 100 × the average of 5XXError of the API stage', () => {
    const metrics = alarms.ServerErrorRate.Properties.Metrics as Array<Record<string, any>>;
    expect(metrics).toEqual(expect.arrayContaining([
      expect.objectContaining({ Expression: '100 * faults', ReturnData: true }),
      expect.objectContaining({
        Id: 'faults',
        ReturnData: false,
        MetricStat: expect.objectContaining({
          Stat: 'Average',
          Metric: expect.objectContaining({
            Namespace: 'AWS/ApiGateway',
            MetricName: '5XXError',
            Dimensions: expect.arrayContaining([{ Name: 'ApiName', Value: expect.anything() }, { Name: 'Stage', Value: expect.anything() }]),
          }),
        }),
      }),
    ]));
  });

  test('Lambda, SQS and EventBridge alarms watch this construct\'s function, queue and rule', () => {
    expect(alarms.HandlerErrors.Properties).toEqual(expect.objectContaining({ Namespace: 'AWS/Lambda', MetricName: 'Errors' }));
    expect(dims(alarms.HandlerErrors)).toEqual({ FunctionName: handlerRef });
    expect(alarms.HandlerThrottles.Properties.MetricName).toBe('Throttles');
    expect(alarms.HandlerDuration.Properties).toEqual(expect.objectContaining({ MetricName: 'Duration', Statistic: 'Maximum' }));
    expect(alarms.StatusDeadLetters.Properties).toEqual(expect.objectContaining({
      Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Statistic: 'Maximum',
    }));
    expect(dims(alarms.StatusDeadLetters)).toEqual({ QueueName: { 'Fn::GetAtt': [ref(built, built.caller.deadLetterQueue!).Ref, 'QueueName'] } });
    const failures = JSON.stringify(alarms.StatusEventFailures.Properties.Metrics);
    expect(failures).toContain('FILL(errors, 0) + FILL(failed, 0)');
    expect(failures).toContain(JSON.stringify({ Name: 'RuleName', Value: ref(built, built.caller.contactEventsRule!) }));
    expect(failures).toContain(JSON.stringify({ Name: 'FunctionName', Value: ref(built, built.caller.statusFunction!) }));
  });
});

describe('addAlarms() options', () => {
  test('alarm and OK actions, name prefix, period and every threshold can be set', () => {
    let topic: sns.Topic | undefined;
    const options: OutboundCallerAlarmsOptions = {
      alarmNamePrefix: 'Calls',
      period: Duration.minutes(1),
      serverErrorRateThreshold: 10,
      rateLimitedThreshold: 4,
      rateLimitedEvaluationPeriods: 5,
      connectConfigurationErrorThreshold: 2,
      connectServiceErrorThreshold: 6,
      ledgerUnavailableThreshold: 7,
      handlerErrorThreshold: 8,
      handlerThrottleThreshold: 9,
      durationThresholdPercent: 50,
      deadLetterThreshold: 11,
      statusFailureThreshold: 12,
    };
    const built = build({ timeout: Duration.seconds(10) }, (caller, stack) => {
      topic = new sns.Topic(stack, 'OnCall', { enforceSSL: true });
      caller.addAlarms({ ...options, alarmActions: [new actions.SnsAction(topic)], okActions: [new actions.SnsAction(topic)] });
    });
    const alarms = alarmsById(built);
    expect(Object.fromEntries(Object.entries(alarms).map(([id, alarm]) => [id, alarm.Properties.Threshold]))).toEqual({
      ServerErrorRate: 10,
      RateLimited: 4,
      ConnectResourceNotFound: 2,
      ConnectOutboundNotPermitted: 2,
      ConnectAccessDenied: 2,
      ConnectServiceErrors: 6,
      LedgerUnavailable: 7,
      HandlerErrors: 8,
      HandlerThrottles: 9,
      HandlerDuration: 5_000,
      StatusDeadLetters: 11,
      StatusEventFailures: 12,
    });
    const topicRef = { Ref: built.stack.getLogicalId(topic!.node.defaultChild as sns.CfnTopic) };
    for (const [id, alarm] of Object.entries(alarms)) {
      expect(alarm.Properties).toEqual(expect.objectContaining({
        AlarmName: `Calls-${id}`, AlarmActions: [topicRef], OKActions: [topicRef],
      }));
    }
    expect(alarms.RateLimited.Properties).toEqual(expect.objectContaining({ EvaluationPeriods: 5, Period: 60 }));
  });

  test('with callStatus: false there are no status alarms', () => {
    const built = build({ callStatus: false }, (caller) => caller.addAlarms());
    expect(Object.keys(alarmsById(built)).sort()).toEqual(ALL_ALARMS.filter((id) => !id.startsWith('Status')).sort());
  });

  test.each([
    ['rateLimitedThreshold', { rateLimitedThreshold: 0 }, 0, /must be greater than 0/],
    ['handlerErrorThreshold', { handlerErrorThreshold: -1 }, -1, /must be greater than 0/],
    ['rateLimitedEvaluationPeriods', { rateLimitedEvaluationPeriods: 0 }, 0, /must be greater than 0/],
    ['serverErrorRateThreshold', { serverErrorRateThreshold: 0 }, 0, /must be a percentage above 0 and at most 100/],
    ['durationThresholdPercent', { durationThresholdPercent: 120 }, 120, /must be a percentage above 0 and at most 100/],
    ['period', { period: Duration.seconds(45) }, '45 seconds', /must be 10 s, 30 s or a multiple of 60 s/],
  ])('%s that would always or never fire is refused with the prop, the value and the fix', (prop, options, value, rule) => {
    expect(() => build({}, (caller) => caller.addAlarms(options as OutboundCallerAlarmsOptions)))
      .toThrow(new RegExp(`^OutboundCallerAlarms: 1 problem\\(s\\) in props:\\n  - ${prop} ${rule.source}.*; got ${JSON.stringify(value)}\\. Use `));
  });

  test('a second addAlarms() is refused with what to do instead', () => {
    expect(() => build({}, (caller) => {
      caller.addAlarms();
      caller.addAlarms();
    })).toThrow(/addAlarms\(\) was already called on this construct; got a second call\. Call it once/);
  });
});

// ---------------------------------------------------------------------------
// The dashboard
// ---------------------------------------------------------------------------

/**
 * What the handlers really emit, from their own code: the handler's
 * RequestMetrics writes the EMF documents (namespace, metric, dimension sets)
 * for every metric name, plus the Code and ErrorType breakdowns the handler
 * adds to rejections and Connect errors. Returns `namespace|name|dim,dim`.
 */
function emittedMetrics(): Set<string> {
  const capture = new StdoutCapture();
  capture.start();
  try {
    for (const name of Object.values(METRIC)) {
      const plain = new RequestMetrics(METRICS.namespace, 'fn');
      plain.add(name, 1);
      plain.flush();
    }
    const rejected = new RequestMetrics(METRICS.namespace, 'fn');
    rejected.add(METRIC.rejections, 1);
    rejected.breakdown('Code', 'RATE_LIMITED');
    rejected.flush();
    const connectError = new RequestMetrics(METRICS.namespace, 'fn');
    connectError.add(METRIC.connectErrors, 1);
    connectError.breakdown('ErrorType', 'LimitExceededException');
    connectError.flush();
  } finally {
    capture.stop();
  }
  return emfMetricKeys(capture.json().filter((line) => line._aws));
}

describe('addDashboard()', () => {
  const built = build({}, (caller) => caller.addDashboard());
  const body = dashboardBody(built.template);
  const titled = (prefix: string): Widget => body.widgets.find((w) => w.properties.title?.startsWith(prefix))!;
  const logical = (construct: { node: { defaultChild?: unknown } }): string =>
    built.stack.getLogicalId(construct.node.defaultChild as cloudwatch.CfnAlarm);

  test('has the widgets a team needs to see whether calls go out', () => {
    expect(body.widgets.map((w) => w.properties.title)).toEqual([
      'Calls: started, connected and failed',
      'Rejections by code',
      'Latency p50/p99 (ms)',
      'Connect errors by type',
      'Throttling',
      'Ledger latency p50/p99 (ms)',
      'Status pipeline: contact events',
    ]);
  });

  test('every metric of the handlers on it is one they really emit: namespace, name and dimension set', () => {
    const emitted = emittedMetrics();
    const own = body.widgets.flatMap((w) => w.properties.metrics ?? []).map(readMetric)
      .filter((metric) => metric.namespace === METRICS.namespace);
    expect(own.length).toBeGreaterThan(20);
    for (const metric of own) {
      expect(emitted).toContain(metricKey(metric.namespace, metric.name, Object.keys(metric.dimensions)));
    }
  });

  test('the handler\'s metrics are of this construct\'s functions: handler, and the status function for call outcomes', () => {
    const own = body.widgets.flatMap((w) => w.properties.metrics ?? []).map(readMetric)
      .filter((metric) => metric.namespace === METRICS.namespace);
    for (const metric of own) {
      const fn = [METRIC.callsConnected, METRIC.callsFailed].includes(metric.name as never)
        ? built.caller.statusFunction! : built.caller.handler;
      expect([metric.name, metric.dimensions.FunctionName]).toEqual([metric.name, `\${${logical(fn)}}`]);
    }
  });

  test('rejections are charted for every error code of the contract, Connect errors by each type and in total', () => {
    const codes = titled('Rejections').properties.metrics!.map(readMetric).map((m) => m.dimensions.Code);
    expect(codes.sort()).toEqual(Object.keys(ERROR_STATUS).sort());
    const types = titled('Connect errors').properties.metrics!.map(readMetric).map((m) => m.dimensions.ErrorType);
    expect(types).toContain(undefined); // the total
    expect(types).toEqual(expect.arrayContaining(['LimitExceededException', 'ResourceNotFoundException', 'InternalServiceException']));
  });

  test('latency shows p50 and p99 of the API and the handler; ledger latency p50 and p99', () => {
    const stats = (prefix: string): string[] => titled(prefix).properties.metrics!
      .map((row) => `${readMetric(row).namespace}/${readMetric(row).name} ${(row[row.length - 1] as { stat: string }).stat}`);
    expect(stats('Latency')).toEqual([
      'AWS/ApiGateway/Latency p50', 'AWS/ApiGateway/Latency p99', 'AWS/Lambda/Duration p50', 'AWS/Lambda/Duration p99',
    ]);
    expect(stats('Ledger latency')).toEqual([`${METRICS.namespace}/${METRIC.ledgerLatency} p50`, `${METRICS.namespace}/${METRIC.ledgerLatency} p99`]);
  });

  test('the status pipeline shows the rule, the status function and the dead-letter queue of this construct', () => {
    const metrics = titled('Status pipeline').properties.metrics!.map(readMetric);
    expect(metrics.map((m) => `${m.namespace}/${m.name}`)).toEqual([
      'AWS/Events/MatchedEvents', 'AWS/Lambda/Invocations', 'AWS/Lambda/Errors', 'AWS/Events/FailedInvocations',
      'AWS/SQS/ApproximateNumberOfMessagesVisible',
    ]);
    expect(metrics[0].dimensions.RuleName).toBe(`\${${logical(built.caller.contactEventsRule!)}}`);
    expect(metrics[1].dimensions.FunctionName).toBe(`\${${logical(built.caller.statusFunction!)}}`);
  });

  test('with callStatus: false it has no call outcomes and no status pipeline', () => {
    const plain = dashboardBody(build({ callStatus: false }, (caller) => caller.addDashboard()).template);
    expect(plain.widgets.map((w) => w.properties.title)).not.toContain('Status pipeline: contact events');
    const names = plain.widgets.flatMap((w) => w.properties.metrics ?? []).map((row) => readMetric(row).name);
    expect(names).not.toContain(METRIC.callsConnected);
  });

  test.each([
    ['addAlarms() first', (caller: OutboundCaller) => { caller.addAlarms(); caller.addDashboard({ dashboardName: 'Calls' }); }],
    ['addDashboard() first', (caller: OutboundCaller) => { caller.addDashboard({ dashboardName: 'Calls' }); caller.addAlarms(); }],
  ])('with alarms too (%s) it shows their status', (_order, monitor) => {
    const both = build({}, monitor);
    both.template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'Calls' });
    const widget = dashboardBody(both.template).widgets.find((w) => w.type === 'alarm');
    expect(widget?.properties.alarms).toHaveLength(ALL_ALARMS.length);
  });

  test('a second addDashboard() is refused', () => {
    expect(() => build({}, (caller) => {
      caller.addDashboard();
      caller.addDashboard();
    })).toThrow(/addDashboard\(\) was already called on this construct/);
  });

  test('the default view is the last 24 hours', () => {
    expect((body as { start?: string }).start).toBe('-P1D');
  });
});

describe('with batchCalls', () => {
  const built = build({ batchCalls: {} }, (caller) => {
    caller.addAlarms();
    caller.addDashboard();
  });
  const alarms = alarmsById(built);
  const dims = (alarm: CfnAlarm): Record<string, unknown> =>
    Object.fromEntries((alarm.Properties.Dimensions ?? []).map((d: { Name: string; Value: unknown }) => [d.Name, d.Value]));
  const queueName = (queue: { node: { defaultChild?: unknown } }): unknown => ({ 'Fn::GetAtt': [ref(built, queue).Ref, 'QueueName'] });

  test('addAlarms() adds the dispatch queue\'s age, its dead-letter queue, the dispatcher\'s and the batch API function\'s errors', () => {
    expect(Object.keys(alarms).sort()).toEqual([...ALL_ALARMS, 'BatchQueueAge', 'BatchDeadLetters', 'DispatcherErrors', 'BatchApiErrors'].sort());
    expect(built.caller.node.findChild('Alarms')).toEqual(expect.objectContaining({
      batchQueueAge: expect.anything(), batchDeadLetters: expect.anything(), dispatcherErrors: expect.anything(), batchApiErrors: expect.anything(),
    }));
  });

  test('the batch API function alarm: its Lambda Errors, at the handler\'s threshold', () => {
    expect(alarms.BatchApiErrors.Properties).toEqual(expect.objectContaining({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Threshold: 1 }));
    expect(dims(alarms.BatchApiErrors)).toEqual({ FunctionName: ref(built, built.caller.batchApiFunction!) });
    const custom = alarmsById(build({ batchCalls: {} }, (caller) => caller.addAlarms({ handlerErrorThreshold: 4 })));
    expect(custom.BatchApiErrors.Properties.Threshold).toBe(4);
  });

  test('the age alarm: ApproximateAgeOfOldestMessage (maximum) of the dispatch queue, at 1 hour by default', () => {
    expect(alarms.BatchQueueAge.Properties).toEqual(expect.objectContaining({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Statistic: 'Maximum',
      Threshold: 3600,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    }));
    expect(dims(alarms.BatchQueueAge)).toEqual({ QueueName: queueName(built.caller.batchQueue!) });
    expect(alarms.BatchQueueAge.Properties.AlarmDescription).toMatch(/Check first: .*dispatcher/);
  });

  test('the dead-letter alarm: visible messages (maximum) of the batch dead-letter queue, at 1', () => {
    expect(alarms.BatchDeadLetters.Properties).toEqual(expect.objectContaining({
      Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Statistic: 'Maximum', Threshold: 1,
    }));
    expect(dims(alarms.BatchDeadLetters)).toEqual({ QueueName: queueName(built.caller.batchDeadLetterQueue!) });
    expect(alarms.BatchDeadLetters.Properties.AlarmDescription).toMatch(/redrive/);
  });

  test('the dispatcher alarm: its Lambda Errors, at 1', () => {
    expect(alarms.DispatcherErrors.Properties).toEqual(expect.objectContaining({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Threshold: 1 }));
    expect(dims(alarms.DispatcherErrors)).toEqual({ FunctionName: ref(built, built.caller.batchDispatcher!) });
  });

  test('thresholds can be set, and are checked', () => {
    const custom = alarmsById(build({ batchCalls: {} }, (caller) => caller.addAlarms({
      batchQueueAgeThreshold: Duration.minutes(15), batchDeadLetterThreshold: 5, dispatcherErrorThreshold: 3,
    })));
    expect([custom.BatchQueueAge, custom.BatchDeadLetters, custom.DispatcherErrors].map((a) => a.Properties.Threshold)).toEqual([900, 5, 3]);
    const refused = (options: OutboundCallerAlarmsOptions): string => {
      try {
        build({ batchCalls: {} }, (caller) => caller.addAlarms(options));
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('expected addAlarms() to throw');
    };
    expect(refused({ batchQueueAgeThreshold: Duration.seconds(30) })).toMatch(/batchQueueAgeThreshold must be at least 1 minute.*got "30 seconds"/);
    expect(refused({ batchDeadLetterThreshold: 0 })).toMatch(/batchDeadLetterThreshold must be greater than 0/);
    expect(refused({ dispatcherErrorThreshold: -1 })).toMatch(/dispatcherErrorThreshold must be greater than 0/);
  });

  test('the dashboard shows the dispatch queue (depth, in flight, dead letters, oldest age), the dispatcher and the batch API function', () => {
    const body = dashboardBody(built.template);
    const titles = body.widgets.map((w) => w.properties.title);
    expect(titles).toEqual(expect.arrayContaining(['Batch calls: dispatch queue', 'Batch calls: dispatcher']));
    const metrics = (title: string): Array<{ namespace: string; name: string; dimensions: Record<string, string> }> =>
      body.widgets.find((w) => w.properties.title === title)!.properties.metrics!.map(readMetric);
    const logical = (construct: { node: { defaultChild?: unknown } }): string => ref(built, construct).Ref;
    expect(metrics('Batch calls: dispatch queue').map((m) => `${m.name} ${m.dimensions.QueueName}`)).toEqual([
      `ApproximateNumberOfMessagesVisible \${${logical(built.caller.batchQueue!)}.QueueName}`,
      `ApproximateNumberOfMessagesNotVisible \${${logical(built.caller.batchQueue!)}.QueueName}`,
      `ApproximateNumberOfMessagesVisible \${${logical(built.caller.batchDeadLetterQueue!)}.QueueName}`,
      `ApproximateAgeOfOldestMessage \${${logical(built.caller.batchQueue!)}.QueueName}`,
    ]);
    expect(metrics('Batch calls: dispatcher').map((m) => `${m.namespace}/${m.name} ${m.dimensions.FunctionName}`)).toEqual(
      ['Invocations', 'Errors', 'Throttles', 'Duration'].map((name) => `AWS/Lambda/${name} \${${logical(built.caller.batchDispatcher!)}}`));
    expect(metrics('Batch calls: batch API function (submit, status, cancel)').map((m) => `${m.namespace}/${m.name} ${m.dimensions.FunctionName}`))
      .toEqual(['Invocations', 'Errors', 'Throttles', 'Duration'].map((name) => `AWS/Lambda/${name} \${${logical(built.caller.batchApiFunction!)}}`));
    const widget = body.widgets.find((w) => w.type === 'alarm');
    expect(widget?.properties.alarms).toHaveLength(ALL_ALARMS.length + 4);
  });

  test('without batchCalls, none of it', () => {
    const plain = build({}, (caller) => { caller.addAlarms(); caller.addDashboard(); });
    expect(Object.keys(alarmsById(plain))).not.toContain('BatchQueueAge');
    expect(dashboardBody(plain.template).widgets.map((w) => w.properties.title)).not.toContain('Batch calls: dispatch queue');
  });
});
