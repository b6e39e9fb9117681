/**
 * A local stand-in for Amazon Connect's StartOutboundVoiceContact, DescribeContact
 * and SearchContacts.
 *
 * It speaks the service's restJson1 wire format, so the real `ConnectClient`
 * of @aws-sdk/client-connect works against it unchanged (point it here with
 * `endpoint: sim.url` or `AWS_ENDPOINT_URL_CONNECT=sim.url`):
 *
 * - `PUT /contact/outbound-voice`, JSON body with the PascalCase members of
 *   StartOutboundVoiceContactRequest. 200 answers `{"ContactId": "<uuid>"}`.
 * - Errors: the status code, header `x-amzn-ErrorType: <Name>` (the SDK takes
 *   the exception name from it) and body `{"Message": "..."}`.
 * - ClientToken: remembered for 7 days; a repeated token returns the same
 *   ContactId and places no new call (a new one once that contact was
 *   disconnected, see `disconnectContact`). No token: always a new contact.
 * - Quota: token bucket, 2 requests per second with a burst of 5; every request
 *   counts, deduplicated ones too; over quota: 429 LimitExceededException.
 * - Checks the service makes: required members, E.164 numbers, the documented
 *   length limits, attribute keys and size, TrafficType, RingTimeoutInSeconds,
 *   UK mobile numbers (+447) refused by default (DestinationNotAllowedException),
 *   optional lists of known instance, flow and queue ids (ResourceNotFoundException).
 * - `GET /contacts/{InstanceId}/{ContactId}` (DescribeContact): `{"Contact": {…}}`
 *   with the contact's state at the time of the request (see `lifecycle`):
 *   InitiationTimestamp, ConnectedToSystemTimestamp once answered,
 *   DisconnectTimestamp and DisconnectReason once ended, LastUpdateTimestamp;
 *   timestamps as epoch seconds, as restJson1 sends them. Unknown contact or
 *   other instance: ResourceNotFoundException.
 * - `POST /search-contacts` (SearchContacts): TimeRange (INITIATION_TIMESTAMP or
 *   DISCONNECT_TIMESTAMP) and `SearchCriteria.SearchableContactAttributes`;
 *   only keys in `searchableAttributeKeys` may be searched (a real instance must
 *   be configured for each key), and a contact is found only `searchIndexDelayMs`
 *   after it was placed.
 * - Each operation has its own quota bucket (Connect throttles per API); over
 *   quota, DescribeContact and SearchContacts answer ThrottlingException.
 * - Fault injection, in code (`failNext`, `delayNext`, `dropNext`) or over HTTP
 *   under `/_sim/` (local control API, never part of the Connect API); a fault
 *   applies to the next request of any operation, in arrival order.
 *
 * Sources: the StartOutboundVoiceContact API reference and the SDKs' docs
 * (request members, limits, errors with status codes, the 7-day token, the
 * 2 rps / burst 5 quota, the +447 note); docs/architecture.md describes how the
 * tests use it.
 * Listens on 127.0.0.1 only.
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The exceptions of the API reference plus common AWS ones, with their HTTP status. */
export const CONNECT_ERRORS = {
  // StartOutboundVoiceContact's own errors (API reference)
  DestinationNotAllowedException: 403,
  InternalServiceException: 500,
  InvalidParameterException: 400,
  InvalidRequestException: 400,
  LimitExceededException: 429,
  OutboundContactNotPermittedException: 403,
  ResourceNotFoundException: 404,
  // Common errors of all AWS APIs
  AccessDeniedException: 403,
  ThrottlingException: 429,
  ServiceUnavailableException: 503,
} as const;

export type ConnectErrorName = keyof typeof CONNECT_ERRORS;

export function isConnectErrorName(name: unknown): name is ConnectErrorName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(CONNECT_ERRORS, name);
}

/** When a dropped request loses its connection. */
export type DropWhen =
  /** before the body is read: the client may see EPIPE or ECONNRESET while sending */
  | 'before-body'
  /** after the body is read, nothing processed: no contact */
  | 'after-body'
  /** after normal processing (a contact may have been placed): the answer is lost */
  | 'after-processing';

/** A fault for the next `count` Connect API requests (default 1), first in first out. */
export type SimFault =
  | { readonly kind: 'fail'; readonly error: ConnectErrorName; readonly message?: string; readonly count?: number }
  | { readonly kind: 'delay'; readonly ms: number; readonly count?: number }
  | { readonly kind: 'drop'; readonly when?: DropWhen; readonly count?: number };

/** One request the simulator received on the Connect API (the `/_sim/` control API is not recorded). */
export interface SimRequestRecord {
  /** 1, 2, 3, … in arrival order */
  readonly seq: number;
  readonly method: string;
  /** the Connect operation the route names; undefined for an unknown route */
  readonly operation?: SimOperation;
  /** path and query string */
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  /** the parsed JSON body; undefined if there was none or it was not JSON */
  body?: unknown;
  rawBody?: string;
  /** arrival time, from the simulator's clock (ms since epoch) */
  readonly receivedAt: number;
  /** HTTP status answered; undefined when dropped (or still pending) */
  status?: number;
  /** error name answered (x-amzn-ErrorType) */
  error?: string;
  /** error message answered */
  message?: string;
  /** ContactId answered (or placed, for a request dropped after processing) */
  contactId?: string;
  /** true when a known ClientToken returned an existing contact */
  deduplicated?: boolean;
  /** true when the answer came from an injected fault */
  injected?: boolean;
  /** set when the connection was destroyed instead of answering */
  dropped?: DropWhen;
  /** the injected delay before answering */
  delayedMs?: number;
}

/** A contact the simulator "placed". */
export interface SimContact {
  readonly contactId: string;
  readonly clientToken?: string;
  readonly body: StartOutboundVoiceContactBody;
  readonly createdAt: number;
  /** how the call goes (answered or not), for DescribeContact and the events */
  readonly outcome: CallOutcome;
  /** set by `disconnectContact`; a repeated token then starts a new contact */
  disconnectedAt?: number;
  /** the reason given with `disconnectedAt` */
  disconnectReason?: string;
}

/** Milliseconds after the call was accepted at which it reaches each state. */
export interface CallTimeline {
  readonly initiated?: number;
  readonly connected?: number;
  readonly disconnected?: number;
}

/** Where a contact is at a moment, as DescribeContact reports it. */
export interface SimContactState {
  readonly initiatedAt: number;
  readonly connectedAt?: number;
  readonly disconnectedAt?: number;
  readonly disconnectReason?: string;
  readonly lastUpdateAt: number;
}

/** The request members the simulator looks at (the rest is kept as received). */
export interface StartOutboundVoiceContactBody {
  readonly DestinationPhoneNumber?: string;
  readonly ContactFlowId?: string;
  readonly InstanceId?: string;
  readonly ClientToken?: string;
  readonly SourcePhoneNumber?: string;
  readonly QueueId?: string;
  readonly Attributes?: Record<string, string>;
  readonly TrafficType?: string;
  readonly RingTimeoutInSeconds?: number;
  readonly AnswerMachineDetectionConfig?: { readonly EnableAnswerMachineDetection?: boolean };
  readonly [member: string]: unknown;
}

export interface ConnectSimulatorQuota {
  readonly ratePerSecond: number;
  readonly burst: number;
}

export interface ConnectSimulatorOptions {
  /** Port on 127.0.0.1. @default 0 (a free port) */
  readonly port?: number;
  /** Token bucket; `false` turns it off. @default { ratePerSecond: 2, burst: 5 } (the service quota) */
  readonly quota?: ConnectSimulatorQuota | false;
  /**
   * Clock in ms since epoch, for the 7-day token memory, the quota bucket and
   * the records. A frozen clock also freezes the bucket's refill.
   * @default Date.now
   */
  readonly now?: () => number;
  /** When given, any other InstanceId gets ResourceNotFoundException. @default any */
  readonly knownInstanceIds?: readonly string[];
  /** When given, any other ContactFlowId gets ResourceNotFoundException. @default any */
  readonly knownContactFlowIds?: readonly string[];
  /** When given, any other QueueId gets ResourceNotFoundException. @default any */
  readonly knownQueueIds?: readonly string[];
  /**
   * Destination prefixes refused with DestinationNotAllowedException. Connect
   * refuses UK mobile numbers (+447) until a quota increase.
   * @default ['+447']
   */
  readonly blockedDestinationPrefixes?: readonly string[];
  /**
   * Require SourcePhoneNumber or QueueId ("If you do not specify a queue, you
   * must specify a source phone number").
   * @default true
   */
  readonly requireCallerId?: boolean;
  /** Emit contact events for each contact placed. @default none */
  readonly contactEvents?: ContactEventsOptions;
  /**
   * How each call goes over time: it is answered at `connected` (unless told
   * `no-answer`) and ends at `disconnected`, after which its ClientToken starts
   * a new contact, as Connect does. `false`: a contact stays up until
   * `disconnectContact`.
   * @default contactEvents.timeline when contact events are on (with their defaults), else false
   */
  readonly lifecycle?: CallTimeline | false;
  /**
   * Contact attribute keys configured as searchable in the instance; SearchContacts
   * on any other key is InvalidParameterException.
   * @default [] (none: a new Connect instance has none configured)
   */
  readonly searchableAttributeKeys?: readonly string[];
  /** How long after it is placed a contact can be found by SearchContacts. @default 0 */
  readonly searchIndexDelayMs?: number;
}

/**
 * Contact events the simulator emits for each contact it places, shaped as
 * EventBridge delivers Amazon Connect's contact events (Amazon Connect
 * Administrator Guide, "Amazon Connect contact events"): INITIATED, then
 * CONNECTED_TO_SYSTEM when the call is answered, then DISCONNECTED (with
 * `connectedToSystemTimestamp` when it had been answered, and a
 * `disconnectReason`).
 */
export interface ContactEventsOptions {
  /** Receives each event; errors are ignored (EventBridge would retry; a test checks its own sink). */
  readonly deliver: (event: SimContactEvent) => void | Promise<void>;
  /** Milliseconds after the call was accepted. @default { initiated: 100, connected: 1500, disconnected: 4000 } */
  readonly timeline?: CallTimeline;
  /** Region and account of the instance ARN in the events. @default us-east-1, 111122223333 */
  readonly region?: string;
  readonly account?: string;
}

/** How a placed call goes: answered, or rang out without an answer. */
export type CallOutcome = 'answered' | 'no-answer';

export interface SimContactEvent {
  readonly 'version': '0';
  readonly 'id': string;
  readonly 'detail-type': 'Amazon Connect Contact Event';
  readonly 'source': 'aws.connect';
  readonly 'account': string;
  readonly 'time': string;
  readonly 'region': string;
  readonly 'resources': string[];
  readonly 'detail': Record<string, unknown>;
}

export const CLIENT_TOKEN_TTL_MS = 7 * 24 * 60 * 60 * 1000;
export const DEFAULT_QUOTA: ConnectSimulatorQuota = { ratePerSecond: 2, burst: 5 };
export const OUTBOUND_VOICE_PATH = '/contact/outbound-voice';
export const SEARCH_CONTACTS_PATH = '/search-contacts';
/** DescribeContact: GET /contacts/{InstanceId}/{ContactId} */
const DESCRIBE_CONTACT_PATH = /^\/contacts\/([^/]+)\/([^/]+)$/;
export const DEFAULT_TIMELINE: Required<CallTimeline> = { initiated: 100, connected: 1500, disconnected: 4000 };

/** The Connect operations the simulator serves. */
export type SimOperation = 'StartOutboundVoiceContact' | 'DescribeContact' | 'SearchContacts';

const E164 = /^\+[1-9]\d{1,14}$/;
const ATTRIBUTE_KEY = /^[A-Za-z0-9_-]+$/;
const MAX_BODY_BYTES = 1024 * 1024;

/** An error answer: status from CONNECT_ERRORS. */
interface ErrorAnswer {
  readonly error: ConnectErrorName;
  readonly message: string;
}

/** What processing decided, before it is sent (or dropped). */
type Answer =
  | { readonly kind: 'contact'; readonly contactId: string; readonly deduplicated: boolean }
  | { readonly kind: 'json'; readonly body: unknown }
  | ({ readonly kind: 'error'; readonly injected: boolean } & ErrorAnswer);

interface QueuedFault {
  readonly fault: SimFault;
  remaining: number;
}

class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(private readonly quota: ConnectSimulatorQuota, private readonly now: () => number) {
    this.tokens = quota.burst;
    this.last = now();
  }

  /** Takes one token if there is one. */
  take(): boolean {
    const t = this.now();
    const elapsed = Math.max(0, t - this.last) / 1000;
    this.tokens = Math.min(this.quota.burst, this.tokens + elapsed * this.quota.ratePerSecond);
    this.last = t;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  reset(): void {
    this.tokens = this.quota.burst;
    this.last = this.now();
  }
}

export class ConnectSimulator {
  /** Starts a simulator on 127.0.0.1. A port in use rejects with an Error naming it. */
  static async start(opts: ConnectSimulatorOptions = {}): Promise<ConnectSimulator> {
    const sim = new ConnectSimulator(opts);
    await sim.listen(opts.port ?? 0);
    return sim;
  }

  /** Every Connect API request received, oldest first. */
  readonly requests: SimRequestRecord[] = [];
  /** Every contact placed, oldest first. */
  readonly contacts: SimContact[] = [];

  private readonly server: http.Server;
  private readonly now: () => number;
  private readonly buckets = new Map<SimOperation, TokenBucket>();
  private readonly tokens = new Map<string, SimContact>();
  private readonly faults: QueuedFault[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly knownInstanceIds?: ReadonlySet<string>;
  private readonly knownContactFlowIds?: ReadonlySet<string>;
  private readonly knownQueueIds?: ReadonlySet<string>;
  private readonly blockedPrefixes: readonly string[];
  private readonly requireCallerId: boolean;
  private readonly contactEvents?: ContactEventsOptions;
  private readonly timeline?: Required<CallTimeline>;
  private readonly searchableKeys: ReadonlySet<string>;
  private readonly searchIndexDelayMs: number;
  private readonly outcomes: CallOutcome[] = [];
  private seq = 0;
  private boundPort = 0;
  private stopping?: Promise<void>;

  private constructor(opts: ConnectSimulatorOptions) {
    this.now = opts.now ?? Date.now;
    const quota = opts.quota === undefined ? DEFAULT_QUOTA : opts.quota;
    if (quota) {
      if (!(quota.ratePerSecond > 0) || !(quota.burst >= 1)) {
        throw new Error(`ConnectSimulator: quota needs ratePerSecond > 0 and burst >= 1, got ${JSON.stringify(quota)}`);
      }
      for (const operation of ['StartOutboundVoiceContact', 'DescribeContact', 'SearchContacts'] as const) {
        this.buckets.set(operation, new TokenBucket(quota, this.now));
      }
    }
    this.knownInstanceIds = opts.knownInstanceIds ? new Set(opts.knownInstanceIds) : undefined;
    this.knownContactFlowIds = opts.knownContactFlowIds ? new Set(opts.knownContactFlowIds) : undefined;
    this.knownQueueIds = opts.knownQueueIds ? new Set(opts.knownQueueIds) : undefined;
    this.blockedPrefixes = opts.blockedDestinationPrefixes ?? ['+447'];
    this.requireCallerId = opts.requireCallerId ?? true;
    this.contactEvents = opts.contactEvents;
    const lifecycle = opts.lifecycle ?? (opts.contactEvents ? opts.contactEvents.timeline ?? {} : false);
    this.timeline = lifecycle === false ? undefined : { ...DEFAULT_TIMELINE, ...lifecycle };
    this.searchableKeys = new Set(opts.searchableAttributeKeys ?? []);
    this.searchIndexDelayMs = opts.searchIndexDelayMs ?? 0;
    this.server = http.createServer((req, res) => this.route(req, res));
    // Keep idle connections as long as AWS endpoints do. Node's 5 s default races
    // the SDK's keep-alive reuse under load: a socket closed just as it is reused
    // is a "socket hang up" that no real Connect endpoint would have caused.
    this.server.keepAliveTimeout = 65_000;
    this.server.headersTimeout = 66_000;
  }

  /** `http://127.0.0.1:PORT` */
  get url(): string {
    return `http://127.0.0.1:${this.boundPort}`;
  }

  get port(): number {
    return this.boundPort;
  }

  // ---------------------------------------------------------------- faults

  /** Queues a fault for the next `count` requests (default 1). */
  enqueue(fault: SimFault): void {
    const count = fault.count ?? 1;
    if (!Number.isInteger(count) || count < 1) {
      throw new Error(`ConnectSimulator: count must be a positive integer, got ${String(fault.count)}`);
    }
    if (fault.kind === 'fail' && !isConnectErrorName(fault.error)) {
      throw new Error(`ConnectSimulator: unknown error "${String(fault.error)}"; known: ${Object.keys(CONNECT_ERRORS).join(', ')}`);
    }
    if (fault.kind === 'delay' && (!Number.isFinite(fault.ms) || fault.ms < 0)) {
      throw new Error(`ConnectSimulator: delay ms must be a finite number >= 0, got ${String(fault.ms)}`);
    }
    if (fault.kind === 'drop' && fault.when !== undefined && !['before-body', 'after-body', 'after-processing'].includes(fault.when)) {
      throw new Error(`ConnectSimulator: drop "when" must be before-body, after-body or after-processing, got ${String(fault.when)}`);
    }
    this.faults.push({ fault, remaining: count });
  }

  /** The next `count` requests get this error (no contact is placed, no quota token taken). */
  failNext(opts: { error: ConnectErrorName; count?: number; message?: string }): void {
    this.enqueue({ kind: 'fail', ...opts });
  }

  /** The next `count` requests are processed on arrival and answered after `ms`. */
  delayNext(opts: { ms: number; count?: number }): void {
    this.enqueue({ kind: 'delay', ...opts });
  }

  /** The next `count` requests lose their connection without an answer (default after the body is read). */
  dropNext(opts: { count?: number; when?: DropWhen } = {}): void {
    this.enqueue({ kind: 'drop', ...opts });
  }

  /** The next placed call goes this way (contact events only); later ones are answered. */
  nextCallOutcome(outcome: CallOutcome): void {
    if (outcome !== 'answered' && outcome !== 'no-answer') {
      throw new Error(`ConnectSimulator: outcome must be answered or no-answer, got ${String(outcome)}`);
    }
    this.outcomes.push(outcome);
  }

  /** Emits INITIATED, CONNECTED_TO_SYSTEM (when answered) and DISCONNECTED on the configured timeline. */
  private scheduleContactEvents(contact: SimContact, outcome: CallOutcome): void {
    const options = this.contactEvents;
    if (!options) return;
    const timeline = { initiated: 100, connected: 1500, disconnected: 4000, ...options.timeline };
    const region = options.region ?? 'us-east-1';
    const account = options.account ?? '111122223333';
    const instanceArn = `arn:aws:connect:${region}:${account}:instance/${String(contact.body.InstanceId)}`;
    const at = (offset: number): string => new Date(contact.createdAt + offset).toISOString();
    const emit = (offset: number, eventType: string, detail: Record<string, unknown>): void => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        const event: SimContactEvent = {
          'version': '0',
          'id': randomUUID(),
          'detail-type': 'Amazon Connect Contact Event',
          'source': 'aws.connect',
          'account': account,
          'time': at(offset).replace(/\.\d{3}Z$/, 'Z'),
          'region': region,
          'resources': [`${instanceArn}/contact/${contact.contactId}`, instanceArn],
          'detail': {
            eventType,
            contactId: contact.contactId,
            initialContactId: contact.contactId,
            channel: 'VOICE',
            instanceArn,
            initiationMethod: 'API',
            initiationTimestamp: at(timeline.initiated),
            ...detail,
          },
        };
        void Promise.resolve().then(() => options.deliver(event)).catch(() => undefined);
      }, offset);
      this.timers.add(timer);
    };
    emit(timeline.initiated, 'INITIATED', {});
    if (outcome === 'answered') {
      emit(timeline.connected, 'CONNECTED_TO_SYSTEM', { connectedToSystemTimestamp: at(timeline.connected) });
      emit(timeline.disconnected, 'DISCONNECTED', {
        connectedToSystemTimestamp: at(timeline.connected),
        disconnectTimestamp: at(timeline.disconnected),
        disconnectReason: 'CUSTOMER_DISCONNECT',
      });
    } else {
      emit(timeline.disconnected, 'DISCONNECTED', {
        disconnectTimestamp: at(timeline.disconnected),
        disconnectReason: 'OUTBOUND_ATTEMPT_FAILED',
      });
    }
  }

  /** Faults still queued (a copy). */
  get pendingFaults(): Array<SimFault & { remaining: number }> {
    return this.faults.map((q) => ({ ...q.fault, remaining: q.remaining }));
  }

  /** Marks a contact as ended: its ClientToken then starts a new contact, as Connect does. */
  disconnectContact(contactId: string, reason = 'CUSTOMER_DISCONNECT'): boolean {
    const contact = this.contacts.find((c) => c.contactId === contactId);
    if (!contact || this.stateOf(contact).disconnectedAt !== undefined) {
      return false;
    }
    contact.disconnectedAt = this.now();
    contact.disconnectReason = reason;
    return true;
  }

  /**
   * Clears faults, records, contacts, remembered tokens and refills the quota
   * bucket. Answers already delayed still go out (their clients are waiting).
   */
  reset(): void {
    this.faults.length = 0;
    this.outcomes.length = 0;
    this.requests.length = 0;
    this.contacts.length = 0;
    this.tokens.clear();
    for (const bucket of this.buckets.values()) bucket.reset();
    this.seq = 0;
  }

  /** Closes the server and every connection (also keep-alive and delayed ones). */
  stop(): Promise<void> {
    this.stopping ??= new Promise<void>((resolve) => {
      for (const t of this.timers) {
        clearTimeout(t);
      }
      this.timers.clear();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.stopping;
  }

  // ---------------------------------------------------------------- server

  private listen(port: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        reject(err.code === 'EADDRINUSE'
          ? new Error(`ConnectSimulator: port ${port} on 127.0.0.1 is already in use`)
          : new Error(`ConnectSimulator: cannot listen on 127.0.0.1:${port}: ${err.message}`));
      };
      this.server.once('error', onError);
      this.server.listen({ port, host: '127.0.0.1' }, () => {
        this.server.off('error', onError);
        this.boundPort = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private route(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = req.url ?? '/';
    const pathname = path.split('?')[0];
    if (pathname.startsWith('/_sim/')) {
      void this.control(req, res, pathname).catch((err: unknown) => sendJson(res, 500, { Message: String(err) }));
      return;
    }
    void this.connectApi(req, res, path, pathname).catch((err: unknown) => {
      // A bug in the simulator: answer like the service would, never hang.
      if (!res.headersSent && !res.destroyed) {
        this.sendError(res, { error: 'InternalServiceException', message: `simulator error: ${String(err)}` });
      }
    });
  }

  private async connectApi(req: http.IncomingMessage, res: http.ServerResponse, path: string, pathname: string): Promise<void> {
    const operation = operationOf(req.method, pathname);
    const record: SimRequestRecord = {
      seq: ++this.seq,
      method: req.method ?? '',
      operation,
      path,
      headers: req.headers,
      receivedAt: this.now(),
    };
    this.requests.push(record);

    if (!operation) {
      // What API Gateway-fronted AWS services answer for a route they do not have.
      req.resume();
      record.status = 404;
      record.error = 'UnknownOperationException';
      sendJson(res, 404, { Message: `No operation for ${req.method} ${pathname}` }, { 'x-amzn-ErrorType': 'UnknownOperationException' });
      return;
    }

    const fault = this.takeFault();
    if (fault?.kind === 'drop' && fault.when === 'before-body') {
      record.dropped = 'before-body';
      req.socket.destroy();
      return;
    }

    let raw: string;
    try {
      raw = await readBody(req);
    } catch {
      // Too large, or the client went away.
      record.status = 400;
      record.error = 'InvalidRequestException';
      if (!res.destroyed) {
        res.setHeader('connection', 'close');
        this.sendError(res, { error: 'InvalidRequestException', message: 'Request body too large or unreadable.' });
      }
      return;
    }
    record.rawBody = raw;
    try {
      record.body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      record.body = undefined;
    }

    if (fault?.kind === 'drop' && (fault.when ?? 'after-body') === 'after-body') {
      record.dropped = 'after-body';
      req.socket.destroy();
      return;
    }

    let answer: Answer;
    if (fault?.kind === 'fail') {
      answer = { kind: 'error', injected: true, error: fault.error, message: fault.message ?? `Injected ${fault.error}` };
    } else if (operation === 'StartOutboundVoiceContact') {
      answer = this.process(raw, record.body);
    } else if (operation === 'DescribeContact') {
      answer = this.describe(pathname);
    } else {
      answer = this.search(raw, record.body);
    }

    if (answer.kind === 'contact') {
      record.contactId = answer.contactId;
      record.deduplicated = answer.deduplicated;
    }

    if (fault?.kind === 'drop') { // after-processing
      record.dropped = 'after-processing';
      req.socket.destroy();
      return;
    }

    const send = (): void => {
      if (res.destroyed) {
        return;
      }
      if (answer.kind === 'contact') {
        record.status = 200;
        sendJson(res, 200, { ContactId: answer.contactId });
      } else if (answer.kind === 'json') {
        record.status = 200;
        sendJson(res, 200, answer.body);
      } else {
        record.status = CONNECT_ERRORS[answer.error];
        record.error = answer.error;
        record.message = answer.message;
        record.injected = answer.injected || undefined;
        this.sendError(res, answer);
      }
    };

    if (fault?.kind === 'delay') {
      record.delayedMs = fault.ms;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        send();
      }, fault.ms);
      this.timers.add(timer);
      return;
    }
    send();
  }

  /** Takes a quota token for the operation; false when over quota. */
  private withinQuota(operation: SimOperation): boolean {
    const bucket = this.buckets.get(operation);
    return !bucket || bucket.take();
  }

  /** Quota, then the service's checks, then the token memory; places a contact when all pass. */
  private process(raw: string, parsed: unknown): Answer {
    if (!this.withinQuota('StartOutboundVoiceContact')) {
      return { kind: 'error', injected: false, error: 'LimitExceededException', message: 'Rate exceeded' };
    }
    if (raw !== '' && parsed === undefined) {
      return { kind: 'error', injected: false, error: 'InvalidRequestException', message: 'The request body is not valid JSON.' };
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return { kind: 'error', injected: false, error: 'InvalidRequestException', message: 'The request body must be a JSON object.' };
    }
    const body = parsed as StartOutboundVoiceContactBody;
    const invalid = this.validate(body);
    if (invalid) {
      return { kind: 'error', injected: false, ...invalid };
    }

    const token = body.ClientToken;
    if (token !== undefined) {
      const known = this.tokens.get(token);
      if (known && this.now() - known.createdAt < CLIENT_TOKEN_TTL_MS && this.stateOf(known).disconnectedAt === undefined) {
        return { kind: 'contact', contactId: known.contactId, deduplicated: true };
      }
    }
    const contact: SimContact = {
      contactId: randomUUID(), clientToken: token, body, createdAt: this.now(), outcome: this.outcomes.shift() ?? 'answered',
    };
    this.contacts.push(contact);
    if (token !== undefined) {
      this.tokens.set(token, contact);
    }
    this.scheduleContactEvents(contact, contact.outcome);
    return { kind: 'contact', contactId: contact.contactId, deduplicated: false };
  }

  /**
   * Where a contact is now: from its lifecycle timeline (when there is one) and
   * `disconnectContact`, whichever ended it first.
   */
  stateOf(contact: SimContact): SimContactState {
    const now = this.now();
    const t = this.timeline;
    const initiatedAt = contact.createdAt + (t?.initiated ?? 0);
    const answered = contact.outcome === 'answered';
    const scheduledEnd = t ? contact.createdAt + t.disconnected : undefined;
    let disconnectedAt = contact.disconnectedAt;
    let disconnectReason = contact.disconnectReason;
    if (scheduledEnd !== undefined && scheduledEnd <= now && (disconnectedAt === undefined || scheduledEnd < disconnectedAt)) {
      disconnectedAt = scheduledEnd;
      disconnectReason = answered ? 'CUSTOMER_DISCONNECT' : 'OUTBOUND_ATTEMPT_FAILED';
    }
    const connectAt = t && answered ? contact.createdAt + t.connected : undefined;
    const connectedAt = connectAt !== undefined && connectAt <= now && (disconnectedAt === undefined || connectAt < disconnectedAt)
      ? connectAt : undefined;
    const lastUpdateAt = Math.max(Math.min(initiatedAt, now), connectedAt ?? 0, disconnectedAt ?? 0);
    return { initiatedAt, connectedAt, disconnectedAt, disconnectReason, lastUpdateAt };
  }

  /** DescribeContact: the contact as it is now. */
  private describe(pathname: string): Answer {
    if (!this.withinQuota('DescribeContact')) {
      return { kind: 'error', injected: false, error: 'ThrottlingException', message: 'Rate exceeded' };
    }
    const match = DESCRIBE_CONTACT_PATH.exec(pathname);
    const instanceId = decodeURIComponent(match?.[1] ?? '');
    const contactId = decodeURIComponent(match?.[2] ?? '');
    if (instanceId.length > 100 || contactId.length > 256) {
      return { kind: 'error', injected: false, error: 'InvalidParameterException', message: 'InstanceId or ContactId is too long.' };
    }
    const contact = this.contacts.find((c) => c.contactId === contactId && c.body.InstanceId === instanceId);
    if (!contact) {
      return { kind: 'error', injected: false, error: 'ResourceNotFoundException', message: `Contact ${contactId} not found.` };
    }
    const state = this.stateOf(contact);
    const seconds = (ms: number): number => ms / 1000;
    return {
      kind: 'json',
      body: {
        Contact: {
          Arn: `${this.instanceArn(instanceId)}/contact/${contact.contactId}`,
          Id: contact.contactId,
          InitialContactId: contact.contactId,
          InitiationMethod: 'API',
          Channel: 'VOICE',
          InitiationTimestamp: seconds(state.initiatedAt),
          LastUpdateTimestamp: seconds(state.lastUpdateAt),
          ...(state.connectedAt !== undefined ? { ConnectedToSystemTimestamp: seconds(state.connectedAt) } : {}),
          ...(state.disconnectedAt !== undefined ? { DisconnectTimestamp: seconds(state.disconnectedAt) } : {}),
          ...(state.disconnectReason && state.disconnectedAt !== undefined ? { DisconnectReason: state.disconnectReason } : {}),
        },
      },
    };
  }

  /** SearchContacts: by time range and searchable contact attributes, newest first. */
  private search(raw: string, parsed: unknown): Answer {
    const param = (message: string): Answer => ({ kind: 'error', injected: false, error: 'InvalidParameterException', message });
    if (!this.withinQuota('SearchContacts')) {
      return { kind: 'error', injected: false, error: 'ThrottlingException', message: 'Rate exceeded' };
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || raw === '') {
      return { kind: 'error', injected: false, error: 'InvalidRequestException', message: 'The request body must be a JSON object.' };
    }
    const body = parsed as SearchContactsBody;
    if (typeof body.InstanceId !== 'string' || body.InstanceId === '' || body.InstanceId.length > 100) {
      return param('InstanceId is required (1 to 100 characters).');
    }
    const range = body.TimeRange;
    const types = ['INITIATION_TIMESTAMP', 'SCHEDULED_TIMESTAMP', 'CONNECTED_TO_AGENT_TIMESTAMP', 'DISCONNECT_TIMESTAMP', 'ENQUEUE_TIMESTAMP'];
    if (!range || !types.includes(String(range.Type)) || typeof range.StartTime !== 'number' || typeof range.EndTime !== 'number') {
      return param('TimeRange needs Type, StartTime and EndTime.');
    }
    const maxResults = body.MaxResults ?? 100;
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100) {
      return param('MaxResults must be 1 to 100.');
    }
    const criteria = body.SearchCriteria?.SearchableContactAttributes?.Criteria ?? [];
    const matchAll = (body.SearchCriteria?.SearchableContactAttributes?.MatchType ?? 'MATCH_ALL') !== 'MATCH_ANY';
    if (criteria.length > 15) return param('At most 15 SearchableContactAttributes criteria.');
    for (const c of criteria) {
      if (typeof c.Key !== 'string' || c.Key.length < 1 || c.Key.length > 100) return param('Criteria Key must be 1 to 100 characters.');
      if (!Array.isArray(c.Values) || c.Values.length > 20 || c.Values.some((v) => typeof v !== 'string' || v.length > 100)) {
        return param('Criteria Values must be at most 20 strings of at most 100 characters.');
      }
      if (!this.searchableKeys.has(c.Key)) {
        return param(`Contact attribute ${c.Key} is not configured as searchable in this instance.`);
      }
    }
    const from = range.StartTime * 1000;
    const to = range.EndTime * 1000;
    const indexedBy = this.now() - this.searchIndexDelayMs;
    const found = this.contacts
      .filter((contact) => contact.body.InstanceId === body.InstanceId && contact.createdAt <= indexedBy)
      .map((contact) => ({ contact, state: this.stateOf(contact) }))
      .filter(({ state }) => {
        const at = range.Type === 'DISCONNECT_TIMESTAMP' ? state.disconnectedAt : range.Type === 'INITIATION_TIMESTAMP' ? state.initiatedAt : undefined;
        return at !== undefined && at >= from && at <= to;
      })
      .filter(({ contact }) => {
        if (criteria.length === 0) return true;
        const attrs = contact.body.Attributes ?? {};
        const hits = criteria.map((c) => c.Values.includes(attrs[c.Key as string]));
        return matchAll ? hits.every(Boolean) : hits.some(Boolean);
      })
      .sort((a, b) => b.state.initiatedAt - a.state.initiatedAt);
    const seconds = (ms: number): number => ms / 1000;
    return {
      kind: 'json',
      body: {
        Contacts: found.slice(0, maxResults).map(({ contact, state }) => ({
          Arn: `${this.instanceArn(body.InstanceId as string)}/contact/${contact.contactId}`,
          Id: contact.contactId,
          InitialContactId: contact.contactId,
          InitiationMethod: 'API',
          Channel: 'VOICE',
          InitiationTimestamp: seconds(state.initiatedAt),
          ...(state.disconnectedAt !== undefined ? { DisconnectTimestamp: seconds(state.disconnectedAt) } : {}),
        })),
        TotalCount: found.length,
      },
    };
  }

  private instanceArn(instanceId: string): string {
    const region = this.contactEvents?.region ?? 'us-east-1';
    const account = this.contactEvents?.account ?? '111122223333';
    return `arn:aws:connect:${region}:${account}:instance/${instanceId}`;
  }

  /** The checks Connect documents for this operation. */
  private validate(b: StartOutboundVoiceContactBody): ErrorAnswer | undefined {
    const param = (message: string): ErrorAnswer => ({ error: 'InvalidParameterException', message });
    const str = (v: unknown): v is string => typeof v === 'string';

    if (!str(b.DestinationPhoneNumber) || b.DestinationPhoneNumber === '') {
      return param('DestinationPhoneNumber is required.');
    }
    if (!E164.test(b.DestinationPhoneNumber)) {
      return param('DestinationPhoneNumber is not a valid E.164 phone number.');
    }
    if (!str(b.ContactFlowId) || b.ContactFlowId === '') {
      return param('ContactFlowId is required.');
    }
    if (b.ContactFlowId.length > 500) {
      return param('ContactFlowId must be at most 500 characters.');
    }
    if (!str(b.InstanceId) || b.InstanceId === '') {
      return param('InstanceId is required.');
    }
    if (b.InstanceId.length > 100) {
      return param('InstanceId must be 1 to 100 characters.');
    }
    if (b.ClientToken !== undefined && (!str(b.ClientToken) || b.ClientToken.length > 500)) {
      return param('ClientToken must be a string of at most 500 characters.');
    }
    if (b.SourcePhoneNumber !== undefined && (!str(b.SourcePhoneNumber) || !E164.test(b.SourcePhoneNumber))) {
      return param('SourcePhoneNumber is not a valid E.164 phone number.');
    }
    if (b.QueueId !== undefined && (!str(b.QueueId) || b.QueueId === '')) {
      return param('QueueId must be a non-empty string.');
    }
    if (this.requireCallerId && b.SourcePhoneNumber === undefined && b.QueueId === undefined) {
      return param('Either SourcePhoneNumber or QueueId must be specified.');
    }
    const attrs = checkAttributes(b.Attributes);
    if (attrs) {
      return param(attrs);
    }
    if (b.TrafficType !== undefined && b.TrafficType !== 'GENERAL' && b.TrafficType !== 'CAMPAIGN') {
      return param('TrafficType must be GENERAL or CAMPAIGN.');
    }
    if (b.AnswerMachineDetectionConfig?.EnableAnswerMachineDetection === true && b.TrafficType !== 'CAMPAIGN') {
      return param('Answering machine detection requires TrafficType CAMPAIGN.');
    }
    if (b.RingTimeoutInSeconds !== undefined
      && (!Number.isInteger(b.RingTimeoutInSeconds) || b.RingTimeoutInSeconds < 15 || b.RingTimeoutInSeconds > 60)) {
      return param('RingTimeoutInSeconds must be an integer from 15 to 60.');
    }

    if (this.knownInstanceIds && !this.knownInstanceIds.has(b.InstanceId)) {
      return { error: 'ResourceNotFoundException', message: `Instance ${b.InstanceId} not found.` };
    }
    if (this.knownContactFlowIds && !this.knownContactFlowIds.has(b.ContactFlowId)) {
      return { error: 'ResourceNotFoundException', message: `Contact flow ${b.ContactFlowId} not found.` };
    }
    if (this.knownQueueIds && b.QueueId !== undefined && !this.knownQueueIds.has(b.QueueId)) {
      return { error: 'ResourceNotFoundException', message: `Queue ${b.QueueId} not found.` };
    }
    const destination = b.DestinationPhoneNumber;
    if (this.blockedPrefixes.some((p) => destination.startsWith(p))) {
      return { error: 'DestinationNotAllowedException', message: 'Outbound calls to the destination number are not allowed.' };
    }
    return undefined;
  }

  private takeFault(): SimFault | undefined {
    const head = this.faults[0];
    if (!head) {
      return undefined;
    }
    head.remaining -= 1;
    if (head.remaining <= 0) {
      this.faults.shift();
    }
    return head.fault;
  }

  private sendError(res: http.ServerResponse, e: ErrorAnswer): void {
    sendJson(res, CONNECT_ERRORS[e.error], { Message: e.message }, { 'x-amzn-ErrorType': e.error });
  }

  // ---------------------------------------------------------------- control API

  /**
   * Local-only control API:
   *   POST /_sim/fail-next  {"error": "<Name>", "count"?: n, "message"?: "…"}
   *   POST /_sim/delay-next {"ms": n, "count"?: n}
   *   POST /_sim/drop-next  {"count"?: n, "when"?: "before-body"|"after-body"|"after-processing"}
   *   POST /_sim/disconnect {"ContactId": "…", "reason"?: "…"}
   *   POST /_sim/reset
   *   GET  /_sim/requests | /_sim/contacts | /_sim/faults
   * Bad input: 400 {"Message": "…"}.
   */
  private async control(req: http.IncomingMessage, res: http.ServerResponse, pathname: string): Promise<void> {
    const route = `${req.method} ${pathname}`;
    if (req.method === 'GET') {
      req.resume();
      switch (route) {
        case 'GET /_sim/requests': return sendJson(res, 200, this.requests);
        case 'GET /_sim/contacts': return sendJson(res, 200, this.contacts);
        case 'GET /_sim/faults': return sendJson(res, 200, this.pendingFaults);
        default: return sendJson(res, 404, { Message: `Unknown control route ${route}` });
      }
    }

    let input: Record<string, unknown>;
    try {
      const raw = await readBody(req);
      const parsed: unknown = raw.trim() === '' ? {} : JSON.parse(raw);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new Error('body must be a JSON object');
      }
      input = parsed as Record<string, unknown>;
    } catch (err) {
      return sendJson(res, 400, { Message: `Bad control request: ${(err as Error).message}` });
    }

    const count = input.count === undefined ? undefined : Number(input.count);
    try {
      switch (route) {
        case 'POST /_sim/fail-next':
          if (!isConnectErrorName(input.error)) {
            return sendJson(res, 400, {
              Message: `Unknown error "${String(input.error)}"; known: ${Object.keys(CONNECT_ERRORS).join(', ')}`,
            });
          }
          this.failNext({
            error: input.error,
            count,
            message: typeof input.message === 'string' ? input.message : undefined,
          });
          break;
        case 'POST /_sim/delay-next':
          this.delayNext({ ms: Number(input.ms), count });
          break;
        case 'POST /_sim/drop-next':
          this.dropNext({ count, when: input.when as DropWhen | undefined });
          break;
        case 'POST /_sim/disconnect':
          if (!this.disconnectContact(String(input.ContactId), typeof input.reason === 'string' ? input.reason : undefined)) {
            return sendJson(res, 404, { Message: `No live contact ${String(input.ContactId)}` });
          }
          break;
        case 'POST /_sim/next-outcome':
          this.nextCallOutcome(input.outcome as CallOutcome);
          break;
        case 'POST /_sim/reset':
          this.reset();
          break;
        default:
          return sendJson(res, 404, { Message: `Unknown control route ${route}` });
      }
    } catch (err) {
      return sendJson(res, 400, { Message: (err as Error).message });
    }
    return sendJson(res, 200, { ok: true, pendingFaults: this.pendingFaults });
  }
}

/** The SearchContacts request members the simulator looks at. */
interface SearchContactsBody {
  readonly InstanceId?: unknown;
  readonly TimeRange?: { readonly Type?: unknown; readonly StartTime?: unknown; readonly EndTime?: unknown };
  readonly SearchCriteria?: {
    readonly SearchableContactAttributes?: {
      readonly Criteria?: ReadonlyArray<{ readonly Key?: unknown; readonly Values: unknown[] }>;
      readonly MatchType?: string;
    };
  };
  readonly MaxResults?: number;
}

function operationOf(method: string | undefined, pathname: string): SimOperation | undefined {
  if (method === 'PUT' && pathname === OUTBOUND_VOICE_PATH) return 'StartOutboundVoiceContact';
  if (method === 'GET' && DESCRIBE_CONTACT_PATH.test(pathname)) return 'DescribeContact';
  if (method === 'POST' && pathname === SEARCH_CONTACTS_PATH) return 'SearchContacts';
  return undefined;
}

function checkAttributes(attrs: unknown): string | undefined {
  if (attrs === undefined) {
    return undefined;
  }
  if (typeof attrs !== 'object' || attrs === null || Array.isArray(attrs)) {
    return 'Attributes must be a map of strings to strings.';
  }
  let bytes = 0;
  for (const [key, value] of Object.entries(attrs)) {
    if (typeof value !== 'string') {
      return `Attribute ${key} must be a string.`;
    }
    if (key.length < 1 || key.length > 32767 || !ATTRIBUTE_KEY.test(key)) {
      return 'Attribute keys can include only alphanumeric, dash, and underscore characters (1 to 32767).';
    }
    if (value.length > 32767) {
      return `Attribute ${key} is longer than 32767 characters.`;
    }
    bytes += Buffer.byteLength(key, 'utf8') + Buffer.byteLength(value, 'utf8');
  }
  if (bytes > 32768) {
    return `Attributes total ${bytes} UTF-8 bytes; at most 32768 are allowed.`;
  }
  return undefined;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('body too large'));
        req.pause();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
    req.on('close', () => reject(new Error('connection closed'))); // no-op once resolved
  });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.headersSent) {
    return;
  }
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    'x-amzn-RequestId': randomUUID(),
    ...headers,
  });
  res.end(payload);
}
