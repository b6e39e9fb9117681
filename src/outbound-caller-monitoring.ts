import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { OutboundCaller } from './outbound-caller';
import { ERROR_STATUS, ErrorCode, METRICS } from './private/contract';
import { PropsProblems } from './private/props-validation';

/**
 * Options of `OutboundCaller.addAlarms()`. Every threshold can be overridden;
 * the README's "Alarms" section gives the reasoning behind each default and
 * each alarm's treatment of missing data.
 */
export interface OutboundCallerAlarmsOptions {
  /**
   * Actions when an alarm goes to ALARM (e.g. an `SnsAction`).
   *
   * @default - none: the alarms change state and show on the dashboard, nobody is notified
   */
  readonly alarmActions?: cloudwatch.IAlarmAction[];

  /**
   * Actions when an alarm goes back to OK.
   *
   * @default - none
   */
  readonly okActions?: cloudwatch.IAlarmAction[];

  /**
   * Prefix of the alarm names (`<prefix>-<alarm>`, e.g. `Calls-LedgerUnavailable`).
   *
   * @default - CloudFormation generates the names
   */
  readonly alarmNamePrefix?: string;

  /**
   * The period each alarm sums or averages over.
   *
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;

  /**
   * API 5xx rate, in percent of requests in one period, at or above which the
   * server-error alarm fires.
   *
   * @default 5
   */
  readonly serverErrorRateThreshold?: number;

  /**
   * Requests answered 429 RATE_LIMITED because Connect's quota was saturated
   * (after the SDK's retries), per period, at or above which a period counts
   * toward the rate-limited alarm.
   *
   * @default 1
   */
  readonly rateLimitedThreshold?: number;

  /**
   * Consecutive periods at or above `rateLimitedThreshold` before the
   * rate-limited alarm fires ("sustained").
   *
   * @default 3
   */
  readonly rateLimitedEvaluationPeriods?: number;

  /**
   * Connect configuration errors (ResourceNotFoundException,
   * OutboundContactNotPermittedException, AccessDeniedException), per kind and
   * period, at or above which that kind's alarm fires.
   *
   * @default 1
   */
  readonly connectConfigurationErrorThreshold?: number;

  /**
   * Requests answered 502 UPSTREAM_ERROR (Connect failed or did not confirm
   * the call), per period, at or above which the Connect-service alarm fires.
   *
   * @default 3
   */
  readonly connectServiceErrorThreshold?: number;

  /**
   * Requests answered 503 LEDGER_UNAVAILABLE, per period, at or above which
   * the ledger alarm fires.
   *
   * @default 1
   */
  readonly ledgerUnavailableThreshold?: number;

  /**
   * Handler invocation errors (crashes, timeouts, a failed cold start), per
   * period, at or above which the handler-errors alarm fires (and, with
   * `batchCalls`, the batch API function's errors alarm).
   *
   * @default 1
   */
  readonly handlerErrorThreshold?: number;

  /**
   * Throttled handler invocations, per period, at or above which the
   * handler-throttles alarm fires.
   *
   * @default 1
   */
  readonly handlerThrottleThreshold?: number;

  /**
   * The handler's longest duration in a period, in percent of its timeout, at
   * or above which the duration alarm fires.
   *
   * @default 80
   */
  readonly durationThresholdPercent?: number;

  /**
   * Messages in the status dead-letter queue at or above which its alarm
   * fires (with `callStatus`).
   *
   * @default 1
   */
  readonly deadLetterThreshold?: number;

  /**
   * Contact events that failed (status function errors plus the rule's failed
   * deliveries), per period, at or above which the status alarm fires (with
   * `callStatus`).
   *
   * @default 1
   */
  readonly statusFailureThreshold?: number;

  /**
   * Age of the oldest message in the batch dispatch queue at or above which
   * the batch-queue-age alarm fires (with `batchCalls`): calls are waiting
   * longer than this to be dialled, or the dispatcher is stuck.
   *
   * @default Duration.hours(1)
   */
  readonly batchQueueAgeThreshold?: Duration;

  /**
   * Messages in the batch dead-letter queue at or above which its alarm fires
   * (with `batchCalls`).
   *
   * @default 1
   */
  readonly batchDeadLetterThreshold?: number;

  /**
   * Batch dispatcher invocation errors (crashes, timeouts), per period, at or
   * above which the dispatcher-errors alarm fires (with `batchCalls`).
   *
   * @default 1
   */
  readonly dispatcherErrorThreshold?: number;
}

/** Properties of `OutboundCallerAlarms`. */
export interface OutboundCallerAlarmsProps extends OutboundCallerAlarmsOptions {
  /** The construct to watch. */
  readonly caller: OutboundCaller;
}

/** Connect exceptions that mean the deployment, not the request, is wrong: every call fails until it is fixed. */
const CONNECT_CONFIGURATION_ERRORS: ReadonlyArray<{ id: string; errorType: string; meaning: string; checkFirst: string }> = [
  {
    id: 'ConnectResourceNotFound',
    errorType: 'ResourceNotFoundException',
    meaning: 'Amazon Connect did not find the contact flow, queue or instance of calls (404 RESOURCE_NOT_FOUND).',
    checkFirst: 'that the contactFlowId, queueId and instanceId of the construct (and the allow-listed ones) still exist '
      + 'in the instance, and that the flow is published',
  },
  {
    id: 'ConnectOutboundNotPermitted',
    errorType: 'OutboundContactNotPermittedException',
    meaning: 'Amazon Connect does not permit outbound calls (403 OUTBOUND_CONTACT_NOT_PERMITTED).',
    checkFirst: 'that outbound calling is still enabled on the instance (Telephony settings) and that the flow may place outbound calls',
  },
  {
    id: 'ConnectAccessDenied',
    errorType: 'AccessDeniedException',
    meaning: 'Amazon Connect refused the handler\'s credentials (502 UPSTREAM_ERROR).',
    checkFirst: 'the handler role\'s connect:StartOutboundVoiceContact statement, and any SCP or permission boundary added since',
  },
];

/**
 * Opt-in alarms for an `OutboundCaller` (`caller.addAlarms()`): each watches
 * one way calls stop going out, says in its description what it means and
 * what to check first, and treats missing data as not breaching (all its
 * metrics are only emitted when the thing they count happens).
 */
export class OutboundCallerAlarms extends Construct {
  /** The API's 5xx rate (all routes of the stage). */
  public readonly serverErrorRate: cloudwatch.Alarm;
  /** Sustained 429s: Connect's quota saturated. */
  public readonly rateLimited: cloudwatch.Alarm;
  /** Connect did not find the flow, queue or instance. */
  public readonly connectResourceNotFound: cloudwatch.Alarm;
  /** Connect does not permit outbound calls. */
  public readonly connectOutboundNotPermitted: cloudwatch.Alarm;
  /** Connect refused the handler's credentials. */
  public readonly connectAccessDenied: cloudwatch.Alarm;
  /** Connect failed or did not confirm calls (502 UPSTREAM_ERROR). */
  public readonly connectServiceErrors: cloudwatch.Alarm;
  /** The ledger unavailable (503: no call placed). */
  public readonly ledgerUnavailable: cloudwatch.Alarm;
  /** Handler invocation errors. */
  public readonly handlerErrors: cloudwatch.Alarm;
  /** Handler throttles. */
  public readonly handlerThrottles: cloudwatch.Alarm;
  /** Handler duration near its timeout. */
  public readonly handlerDuration: cloudwatch.Alarm;
  /** Messages in the status dead-letter queue, with `callStatus`. */
  public readonly statusDeadLetters?: cloudwatch.Alarm;
  /** Contact events failing, with `callStatus`. */
  public readonly statusEventFailures?: cloudwatch.Alarm;
  /** Age of the oldest message in the batch dispatch queue, with `batchCalls`. */
  public readonly batchQueueAge?: cloudwatch.Alarm;
  /** Messages in the batch dead-letter queue, with `batchCalls`. */
  public readonly batchDeadLetters?: cloudwatch.Alarm;
  /** Batch dispatcher invocation errors, with `batchCalls`. */
  public readonly dispatcherErrors?: cloudwatch.Alarm;
  /**
   * Invocation errors of the batch API function (the batch routes), with
   * `batchCalls`; its threshold is `handlerErrorThreshold`.
   */
  public readonly batchApiErrors?: cloudwatch.Alarm;
  /** Every alarm above, e.g. for a composite alarm or a dashboard. */
  public readonly alarms: cloudwatch.Alarm[] = [];

  private readonly options: OutboundCallerAlarmsOptions;
  private readonly period: Duration;

  constructor(scope: Construct, id: string, props: OutboundCallerAlarmsProps) {
    super(scope, id);
    checkThresholds(props);
    this.options = props;
    this.period = props.period ?? Duration.minutes(5);
    const caller = props.caller;
    const rejections = (code: ErrorCode): cloudwatch.Metric => caller.metricRejections({
      period: this.period, dimensionsMap: { [METRICS.dimensions.code]: code },
    });

    const api = apiMetrics(caller, this.period);
    this.serverErrorRate = this.alarm('ServerErrorRate', new cloudwatch.MathExpression({
      expression: '100 * faults',
      usingMetrics: { faults: api.metric('5XXError', cloudwatch.Stats.AVERAGE) },
      label: 'API 5xx rate (%)',
      period: this.period,
    }), props.serverErrorRateThreshold ?? 5, {
      meaning: 'More than the threshold\'s share of requests to the API stage were answered with a 5xx '
        + '(500 INTERNAL_ERROR, 502 UPSTREAM_ERROR, 503 LEDGER_UNAVAILABLE, or an API Gateway failure).',
      checkFirst: 'the dashboard\'s "Rejections by code" to see which 5xx, then the handler\'s log group for that code',
      missing: 'no requests',
    });

    this.rateLimited = this.alarm('RateLimited', rejections('RATE_LIMITED'), props.rateLimitedThreshold ?? 1, {
      meaning: 'Requests kept being answered 429 RATE_LIMITED because Amazon Connect\'s StartOutboundVoiceContact quota '
        + 'was saturated (after the SDK\'s retries), period after period.',
      checkFirst: 'who else calls StartOutboundVoiceContact in this account and region (other apps, campaigns), and the '
        + 'quota in Service Quotas; ask for an increase or lower the construct\'s throttle to leave them room',
      missing: 'no 429s',
    }, props.rateLimitedEvaluationPeriods ?? 3);

    const [notFound, notPermitted, accessDenied] = CONNECT_CONFIGURATION_ERRORS.map((kind) => this.alarm(kind.id,
      caller.metricConnectErrors({ period: this.period, dimensionsMap: { [METRICS.dimensions.errorType]: kind.errorType } }),
      props.connectConfigurationErrorThreshold ?? 1, {
        meaning: `${kind.meaning} Until it is fixed, every call fails.`,
        checkFirst: kind.checkFirst,
        missing: `no ${kind.errorType}`,
      }));
    this.connectResourceNotFound = notFound;
    this.connectOutboundNotPermitted = notPermitted;
    this.connectAccessDenied = accessDenied;

    this.connectServiceErrors = this.alarm('ConnectServiceErrors', rejections('UPSTREAM_ERROR'),
      props.connectServiceErrorThreshold ?? 3, {
        meaning: 'Requests were answered 502 UPSTREAM_ERROR: Amazon Connect failed (InternalServiceException, an unknown '
          + 'error) or did not confirm the call in time, after the SDK\'s retries.',
        checkFirst: 'the AWS Health Dashboard for Amazon Connect in this region, then the ErrorType on the dashboard\'s '
          + '"Connect errors" and in the handler\'s log group',
        missing: 'no 502s',
      });

    this.ledgerUnavailable = this.alarm('LedgerUnavailable', rejections('LEDGER_UNAVAILABLE'),
      props.ledgerUnavailableThreshold ?? 1, {
        meaning: 'Requests were answered 503 LEDGER_UNAVAILABLE: the idempotency ledger (DynamoDB) could not be read or '
          + 'written, so no call was placed.',
        checkFirst: 'the handler\'s log group for the DynamoDB error (AccessDenied, KMS key disabled, throttling), then the '
          + 'table\'s status and the AWS Health Dashboard for DynamoDB',
        missing: 'no 503s',
      });

    this.handlerErrors = this.alarm('HandlerErrors', caller.handler.metricErrors({ period: this.period }),
      props.handlerErrorThreshold ?? 1, {
        meaning: 'The handler failed invocations instead of answering (a crash, a timeout, or a configuration error at '
          + 'cold start): API Gateway answered those requests 500 INTERNAL_ERROR.',
        checkFirst: 'the handler\'s log group for "misconfigured" (a bad environment fails at init) or "Task timed out"',
        missing: 'no invocations',
      });

    this.handlerThrottles = this.alarm('HandlerThrottles', caller.handler.metricThrottles({ period: this.period }),
      props.handlerThrottleThreshold ?? 1, {
        meaning: 'Lambda throttled handler invocations: the reserved concurrency or the account\'s concurrency was used up, '
          + 'and those requests were answered 500.',
        checkFirst: 'reservedConcurrentExecutions of the construct and the account\'s ConcurrentExecutions metric',
        missing: 'no throttles',
      });

    // A timeout given as a token cannot be read at synth: then the percentage applies to API Gateway's 29 s limit.
    const timeout = caller.handler.timeout && !caller.handler.timeout.isUnresolved() ? caller.handler.timeout : Duration.seconds(29);
    const durationPercent = props.durationThresholdPercent ?? 80;
    this.handlerDuration = this.alarm('HandlerDuration',
      caller.handler.metricDuration({ period: this.period, statistic: cloudwatch.Stats.MAXIMUM }),
      Math.round(timeout.toMilliseconds() * durationPercent / 100), {
        meaning: `The handler's longest invocation reached ${durationPercent}% of its timeout: calls are about to time out `
          + '(an unknown outcome the caller must retry).',
        checkFirst: 'the dashboard\'s ledger latency and Connect errors (a slow dependency), then X-Ray traces of slow requests',
        missing: 'no invocations',
      });

    if (caller.deadLetterQueue) {
      this.statusDeadLetters = this.alarm('StatusDeadLetters',
        caller.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: this.period, statistic: cloudwatch.Stats.MAXIMUM }),
        props.deadLetterThreshold ?? 1, {
          meaning: 'Contact events that could not be delivered or recorded are in the status dead-letter queue: '
            + 'those calls\' statuses are stale.',
          checkFirst: 'a message\'s attributes (ERROR_CODE, ERROR_MESSAGE) in the queue, then the status function\'s log group',
          missing: 'an inactive, empty queue (SQS stops its metrics then)',
        });
    }
    if (caller.statusFunction && caller.contactEventsRule) {
      this.statusEventFailures = this.alarm('StatusEventFailures', new cloudwatch.MathExpression({
        expression: 'FILL(errors, 0) + FILL(failed, 0)',
        usingMetrics: {
          errors: caller.statusFunction.metricErrors({ period: this.period }),
          failed: new cloudwatch.Metric({
            namespace: 'AWS/Events',
            metricName: 'FailedInvocations',
            dimensionsMap: { RuleName: caller.contactEventsRule.ruleName },
            statistic: cloudwatch.Stats.SUM,
            period: this.period,
          }),
        },
        label: 'Status function errors + failed rule deliveries',
        period: this.period,
      }), props.statusFailureThreshold ?? 1, {
        meaning: 'Contact events failed: the status function returned errors or EventBridge could not invoke it '
          + '(they are retried, then dead-lettered).',
        checkFirst: 'the status function\'s log group (the ledger\'s UpdateItem errors), then its throttles',
        missing: 'no contact events',
      });
    }
    if (caller.batchQueue && caller.batchDeadLetterQueue && caller.batchDispatcher) {
      const age = props.batchQueueAgeThreshold ?? Duration.hours(1);
      this.batchQueueAge = this.alarm('BatchQueueAge',
        caller.batchQueue.metricApproximateAgeOfOldestMessage({ period: this.period, statistic: cloudwatch.Stats.MAXIMUM }),
        age.toSeconds(), {
          meaning: `A message has waited ${age.toHumanString()} or more in the batch dispatch queue: calls of batches are `
            + 'waiting that long to be dialled (more calls than the dial rate can place), or the dispatcher is not receiving.',
          checkFirst: 'the dispatcher\'s errors and throttles, its event source mapping (enabled?), then the calls queued against '
            + 'batchCalls.dialRatePerSecond',
          missing: 'an inactive, empty queue (SQS stops its metrics then)',
        });
      this.batchDeadLetters = this.alarm('BatchDeadLetters',
        caller.batchDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: this.period, statistic: cloudwatch.Stats.MAXIMUM }),
        props.batchDeadLetterThreshold ?? 1, {
          meaning: 'Dispatch messages were received too often without being handled and are in the batch dead-letter queue: '
            + 'the calls they name wait (or expire at their NotAfter) until the messages are moved back.',
          checkFirst: 'the dispatcher\'s log group for the failures, then redrive the dead-letter queue to the dispatch queue '
            + '(the ledger makes a redelivered message safe: no call is dialled twice)',
          missing: 'an inactive, empty queue (SQS stops its metrics then)',
        });
      this.dispatcherErrors = this.alarm('DispatcherErrors', caller.batchDispatcher.metricErrors({ period: this.period }),
        props.dispatcherErrorThreshold ?? 1, {
          meaning: 'The batch dispatcher failed invocations (a crash, a timeout, or a configuration error at cold start): '
            + 'their messages come back after the visibility timeout, and go to the dead-letter queue if it goes on.',
          checkFirst: 'the dispatcher\'s log group for "misconfigured" or "Task timed out"',
          missing: 'no invocations',
        });
    }
    if (caller.batchApiFunction) {
      this.batchApiErrors = this.alarm('BatchApiErrors', caller.batchApiFunction.metricErrors({ period: this.period }),
        props.handlerErrorThreshold ?? 1, {
          meaning: 'The batch API function failed invocations instead of answering (a crash, a timeout, or a configuration '
            + 'error at cold start): API Gateway answered those batch requests 500 INTERNAL_ERROR.',
          checkFirst: 'the batch API function\'s log group for "misconfigured" (a bad environment fails at init) or "Task timed out"',
          missing: 'no invocations',
        });
    }
  }

  private alarm(
    id: string, metric: cloudwatch.IMetric, threshold: number,
    text: { meaning: string; checkFirst: string; missing: string }, evaluationPeriods = 1,
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName: this.options.alarmNamePrefix ? `${this.options.alarmNamePrefix}-${id}` : undefined,
      alarmDescription: `${text.meaning} Check first: ${text.checkFirst}. Missing data is not breaching (${text.missing}).`,
      metric,
      threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods,
      datapointsToAlarm: evaluationPeriods,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (this.options.alarmActions?.length) alarm.addAlarmAction(...this.options.alarmActions);
    if (this.options.okActions?.length) alarm.addOkAction(...this.options.okActions);
    this.alarms.push(alarm);
    return alarm;
  }
}

/** Thresholds that would alarm forever (0 or less) or never (a percentage over 100) are refused. */
function checkThresholds(props: OutboundCallerAlarmsOptions): void {
  const problems = new PropsProblems('OutboundCallerAlarms');
  const counts: Array<[string, number | undefined]> = [
    ['rateLimitedThreshold', props.rateLimitedThreshold],
    ['rateLimitedEvaluationPeriods', props.rateLimitedEvaluationPeriods],
    ['connectConfigurationErrorThreshold', props.connectConfigurationErrorThreshold],
    ['connectServiceErrorThreshold', props.connectServiceErrorThreshold],
    ['ledgerUnavailableThreshold', props.ledgerUnavailableThreshold],
    ['handlerErrorThreshold', props.handlerErrorThreshold],
    ['handlerThrottleThreshold', props.handlerThrottleThreshold],
    ['deadLetterThreshold', props.deadLetterThreshold],
    ['statusFailureThreshold', props.statusFailureThreshold],
    ['batchDeadLetterThreshold', props.batchDeadLetterThreshold],
    ['dispatcherErrorThreshold', props.dispatcherErrorThreshold],
  ];
  for (const [prop, value] of counts) {
    if (value !== undefined && !Token.isUnresolved(value) && !(value > 0)) {
      problems.add(prop, 'must be greater than 0 (the metric is never negative, so the alarm would always fire)', value,
        'Use 1 to be told of the first occurrence.');
    }
  }
  const percents: Array<[string, number | undefined]> = [
    ['serverErrorRateThreshold', props.serverErrorRateThreshold],
    ['durationThresholdPercent', props.durationThresholdPercent],
  ];
  for (const [prop, value] of percents) {
    if (value !== undefined && !Token.isUnresolved(value) && !(value > 0 && value <= 100)) {
      problems.add(prop, 'must be a percentage above 0 and at most 100 (0 would always fire, over 100 never)', value,
        'Use a percentage such as 5 (5xx rate) or 80 (duration).');
    }
  }
  const age = props.batchQueueAgeThreshold;
  if (age && !age.isUnresolved() && !(age.toMilliseconds() >= 60_000)) {
    problems.add('batchQueueAgeThreshold', 'must be at least 1 minute (SQS reports the age in whole seconds, once a minute; '
      + 'a shorter age would fire on every batch)', age.toHumanString(), 'Use Duration.hours(1), the default, or Duration.minutes(15).');
  }
  if (props.period && !props.period.isUnresolved()) {
    const seconds = props.period.toSeconds({ integral: false });
    if (!(seconds === 10 || seconds === 30 || (seconds >= 60 && seconds % 60 === 0))) {
      problems.add('period', 'must be 10 s, 30 s or a multiple of 60 s (CloudWatch alarm periods)', props.period.toHumanString(),
        'Use Duration.minutes(1) or Duration.minutes(5).');
    }
  }
  problems.throwIfAny();
}

/** The API's metrics in AWS/ApiGateway, for the whole deployment stage of the construct's API. */
function apiMetrics(caller: OutboundCaller, period: Duration): { metric(name: string, statistic: string): cloudwatch.Metric } {
  return {
    metric: (name, statistic) => new cloudwatch.Metric({
      namespace: 'AWS/ApiGateway',
      metricName: name,
      dimensionsMap: { ApiName: caller.api.restApiName, Stage: caller.api.deploymentStage.stageName },
      statistic,
      period,
    }),
  };
}

/** Options of `OutboundCaller.addDashboard()`. */
export interface OutboundCallerDashboardOptions {
  /**
   * Name of the dashboard.
   *
   * @default - CloudFormation generates the name
   */
  readonly dashboardName?: string;

  /**
   * The period of the graphs' data points.
   *
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;

  /**
   * The time range the dashboard opens with.
   *
   * @default Duration.hours(24)
   */
  readonly defaultInterval?: Duration;
}

/** Properties of `OutboundCallerDashboard`. */
export interface OutboundCallerDashboardProps extends OutboundCallerDashboardOptions {
  /** The construct to show. */
  readonly caller: OutboundCaller;
}

/**
 * Connect exceptions the handler tells apart (the ErrorType dimension of
 * ConnectErrors), charted one by one on the dashboard.
 */
const CONNECT_ERROR_TYPES = [
  'LimitExceededException', 'ThrottlingException', 'TooManyRequestsException', 'DestinationNotAllowedException',
  'OutboundContactNotPermittedException', 'ResourceNotFoundException', 'InvalidParameterException',
  'InvalidRequestException', 'AccessDeniedException', 'InternalServiceException',
];

/**
 * An opt-in CloudWatch dashboard for an `OutboundCaller`
 * (`caller.addDashboard()`): calls started, connected and failed; rejections
 * by code; latency p50/p99; Connect errors; throttling; ledger latency; and
 * the status pipeline. Every metric is one the handler, the status function
 * or AWS really emits, named from the same contract the handlers use.
 */
export class OutboundCallerDashboard extends Construct {
  /** The CloudWatch dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: OutboundCallerDashboardProps) {
    super(scope, id);
    const caller = props.caller;
    const period = props.period ?? Duration.minutes(5);
    const sum = { period, statistic: cloudwatch.Stats.SUM };
    const api = apiMetrics(caller, period);
    const p50 = cloudwatch.Stats.p(50);
    const p99 = cloudwatch.Stats.p(99);
    const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = [], leftUnit?: string): cloudwatch.GraphWidget =>
      new cloudwatch.GraphWidget({
        title,
        left,
        right,
        width: 12,
        height: 6,
        period,
        leftYAxis: { min: 0, label: leftUnit, showUnits: leftUnit === undefined },
        rightYAxis: right.length > 0 ? { min: 0 } : undefined,
      });

    this.dashboard = new cloudwatch.Dashboard(this, 'Resource', {
      dashboardName: props.dashboardName,
      defaultInterval: props.defaultInterval ?? Duration.hours(24),
    });

    const statusOn = caller.statusFunction !== undefined;
    this.dashboard.addWidgets(
      graph('Calls: started, connected and failed', [
        caller.metricCallsStarted({ ...sum, label: 'Started (Connect accepted)' }),
        ...(statusOn ? [
          caller.metricCallsConnected({ ...sum, label: 'Connected (answered)' }),
          caller.metricCallsFailed({ ...sum, label: 'Failed (ended unanswered)' }),
        ] : []),
      ], [caller.metricReplays({ ...sum, label: 'Replays (answered from the ledger)' })]),
      graph('Rejections by code', (Object.keys(ERROR_STATUS) as ErrorCode[]).map((code) => caller.metricRejections({
        ...sum, label: `${ERROR_STATUS[code]} ${code}`, dimensionsMap: { [METRICS.dimensions.code]: code },
      }))),
    );
    this.dashboard.addWidgets(
      graph('Latency p50/p99 (ms)', [
        api.metric('Latency', p50).with({ label: 'API p50' }),
        api.metric('Latency', p99).with({ label: 'API p99' }),
        caller.handler.metricDuration({ period, statistic: p50, label: 'Handler p50' }),
        caller.handler.metricDuration({ period, statistic: p99, label: 'Handler p99' }),
      ], [], 'ms'),
      graph('Connect errors by type', CONNECT_ERROR_TYPES.map((errorType) => caller.metricConnectErrors({
        ...sum, label: errorType, dimensionsMap: { [METRICS.dimensions.errorType]: errorType },
      })), [caller.metricConnectErrors({ ...sum, label: 'All Connect errors' })]),
    );
    this.dashboard.addWidgets(
      graph('Throttling', [
        caller.metricRejections({ ...sum, label: '429 from Connect\'s quota', dimensionsMap: { [METRICS.dimensions.code]: 'RATE_LIMITED' } }),
        caller.handler.metricThrottles({ ...sum, label: 'Handler throttles (Lambda)' }),
      ], [api.metric('4XXError', cloudwatch.Stats.SUM).with({ label: 'API 4xx (gateway throttles included)' })]),
      graph('Ledger latency p50/p99 (ms)', [
        caller.metricLedgerLatency({ period, statistic: p50, label: 'Ledger p50' }),
        caller.metricLedgerLatency({ period, statistic: p99, label: 'Ledger p99' }),
      ], [], 'ms'),
    );
    if (caller.statusFunction && caller.contactEventsRule && caller.deadLetterQueue) {
      const rule = (name: string, label: string): cloudwatch.Metric => new cloudwatch.Metric({
        namespace: 'AWS/Events', metricName: name, dimensionsMap: { RuleName: caller.contactEventsRule!.ruleName }, label, ...sum,
      });
      this.dashboard.addWidgets(
        graph('Status pipeline: contact events', [
          rule('MatchedEvents', 'Events matched'),
          caller.statusFunction.metricInvocations({ ...sum, label: 'Status function invocations' }),
          caller.statusFunction.metricErrors({ ...sum, label: 'Status function errors' }),
          rule('FailedInvocations', 'Failed deliveries'),
        ], [caller.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period, statistic: cloudwatch.Stats.MAXIMUM, label: 'Dead-letter queue messages',
        })]),
      );
    }
    if (caller.batchQueue && caller.batchDeadLetterQueue && caller.batchDispatcher) {
      const max = { period, statistic: cloudwatch.Stats.MAXIMUM };
      this.dashboard.addWidgets(
        graph('Batch calls: dispatch queue', [
          caller.batchQueue.metricApproximateNumberOfMessagesVisible({ ...max, label: 'Waiting messages' }),
          caller.batchQueue.metricApproximateNumberOfMessagesNotVisible({ ...max, label: 'In flight (received)' }),
          caller.batchDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ ...max, label: 'Dead-letter queue messages' }),
        ], [caller.batchQueue.metricApproximateAgeOfOldestMessage({ ...max, label: 'Oldest message age (s)' })]),
        graph('Batch calls: dispatcher', [
          caller.batchDispatcher.metricInvocations({ ...sum, label: 'Invocations' }),
          caller.batchDispatcher.metricErrors({ ...sum, label: 'Errors' }),
          caller.batchDispatcher.metricThrottles({ ...sum, label: 'Throttles' }),
        ], [caller.batchDispatcher.metricDuration({ period, statistic: p99, label: 'Duration p99 (ms)' })]),
      );
    }
    if (caller.batchApiFunction) {
      const batchApi = caller.batchApiFunction;
      this.dashboard.addWidgets(graph('Batch calls: batch API function (submit, status, cancel)', [
        batchApi.metricInvocations({ ...sum, label: 'Invocations' }),
        batchApi.metricErrors({ ...sum, label: 'Errors' }),
        batchApi.metricThrottles({ ...sum, label: 'Throttles' }),
      ], [batchApi.metricDuration({ period, statistic: p99, label: 'Duration p99 (ms)' })]));
    }
  }

  /** Adds a row with the status of the alarms (done by `OutboundCaller` when both are on). */
  public addAlarmStatus(alarms: OutboundCallerAlarms): void {
    this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({
      title: 'Alarms', alarms: alarms.alarms, width: 24, height: Math.max(2, Math.ceil(alarms.alarms.length / 4) + 1),
    }));
  }
}
