import { Annotations, Aws, Duration, IResolvable, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CallerAuthorization, CallerAuthorizationMode } from './caller-authorization';
import { acknowledge, type Acknowledgement } from './private/acknowledgements';
import { ContactEventsFunction } from './private/contact-events-function';
import { ALL_COUNTRIES, ENV, LEDGER, METRICS, ROUTES } from './private/contract';
import { addErrorGatewayResponses } from './private/gateway-responses';
import { OutboundCallerFunction } from './private/outbound-caller-function';
import {
  checkDuration, checkInstanceLocation, checkLedgerTable, checkPhoneNumber, checkRange, checkThrottle, MAX_IDEMPOTENCY_WINDOW,
  MAX_TIMEOUT, parseContactFlowId, parseCountries, parseInstance, parseQueueId, PropsProblems,
} from './private/props-validation';
import { outboundVoiceRequestSchema } from './private/request-schema';

/** A route's stage throttle (internal). */
interface RouteThrottle {
  readonly path: string;
  readonly method: string;
  readonly rateLimit: number;
  readonly burstLimit: number;
}

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
   * Who may call the route.
   *
   * @default CallerAuthorization.iam()
   */
  readonly authorization?: CallerAuthorization;

  /**
   * Request rate limits of the route (stage method throttling; also the usage
   * plan's throttle with API keys).
   *
   * @default - rate 2 per second, burst 5: the StartOutboundVoiceContact quota
   */
  readonly throttle?: OutboundCallerThrottle;

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
   * `pk` (String) and TTL on the attribute `expiresAt`.
   *
   * @default - a new table: PAY_PER_REQUEST, encrypted, point-in-time recovery, TTL
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
   * Memory of the handler, in MiB.
   *
   * @default 256
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
  /** The usage plan, with `CallerAuthorization.apiKey()`. */
  public readonly usagePlan?: apigw.UsagePlan;
  /** The API key, with `CallerAuthorization.apiKey()` unless `createApiKey` is false. */
  public readonly apiKey?: apigw.IApiKey;

  constructor(scope: Construct, id: string, props: OutboundCallerProps) {
    super(scope, id);

    // 1. Check every prop, report every problem at once, before creating anything.
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
    const allowedFlows = (props.allowedContactFlowIds ?? []).map((flow, i) =>
      parseContactFlowId(`allowedContactFlowIds[${i}]`, flow, instanceId, problems));
    const allowedQueues = (props.allowedQueueIds ?? []).map((queue, i) =>
      parseQueueId(`allowedQueueIds[${i}]`, queue, instanceId, problems));
    (props.allowedSourcePhoneNumbers ?? []).forEach((number, i) =>
      checkPhoneNumber(`allowedSourcePhoneNumbers[${i}]`, number, problems));
    const countries = parseCountries(props.allowedDestinationCountries, problems);
    const rateLimit = props.throttle?.rateLimit ?? 2;
    const burstLimit = props.throttle?.burstLimit ?? 5;
    checkThrottle('throttle', rateLimit, burstLimit, {
      rate: 'Use the Connect quota (2 per second) unless AWS raised it.',
      burst: 'Use the Connect quota (5) unless AWS raised it.',
    }, problems);
    const callStatus = props.callStatus ?? true;
    const statusRate = props.statusThrottle?.rateLimit ?? 10;
    const statusBurst = props.statusThrottle?.burstLimit ?? 20;
    checkThrottle('statusThrottle', statusRate, statusBurst, {
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
    checkInstanceLocation(instance, Stack.of(this).account, Stack.of(this).region, problems);
    const tableWarning = checkLedgerTable(props.table, problems);
    if (props.restApi === undefined && props.endpointType === apigw.EndpointType.PRIVATE) {
      problems.add('endpointType', 'PRIVATE needs a resource policy that admits your VPC endpoints, which this construct '
        + 'cannot know: without one every request is refused', 'PRIVATE',
      'Create the private RestApi yourself (with its policy and endpoint configuration) and pass it as restApi.');
    }
    if (props.authorization?.mode === CallerAuthorizationMode.COGNITO && (props.authorization.userPools ?? []).length === 0) {
      problems.add('authorization', 'CallerAuthorization.cognito() needs at least one user pool', [],
        'Pass the user pools whose tokens may call the route, e.g. CallerAuthorization.cognito([userPool]).');
    }
    problems.throwIfAny();
    if (tableWarning) Annotations.of(this).addWarningV2('cdk-connect-outbound-caller:ledgerTtl', tableWarning);

    this.instanceId = instanceId;
    this.contactFlowId = contactFlowId;
    const authorization = props.authorization ?? CallerAuthorization.iam();
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const tracing = props.tracing ?? true;
    const windowSeconds = (props.idempotencyWindow ?? MAX_IDEMPOTENCY_WINDOW).toSeconds();

    // 2. The ledger.
    this.table = props.table ?? new dynamodb.Table(this, 'Ledger', {
      partitionKey: { name: LEDGER.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: props.encryptionKey ? dynamodb.TableEncryption.CUSTOMER_MANAGED : dynamodb.TableEncryption.AWS_MANAGED,
      encryptionKey: props.encryptionKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: LEDGER.ttlAttribute,
      removalPolicy,
    });

    // 3. The handler, with a role that can do exactly what it does.
    const role = new iam.Role(this, 'HandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'OutboundCaller handler: start outbound voice contacts on one Connect instance, use its ledger',
    });
    const logGroup = new logs.LogGroup(this, 'HandlerLogs', { retention: logRetention, removalPolicy });
    logGroup.grantWrite(role);
    this.handler = new OutboundCallerFunction(this, 'Handler', {
      description: 'OutboundCaller: PUT /contact/outbound-voice',
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(25),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      tracing: tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup,
      role,
      environment: {
        [ENV.instanceId]: instanceId,
        [ENV.contactFlowId]: contactFlowId,
        ...(props.sourcePhoneNumber ? { [ENV.sourcePhoneNumber]: props.sourcePhoneNumber } : {}),
        ...(queueId ? { [ENV.queueId]: queueId } : {}),
        [ENV.allowedContactFlowIds]: allowedFlows.join(','),
        [ENV.allowedQueueIds]: allowedQueues.join(','),
        [ENV.allowedSourcePhoneNumbers]: (props.allowedSourcePhoneNumbers ?? []).join(','),
        [ENV.allowedDestinationCountries]: countries ? countries.join(',') : ALL_COUNTRIES,
        [ENV.blockPremiumRateNumbers]: String(props.blockPremiumRateNumbers ?? true),
        [ENV.allowCampaignCalls]: String(props.allowCampaignCalls ?? false),
        [ENV.authMode]: authorization.mode,
        [ENV.tableName]: this.table.tableName,
        [ENV.idempotencyWindowSeconds]: String(windowSeconds),
        [ENV.metricsNamespace]: OutboundCaller.METRICS_NAMESPACE,
        [ENV.callStatus]: String(callStatus),
      },
    });

    const stack = Stack.of(this);
    const contactArn = `arn:${instance.partition ?? Aws.PARTITION}:connect:${instance.region ?? stack.region}:`
      + `${instance.account ?? stack.account}:instance/${instanceId}/contact/*`;
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'StartOutboundVoiceContactOnThisInstance',
      actions: ['connect:StartOutboundVoiceContact'],
      resources: [contactArn],
    }));
    // The ledger item actions the handler really uses: claim, record, release (and read a call's status).
    this.table.grant(role, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem',
      ...(callStatus ? ['dynamodb:GetItem'] : []));
    // A table of the user's encrypted with their key: the handler needs the key too (table.grant() does not give it).
    const ledgerKey = props.encryptionKey ?? props.table?.encryptionKey;
    if (ledgerKey) {
      ledgerKey.grant(role, 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey',
        'kms:ReEncryptFrom', 'kms:ReEncryptTo');
    }

    // 4. The API and the route.
    const ownApi = props.restApi === undefined;
    const routeThrottles: RouteThrottle[] = [
      { path: OutboundCaller.ROUTE_PATH, method: 'PUT', rateLimit, burstLimit },
      ...(callStatus ? [{ path: OutboundCaller.STATUS_ROUTE_PATH, method: 'GET', rateLimit: statusRate, burstLimit: statusBurst }] : []),
    ];
    const api = props.restApi ?? this.createApi(props, routeThrottles, tracing, logRetention, removalPolicy);
    this.api = api;
    const model = new apigw.Model(this, 'RequestModel', {
      restApi: api,
      contentType: 'application/json',
      description: 'StartOutboundVoiceContact request (PascalCase fields; unknown fields refused)',
      schema: outboundVoiceRequestSchema(),
    });
    const validator = new apigw.RequestValidator(this, 'RequestValidator', {
      restApi: api,
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const resource = api.root.resourceForPath(OutboundCaller.ROUTE_PATH);
    const methodAuthorization = this.methodAuthorization(authorization);
    this.method = resource.addMethod('PUT', new apigw.LambdaIntegration(this.handler, { allowTestInvoke: false }), {
      ...methodAuthorization,
      requestValidator: validator,
      requestModels: { 'application/json': model },
      requestParameters: { 'method.request.header.Idempotency-Key': false },
    });
    if (callStatus) {
      this.statusMethod = resource.addResource('{contactId}').addMethod('GET',
        new apigw.LambdaIntegration(this.handler, { allowTestInvoke: false }), {
          ...methodAuthorization,
          requestValidator: validator,
          requestParameters: { 'method.request.path.contactId': true },
        });
      const status = this.createStatusTracking(instanceId, tracing, logRetention, removalPolicy, ledgerKey);
      this.statusFunction = status.fn;
      this.deadLetterQueue = status.queue;
    }
    if (!ownApi) this.throttleRoutesOnExistingStage(api, routeThrottles);

    if (authorization.mode === CallerAuthorizationMode.API_KEY) {
      this.usagePlan = new apigw.UsagePlan(this, 'UsagePlan', {
        description: 'OutboundCaller callers',
        // Per key: the status route may be polled faster than calls may be placed.
        throttle: callStatus ? { rateLimit: statusRate, burstLimit: statusBurst } : { rateLimit, burstLimit },
        quota: authorization.apiKeyOptions?.quota,
        apiStages: [{
          api,
          stage: api.deploymentStage,
          throttle: callStatus ? [{ method: this.method, throttle: { rateLimit, burstLimit } }] : undefined,
        }],
      });
      if (authorization.apiKeyOptions?.createApiKey ?? true) {
        this.apiKey = new apigw.ApiKey(this, 'ApiKey', { description: 'OutboundCaller caller key' });
        this.usagePlan.addApiKey(this.apiKey);
      }
    }

    this.url = api.deploymentStage.urlForPath(OutboundCaller.ROUTE_PATH);
    this.acknowledgeFindings(role, authorization, tracing, ownApi, props);
  }

  /**
   * Grants `execute-api:Invoke` on this construct's routes alone (the PUT,
   * and the status GET with `callStatus`), for `CallerAuthorization.iam()`.
   */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: [this.method.methodArn, ...(this.statusMethod ? [this.statusMethod.methodArn] : [])],
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

  /** Calls that ended without being answered (DISCONNECTED before media). Needs `callStatus`. */
  public metricCallsFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(METRICS.names.callsFailed, props, this.requireStatusFunction('metricCallsFailed'));
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

  /**
   * Contact events of this instance's API-initiated contacts → the status
   * function (update on the ledger only), with retries and a dead-letter queue
   * both for deliveries EventBridge could not make and for events the
   * function could not record.
   */
  private createStatusTracking(
    instanceId: string, tracing: boolean, retention: logs.RetentionDays, removalPolicy: RemovalPolicy, key?: kms.IKey,
  ): { fn: lambda.Function; queue: sqs.Queue } {
    const queue = new sqs.Queue(this, 'StatusDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });
    const role = new iam.Role(this, 'StatusRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'OutboundCaller status function: record contact events in the ledger',
    });
    const logGroup = new logs.LogGroup(this, 'StatusLogs', { retention, removalPolicy });
    logGroup.grantWrite(role);
    const fn = new ContactEventsFunction(this, 'StatusFunction', {
      description: 'OutboundCaller: contact events to call status',
      architecture: lambda.Architecture.ARM_64,
      memorySize: 128,
      timeout: Duration.seconds(10),
      tracing: tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup,
      role,
      // Asynchronous invocations (from EventBridge): two retries, then the event goes to the dead-letter queue.
      retryAttempts: 2,
      deadLetterQueue: queue,
      environment: {
        [ENV.instanceId]: instanceId,
        [ENV.tableName]: this.table.tableName,
        [ENV.metricsNamespace]: OutboundCaller.METRICS_NAMESPACE,
      },
    });
    this.table.grant(role, 'dynamodb:UpdateItem');
    if (key) key.grant(role, 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey');
    new events.Rule(this, 'ContactEventsRule', {
      description: 'OutboundCaller: contact events of API-initiated contacts of this Connect instance',
      eventPattern: {
        source: ['aws.connect'],
        detailType: ['Amazon Connect Contact Event'],
        detail: {
          instanceArn: events.Match.suffix(`:instance/${instanceId}`),
          initiationMethod: ['API'],
        },
      },
      targets: [new targets.LambdaFunction(fn, {
        deadLetterQueue: queue,
        retryAttempts: 8,
        maxEventAge: Duration.hours(2),
      })],
    });
    return { fn, queue };
  }

  private createApi(
    props: OutboundCallerProps, routes: RouteThrottle[], tracing: boolean,
    retention: logs.RetentionDays, removalPolicy: RemovalPolicy,
  ): apigw.RestApi {
    const [put] = routes;
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention, removalPolicy });
    const api = new apigw.RestApi(this, 'Api', {
      description: 'OutboundCaller: places outbound calls through Amazon Connect',
      endpointConfiguration: { types: [props.endpointType ?? apigw.EndpointType.REGIONAL] },
      cloudWatchRole: false,
      deployOptions: {
        tracingEnabled: tracing,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.custom(JSON.stringify({
          requestId: apigw.AccessLogField.contextRequestId(),
          extendedRequestId: apigw.AccessLogField.contextExtendedRequestId(),
          requestTime: apigw.AccessLogField.contextRequestTime(),
          ip: apigw.AccessLogField.contextIdentitySourceIp(),
          caller: apigw.AccessLogField.contextIdentityCaller(),
          user: apigw.AccessLogField.contextIdentityUser(),
          apiKeyId: apigw.AccessLogField.contextIdentityApiKeyId(),
          httpMethod: apigw.AccessLogField.contextHttpMethod(),
          resourcePath: apigw.AccessLogField.contextResourcePath(),
          status: apigw.AccessLogField.contextStatus(),
          protocol: apigw.AccessLogField.contextProtocol(),
          responseLength: apigw.AccessLogField.contextResponseLength(),
          integrationLatency: apigw.AccessLogField.contextIntegrationLatency(),
          errorResponseType: apigw.AccessLogField.contextErrorResponseType(),
        })),
        loggingLevel: props.executionLoggingLevel ?? apigw.MethodLoggingLevel.OFF,
        // Stage default: the Connect quota; then each route's own setting.
        throttlingRateLimit: put.rateLimit,
        throttlingBurstLimit: put.burstLimit,
        methodOptions: Object.fromEntries(routes.map((route) => [
          `${route.path}/${route.method}`,
          { throttlingRateLimit: route.rateLimit, throttlingBurstLimit: route.burstLimit },
        ])),
      },
    });
    addErrorGatewayResponses(api);
    return api;
  }

  /** With a REST API of the user's, the routes still get their throttles on its deployment stage. */
  private throttleRoutesOnExistingStage(api: apigw.IRestApi, routes: RouteThrottle[]): void {
    const stage = api.deploymentStage?.node.defaultChild;
    if (!(stage instanceof apigw.CfnStage)) {
      throw new Error('OutboundCaller: restApi has no deployment stage defined in this app, so the route\'s throttle '
        + `could not be applied; got ${api.node.path}. Use a RestApi with deploy: true (the default).`);
    }
    const settings = stage.methodSettings;
    if (Token.isUnresolved(settings)) {
      throw new Error('OutboundCaller: the method settings of restApi\'s deployment stage are a token, so the route\'s '
        + 'throttle could not be added to them. Set them as a list, or let OutboundCaller create the API.');
    }
    const existing = (settings as Array<apigw.CfnStage.MethodSettingProperty | IResolvable> | undefined) ?? [];
    stage.methodSettings = [...existing, ...routes.map((route) => ({
      // API Gateway's method-setting path: "/" escaped as "~1".
      resourcePath: `/${route.path.replace(/\//g, '~1')}`,
      httpMethod: route.method,
      throttlingRateLimit: route.rateLimit,
      throttlingBurstLimit: route.burstLimit,
    }))];
  }

  private methodAuthorization(authorization: CallerAuthorization): apigw.MethodOptions {
    switch (authorization.mode) {
      case CallerAuthorizationMode.IAM:
        return { authorizationType: apigw.AuthorizationType.IAM };
      case CallerAuthorizationMode.API_KEY:
        return { authorizationType: apigw.AuthorizationType.NONE, apiKeyRequired: true };
      case CallerAuthorizationMode.COGNITO:
        return {
          authorizationType: apigw.AuthorizationType.COGNITO,
          authorizer: new apigw.CognitoUserPoolsAuthorizer(this, 'Authorizer', {
            cognitoUserPools: authorization.userPools ?? [],
          }),
          authorizationScopes: authorization.cognitoOptions?.authorizationScopes,
        };
      case CallerAuthorizationMode.NONE:
        return { authorizationType: apigw.AuthorizationType.NONE };
    }
  }

  /**
   * Findings the design justifies, acknowledged on the resources with the
   * reason. Findings that are the user's decision (no authorization, API keys
   * as the only authentication) are left visible.
   */
  private acknowledgeFindings(
    role: iam.Role, authorization: CallerAuthorization, tracing: boolean, ownApi: boolean, props: OutboundCallerProps,
  ): void {
    const xray: Acknowledgement = {
      nag: 'AwsSolutions-IAM5',
      reason: 'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions: "*" is the only valid resource.',
      appliesTo: ['Resource::*'],
    };
    const defaultPolicy = (r: iam.IRole): iam.Policy | undefined => r.node.tryFindChild('DefaultPolicy') as iam.Policy | undefined;
    const handlerPolicy = defaultPolicy(role);
    if (handlerPolicy) {
      acknowledge(handlerPolicy, [{
        nag: 'AwsSolutions-IAM5',
        reason: 'StartOutboundVoiceContact authorizes on instance/<id>/contact/*: the contact id does not exist '
          + 'before the call, so the wildcard is scoped to contacts of this one instance (the API reference\'s own example).',
        appliesTo: [{ regex: '/^Resource::arn:.*:connect:.*:instance\\/.*\\/contact\\/\\*$/' }],
      }, ...(tracing ? [xray] : [])]);
    }
    const noVpc: Acknowledgement = {
      guard: 'lambda_inside_vpc_check',
      reason: 'The function talks only to AWS APIs (Connect, DynamoDB) under IAM; a VPC would add NAT or endpoint cost and cold-start time without reducing exposure.',
    };
    acknowledge(this.handler, [{
      nag: 'Serverless-LambdaDLQ',
      reason: 'Invoked synchronously by API Gateway only: the caller receives every failure in the response, so a DLQ would never hold anything.',
    }, noVpc]);
    // LambdaIntegration's permissions: apigateway.amazonaws.com, restricted by SourceArn to each method.
    for (const method of [this.method, this.statusMethod]) {
      for (const child of method?.node.children ?? []) {
        if (child instanceof lambda.CfnPermission) {
          acknowledge(child, [{
            guard: 'lambda_function_public_access_prohibited_check',
            reason: 'Principal is apigateway.amazonaws.com with SourceArn set to this API\'s method; the rule cannot evaluate the Fn::Join that builds that ARN.',
          }]);
        }
      }
    }
    const logGroups = [this.handler.logGroup, this.node.tryFindChild('AccessLogs'), this.statusFunction?.logGroup];
    for (const group of logGroups) {
      if (group) {
        acknowledge(group, [{
          guard: 'cloudwatch_log_group_encrypted_check',
          reason: 'CloudWatch Logs encrypts all log data at rest with service-managed keys; these logs hold no phone numbers (masked to the last 4 digits), so a customer-managed key adds key management without protecting more.',
        }]);
      }
    }
    if (authorization.mode === CallerAuthorizationMode.IAM) {
      for (const method of [this.method, this.statusMethod]) {
        if (method) {
          acknowledge(method, [{
            nag: 'AwsSolutions-COG4',
            reason: 'The method uses IAM (SigV4) authorization: callers are AWS principals granted execute-api:Invoke on these routes alone.',
          }]);
        }
      }
    }
    if (this.statusFunction) {
      const statusPolicy = this.statusFunction.role && defaultPolicy(this.statusFunction.role);
      if (statusPolicy && tracing) acknowledge(statusPolicy, [xray]);
      acknowledge(this.statusFunction, [noVpc]);
      const invokeConfig = this.statusFunction.node.tryFindChild('EventInvokeConfig');
      if (invokeConfig) {
        acknowledge(invokeConfig, [{
          nag: 'Serverless-LambdaAsyncFailureDestination',
          reason: 'Failed asynchronous invocations go to the function\'s dead-letter queue (DeadLetterConfig) after two retries; an on-failure destination would deliver the same events a second time.',
        }]);
      }
    }
    if (this.deadLetterQueue) {
      acknowledge(this.deadLetterQueue, [{
        nag: 'Serverless-SQSRedrivePolicy',
        guard: 'sqs_dlq_check',
        reason: 'This queue is itself the dead-letter queue of the contact-events rule and the status function; a dead-letter queue of a dead-letter queue would only move the same messages again.',
      }]);
    }
    if (ownApi) {
      const stage = (this.api as apigw.RestApi).deploymentStage;
      acknowledge(stage, [{
        nag: 'AwsSolutions-APIG3',
        reason: 'Every request is schema-validated and throttled (stage and route limits, the Connect quota by default); a WAF web ACL is an account-level choice: associate yours with the stage ARN.',
      }]);
      if ((props.executionLoggingLevel ?? apigw.MethodLoggingLevel.OFF) === apigw.MethodLoggingLevel.OFF) {
        acknowledge(stage, [{
          nag: 'AwsSolutions-APIG6',
          guard: 'api_gw_v1_execution_logging_enabled_check',
          reason: 'JSON access logs record every request with its request id, caller and status; execution logs need the account-wide API Gateway CloudWatch role, which a construct must not create for the account (set executionLoggingLevel once it exists).',
        }]);
      }
    }
  }
}
