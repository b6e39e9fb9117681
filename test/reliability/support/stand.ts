/**
 * A test stand: the shipped handler bundle (assets/), loaded with its own
 * environment, wired to its own Connect simulator and its own ledger table in
 * DynamoDB Local. Several stands live side by side in one test file.
 *
 * The bundle's SDK clients read AWS_ENDPOINT_URL_* on their first request and
 * keep the endpoint, so a stand is warmed (one call placed and forgotten)
 * right after it is loaded, before the next stand changes the environment.
 */
import { DeleteItemCommand, ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { readAnswer, type Answer } from './contract';
import type { Figures, ScenarioFigures } from './figures';
import { findLeaks } from './leaks';
import { handlerEnv, loadBundle } from '../../lambda/bundle';
import { ConnectSimulator, type ConnectSimulatorOptions, type SimContact } from '../../local/connect-simulator';
import { createLedgerTable, createLocalDynamoDbClient } from '../../local/dynamodb-local';
import { callEvent, lambdaContext, proxyEvent, type CallerIdentity, type LambdaContextLike, type ProxyHandler } from '../../local/proxy-event';

/** The Attributes member that ties a contact in the simulator to the request that placed it. */
export const REF_ATTRIBUTE = 'rel_ref';

export interface StandOptions {
  readonly name: string;
  readonly sim?: ConnectSimulatorOptions;
  /** The Connect endpoint the handler uses; defaults to the simulator (a fault proxy can sit in front of it). */
  readonly connectEndpoint?: (sim: ConnectSimulator) => Promise<string> | string;
  readonly dynamodbEndpoint?: string;
  /** Handler environment on top of the construct's defaults (CALL_STATUS is on, as the construct deploys it). */
  readonly overrides?: Record<string, string | undefined>;
  /** Number the warm-up call dials. */
  readonly warmDestination: string;
  /** Who places the warm-up call (it must match AUTH_MODE). @default an IAM user */
  readonly warmCaller?: CallerIdentity;
}

export interface LedgerItem {
  readonly pk: string;
  /** Whether the record carries a call status (set by the write that completes it, with CALL_STATUS on). */
  readonly hasCallStatus: boolean;
  readonly status: string;
  readonly contactId?: string;
  readonly deadline?: number;
  readonly raw: Record<string, AttributeValue>;
}

export interface InvokeOptions {
  /** The Lambda context's remaining time at the start. @default 25_000 */
  readonly remainingMs?: number;
  /** 5xx codes this call may answer on purpose (counted as provoked, not as failures). */
  readonly expected5xx?: readonly string[];
}

export interface AuditResult {
  readonly completed: number;
  readonly inProgress: number;
  readonly contacts: number;
  /** COMPLETED items whose contactId the simulator never placed. */
  readonly unknownContactIds: string[];
  /** Contact ids recorded by more than one ledger item. */
  readonly sharedContactIds: string[];
  /** Contacts no COMPLETED item records (allowed only while an IN_PROGRESS claim covers an unknown outcome). */
  readonly unrecordedContacts: SimContact[];
  /** COMPLETED records without the call's status (with CALL_STATUS on). */
  readonly missingStatusItems: string[];
  /** Records that carry a call status but are not COMPLETED (a status without its call). */
  readonly orphanStatusItems: string[];
  /** Contacts beyond one per ClientToken and per request reference. */
  readonly duplicateCalls: number;
  readonly leakedNumbers: number;
  /** Attributes that are not one of the ledger's hashes, ids, times and statuses (where a number could hide). */
  readonly unexpectedAttributes: string[];
}

const HEX64 = /^[0-9a-f]{64}$/;
const ID = /^[\w-]{1,256}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
const STATUSES = /^(IN_PROGRESS|COMPLETED|PLACED|INITIATED|CONNECTED_TO_SYSTEM|QUEUED|CONNECTED_TO_AGENT|DISCONNECTED)$/;

/** What each attribute of a ledger item may hold (docs/architecture.md: hashes and ids, never a phone number). */
const SAFE_SHAPES: Record<string, (v: AttributeValue) => boolean> = {
  pk: (v) => v.S !== undefined && HEX64.test(v.S),
  status: (v) => v.S !== undefined && STATUSES.test(v.S),
  callStatus: (v) => v.S !== undefined && STATUSES.test(v.S),
  statusSource: (v) => v.S === 'event' || v.S === 'lookup',
  lookedUpAt: (v) => v.N !== undefined,
  lookupOk: (v) => v.BOOL !== undefined,
  checkedAt: (v) => v.S !== undefined && ISO.test(v.S),
  fingerprint: (v) => v.S !== undefined && HEX64.test(v.S),
  callerHash: (v) => v.S !== undefined && HEX64.test(v.S),
  claimId: (v) => v.S !== undefined && ID.test(v.S),
  contactId: (v) => v.S !== undefined && ID.test(v.S),
  deadline: (v) => v.N !== undefined,
  expiresAt: (v) => v.N !== undefined,
  statusRank: (v) => v.N !== undefined,
  createdAt: (v) => v.S !== undefined && ISO.test(v.S),
  updatedAt: (v) => v.S !== undefined && ISO.test(v.S),
  responseBody: (v) => {
    try {
      const body = JSON.parse(v.S ?? '');
      return body.success === true && Object.keys(body.data).sort().join(',') === 'created_at,id'
        && ID.test(body.data.id) && ISO.test(body.data.created_at);
    } catch {
      return false;
    }
  },
  events: (v) => v.M !== undefined && Object.values(v.M).every((e) => Object.entries(e.M ?? {}).every(([name, value]) =>
    (name === 'type' && STATUSES.test(value.S ?? '')) || (name === 'time' && ISO.test(value.S ?? '')) || name === 'disconnect_reason')),
};

function unexpectedAttributes(item: Record<string, AttributeValue>): string[] {
  return Object.entries(item).filter(([name, value]) => !SAFE_SHAPES[name]?.(value)).map(([name]) => name);
}

/** The attributes that are not hashes, ids, times or statuses: the only places a phone number could be. */
function freeText(item: Record<string, AttributeValue>): Record<string, AttributeValue> {
  return Object.fromEntries(Object.entries(item).filter(([name, value]) => !SAFE_SHAPES[name]?.(value) || name === 'events'));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class Stand {
  static async start(figures: Figures, options: StandOptions): Promise<Stand> {
    const dynamodbEndpoint = options.dynamodbEndpoint ?? process.env.DYNAMODB_LOCAL_ENDPOINT!;
    const tableName = `rel-${options.name}-${process.pid}-${Date.now()}`;
    await createLedgerTable(dynamodbEndpoint, tableName);
    const sim = await ConnectSimulator.start({ quota: false, ...options.sim });
    const connectEndpoint = options.connectEndpoint ? await options.connectEndpoint(sim) : sim.url;
    const env = handlerEnv({ tableName, dynamodbEndpoint, connectEndpoint, overrides: { CALL_STATUS: 'true', ...options.overrides } });
    const stand = new Stand(figures, options.name, loadBundle(env), sim, tableName, dynamodbEndpoint, env, options);
    await stand.warm();
    stand.sim.reset();
    await stand.clearLedger();
    return stand;
  }

  readonly ddb: DynamoDBClient;
  private seq = 0;

  private constructor(
    private readonly figures: Figures,
    readonly name: string,
    private handler: ProxyHandler,
    readonly sim: ConnectSimulator,
    readonly tableName: string,
    readonly dynamodbEndpoint: string,
    /** The environment the bundle was loaded with (for a child process running the same bundle). */
    readonly env: Record<string, string | undefined>,
    private readonly options: StandOptions,
  ) {
    this.ddb = createLocalDynamoDbClient(dynamodbEndpoint, 1);
  }

  /** A fresh idempotency key. */
  key(label = 'k'): string {
    return `${this.name}-${label}-${Date.now().toString(36)}-${++this.seq}`;
  }

  /**
   * A JSON PUT whose contact can be traced back to `ref` (by default the
   * idempotency key) through the Attributes Connect receives; `ref: null` sends
   * the body as it is.
   */
  event(body: Record<string, unknown>, options: Parameters<typeof callEvent>[1] & { ref?: string | null } = {}): APIGatewayProxyEvent {
    const ref = options.ref === null ? undefined : options.ref ?? options.idempotencyKey;
    const withRef = ref === undefined ? body : {
      ...body,
      Attributes: { ...(body.Attributes as Record<string, string> | undefined), [REF_ATTRIBUTE]: ref },
    };
    return callEvent(withRef, options);
  }

  /**
   * Runs the handler like Lambda would and reads the answer against the
   * contract. An invocation that throws, or runs past its Lambda timeout (Lambda
   * would kill it), has no definite answer.
   */
  async invoke(scenario: ScenarioFigures, event: APIGatewayProxyEvent, options: InvokeOptions = {}): Promise<Answer> {
    const remainingMs = options.remainingMs ?? 25_000;
    const context: LambdaContextLike = lambdaContext(remainingMs);
    const started = Date.now();
    let result: APIGatewayProxyResult | undefined;
    let failure: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), remainingMs + 1_000); });
      const outcome = await Promise.race([this.handler(event, context), timeout]);
      if (outcome === 'timeout') failure = `still running after the Lambda timeout (${remainingMs} ms)`;
      else result = outcome;
    } catch (error) {
      failure = `the handler threw: ${(error as Error)?.message ?? String(error)}`;
    } finally {
      clearTimeout(timer);
    }
    const ms = Date.now() - started;
    if (failure === undefined && ms > remainingMs) failure = `answered after ${ms} ms, past the Lambda timeout (${remainingMs} ms)`;
    const answer = readAnswer(event, result, ms, failure);
    this.figures.record(scenario, answer, options.expected5xx);
    return answer;
  }

  /** Places one call: pins the bundle's SDK clients to this stand's endpoints. */
  private async warm(): Promise<void> {
    const event = callEvent({ DestinationPhoneNumber: this.options.warmDestination }, { caller: this.options.warmCaller });
    const result = await this.handler(event, lambdaContext());
    if (result.statusCode !== 200) throw new Error(`stand ${this.name}: warm-up call answered ${result.statusCode}: ${result.body}`);
  }

  /**
   * A fresh container: the bundle loaded again with the same environment,
   * simulator and table, so new SDK clients (and a full SDK retry quota, which a
   * warm container shares across invocations). Its warm-up call stays recorded.
   */
  async reload(): Promise<void> {
    this.handler = loadBundle(this.env);
    await this.warm();
  }

  async items(): Promise<LedgerItem[]> {
    const items: LedgerItem[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.ddb.send(new ScanCommand({ TableName: this.tableName, ConsistentRead: true, ExclusiveStartKey: start }));
      for (const raw of page.Items ?? []) {
        items.push({
          pk: raw.pk?.S ?? '',
          hasCallStatus: raw.callStatus?.S !== undefined,
          status: raw.status?.S ?? '',
          contactId: raw.contactId?.S,
          deadline: raw.deadline?.N === undefined ? undefined : Number(raw.deadline.N),
          raw,
        });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  async clearLedger(): Promise<void> {
    for (const item of await this.items()) {
      await this.ddb.send(new DeleteItemCommand({ TableName: this.tableName, Key: { pk: { S: item.pk } } }));
    }
  }

  /** Waits until every IN_PROGRESS claim's deadline has passed (so a retry may take it over). */
  async waitForClaimDeadlines(): Promise<void> {
    const deadlines = (await this.items()).filter((i) => i.status === 'IN_PROGRESS').map((i) => i.deadline ?? 0);
    const latest = Math.max(0, ...deadlines);
    await sleep(Math.max(0, latest - Date.now() + 50));
  }

  /**
   * Do the ledger and the simulator agree? Every COMPLETED item's contact
   * exists, no contact id is recorded twice, every contact is recorded (or an
   * IN_PROGRESS claim covers it), one contact per ClientToken and per request,
   * one status item per recorded call; and no item holds one of `numbers`.
   */
  async audit(numbers: Iterable<string>): Promise<AuditResult> {
    const items = await this.items();
    const all = items;
    const statusItems = items.filter((i) => i.hasCallStatus);
    const contacts = this.sim.contacts;
    const placed = new Set(contacts.map((c) => c.contactId));
    const completed = items.filter((i) => i.status === 'COMPLETED');
    const recorded = new Map<string, number>();
    for (const item of completed) recorded.set(item.contactId ?? '', (recorded.get(item.contactId ?? '') ?? 0) + 1);
    const withStatus = new Set(statusItems.map((i) => i.contactId ?? ''));
    const perToken = new Map<string, number>();
    const perRef = new Map<string, number>();
    for (const contact of contacts) {
      const token = contact.clientToken ?? `(no token) ${contact.contactId}`;
      perToken.set(token, (perToken.get(token) ?? 0) + 1);
      const ref = (contact.body.Attributes as Record<string, string> | undefined)?.[REF_ATTRIBUTE];
      if (ref !== undefined) perRef.set(ref, (perRef.get(ref) ?? 0) + 1);
    }
    const extra = (counts: Map<string, number>): number => [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
    return {
      completed: completed.length,
      inProgress: items.filter((i) => i.status === 'IN_PROGRESS').length,
      contacts: contacts.length,
      unknownContactIds: completed.filter((i) => !placed.has(i.contactId ?? '')).map((i) => i.contactId ?? '(none)'),
      sharedContactIds: [...recorded].filter(([, n]) => n > 1).map(([id]) => id),
      unrecordedContacts: contacts.filter((c) => !recorded.has(c.contactId)),
      missingStatusItems: this.env.CALL_STATUS === 'true' ? completed.filter((i) => !withStatus.has(i.contactId ?? '')).map((i) => i.contactId ?? '') : [],
      orphanStatusItems: statusItems.filter((i) => i.status !== 'COMPLETED').map((i) => i.contactId ?? i.pk),
      duplicateCalls: Math.max(extra(perToken), extra(perRef)),
      leakedNumbers: findLeaks(all.map((i) => JSON.stringify(freeText(i.raw))), numbers).length,
      unexpectedAttributes: [...new Set(all.flatMap((i) => unexpectedAttributes(i.raw)))],
    };
  }

  /** GET /contact/outbound-voice/{contactId} as `caller`. */
  statusEvent(contactId: string, caller?: CallerIdentity): APIGatewayProxyEvent {
    return proxyEvent({
      method: 'GET',
      path: `/contact/outbound-voice/${contactId}`,
      pathParameters: { contactId },
      caller,
    });
  }

  async stop(): Promise<void> {
    await this.sim.stop();
    this.ddb.destroy();
  }
}
