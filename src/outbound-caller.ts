import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CallerAuthorization } from './caller-authorization';
import { CallingHours } from './calling-hours';
import {
  OutboundCallerAlarms, OutboundCallerAlarmsOptions, OutboundCallerDashboard, OutboundCallerDashboardOptions,
} from './outbound-caller-monitoring';
import { buildBatchCalls } from './private/batch-calls';
import { buildCallStatusTracking } from './private/call-status-tracking';
import { METRICS, ROUTES } from './private/contract';
import { buildHandler } from './private/handler';
import { buildLedgerTable } from './private/ledger-table';
import { openApiDocument, OpenApiOptions } from './private/openapi';
import { resolveProps } from './private/resolve-props';
import { addRoutes, addUsagePlan, buildRestApi, openApiOptions } from './private/rest-api';

/** Request rate limits for the route. */
export interface OutboundCallerThrottle {
  /**
   * Steady-state requests per second.
   *
   * @default 2 - the StartOutboundVoiceContact quota
   */
  readonly rateLimit?: number;

  /**
   * Burst capacity, in requests.
   *
   * @default 5 - the StartOutboundVoiceContact quota
   */
  readonly burstLimit?: number;
}

/**
 * Opt-in bulk and scheduled calls (`batchCalls`): `POST /contact/outbound-voice/batches`
 * accepts up to 1,000 calls at once; a dispatch queue and a dispatcher function
 * dial them at `dialRatePerSecond`, each claimed in the ledger first.
 */
export interface BatchCallsOptions {
  /**
   * Calls per second the dispatcher dials, at most, whatever its concurrency
   * (fractions allowed: 0.5 is one call every 2 seconds). It shares
   * `connectQuota` with the synchronous route: the route's throttle plus this
   * rate must fit in the quota (checked at synth).
   *
   * @default 1 - half of Connect's default StartOutboundVoiceContact quota (2 per
   * second per account and Region), so the synchronous route keeps the other 1 per second
   */
  readonly dialRatePerSecond?: number;

  /**
   * Request rate limits of `POST /contact/outbound-voice/batches` (each request
   * carries up to 1,000 calls, so a low rate is plenty). `GET` and `DELETE` of a
   * batch have `statusThrottle`.
   *
   * @default - rate 1 per second, burst 2
   */
  readonly submitThrottle?: OutboundCallerThrottle;

  /**
   * Deliveries of a dispatch message before SQS moves it to the dead-letter
   * queue. The dispatcher does not count Connect's LimitExceeded as a failed
   * delivery: it waits and retries.
   *
   * @default 5
   */
  readonly maxReceiveCount?: number;

  /**
   * A customer-managed KMS key for the dispatch queue and its dead-letter queue.
   *
   * @default - SQS-managed encryption (SSE-SQS)
   */
  readonly encryptionKey?: kms.IKey;
}

/** Properties of `OutboundCaller`. */
export interface OutboundCallerProps {
  /**
   * The Amazon Connect instance: its id (a GUID), its ARN (the id is taken
   * out of it, and IAM uses the ARN's partition, region and account) or a token.
   */
  readonly instanceId: string;

  /**
   * The default contact flow: a GUID or a contact-flow ARN (reduced to its GUID,
   * because the service rejects ARNs).
   */
  readonly contactFlowId: string;

  /**
   * The default caller id, an E.164 number claimed by the instance.
   *
   * @default - none; then `queueId` is required and the queue's outbound caller id is used
   */
  readonly sourcePhoneNumber?: string;

  /**
   * The default queue (GUID or queue ARN).
   *
   * @default - none; then `sourcePhoneNumber` is required and the flow's queue is used
   */
  readonly queueId?: string;

  /**
   * Other contact flows a request may name in `ContactFlowId`.
   *
   * @default - none: requests can only use `contactFlowId`
   */
  readonly allowedContactFlowIds?: string[];

  /**
   * Other queues a request may name in `QueueId`.
   *
   * @default - none: requests can only use `queueId`
   */
  readonly allowedQueueIds?: string[];

  /**
   * Other caller ids a request may name in `SourcePhoneNumber`.
   *
   * @default - none: requests can only use `sourcePhoneNumber`
   */
  readonly allowedSourcePhoneNumbers?: string[];

  /**
   * Countries that may be called (ISO 3166-1 alpha-2, e.g. `['US', 'CA']`).
   * Numbers without a country (non-geographic, e.g. +800) are refused when
   * this is set.
   *
   * @default - all countries
   */
  readonly allowedDestinationCountries?: string[];

  /**
   * Refuse premium-rate and shared-cost destination numbers (toll-fraud guard).
   *
   * @default true
   */
  readonly blockPremiumRateNumbers?: boolean;

  /**
   * Allow requests with `TrafficType: CAMPAIGN` (which also needs a Connect
   * service quota increase).
   *
   * @default false
   */
  readonly allowCampaignCalls?: boolean;

  /**
   * When calls may be placed, in the callee's local time (its time zone comes
   * from the number's prefix), e.g. `CallingHours.usTelemarketing()`. Queued
   * (batch) calls wait for their window; the synchronous route refuses calls
   * outside it with 403 OUTSIDE_CALLING_HOURS unless the policy's
   * `enforceOnSyncRoute` is false (README, "Calling hours").
   *
   * @default - no calling hours: calls are placed at any time
   */
  readonly callingHours?: CallingHours;

  /**
   * Who may call the route.
   *
   * @default CallerAuthorization.iam()
   */
  readonly authorization?: CallerAuthorization;

  /**
   * Request rate limits of the route (stage method throttling; also the usage
   * plan's throttle with API keys). With `batchCalls`, this rate plus the dial
   * rate must fit in `connectQuota`.
   *
   * @default - `connectQuota` (rate 2 per second, burst 5); with `batchCalls`, the
   * quota minus the dial rate (rate 1 per second, burst 4 by default)
   */
  readonly throttle?: OutboundCallerThrottle;

  /**
   * Amazon Connect's StartOutboundVoiceContact quota of the account in this
   * Region (Service Quotas). It is the default `throttle`; with `batchCalls` it
   * is split between the synchronous route and the dispatcher. Set it when AWS
   * raised your quota.
   *
   * @default - rate 2 per second, burst 5: Connect's default quota
   */
  readonly connectQuota?: OutboundCallerThrottle;

  /**
   * Bulk and scheduled calls: `POST /contact/outbound-voice/batches`, `GET` and
   * `DELETE /contact/outbound-voice/batches/{batchId}`, a dispatch queue with a
   * dead-letter queue, and a dispatcher function that dials at a steady rate.
   *
   * @default - no batch calls (their routes do not exist)
   */
  readonly batchCalls?: BatchCallsOptions;

  /**
   * Follow each call through Amazon Connect's contact events (an EventBridge
   * rule and a small status function) and serve
   * `GET /contact/outbound-voice/{contactId}` to the caller who placed it.
   *
   * @default true
   */
  readonly callStatus?: boolean;

  /**
   * Request rate limits of the status route, separate from the Connect quota
   * of the PUT route.
   *
   * @default - rate 10 per second, burst 20
   */
  readonly statusThrottle?: OutboundCallerThrottle;

  /**
   * Opt-in: the key of a contact attribute, configured as a searchable contact
   * attribute in the Connect instance, that carries a digest of each call's
   * ClientToken. When an attempt died after Connect accepted its call and
   * before the ContactId was recorded, the retry that takes its claim over
   * finds that call with SearchContacts instead of dialling again, also after
   * the call has ended. Configure the key in the instance first, by hand (the
   * Connect admin website's settings for searchable contact attributes): until
   * it is searchable, such a retry fails and dials nothing.
   * Requests may not set this attribute themselves.
   *
   * @default - no search: such a retry re-sends the ClientToken, and Connect
   * returns the earlier call only while it is still going (README, "Reliability")
   */
  readonly contactSearchAttribute?: string;

  /**
   * How long a placed call is replayed for its idempotency key. At most 7
   * days, the life of a Connect ClientToken.
   *
   * @default Duration.days(7)
   */
  readonly idempotencyWindow?: Duration;

  /**
   * Add the route to this REST API instead of creating one. Its deployment
   * stage gets the route's throttle; its gateway responses, access logs and
   * tracing stay as you configured them.
   *
   * @default - a new REST API with the secure defaults of this construct
   */
  readonly restApi?: apigw.IRestApi;

  /**
   * Use this table as the idempotency ledger. It must have the partition key
   * `pk` (String) and TTL on the attribute `expiresAt`; with `callStatus` on,
   * also the global secondary index `contactId` on the partition key
   * `contactId` (String), keys only (README, "Call status").
   *
   * @default - a new table: PAY_PER_REQUEST, encrypted, point-in-time recovery, TTL, and (with `callStatus`) the keys-only index `contactId`
   */
  readonly table?: dynamodb.ITable;

  /**
   * A customer-managed KMS key for the ledger table this construct creates.
   *
   * @default - the AWS managed key for DynamoDB
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * What happens to the ledger table and the log groups when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Retention of the handler's logs and the API's access logs.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * AWS X-Ray tracing of the API stage and the handler.
   *
   * @default true
   */
  readonly tracing?: boolean;

  /**
   * API Gateway execution logging level. Needs the account-level API Gateway
   * CloudWatch Logs role, which this construct does not create for you.
   *
   * @default apigw.MethodLoggingLevel.OFF - access logs (JSON) are always on
   */
  readonly executionLoggingLevel?: apigw.MethodLoggingLevel;

  /**
   * Memory of the handler, in MiB. Lambda gives CPU in proportion to memory
   * (1,769 MiB is one vCPU): the default keeps a cold first call near a
   * quarter of a second; see the README's memory model.
   *
   * @default 1024
   */
  readonly memorySize?: number;

  /**
   * Timeout of the handler: at most 29 seconds, API Gateway's integration timeout.
   *
   * @default Duration.seconds(25)
   */
  readonly timeout?: Duration;

  /**
   * Reserved concurrency of the handler.
   *
   * @default - no reservation (the account's unreserved pool)
   */
  readonly reservedConcurrentExecutions?: number;

  /**
   * Endpoint type of the REST API this construct creates.
   *
   * @default apigw.EndpointType.REGIONAL
   */
  readonly endpointType?: apigw.EndpointType;
}

/**
 * An HTTP API that places outbound calls through Amazon Connect:
 * `PUT /contact/outbound-voice` validates every request, never dials the same
 * call twice (an idempotency ledger in DynamoDB), stays inside Connect's
 * quota and is locked down by default.
 *
 * @example
 * import { App, Stack } from 'aws-cdk-lib';
 * import { OutboundCaller } from 'cdk-connect-outbound-caller';
 *
 * const stack = new Stack(new App(), 'Calls');
 * new OutboundCaller(stack, 'Caller', {
 *   instanceId: 'arn:aws:connect:us-east-1:111122223333:instance/10a4c4eb-f57e-4d4c-b602-bf39176ced07',
 *   contactFlowId: '846ec553-a005-41c0-8341-2a9cf1e8f2a7',
 *   sourcePhoneNumber: '+14155550100',
 * });
 */
export class OutboundCaller extends Construct {
  /** The route this construct serves. */
  public static readonly ROUTE_PATH: string = ROUTES.placeCall;
  /** The status route, with `callStatus`. */
  public static readonly STATUS_ROUTE_PATH: string = ROUTES.callStatus;
  /** The CloudWatch namespace of the handler's metrics. */
  public static readonly METRICS_NAMESPACE: string = METRICS.namespace;

  /** The REST API the route is on. */
  public readonly api: apigw.IRestApi;
  /** The `PUT /contact/outbound-voice` method. */
  public readonly method: apigw.Method;
  /** The URL of the route, on the API's deployment stage. */
  public readonly url: string;
  /** The Lambda handler. */
  public readonly handler: lambda.Function;
  /** The idempotency ledger. */
  public readonly table: dynamodb.ITable;
  /** The Connect instance id (taken out of the ARN when one was given). */
  public readonly instanceId: string;
  /** The default contact flow's GUID. */
  public readonly contactFlowId: string;
  /** The `GET /contact/outbound-voice/{contactId}` method, with `callStatus`. */
  public readonly statusMethod?: apigw.Method;
  /** The function that records contact events, with `callStatus`. */
  public readonly statusFunction?: lambda.Function;
  /** Where contact events that could not be delivered or recorded go, with `callStatus`. */
  public readonly deadLetterQueue?: sqs.IQueue;
  /** The EventBridge rule that sends Connect's contact events to the status function, with `callStatus`. */
  public readonly contactEventsRule?: events.IRule;
  /** The `POST /contact/outbound-voice/batches` method, with `batchCalls`. */
  public readonly submitBatchMethod?: apigw.Method;
  /** The `GET /contact/outbound-voice/batches/{batchId}` method, with `batchCalls`. */
  public readonly batchStatusMethod?: apigw.Method;
  /** The `DELETE /contact/outbound-voice/batches/{batchId}` method, with `batchCalls`. */
  public readonly cancelBatchMethod?: apigw.Method;
  /** The queue of calls accepted in batches, with `batchCalls`. */
  public readonly batchQueue?: sqs.IQueue;
  /** Where dispatch messages go after repeated failed deliveries, with `batchCalls`. */
  public readonly batchDeadLetterQueue?: sqs.IQueue;
  /** The function that dials the calls of batches, paced, with `batchCalls`. */
  public readonly batchDispatcher?: lambda.Function;
  /**
   * The function behind the batch routes (submit, status, cancel), with
   * `batchCalls`. The synchronous route's `handler` has no batch code and
   * cannot send to the dispatch queue.
   */
  public readonly batchApiFunction?: lambda.Function;
  /** The usage plan, with `CallerAuthorization.apiKey()`. */
  public readonly usagePlan?: apigw.UsagePlan;
  /** The API key, with `CallerAuthorization.apiKey()` unless `createApiKey` is false. */
  public readonly apiKey?: apigw.IApiKey;

  private readonly openApi: OpenApiOptions;

  constructor(scope: Construct, id: string, props: OutboundCallerProps) {
    super(scope, id);
    const resolved = resolveProps(this, props);
    this.instanceId = resolved.instance.instanceId;
    this.contactFlowId = resolved.contactFlowId;

    this.table = buildLedgerTable(this, resolved);
    this.handler = buildHandler(this, resolved, this.table);
    this.api = buildRestApi(this, resolved);
    const batch = resolved.batchCalls ? buildBatchCalls(this, resolved, resolved.batchCalls, this.table) : undefined;
    const routes = addRoutes(this, this.api, this.handler, resolved, batch?.api);
    this.method = routes.method;
    this.statusMethod = routes.statusMethod;
    const status = resolved.callStatus ? buildCallStatusTracking(this, resolved, this.table) : undefined;
    this.statusFunction = status?.fn;
    this.deadLetterQueue = status?.queue;
    this.contactEventsRule = status?.rule;
    this.submitBatchMethod = routes.batchMethods?.submit;
    this.batchStatusMethod = routes.batchMethods?.status;
    this.cancelBatchMethod = routes.batchMethods?.cancel;
    this.batchQueue = batch?.queue;
    this.batchDeadLetterQueue = batch?.deadLetterQueue;
    this.batchDispatcher = batch?.dispatcher;
    this.batchApiFunction = batch?.api;
    const access = addUsagePlan(this, this.api, routes, resolved);
    this.usagePlan = access.usagePlan;
    this.apiKey = access.apiKey;
    this.url = this.api.deploymentStage.urlForPath(ROUTES.placeCall);
    this.openApi = openApiOptions(this, this.api, resolved);
  }

  /**
   * The OpenAPI 3.1 document of this API, for this configuration: its server
   * URL (the stage), the security scheme of its authorization mode, its routes,
   * the request schema API Gateway checks, every answer with its envelope and
   * error codes, and the defaults and allow-lists (`x-outbound-caller`).
   *
   * The URL and ids may be tokens until deployment: pass the document through
   * `Stack.of(scope).toJsonString()` (for example into a `CfnOutput` or an S3
   * deployment) to get JSON with the deployed values. The same document for
   * every configuration ships in the npm package as `openapi.json`.
   */
  public openApiDocument(): any {
    return openApiDocument(this.openApi);
  }

  /**
   * Grants `execute-api:Invoke` on this construct's routes alone (the PUT,
   * the status GET with `callStatus`, and the three batch methods with
   * `batchCalls`), for `CallerAuthorization.iam()`.
   */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    const methods = [this.method, this.statusMethod, this.submitBatchMethod, this.batchStatusMethod, this.cancelBatchMethod];
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: methods.flatMap((method) => method ? [method.methodArn] : []),
    });
  }

  /** Calls placed (Connect accepted them). */
  public metricCallsStarted(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(METRICS.names.callsStarted, props);
  }

  /** Requests answered from the ledger without calling Connect. */
  public metricReplays(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(METRICS.names.replays, props);
  }

  /**
   * Requests the handler refused (any error answer). Add a `Code` dimension
   * (e.g. `VALIDATION_ERROR`) through `dimensionsMap` for one code.
   */
  public metricRejections(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(METRICS.names.rejections, props);
  }

  /**
   * Connect calls that failed. Add an `ErrorType` dimension (e.g.
   * `LimitExceededException`) through `dimensionsMap` for one type.
   */
  public metricConnectErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(METRICS.names.connectErrors, props);
  }

  /** Calls that were answered (CONNECTED_TO_SYSTEM: media established). Needs `callStatus`. */
  public metricCallsConnected(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(METRICS.names.callsConnected, props, this.requireStatusFunction('metricCallsConnected'));
  }

  /**
   * Calls an earlier attempt had placed before it died, found by the contact
   * search and not dialled again. Needs `contactSearchAttribute`.
   */
  public metricLostCallsFound(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(METRICS.names.lostCallsFound, props);
  }

  /** Calls that ended without being answered (DISCONNECTED before media). Needs `callStatus`. */
  public metricCallsFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(METRICS.names.callsFailed, props, this.requireStatusFunction('metricCallsFailed'));
  }

  /** How long the ledger took to claim (or answer a replay), in milliseconds; p99 unless a statistic is given. */
  public metricLedgerLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(METRICS.names.ledgerLatency, { statistic: cloudwatch.Stats.p(99), ...props });
  }

  /**
   * Turns on the alarms of `OutboundCallerAlarms`: the API's 5xx rate,
   * sustained 429s, Connect errors by kind, the ledger unavailable, handler
   * errors, throttles and duration near its timeout, (with `callStatus`) the
   * status pipeline, and (with `batchCalls`) the dispatch queue's oldest
   * message, its dead-letter queue and the dispatcher's errors. Once per construct.
   */
  public addAlarms(options: OutboundCallerAlarmsOptions = {}): OutboundCallerAlarms {
    this.refuseSecondCall('Alarms', 'addAlarms', 'OutboundCallerAlarms');
    const alarms = new OutboundCallerAlarms(this, 'Alarms', { ...options, caller: this });
    const dashboard = this.node.tryFindChild('Dashboard');
    if (dashboard instanceof OutboundCallerDashboard) dashboard.addAlarmStatus(alarms);
    return alarms;
  }

  /**
   * Turns on a CloudWatch dashboard of `OutboundCallerDashboard`: calls,
   * rejections by code, latency, Connect errors, throttling, ledger latency,
   * the status pipeline and (with `batchCalls`) the dispatch queue and the
   * dispatcher (with the alarms' status when `addAlarms()` is called too, in
   * either order). Once per construct.
   */
  public addDashboard(options: OutboundCallerDashboardOptions = {}): OutboundCallerDashboard {
    this.refuseSecondCall('Dashboard', 'addDashboard', 'OutboundCallerDashboard');
    const dashboard = new OutboundCallerDashboard(this, 'Dashboard', { ...options, caller: this });
    const alarms = this.node.tryFindChild('Alarms');
    if (alarms instanceof OutboundCallerAlarms) dashboard.addAlarmStatus(alarms);
    return dashboard;
  }

  /** addAlarms() and addDashboard() make one child each: a second call is a mistake, said plainly. */
  private refuseSecondCall(childId: string, method: string, returned: string): void {
    if (this.node.tryFindChild(childId)) {
      throw new Error(`OutboundCaller: ${method}() was already called on this construct; got a second call. `
        + `Call it once, with every option, and keep the ${returned} it returns.`);
    }
  }

  private requireStatusFunction(method: string): lambda.IFunction {
    if (!this.statusFunction) {
      throw new Error(`OutboundCaller: ${method}() needs callStatus; got callStatus: false. Turn callStatus on to follow calls.`);
    }
    return this.statusFunction;
  }

  private metric(metricName: string, props?: cloudwatch.MetricOptions, fn: lambda.IFunction = this.handler): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: OutboundCaller.METRICS_NAMESPACE,
      metricName,
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
      ...props,
      dimensionsMap: { [METRICS.dimensions.functionName]: fn.functionName, ...props?.dimensionsMap },
    });
  }
}
