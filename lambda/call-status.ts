/**
 * Call status: what Amazon Connect's contact events say about each call this
 * construct placed, kept in the ledger table, and read back by the caller who
 * placed the call.
 *
 * Events (Amazon Connect Administrator Guide, "Amazon Connect contact events"):
 * EventBridge delivers `{source: "aws.connect", "detail-type": "Amazon Connect
 * Contact Event", time, detail}` with `detail.eventType`, `detail.contactId`,
 * `detail.instanceArn`, `detail.initiationMethod` ("API" for
 * StartOutboundVoiceContact), `detail.channel` and the timestamps
 * `initiationTimestamp`, `connectedToSystemTimestamp`, `queueInfo.enqueueTimestamp`,
 * `agentInfo.connectedToAgentTimestamp`, `disconnectTimestamp` (the event's
 * own time; the envelope's `time`, whole seconds, when it has none);
 * `disconnectReason` where the event carries one. Some samples of the guide
 * use PascalCase member names, so both spellings are read.
 *
 * Storage: one status item per call in the ledger table (its layout is LEDGER
 * in the shared contract, described in docs/architecture.md), written with the
 * ledger record when the call is placed (beside it, in parallel). Its key is
 * made from the ContactId, so it is found with a strongly consistent GetItem
 * and no index; it names its caller only by a hash (the GET route answers only
 * that caller).
 *
 * Delivery is at least once and unordered: a duplicate changes nothing (the
 * history entry of that type already exists), and an older event never
 * overwrites a newer status (the status only moves up the lifecycle rank).
 */
import { createHash } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { CALL_STATUS_RANK, LEDGER } from '../src/private/contract';

/** Attribute names of a call's status item (the shared contract). */
const { partitionKey: PK, ttlAttribute: TTL } = LEDGER;
const S = { ...LEDGER.callStatus, ...LEDGER.callStatusUpdates };

/** The lifecycle, in order (the shared contract). A status only ever moves to a higher rank. */
export const STATUS_RANK = CALL_STATUS_RANK;
export type CallStatus = keyof typeof STATUS_RANK;
export type ContactEventType = Exclude<CallStatus, 'PLACED'>;

export interface ContactEventEntry {
  readonly type: ContactEventType;
  /** When it happened (ISO 8601): the event's own timestamp where it has one. */
  readonly time: string;
  readonly disconnect_reason?: string;
}

export interface ContactEvent extends ContactEventEntry {
  readonly contactId: string;
  readonly instanceArn: string;
  readonly initiationMethod: string;
  readonly channel?: string;
  /** Whether the call had established media (answered by a person or a machine). */
  readonly connectedToSystem: boolean;
}

export type ParsedEvent =
  | { readonly ok: true; readonly event: ContactEvent }
  | { readonly ok: false; readonly reason: string };

export function statusKey(contactId: string): string {
  return `${LEDGER.callStatusKeyPrefix}${contactId}`;
}

/** The caller is stored as a hash: the status item holds no identity in clear. */
export function callerHash(caller: string): string {
  return createHash('sha256').update(`caller\u0000${caller}`).digest('hex');
}

function member(object: Record<string, unknown>, camel: string): unknown {
  return object[camel] ?? object[camel.charAt(0).toUpperCase() + camel.slice(1)];
}

function isoTime(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const millis = Date.parse(value);
  return Number.isNaN(millis) ? undefined : new Date(millis).toISOString();
}

/** The event's own timestamp for its type (the guide's data model), when it carries one. */
function eventTimestamp(type: ContactEventType, d: Record<string, unknown>): unknown {
  const nested = (object: string, field: string): unknown => {
    const value = member(d, object);
    return value !== null && typeof value === 'object' ? member(value as Record<string, unknown>, field) : undefined;
  };
  switch (type) {
    case 'INITIATED': return member(d, 'initiationTimestamp');
    case 'CONNECTED_TO_SYSTEM': return member(d, 'connectedToSystemTimestamp');
    case 'QUEUED': return nested('queueInfo', 'enqueueTimestamp');
    case 'CONNECTED_TO_AGENT': return nested('agentInfo', 'connectedToAgentTimestamp');
    case 'DISCONNECTED': return member(d, 'disconnectTimestamp');
    case 'COMPLETED': return nested('agentInfo', 'afterContactWorkEndTimestamp') ?? member(d, 'disconnectTimestamp');
  }
}

/** Reads an EventBridge contact event; anything malformed is refused with the reason. */
export function parseContactEvent(raw: unknown): ParsedEvent {
  if (raw === null || typeof raw !== 'object') return { ok: false, reason: 'event is not an object' };
  const envelope = raw as Record<string, unknown>;
  if (envelope.source !== 'aws.connect' || envelope['detail-type'] !== 'Amazon Connect Contact Event') {
    return { ok: false, reason: 'not an Amazon Connect contact event' };
  }
  const detail = envelope.detail;
  if (detail === null || typeof detail !== 'object') return { ok: false, reason: 'detail is missing' };
  const d = detail as Record<string, unknown>;
  const type = member(d, 'eventType');
  const contactId = member(d, 'contactId');
  const instanceArn = member(d, 'instanceArn') ?? d.InstanceARN;
  const initiationMethod = member(d, 'initiationMethod');
  if (typeof contactId !== 'string' || contactId.length === 0 || contactId.length > 256) {
    return { ok: false, reason: 'contactId is missing or not 1-256 characters' };
  }
  if (typeof type !== 'string') return { ok: false, reason: 'eventType is missing' };
  if (!(type in STATUS_RANK) || type === 'PLACED') return { ok: false, reason: `event type ${type} is not tracked` };
  if (typeof instanceArn !== 'string' || typeof initiationMethod !== 'string') {
    return { ok: false, reason: 'instanceArn or initiationMethod is missing' };
  }
  const eventType = type as ContactEventType;
  const connectedAt = isoTime(member(d, 'connectedToSystemTimestamp'));
  const specific = eventTimestamp(eventType, d);
  const time = isoTime(specific) ?? isoTime(envelope.time);
  if (!time) return { ok: false, reason: 'the event has no valid time' };
  const reason = member(d, 'disconnectReason');
  const channel = member(d, 'channel');
  return {
    ok: true,
    event: {
      type: eventType,
      time,
      contactId,
      instanceArn,
      initiationMethod,
      channel: typeof channel === 'string' ? channel : undefined,
      connectedToSystem: eventType === 'CONNECTED_TO_SYSTEM' || connectedAt !== undefined,
      ...(typeof reason === 'string' && reason.length > 0 ? { disconnect_reason: reason.slice(0, 256) } : {}),
    },
  };
}

/** The status item written with the ledger record when a call is placed. */
export function newStatusItem(options: {
  contactId: string; caller: string; createdAt: string; expiresAtSeconds: number;
}): Record<string, AttributeValue> {
  return {
    [PK]: { S: statusKey(options.contactId) },
    [S.kind]: { S: LEDGER.callStatusKind },
    [S.contactId]: { S: options.contactId },
    [S.callerHash]: { S: callerHash(options.caller) },
    [S.createdAt]: { S: options.createdAt },
    [S.status]: { S: 'PLACED' satisfies CallStatus },
    [S.statusRank]: { N: String(STATUS_RANK.PLACED) },
    [S.updatedAt]: { S: options.createdAt },
    [S.events]: { M: {} },
    [TTL]: { N: String(options.expiresAtSeconds) },
  };
}

export type ApplyOutcome = 'recorded' | 'duplicate' | 'unknown-contact' | 'older-than-status';

/**
 * Records one event: adds it to the history if this type is new for the
 * contact, then moves the status up if the event is later in the lifecycle.
 */
export async function applyContactEvent(
  client: DynamoDBClient, tableName: string, event: ContactEvent,
): Promise<ApplyOutcome> {
  const key = { [PK]: { S: statusKey(event.contactId) } };
  const entry: Record<string, AttributeValue> = { type: { S: event.type }, time: { S: event.time } };
  if (event.disconnect_reason) entry.disconnect_reason = { S: event.disconnect_reason };
  try {
    await client.send(new UpdateItemCommand({
      TableName: tableName,
      Key: key,
      UpdateExpression: `SET ${S.events}.#type = :entry`,
      ConditionExpression: `attribute_exists(${PK}) AND attribute_not_exists(${S.events}.#type)`,
      ExpressionAttributeNames: { '#type': event.type },
      ExpressionAttributeValues: { ':entry': { M: entry } },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    }));
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return error.Item ? 'duplicate' : 'unknown-contact';
    throw error;
  }
  return await raiseStatus(client, tableName, key, event.type, event.time, 'event') ? 'recorded' : 'older-than-status';
}

/** Where a status came from: a contact event, or a DescribeContact lookup. */
export type StatusSource = 'event' | 'lookup';

export interface CallStatusView {
  readonly id: string;
  readonly created_at: string;
  readonly status: CallStatus;
  /** When the status last changed (the event's or Connect's own timestamp). */
  readonly updated_at: string;
  /** Where the status came from; absent while the call is PLACED. */
  readonly source?: StatusSource;
  /** When the call ended and why, once known. */
  readonly disconnected_at?: string;
  readonly disconnect_reason?: string;
  /** When Connect last confirmed the status with DescribeContact. */
  readonly checked_at?: string;
  /**
   * True when the status may be out of date: the call is not final, no event
   * came for a while, and Connect could not be asked (failed or throttled).
   */
  readonly stale: boolean;
  readonly events: ContactEventEntry[];
}

/** A status as stored, with what the status route needs to decide on a lookup. */
export interface StoredCallStatus {
  readonly view: Omit<CallStatusView, 'stale'>;
  /** The status is DISCONNECTED or COMPLETED: nothing more to learn. */
  readonly final: boolean;
  /** Epoch ms of the last news: the later of the last status change and the last confirmation by Connect. */
  readonly lastNewsMs: number;
  /** Epoch ms of the last lookup (successful or not). */
  readonly lookedUpAtMs?: number;
  /** Whether the last lookup answered. */
  readonly lookupOk?: boolean;
}

/** What DescribeContact says about a call: the states it went through, with their times. */
export interface ContactObservation {
  /** The highest state reached; the rest of `entries` are the earlier ones. */
  readonly status: ContactEventType;
  readonly entries: readonly ContactEventEntry[];
}

export function isFinal(status: CallStatus): boolean {
  return STATUS_RANK[status] >= STATUS_RANK.DISCONNECTED;
}

/** The status of a call, for its caller only; undefined for anyone else or an unknown id. */
export async function readCallStatus(
  client: DynamoDBClient, tableName: string, contactId: string, caller: string,
): Promise<StoredCallStatus | undefined> {
  const out = await client.send(new GetItemCommand({
    TableName: tableName,
    Key: { [PK]: { S: statusKey(contactId) } },
    ConsistentRead: true,
  }));
  const item = out.Item;
  if (!item || item[S.callerHash]?.S !== callerHash(caller)) return undefined;
  const events = Object.values(item[S.events]?.M ?? {})
    .map((value) => value.M ?? {})
    .map((entry): ContactEventEntry => ({
      type: entry.type?.S as ContactEventType,
      time: entry.time?.S ?? '',
      ...(entry.disconnect_reason?.S ? { disconnect_reason: entry.disconnect_reason.S } : {}),
    }))
    .sort((a, b) => STATUS_RANK[a.type] - STATUS_RANK[b.type] || a.time.localeCompare(b.time));
  const status = (item[S.status]?.S ?? 'PLACED') as CallStatus;
  const source = item[S.statusSource]?.S as StatusSource | undefined;
  const disconnected = events.find((entry) => entry.type === 'DISCONNECTED');
  const checkedAt = item[S.checkedAt]?.S;
  const updatedAt = item[S.updatedAt]?.S ?? '';
  const lookedUpAt = item[S.lookedUpAt]?.N;
  const createdAt = item[S.createdAt]?.S ?? '';
  return {
    view: {
      id: item[S.contactId]?.S ?? contactId,
      created_at: createdAt,
      status,
      updated_at: updatedAt,
      ...(status !== 'PLACED' ? { source: source ?? 'event' } : {}),
      ...(disconnected ? { disconnected_at: disconnected.time } : {}),
      ...(disconnected?.disconnect_reason ? { disconnect_reason: disconnected.disconnect_reason } : {}),
      ...(checkedAt ? { checked_at: checkedAt } : {}),
      events,
    },
    final: isFinal(status),
    // The item's own creation counts as news: a call placed a moment ago is not looked up.
    lastNewsMs: Math.max(epochMillis(updatedAt), epochMillis(checkedAt), epochMillis(createdAt)),
    ...(lookedUpAt !== undefined ? { lookedUpAtMs: Number(lookedUpAt) } : {}),
    ...(item[S.lookupOk]?.BOOL !== undefined ? { lookupOk: item[S.lookupOk].BOOL } : {}),
  };
}

function epochMillis(iso: string | undefined): number {
  const value = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(value) ? 0 : value;
}

/**
 * Takes the call's lookup lease: succeeds for one caller per interval, so
 * however often the status is polled, Connect is asked at most once per
 * interval per call. False when another request looked it up within the
 * interval, or the call is already final.
 */
export async function claimLookup(
  client: DynamoDBClient, tableName: string, contactId: string, nowMs: number, intervalMs: number,
): Promise<boolean> {
  try {
    await client.send(new UpdateItemCommand({
      TableName: tableName,
      Key: { [PK]: { S: statusKey(contactId) } },
      UpdateExpression: `SET ${S.lookedUpAt} = :now`,
      ConditionExpression: `attribute_exists(${PK}) AND ${S.statusRank} < :final`
        + ` AND (attribute_not_exists(${S.lookedUpAt}) OR ${S.lookedUpAt} <= :due)`,
      ExpressionAttributeValues: {
        ':now': { N: String(nowMs) },
        ':due': { N: String(nowMs - intervalMs) },
        ':final': { N: String(STATUS_RANK.DISCONNECTED) },
      },
    }));
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** Moves a call's status up to `status` (never down); false when it is already there or further on. */
async function raiseStatus(
  client: DynamoDBClient, tableName: string, key: Record<string, AttributeValue>,
  status: CallStatus, time: string, source: StatusSource,
): Promise<boolean> {
  try {
    await client.send(new UpdateItemCommand({
      TableName: tableName,
      Key: key,
      UpdateExpression: `SET #status = :status, ${S.statusRank} = :rank, ${S.updatedAt} = :time, ${S.statusSource} = :source`,
      ConditionExpression: `attribute_exists(${PK}) AND ${S.statusRank} < :rank`,
      ExpressionAttributeNames: { '#status': S.status },
      ExpressionAttributeValues: {
        ':status': { S: status },
        ':rank': { N: String(STATUS_RANK[status]) },
        ':time': { S: time },
        ':source': { S: source },
      },
    }));
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/**
 * Records what Connect said: each state it reports joins the history (an
 * event already recorded for that state is kept), and the status moves up to
 * the highest one, with source `lookup`. Like events, a lookup never moves a
 * status down.
 */
export async function recordLookup(
  client: DynamoDBClient, tableName: string, contactId: string, observation: ContactObservation, nowMs: number,
): Promise<void> {
  const key = { [PK]: { S: statusKey(contactId) } };
  const names: Record<string, string> = {};
  const values: Record<string, AttributeValue> = { ':ok': { BOOL: true }, ':checked': { S: new Date(nowMs).toISOString() } };
  const sets = [`${S.lookupOk} = :ok`, `${S.checkedAt} = :checked`];
  observation.entries.forEach((entry, i) => {
    const value: Record<string, AttributeValue> = { type: { S: entry.type }, time: { S: entry.time } };
    if (entry.disconnect_reason) value.disconnect_reason = { S: entry.disconnect_reason };
    names[`#t${i}`] = entry.type;
    values[`:e${i}`] = { M: value };
    sets.push(`${S.events}.#t${i} = if_not_exists(${S.events}.#t${i}, :e${i})`);
  });
  await client.send(new UpdateItemCommand({
    TableName: tableName,
    Key: key,
    UpdateExpression: `SET ${sets.join(', ')}`,
    ConditionExpression: `attribute_exists(${PK})`,
    ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
    ExpressionAttributeValues: values,
  }));
  const reached = observation.entries.find((entry) => entry.type === observation.status);
  // False when the status is already there or further on (an event came meanwhile).
  await raiseStatus(client, tableName, key, observation.status, reached?.time ?? new Date(nowMs).toISOString(), 'lookup');
}

/** Marks the last lookup as failed: until one answers, the status is reported as possibly stale. */
export async function recordLookupFailure(client: DynamoDBClient, tableName: string, contactId: string): Promise<void> {
  await client.send(new UpdateItemCommand({
    TableName: tableName,
    Key: { [PK]: { S: statusKey(contactId) } },
    UpdateExpression: `SET ${S.lookupOk} = :failed`,
    ConditionExpression: `attribute_exists(${PK})`,
    ExpressionAttributeValues: { ':failed': { BOOL: false } },
  }));
}
