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
} as const;

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
 * The ledger table: its key, its TTL attribute and the attributes of its two
 * item kinds (the idempotency record of a (caller, key), and a call's status).
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
  /** Attributes of a call's status item: `pk` is `contact#<ContactId>`. */
  callStatus: {
    kind: 'kind',
    contactId: 'contactId',
    callerHash: 'callerHash',
    createdAt: 'createdAt',
    status: 'status',
    statusRank: 'statusRank',
    updatedAt: 'updatedAt',
    events: 'events',
  },
  /** Attributes a call's status item gains later, from events and DescribeContact lookups. */
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
  /** Value of `kind` on a call's status item. */
  callStatusKind: 'CALL_STATUS',
  /** `pk` prefix of a call's status item. */
  callStatusKeyPrefix: 'contact#',
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
export const ROUTE_ERRORS: { readonly placeCall: readonly ErrorCode[]; readonly callStatus: readonly ErrorCode[] } = {
  placeCall: Object.keys(ERROR_STATUS) as ErrorCode[],
  callStatus: ['VALIDATION_ERROR', 'FORBIDDEN', 'RESOURCE_NOT_FOUND', 'INTERNAL_ERROR', 'LEDGER_UNAVAILABLE'],
};

/** Codes whose answers may carry `Retry-After` (whole seconds). */
export const RETRY_AFTER_CODES: readonly ErrorCode[] = ['IDEMPOTENCY_IN_PROGRESS', 'RATE_LIMITED', 'UPSTREAM_ERROR', 'LEDGER_UNAVAILABLE'];

/** Header names of the HTTP contract. */
export const HEADERS = {
  /** Request: the idempotency key (or the body's ClientToken). */
  idempotencyKey: 'Idempotency-Key',
  /** Response: API Gateway's request id, on every answer. */
  requestId: 'x-request-id',
  /** Response: `true` on a replay. */
  replayed: 'Idempotent-Replayed',
  /** Response: whole seconds, on 409, 429 and some 5xx answers. */
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
