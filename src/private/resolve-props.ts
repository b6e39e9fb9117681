import { Annotations, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CallerAuthorization, CallerAuthorizationMode } from '../caller-authorization';
import type { OutboundCallerProps } from '../outbound-caller';
import type { CallingHoursPolicy } from './calling-hours-policy';
import { PATTERNS } from './contract';
import {
  checkDuration, checkInstanceLocation, checkLedgerTable, checkPhoneNumber, checkRange, checkThrottle, InstanceRef,
  MAX_IDEMPOTENCY_WINDOW, MAX_TIMEOUT, parseContactFlowId, parseCountries, parseInstance, parseQueueId, PropsProblems,
} from './props-validation';

/** A route's request rate limits, resolved. */
export interface Throttle {
  readonly rateLimit: number;
  readonly burstLimit: number;
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
  const throttle = resolveThrottle('throttle', props.throttle, { rateLimit: 2, burstLimit: 5 }, {
    rate: 'Use the Connect quota (2 per second) unless AWS raised it.',
    burst: 'Use the Connect quota (5) unless AWS raised it.',
  }, problems);
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

/** A throttle prop with its defaults, checked. */
function resolveThrottle(
  prop: string, given: Partial<Throttle> | undefined, defaults: Throttle, fix: { rate: string; burst: string },
  problems: PropsProblems,
): Throttle {
  const throttle = { rateLimit: given?.rateLimit ?? defaults.rateLimit, burstLimit: given?.burstLimit ?? defaults.burstLimit };
  checkThrottle(prop, throttle, fix, problems);
  return throttle;
}
