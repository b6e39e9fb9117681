/**
 * The contract between the construct (src/) and its handlers (lambda/): every
 * name and limit both sides must agree on, written once.
 *
 * Plain constants only, no aws-cdk-lib or SDK imports: jsii compiles this file
 * with the construct, and esbuild inlines it into each handler bundle.
 * test/contract.test.ts fails when the request model, the handler's rules or
 * the construct drift from it. docs/architecture.md explains the contract.
 */

/** The routes the construct serves. */
export const ROUTES = {
  /** Places a call. */
  placeCall: '/contact/outbound-voice',
  /** Answers a call's status (with call status on). */
  callStatus: '/contact/outbound-voice/{contactId}',
  /** Submits a batch of calls (with batch calls on). */
  batches: '/contact/outbound-voice/batches',
  /** A batch's status (GET) and its cancellation (DELETE). */
  batch: '/contact/outbound-voice/batches/{batchId}',
} as const;

/** Environment variables the construct writes and the handlers read (at cold start). */
export const ENV = {
  instanceId: 'INSTANCE_ID',
  contactFlowId: 'CONTACT_FLOW_ID',
  sourcePhoneNumber: 'SOURCE_PHONE_NUMBER',
  queueId: 'QUEUE_ID',
  allowedContactFlowIds: 'ALLOWED_CONTACT_FLOW_IDS',
  allowedQueueIds: 'ALLOWED_QUEUE_IDS',
  allowedSourcePhoneNumbers: 'ALLOWED_SOURCE_PHONE_NUMBERS',
  allowedDestinationCountries: 'ALLOWED_DESTINATION_COUNTRIES',
  blockPremiumRateNumbers: 'BLOCK_PREMIUM_RATE_NUMBERS',
  allowCampaignCalls: 'ALLOW_CAMPAIGN_CALLS',
  authMode: 'AUTH_MODE',
  tableName: 'LEDGER_TABLE_NAME',
  idempotencyWindowSeconds: 'IDEMPOTENCY_WINDOW_SECONDS',
  metricsNamespace: 'METRICS_NAMESPACE',
  callStatus: 'CALL_STATUS',
  /** Seconds without news after which the status route asks Connect (DescribeContact). */
  statusLookupAfterSeconds: 'STATUS_LOOKUP_AFTER_SECONDS',
  /** Seconds between two DescribeContact lookups of one call, at least. */
  statusLookupIntervalSeconds: 'STATUS_LOOKUP_INTERVAL_SECONDS',
  /** Searchable contact attribute that carries a digest of the ClientToken; unset: no search. */
  contactSearchAttribute: 'CONTACT_SEARCH_ATTRIBUTE',
  /** URL of the dispatch queue; set: batch calls on (both functions), unset: the batch routes answer 404. */
  batchQueueUrl: 'BATCH_QUEUE_URL',
  /** Calls per second the dispatcher places, whatever its concurrency (a number > 0). */
  batchDialRate: 'BATCH_DIAL_RATE',
  /** The calling-hours policy, JSON (calling-hours-policy.ts); unset: no calling hours. */
  callingHours: 'CALLING_HOURS',
  /** "true": the synchronous route refuses calls outside the calling hours (403 OUTSIDE_CALLING_HOURS). */
  callingHoursSync: 'CALLING_HOURS_SYNC',
  /**
   * The longest one wake-up of a waiting batch call sleeps, in seconds (1-900; default 900, SQS's
   * limit). The construct leaves it unset; the sandbox and the tests lower it to move a controlled clock.
   */
  batchMaxWakeUpSeconds: 'BATCH_MAX_WAKE_UP_SECONDS',
} as const;

/**
 * Batch calls (docs/batches.md): the limits the handler enforces on
 * `POST /contact/outbound-voice/batches`, the throttle the construct gives that
 * route, and the timings of the dispatch queue the construct must respect.
 */
export const BATCH = {
  /** Calls in one batch, at least and at most. */
  calls: { min: 1, max: 1000 },
  /** Request bodies of the batch route over this many bytes are refused (413): 1,000 calls of about 1 KiB. */
  bodyBytes: 1024 * 1024,
  /** The ClientTokens of one batch together, in UTF-8 bytes (the batch record lists them; DynamoDB items hold 400 KB). */
  clientTokensBytes: 256 * 1024,
  /** NotBefore at most this far ahead (35 days). */
  maxNotBeforeAheadSeconds: 35 * 24 * 3600,
  /** A NotBefore this much in the past is still taken as "now" (clock skew), older is refused. */
  notBeforeSkewSeconds: 60,
  /** Without NotAfter, undialled calls expire this long after NotBefore (or submission): 24 hours. */
  defaultLifetimeSeconds: 24 * 3600,
  /** NotAfter at most this long after NotBefore (or submission): the ledger's and Connect's 7-day token memory. */
  maxLifetimeSeconds: 7 * 24 * 3600,
  /** The dispatcher's default dial rate: Connect's default quota is 2/s; the synchronous route keeps the other 1/s. */
  defaultDialRatePerSecond: 1,
  /** The highest dial rate the dispatcher accepts (checked at synth and at cold start). */
  maxDialRatePerSecond: 1000,
  /**
   * Default API Gateway throttle of the batch submission (`batchCalls.submitThrottle`): each submission may carry
   * 1,000 calls. The batch GET and DELETE take the status route's throttle, so that clients can poll (rest-api.ts).
   */
  routeThrottle: { rateLimit: 1, burstLimit: 2 },
  /**
   * SQS DelaySeconds is at most 900: a longer wait (NotBefore, calling hours) is a chain of wake-ups,
   * each re-queued by the dispatcher with the time still left, at most this long.
   */
  maxWakeUpDelaySeconds: 900,
  /**
   * A dispatcher's claim on a call (DIALING) is taken over by a redelivered message after this long:
   * shorter than Connect's shortest ring timeout (15 s), like the synchronous route's claim.
   */
  claimLeaseSeconds: 10,
  /** The dispatcher function's timeout; the queue's visibility timeout must be at least 6 times it (AWS's advice for SQS event sources). */
  dispatcherTimeoutSeconds: 30,
  /** Messages per dispatcher invocation (SQS event source batch size). */
  eventBatchSize: 10,
  /** Receives of one message before SQS moves it to the dead-letter queue. */
  maxReceiveCount: 5,
  /** A batch id in the status and cancel routes: a UUID. */
  batchIdPattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
} as const;

/** The state of one call of a batch, as GET on the batch reports it. The last four are final. */
export const BATCH_CALL_STATES = ['SCHEDULED', 'QUEUED', 'DIALING', 'PLACED', 'FAILED', 'EXPIRED', 'CANCELLED'] as const;
export type BatchCallState = typeof BATCH_CALL_STATES[number];

/**
 * When the status route asks Connect about a call whose events did not come
 * (EventBridge delivers contact events on a best-effort basis): a call that is
 * not final and has had no news for `afterSeconds` is looked up with
 * DescribeContact, at most once per `intervalSeconds` per call.
 */
export const STATUS_LOOKUP = {
  afterSeconds: 60,
  intervalSeconds: 30,
} as const;

/** `ALLOWED_DESTINATION_COUNTRIES` value for "every country". */
export const ALL_COUNTRIES = '*';

/** CloudWatch metrics the handlers emit (embedded metric format) and the construct's `metric*()` methods read. */
export const METRICS = {
  namespace: 'OutboundCaller',
  names: {
    callsStarted: 'CallsStarted',
    replays: 'Replays',
    rejections: 'Rejections',
    connectErrors: 'ConnectErrors',
    ledgerLatency: 'LedgerLatency',
    callsConnected: 'CallsConnected',
    callsFailed: 'CallsFailed',
    /** A call an earlier, dead attempt had placed, found by the contact search instead of dialled again. */
    lostCallsFound: 'LostCallsFound',
  },
  dimensions: {
    /** On every metric. */
    functionName: 'FunctionName',
    /** Breakdown of Rejections by error code. */
    code: 'Code',
    /** Breakdown of ConnectErrors by exception name. */
    errorType: 'ErrorType',
  },
} as const;

/**
 * Every error code of the HTTP contract, with its HTTP status: the handler
 * answers with them, counts them in the Rejections metric (dimension `Code`),
 * and the dashboard charts each.
 */
export const ERROR_STATUS = {
  VALIDATION_ERROR: 400,
  FORBIDDEN: 403,
  DESTINATION_NOT_ALLOWED: 403,
  OUTBOUND_CONTACT_NOT_PERMITTED: 403,
  /** The callee's local time is outside the calling hours (with `Retry-After` until they open). */
  OUTSIDE_CALLING_HOURS: 403,
  RESOURCE_NOT_FOUND: 404,
  IDEMPOTENCY_IN_PROGRESS: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  UPSTREAM_ERROR: 502,
  LEDGER_UNAVAILABLE: 503,
} as const;
export type ErrorCode = keyof typeof ERROR_STATUS;

/**
 * The ledger table: its key, its TTL attribute, the attributes of the
 * idempotency record of a (caller, key) (which also carries the call's status
 * once the call is placed), the index that finds a record by ContactId, and
 * the items of batch calls (docs/batches.md).
 * docs/architecture.md describes what each attribute holds.
 */
export const LEDGER = {
  /** Partition key (String): the only key of the table. */
  partitionKey: 'pk',
  /** TTL attribute (Number, epoch seconds). */
  ttlAttribute: 'expiresAt',
  /** Attributes of an idempotency record: `pk` is a SHA-256 of caller + key. */
  record: {
    status: 'status',
    fingerprint: 'fingerprint',
    claimId: 'claimId',
    deadline: 'deadline',
    contactId: 'contactId',
    createdAt: 'createdAt',
    responseBody: 'responseBody',
  },
  /** Statuses of an idempotency record. */
  recordStatus: { inProgress: 'IN_PROGRESS', completed: 'COMPLETED' },
  /**
   * Attributes a record gains, with call status on, in the same write that
   * completes it (it already carries `contactId` and `createdAt`).
   */
  callStatus: {
    callerHash: 'callerHash',
    /** The call's status (PLACED, INITIATED, …): `status` is the record's own. */
    callStatus: 'callStatus',
    statusRank: 'statusRank',
    updatedAt: 'updatedAt',
    events: 'events',
  },
  /** Attributes a record's call status gains later, from events and DescribeContact lookups. */
  callStatusUpdates: {
    /** Where the status came from: `event` or `lookup` (DescribeContact). */
    statusSource: 'statusSource',
    /** When Connect was last asked (epoch ms): the per-call lookup lease. */
    lookedUpAt: 'lookedUpAt',
    /** Whether that lookup answered (false: failed or throttled). */
    lookupOk: 'lookupOk',
    /** When Connect last confirmed the status (ISO 8601). */
    checkedAt: 'checkedAt',
  },
  /**
   * The keys-only global secondary index that finds a record by its ContactId
   * (sparse: only completed records carry one). With call status on, the
   * status route and the status function look calls up through it.
   */
  contactIndex: { name: 'contactId', partitionKey: 'contactId' },
  /**
   * Attributes a batch call's idempotency record carries besides `record`'s
   * (docs/batches.md). `callRequest` (the normalised call, with its phone numbers)
   * is removed when the call is final.
   */
  batchCall: {
    batchId: 'batchId',
    request: 'callRequest',
    clientToken: 'clientToken',
    callerHash: 'callerHash',
    /** When the call may be dialled (epoch ms): NotBefore, or when the callee's calling hours open. */
    dueAt: 'dueAt',
    /** When an undialled call expires (epoch ms). */
    notAfter: 'notAfter',
    /** Dial attempts that ended without a final answer (LimitExceeded, unknown outcome). */
    attempts: 'attempts',
    /** The error code of a FAILED call. */
    errorCode: 'errorCode',
  },
  /** Statuses of a batch call's record besides `recordStatus`' (COMPLETED is PLACED). */
  batchCallStatus: {
    queued: 'QUEUED', dialing: 'DIALING', failed: 'FAILED', expired: 'EXPIRED', cancelled: 'CANCELLED',
  },
  /** A batch's own item: `pk` is `batch#<batchId>`. */
  batch: {
    kind: 'kind',
    callerHash: 'callerHash',
    createdAt: 'createdAt',
    notBefore: 'notBefore',
    notAfter: 'notAfter',
    /** The accepted calls' ClientTokens, in submission order. */
    clientTokens: 'clientTokens',
    /** The accepted calls' record keys (`pk`), in the same order. */
    callKeys: 'callKeys',
  },
  batchKind: 'BATCH',
  batchKeyPrefix: 'batch#',
  /** `pk` of the dispatcher's pacing item (a shared schedule of dial slots). */
  pacerKey: 'pacer#dispatcher',
  /** Attribute of the pacing item: the next free dial slot (epoch ms). */
  pacerNextSlot: 'nextSlot',
} as const;

/** Only API Gateway answers this code: a 4xx it refused for a reason no other code names. */
export const GATEWAY_ONLY_ERROR_CODE = 'REQUEST_REJECTED';

/** How API Gateway authenticates callers (values of `CallerAuthorizationMode` and of `AUTH_MODE`). */
export const AUTH_MODES = ['IAM', 'API_KEY', 'COGNITO', 'NONE'] as const;
export type AuthMode = typeof AUTH_MODES[number];

/** The body fields `PUT /contact/outbound-voice` accepts: StartOutboundVoiceContact's, PascalCase. */
export const REQUEST_FIELDS = [
  'DestinationPhoneNumber',
  'ContactFlowId',
  'InstanceId',
  'QueueId',
  'SourcePhoneNumber',
  'Attributes',
  'ClientToken',
  'AnswerMachineDetectionConfig',
  'CampaignId',
  'TrafficType',
  'RingTimeoutInSeconds',
  'Name',
  'Description',
  'References',
  'RelatedContactId',
] as const;
export type RequestField = typeof REQUEST_FIELDS[number];

/** The only member fields of `AnswerMachineDetectionConfig` (booleans). */
export const ANSWER_MACHINE_DETECTION_MEMBERS = ['EnableAnswerMachineDetection', 'AwaitAnswerMachinePrompt'] as const;
/** `TrafficType` values; the first is the default. */
export const TRAFFIC_TYPES = ['GENERAL', 'CAMPAIGN'] as const;
/** Reference types a voice contact may carry at creation (ATTACHMENT is not one). */
export const REFERENCE_TYPES = ['URL', 'NUMBER', 'STRING', 'DATE', 'EMAIL'] as const;

/** A length limit in characters (or a range of a number); `max: Infinity` means none. */
export interface Limit {
  readonly min: number;
  readonly max: number;
}

/** The limits of the StartOutboundVoiceContact API reference that the model and the handler enforce. */
export const LIMITS = {
  clientToken: { min: 1, max: 500 },
  contactFlowId: { min: 1, max: 500 },
  instanceId: { min: 1, max: 100 },
  queueId: { min: 1, max: Infinity },
  campaignId: { min: 1, max: 100 },
  name: { min: 0, max: 1024 },
  description: { min: 0, max: 4096 },
  relatedContactId: { min: 1, max: 256 },
  referenceKey: { min: 1, max: 4096 },
  referenceValue: { min: 0, max: 4096 },
  ringTimeoutInSeconds: { min: 15, max: 60 },
  attributeKey: { min: 1, max: 32_767 },
  attributeValue: { min: 0, max: 32_767 },
  /** All attribute keys and values together, in UTF-8 bytes. */
  attributesTotalBytes: 32_768,
  /** Request bodies over this many bytes are refused (413). */
  bodyBytes: 128 * 1024,
  /** A contact id in the status route. */
  contactId: { min: 1, max: 256 },
} as const;

/** Connect keeps a ClientToken for 7 days: a longer replay window could not be honoured. */
export const MAX_IDEMPOTENCY_WINDOW_SECONDS = 7 * 24 * 3600;

const GUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';

/** Patterns (regular-expression sources) of ids, ARNs and phone numbers. */
export const PATTERNS = {
  /** A Connect resource id (instance, flow, queue). */
  guid: `^${GUID}$`,
  /** arn:<partition>:connect:<region>:<account>:instance/<instance-id> */
  instanceArn: `^arn:(aws[a-z-]*):connect:([a-z0-9-]+):(\\d{12}):instance/(${GUID})$`,
  /** …instance/<instance-id>/contact-flow/<flow-id> */
  contactFlowArn: `^arn:aws[a-z-]*:connect:[a-z0-9-]+:\\d{12}:instance/(${GUID})/contact-flow/(${GUID})$`,
  /** …instance/<instance-id>/queue/<queue-id> */
  queueArn: `^arn:aws[a-z-]*:connect:[a-z0-9-]+:\\d{12}:instance/(${GUID})/queue/(${GUID})$`,
  /**
   * A contact-flow ARN as a request may send it (the handler reduces it to
   * the flow id and then checks the id against the allow-list).
   */
  requestContactFlowArn: '^arn:[a-z0-9-]+:connect:[a-z0-9-]+:\\d{12}:instance\\/([^/]+)\\/contact-flow\\/([^/]+)$',
  /** The API's E.164 pattern: "+", a country code not starting with 0, at most 15 digits. */
  e164: '^\\+[1-9][0-9]{1,14}$',
  /** ISO 3166-1 alpha-2, upper case. */
  country: '^[A-Z]{2}$',
  /** Attribute keys. */
  attributeKey: '^[A-Za-z0-9_-]+$',
  /** A contact id in the status route. */
  contactId: '^[\\w-]{1,256}$',
  /** A searchable contact attribute key: an attribute key of at most 100 characters (SearchContacts' limit). */
  searchableAttributeKey: '^[A-Za-z0-9_-]{1,100}$',
} as const;

/**
 * Connect ids (GUIDs) are case-insensitive: the construct and the handler
 * compare instance ids with this, so both accept the same values.
 */
export function sameConnectId(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** The error codes the handler itself answers on each route (API Gateway's own answers are in gateway-responses.ts). */
export const ROUTE_ERRORS: {
  readonly placeCall: readonly ErrorCode[];
  readonly callStatus: readonly ErrorCode[];
  readonly submitBatch: readonly ErrorCode[];
  readonly batch: readonly ErrorCode[];
} = {
  placeCall: Object.keys(ERROR_STATUS) as ErrorCode[],
  callStatus: ['VALIDATION_ERROR', 'FORBIDDEN', 'RESOURCE_NOT_FOUND', 'INTERNAL_ERROR', 'LEDGER_UNAVAILABLE'],
  /** A refused call inside an accepted batch is reported in the 202 answer, not as the answer's status. */
  submitBatch: [
    'VALIDATION_ERROR', 'FORBIDDEN', 'RESOURCE_NOT_FOUND', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE',
    'INTERNAL_ERROR', 'UPSTREAM_ERROR', 'LEDGER_UNAVAILABLE',
  ],
  /** GET (status) and DELETE (cancel) of one batch. */
  batch: ['VALIDATION_ERROR', 'FORBIDDEN', 'RESOURCE_NOT_FOUND', 'INTERNAL_ERROR', 'LEDGER_UNAVAILABLE'],
};

/** Codes whose answers may carry `Retry-After` (whole seconds). */
export const RETRY_AFTER_CODES: readonly ErrorCode[] = [
  'OUTSIDE_CALLING_HOURS', 'IDEMPOTENCY_IN_PROGRESS', 'RATE_LIMITED', 'UPSTREAM_ERROR', 'LEDGER_UNAVAILABLE',
];

/** Header names of the HTTP contract. */
export const HEADERS = {
  /** Request: the idempotency key (or the body's ClientToken). */
  idempotencyKey: 'Idempotency-Key',
  /** Response: API Gateway's request id, on every answer. */
  requestId: 'x-request-id',
  /** Response: `true` on a replay. */
  replayed: 'Idempotent-Replayed',
  /** Response: whole seconds, on 409, 429, OUTSIDE_CALLING_HOURS and some 5xx answers. */
  retryAfter: 'Retry-After',
} as const;

/** A call's lifecycle, in order, as the status route reports it: a status only ever moves to a higher rank. */
export const CALL_STATUS_RANK = {
  PLACED: 0,
  INITIATED: 1,
  CONNECTED_TO_SYSTEM: 2,
  QUEUED: 3,
  CONNECTED_TO_AGENT: 4,
  DISCONNECTED: 5,
  COMPLETED: 6,
} as const;
