import { Annotations, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CallerAuthorization, CallerAuthorizationMode } from '../caller-authorization';
import type { OutboundCallerProps } from '../outbound-caller';
import type { CallingHoursPolicy } from './calling-hours-policy';
import { BATCH, PATTERNS } from './contract';
import {
  checkDuration, checkInstanceLocation, checkLedgerTable, checkPhoneNumber, checkRange, checkThrottle, InstanceRef,
  MAX_IDEMPOTENCY_WINDOW, MAX_TIMEOUT, parseContactFlowId, parseCountries, parseInstance, parseQueueId, PropsProblems,
} from './props-validation';

/** A route's request rate limits, resolved. */
export interface Throttle {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

/** `batchCalls`, resolved. */
export interface ResolvedBatchCalls {
  readonly dialRatePerSecond: number;
  /**
   * The dispatcher's share of the quota's burst: it paces its calls evenly, so
   * at most this many can fall in one instant (the dial rate rounded up).
   */
  readonly dialBurst: number;
  readonly submitThrottle: Throttle;
  readonly maxReceiveCount: number;
  readonly encryptionKey?: kms.IKey;
}

/**
 * OutboundCaller's props, checked and with every default applied: the one
 * input of the builders. Ids are reduced to GUIDs (ARNs taken apart).
 */
export interface ResolvedProps {
  readonly instance: InstanceRef;
  readonly contactFlowId: string;
  readonly sourcePhoneNumber?: string;
  readonly queueId?: string;
  readonly allowedContactFlowIds: string[];
  readonly allowedQueueIds: string[];
  readonly allowedSourcePhoneNumbers: string[];
  /** Undefined: every country. */
  readonly allowedDestinationCountries?: string[];
  readonly blockPremiumRateNumbers: boolean;
  readonly allowCampaignCalls: boolean;
  /** Undefined: calls at any time. */
  readonly callingHours?: { readonly policy: CallingHoursPolicy; readonly enforceOnSyncRoute: boolean };
  readonly authorization: CallerAuthorization;
  readonly throttle: Throttle;
  /** The account's StartOutboundVoiceContact quota, shared by the PUT route and the dispatcher. */
  readonly connectQuota: Throttle;
  /** Undefined: batch calls are off. */
  readonly batchCalls?: ResolvedBatchCalls;
  readonly callStatus: boolean;
  readonly statusThrottle: Throttle;
  readonly contactSearchAttribute?: string;
  readonly idempotencyWindowSeconds: number;
  readonly restApi?: apigw.IRestApi;
  readonly table?: dynamodb.ITable;
  /** For a table this construct creates. */
  readonly encryptionKey?: kms.IKey;
  /** The key of the ledger, whichever table it is: the functions need it too (table.grant() does not give it). */
  readonly ledgerKey?: kms.IKey;
  readonly removalPolicy: RemovalPolicy;
  readonly logRetention: logs.RetentionDays;
  readonly tracing: boolean;
  readonly executionLoggingLevel: apigw.MethodLoggingLevel;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly reservedConcurrentExecutions?: number;
  readonly endpointType: apigw.EndpointType;
}

/**
 * Checks every prop and reports every problem at once (one Error), before
 * anything is created; then applies the defaults the props document.
 */
export function resolveProps(scope: Construct, props: OutboundCallerProps): ResolvedProps {
  const problems = new PropsProblems();
  const instance = parseInstance(props.instanceId, problems);
  const instanceId = instance.instanceId;
  const contactFlowId = parseContactFlowId('contactFlowId', props.contactFlowId, instanceId, problems);
  const queueId = props.queueId === undefined ? undefined : parseQueueId('queueId', props.queueId, instanceId, problems);
  if (props.sourcePhoneNumber !== undefined) checkPhoneNumber('sourcePhoneNumber', props.sourcePhoneNumber, problems);
  if (props.sourcePhoneNumber === undefined && props.queueId === undefined) {
    problems.add('sourcePhoneNumber or queueId', 'is required: Connect needs a caller id', undefined,
      'Set sourcePhoneNumber to a number claimed by the instance, or queueId to a queue with an outbound caller id.');
  }
  const allowedContactFlowIds = (props.allowedContactFlowIds ?? []).map((flow, i) =>
    parseContactFlowId(`allowedContactFlowIds[${i}]`, flow, instanceId, problems));
  const allowedQueueIds = (props.allowedQueueIds ?? []).map((queue, i) =>
    parseQueueId(`allowedQueueIds[${i}]`, queue, instanceId, problems));
  const allowedSourcePhoneNumbers = props.allowedSourcePhoneNumbers ?? [];
  allowedSourcePhoneNumbers.forEach((number, i) => checkPhoneNumber(`allowedSourcePhoneNumbers[${i}]`, number, problems));
  const allowedDestinationCountries = parseCountries(props.allowedDestinationCountries, problems);
  const { throttle, connectQuota, batchCalls } = resolveQuotaSplit(props, problems);
  const statusThrottle = resolveThrottle('statusThrottle', props.statusThrottle, { rateLimit: 10, burstLimit: 20 }, {
    rate: 'Use a positive rate, e.g. 10 per second.',
    burst: 'Use a burst such as 20.',
  }, problems);
  checkDuration('idempotencyWindow', props.idempotencyWindow, Duration.seconds(1), MAX_IDEMPOTENCY_WINDOW,
    'Connect remembers a ClientToken for 7 days; a longer window could not be honoured.', problems);
  const window = props.idempotencyWindow;
  if (window && !window.isUnresolved() && window.toMilliseconds() % 1000 !== 0) {
    problems.add('idempotencyWindow', 'must be a whole number of seconds', window.toHumanString(),
      'Use Duration.seconds(), minutes(), hours() or days().');
  }
  checkDuration('timeout', props.timeout, Duration.seconds(3), MAX_TIMEOUT,
    'API Gateway stops waiting after 29 seconds; a longer timeout only hides failures.', problems);
  checkRange('memorySize', props.memorySize, 128, 10240, 'Lambda accepts 128 to 10240 MiB.', problems);
  checkRange('reservedConcurrentExecutions', props.reservedConcurrentExecutions, 1, 100000,
    'Leave it undefined for no reservation (0 would disable the handler).', problems);
  if (props.table && props.encryptionKey) {
    problems.add('encryptionKey', 'only applies to a table this construct creates', '(a key)',
      'Configure encryption on your own table, or drop the table prop.');
  }
  const stack = Stack.of(scope);
  checkInstanceLocation(instance, stack.account, stack.region, problems);
  const tableWarning = checkLedgerTable(props.table, props.callStatus ?? true, problems);
  if (props.restApi === undefined && props.endpointType === apigw.EndpointType.PRIVATE) {
    problems.add('endpointType', 'PRIVATE needs a resource policy that admits your VPC endpoints, which this construct '
      + 'cannot know: without one every request is refused', 'PRIVATE',
    'Create the private RestApi yourself (with its policy and endpoint configuration) and pass it as restApi.');
  }
  if (props.authorization?.mode === CallerAuthorizationMode.COGNITO && (props.authorization.userPools ?? []).length === 0) {
    problems.add('authorization', 'CallerAuthorization.cognito() needs at least one user pool', [],
      'Pass the user pools whose tokens may call the route, e.g. CallerAuthorization.cognito([userPool]).');
  }
  const searchKey = props.contactSearchAttribute;
  if (searchKey !== undefined && !Token.isUnresolved(searchKey) && !new RegExp(PATTERNS.searchableAttributeKey).test(searchKey)) {
    problems.add('contactSearchAttribute', 'must be a contact attribute key of 1 to 100 letters, digits, "_" or "-" '
      + '(SearchContacts searches keys of at most 100 characters)', searchKey,
    'Use the key you configured as a searchable contact attribute in the instance, e.g. "outbound_caller_token".');
  }
  const callingHours = props.callingHours
    ? { policy: props.callingHours._resolve('callingHours', problems), enforceOnSyncRoute: props.callingHours.enforceOnSyncRoute }
    : undefined;
  problems.throwIfAny();
  if (tableWarning) Annotations.of(scope).addWarningV2('cdk-connect-outbound-caller:ledgerTtl', tableWarning);

  return {
    instance,
    contactFlowId,
    sourcePhoneNumber: props.sourcePhoneNumber,
    queueId,
    allowedContactFlowIds,
    allowedQueueIds,
    allowedSourcePhoneNumbers,
    allowedDestinationCountries,
    blockPremiumRateNumbers: props.blockPremiumRateNumbers ?? true,
    allowCampaignCalls: props.allowCampaignCalls ?? false,
    callingHours,
    authorization: props.authorization ?? CallerAuthorization.iam(),
    throttle,
    connectQuota,
    batchCalls,
    callStatus: props.callStatus ?? true,
    statusThrottle,
    contactSearchAttribute: searchKey,
    idempotencyWindowSeconds: (props.idempotencyWindow ?? MAX_IDEMPOTENCY_WINDOW).toSeconds(),
    restApi: props.restApi,
    table: props.table,
    encryptionKey: props.encryptionKey,
    ledgerKey: props.encryptionKey ?? props.table?.encryptionKey,
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    logRetention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
    tracing: props.tracing ?? true,
    executionLoggingLevel: props.executionLoggingLevel ?? apigw.MethodLoggingLevel.OFF,
    memorySize: props.memorySize ?? 1024,
    timeout: props.timeout ?? Duration.seconds(25),
    reservedConcurrentExecutions: props.reservedConcurrentExecutions,
    endpointType: props.endpointType ?? apigw.EndpointType.REGIONAL,
  };
}

/** Connect's default StartOutboundVoiceContact quota, per account and Region. */
const CONNECT_DEFAULT_QUOTA: Throttle = { rateLimit: 2, burstLimit: 5 };
const BATCH_DEFAULTS = {
  dialRatePerSecond: BATCH.defaultDialRatePerSecond,
  submitThrottle: BATCH.routeThrottle,
  maxReceiveCount: BATCH.maxReceiveCount,
};
/** SQS accepts a maxReceiveCount from 1 to 1,000. */
const MAX_RECEIVE_COUNT = 1000;

/**
 * The StartOutboundVoiceContact quota and its static split (README, "Bulk and
 * scheduled calls"): without batch calls the PUT route's throttle defaults to
 * the quota; with them, the dispatcher takes its dial rate (and that rate
 * rounded up from the burst) and the route gets the rest by default. A route
 * throttle the user set must leave the dial rate room: together they never plan
 * to exceed the quota, so neither starves the other.
 */
function resolveQuotaSplit(
  props: OutboundCallerProps, problems: PropsProblems,
): { throttle: Throttle; connectQuota: Throttle; batchCalls?: ResolvedBatchCalls } {
  const connectQuota = resolveThrottle('connectQuota', props.connectQuota, CONNECT_DEFAULT_QUOTA, {
    rate: 'Use the StartOutboundVoiceContact rate quota of the account in this Region (Service Quotas; 2 by default).',
    burst: 'Use the StartOutboundVoiceContact burst quota of the account in this Region (5 by default).',
  }, problems);
  const throttleFix = {
    rate: 'Use the Connect quota (2 per second) unless AWS raised it.',
    burst: 'Use the Connect quota (5) unless AWS raised it.',
  };
  const options = props.batchCalls;
  if (options === undefined) {
    return { throttle: resolveThrottle('throttle', props.throttle, connectQuota, throttleFix, problems), connectQuota };
  }

  const dial = options.dialRatePerSecond ?? BATCH_DEFAULTS.dialRatePerSecond;
  const known = (...values: number[]): boolean => values.every((value) => !Token.isUnresolved(value) && Number.isFinite(value));
  if (known(dial) && !(dial > 0)) {
    problems.add('batchCalls.dialRatePerSecond', 'must be greater than 0', dial,
      'Use 1 (the default: half of Connect\'s default quota of 2 per second), or a fraction such as 0.5.');
  }
  if (known(dial) && dial > BATCH.maxDialRatePerSecond) {
    problems.add('batchCalls.dialRatePerSecond', `must be at most ${BATCH.maxDialRatePerSecond} calls per second (the dispatcher's limit)`,
      dial, 'Use the rate of your StartOutboundVoiceContact quota that batches may take, e.g. 1.');
  }
  if (!Token.isUnresolved(dial) && !Number.isFinite(dial)) {
    problems.add('batchCalls.dialRatePerSecond', 'must be a finite number of calls per second', String(dial), 'Use 1, the default.');
  }
  const dialBurst = known(dial) && dial > 0 ? Math.ceil(dial) : 1;
  const quotaKnown = known(connectQuota.rateLimit, connectQuota.burstLimit);
  const split: Throttle = quotaKnown && known(dial)
    ? { rateLimit: roundRate(connectQuota.rateLimit - dial), burstLimit: connectQuota.burstLimit - dialBurst }
    : connectQuota;
  const splitFits = split.rateLimit > 0 && split.burstLimit >= 1;
  if (props.throttle === undefined && !splitFits && quotaKnown && known(dial) && dial > 0) {
    problems.add('batchCalls.dialRatePerSecond', `must leave the synchronous route part of connectQuota (rate ${connectQuota.rateLimit} `
      + `per second, burst ${connectQuota.burstLimit}): the route's throttle defaults to the quota minus the dial rate`, dial,
    `Use a dial rate below ${connectQuota.rateLimit} (and rounded up, below the burst ${connectQuota.burstLimit}), `
      + 'or set connectQuota to the quota AWS raised for you.');
  }
  // Without a throttle of the user's, the split is the route's throttle (when it does not fit, the dial rate is reported above).
  const throttle = props.throttle === undefined
    ? (splitFits ? split : connectQuota)
    : resolveThrottle('throttle', props.throttle, split, throttleFix, problems);
  if (props.throttle !== undefined && quotaKnown && known(dial, throttle.rateLimit, throttle.burstLimit) && dial > 0) {
    if (throttle.rateLimit + dial > connectQuota.rateLimit + 1e-9) {
      problems.add('throttle.rateLimit', `plus batchCalls.dialRatePerSecond (${dial}) must be at most connectQuota.rateLimit `
        + `(${connectQuota.rateLimit}): the synchronous route and the dispatcher share Connect's quota`, throttle.rateLimit,
      `Use a route rate of at most ${roundRate(connectQuota.rateLimit - dial)}, lower the dial rate, or set connectQuota `
        + 'to the quota AWS raised for you.');
    }
    if (throttle.burstLimit + dialBurst > connectQuota.burstLimit) {
      problems.add('throttle.burstLimit', `plus the dispatcher's burst (${dialBurst}, the dial rate rounded up) must be at most `
        + `connectQuota.burstLimit (${connectQuota.burstLimit}): the synchronous route and the dispatcher share Connect's quota`,
      throttle.burstLimit, `Use a route burst of at most ${connectQuota.burstLimit - dialBurst}, or set connectQuota to the `
        + 'quota AWS raised for you.');
    }
  }
  const submitThrottle = resolveThrottle('batchCalls.submitThrottle', options.submitThrottle, BATCH_DEFAULTS.submitThrottle, {
    rate: 'Use a positive rate, e.g. 1 per second (each request carries up to 1,000 calls).',
    burst: 'Use a burst such as 2.',
  }, problems);
  checkRange('batchCalls.maxReceiveCount', options.maxReceiveCount, 1, MAX_RECEIVE_COUNT,
    'Use 5, the default: SQS moves a message to the dead-letter queue after this many deliveries.', problems);
  return {
    throttle,
    connectQuota,
    batchCalls: {
      dialRatePerSecond: dial,
      dialBurst,
      submitThrottle,
      maxReceiveCount: options.maxReceiveCount ?? BATCH_DEFAULTS.maxReceiveCount,
      encryptionKey: options.encryptionKey,
    },
  };
}

/** A rate without floating-point noise (2 - 1.1 is 0.8999999999999999). */
function roundRate(rate: number): number {
  return Math.round(rate * 1e6) / 1e6;
}

/** A throttle prop with its defaults, checked. */
function resolveThrottle(
  prop: string, given: Partial<Throttle> | undefined, defaults: Throttle, fix: { rate: string; burst: string },
  problems: PropsProblems,
): Throttle {
  const throttle = { rateLimit: given?.rateLimit ?? defaults.rateLimit, burstLimit: given?.burstLimit ?? defaults.burstLimit };
  checkThrottle(prop, throttle, fix, problems);
  return throttle;
}
