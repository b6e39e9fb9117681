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
 * Storage: on the call's ledger record (its layout is LEDGER in the shared
 * contract, described in docs/architecture.md): the UpdateItem that completes
 * the record sets the first status too, so placing a call writes once. The
 * record's key is made from caller and idempotency key, not from the
 * ContactId: the status route and the status function find it through a
 * keys-only index on `contactId` (eventually consistent, README "Call
 * status"), then read or update the record by its key, always on the
 * condition that it still holds that ContactId (a record replaced after its
 * TTL by a new claim of the same key must not get another call's events).
 * The record names its caller only by a hash (the GET route answers only that
 * caller).
 *
 * Delivery is at least once and unordered: a duplicate changes nothing (the
 * history entry of that type already exists), and an older event never
 * overwrites a newer status (the status only moves up the lifecycle rank).
 */
import { createHash } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { CALL_STATUS_RANK, LEDGER } from '../src/private/contract';

/** Attribute names of a record's call status (the shared contract). */
const { partitionKey: PK, contactIndex: INDEX } = LEDGER;
const S = { ...LEDGER.callStatus, ...LEDGER.callStatusUpdates, contactId: LEDGER.record.contactId, createdAt: LEDGER.record.createdAt };

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

/** A call's ledger record: its key and the ContactId it must still hold. */
export interface CallRef {
  readonly pk: string;
  readonly contactId: string;
}

/** The caller is stored as a hash: the record holds no identity in clear. */
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

/** The call's first status, set on the ledger record by the write that completes it (Ledger.complete). */
export function placedStatusAttributes(options: { caller: string; createdAt: string }): Record<string, AttributeValue> {
  return {
    [S.callerHash]: { S: callerHash(options.caller) },
    [S.callStatus]: { S: 'PLACED' satisfies CallStatus },
    [S.statusRank]: { N: String(STATUS_RANK.PLACED) },
    [S.updatedAt]: { S: options.createdAt },
    [S.events]: { M: {} },
  };
}

/**
 * The keys of the records that hold this ContactId, from the index (keys only,
 * eventually consistent: a call completed a moment ago may not be there yet).
 * One in practice: every record's call has its own ClientToken, so its own ContactId.
 */
export async function findCallRecords(client: DynamoDBClient, tableName: string, contactId: string): Promise<string[]> {
  const out = await client.send(new QueryCommand({
    TableName: tableName,
    IndexName: INDEX.name,
    KeyConditionExpression: '#contactId = :contactId',
    ExpressionAttributeNames: { '#contactId': INDEX.partitionKey },
    ExpressionAttributeValues: { ':contactId': { S: contactId } },
  }));
  return (out.Items ?? []).flatMap((item) => (item[PK]?.S ? [item[PK].S] : []));
}

function refKey(ref: CallRef): Record<string, AttributeValue> {
  return { [PK]: { S: ref.pk } };
}

export type ApplyOutcome = 'recorded' | 'duplicate' | 'unknown-contact' | 'older-than-status';

/**
 * Records one event: adds it to the history if this type is new for the
 * contact, then moves the status up if the event is later in the lifecycle.
 */
export async function applyContactEvent(
  client: DynamoDBClient, tableName: string, event: ContactEvent,
): Promise<ApplyOutcome> {
  let outcome: ApplyOutcome = 'unknown-contact';
  for (const pk of await findCallRecords(client, tableName, event.contactId)) {
    const applied = await applyToRecord(client, tableName, { pk, contactId: event.contactId }, event);
    if (applied !== 'unknown-contact') outcome = applied;
  }
  return outcome;
}

async function applyToRecord(
  client: DynamoDBClient, tableName: string, ref: CallRef, event: ContactEvent,
): Promise<ApplyOutcome> {
  const entry: Record<string, AttributeValue> = { type: { S: event.type }, time: { S: event.time } };
  if (event.disconnect_reason) entry.disconnect_reason = { S: event.disconnect_reason };
  try {
    await client.send(new UpdateItemCommand({
      TableName: tableName,
      Key: refKey(ref),
      UpdateExpression: `SET ${S.events}.#type = :entry`,
      // The record still holds this call, it tracks the call's status, and this type is new for it.
      ConditionExpression: `${S.contactId} = :contactId AND attribute_exists(${S.events}) AND attribute_not_exists(${S.events}.#type)`,
      ExpressionAttributeNames: { '#type': event.type },
      ExpressionAttributeValues: { ':entry': { M: entry }, ':contactId': { S: ref.contactId } },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    }));
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) {
      const old = error.Item;
      return old?.[S.contactId]?.S === ref.contactId && old[S.events]?.M !== undefined ? 'duplicate' : 'unknown-contact';
    }
    throw error;
  }
  return await raiseStatus(client, tableName, ref, event.type, event.time, 'event') ? 'recorded' : 'older-than-status';
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
  /** The ledger record that holds the call. */
  readonly ref: CallRef;
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

/**
 * The status of a call, for its caller only; undefined for anyone else or an
 * unknown id (or one the index does not show yet). The record itself is read
 * strongly consistent: the index only gives its key.
 */
export async function readCallStatus(
  client: DynamoDBClient, tableName: string, contactId: string, caller: string,
): Promise<StoredCallStatus | undefined> {
  const hash = callerHash(caller);
  for (const pk of await findCallRecords(client, tableName, contactId)) {
    const out = await client.send(new GetItemCommand({ TableName: tableName, Key: { [PK]: { S: pk } }, ConsistentRead: true }));
    const item = out.Item;
    if (item && item[S.callerHash]?.S === hash) {
      const stored = storedStatus(item, { pk, contactId });
      if (stored) return stored;
    }
  }
  return undefined;
}

/** A record's call status; undefined when the record no longer holds this call or tracks no status. */
function storedStatus(item: Record<string, AttributeValue>, ref: CallRef): StoredCallStatus | undefined {
  if (item[S.contactId]?.S !== ref.contactId || item[S.callStatus]?.S === undefined) return undefined;
  const events = Object.values(item[S.events]?.M ?? {})
    .map((value) => value.M ?? {})
    .map((entry): ContactEventEntry => ({
      type: entry.type?.S as ContactEventType,
      time: entry.time?.S ?? '',
      ...(entry.disconnect_reason?.S ? { disconnect_reason: entry.disconnect_reason.S } : {}),
    }))
    .sort((a, b) => STATUS_RANK[a.type] - STATUS_RANK[b.type] || a.time.localeCompare(b.time));
  const status = item[S.callStatus].S as CallStatus;
  const source = item[S.statusSource]?.S as StatusSource | undefined;
  const disconnected = events.find((entry) => entry.type === 'DISCONNECTED');
  const checkedAt = item[S.checkedAt]?.S;
  const updatedAt = item[S.updatedAt]?.S ?? '';
  const lookedUpAt = item[S.lookedUpAt]?.N;
  const createdAt = item[S.createdAt]?.S ?? '';
  return {
    ref,
    view: {
      id: ref.contactId,
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
    // The call's placing counts as news: a call placed a moment ago is not looked up.
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
  client: DynamoDBClient, tableName: string, ref: CallRef, nowMs: number, intervalMs: number,
): Promise<boolean> {
  try {
    await client.send(new UpdateItemCommand({
      TableName: tableName,
      Key: refKey(ref),
      UpdateExpression: `SET ${S.lookedUpAt} = :now`,
      ConditionExpression: `${S.contactId} = :contactId AND ${S.statusRank} < :final`
        + ` AND (attribute_not_exists(${S.lookedUpAt}) OR ${S.lookedUpAt} <= :due)`,
      ExpressionAttributeValues: {
        ':contactId': { S: ref.contactId },
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

/** The SET clauses that move a call's status to `status` (the caller's condition keeps it from moving down). */
function statusSets(
  status: CallStatus, time: string, source: StatusSource, values: Record<string, AttributeValue>,
): string[] {
  values[':status'] = { S: status };
  values[':rank'] = { N: String(STATUS_RANK[status]) };
  values[':time'] = { S: time };
  values[':source'] = { S: source };
  return [`${S.callStatus} = :status`, `${S.statusRank} = :rank`, `${S.updatedAt} = :time`, `${S.statusSource} = :source`];
}

/** Moves a call's status up to `status` (never down); false when it is already there or further on. */
async function raiseStatus(
  client: DynamoDBClient, tableName: string, ref: CallRef,
  status: CallStatus, time: string, source: StatusSource,
): Promise<boolean> {
  const values: Record<string, AttributeValue> = { ':contactId': { S: ref.contactId } };
  try {
    await client.send(new UpdateItemCommand({
      TableName: tableName,
      Key: refKey(ref),
      UpdateExpression: `SET ${statusSets(status, time, source, values).join(', ')}`,
      ConditionExpression: `${S.contactId} = :contactId AND ${S.statusRank} < :rank`,
      ExpressionAttributeValues: values,
    }));
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/**
 * Records what Connect said, in one write: each state it reports joins the
 * history (an event already recorded for that state is kept), and the status
 * moves up to the highest one, with source `lookup`. Like events, a lookup
 * never moves a status down: when an event moved it meanwhile to the same
 * state or further on (the condition fails), the history and the confirmation
 * are written without the status. Resolves to the call's status as recorded
 * (undefined when the record no longer holds the call).
 */
export async function recordLookup(
  client: DynamoDBClient, tableName: string, stored: StoredCallStatus, observation: ContactObservation, nowMs: number,
): Promise<StoredCallStatus | undefined> {
  const write = async (raise: boolean): Promise<StoredCallStatus | undefined> => {
    const names: Record<string, string> = {};
    const values: Record<string, AttributeValue> = {
      ':contactId': { S: stored.ref.contactId }, ':ok': { BOOL: true }, ':checked': { S: new Date(nowMs).toISOString() },
    };
    const sets = [`${S.lookupOk} = :ok`, `${S.checkedAt} = :checked`];
    observation.entries.forEach((entry, i) => {
      const value: Record<string, AttributeValue> = { type: { S: entry.type }, time: { S: entry.time } };
      if (entry.disconnect_reason) value.disconnect_reason = { S: entry.disconnect_reason };
      names[`#t${i}`] = entry.type;
      values[`:e${i}`] = { M: value };
      sets.push(`${S.events}.#t${i} = if_not_exists(${S.events}.#t${i}, :e${i})`);
    });
    const reached = observation.entries.find((entry) => entry.type === observation.status);
    if (raise) sets.push(...statusSets(observation.status, reached?.time ?? new Date(nowMs).toISOString(), 'lookup', values));
    const out = await client.send(new UpdateItemCommand({
      TableName: tableName,
      Key: refKey(stored.ref),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: `${S.contactId} = :contactId${raise ? ` AND ${S.statusRank} < :rank` : ''}`,
      ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_NEW',
    }));
    return out.Attributes ? storedStatus(out.Attributes, stored.ref) : undefined;
  };
  if (STATUS_RANK[observation.status] > STATUS_RANK[stored.view.status]) {
    try {
      return await write(true);
    } catch (error) {
      // An event moved the status meanwhile (or the record no longer holds the call: the retry finds out).
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
  try {
    return await write(false);
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}

/** Marks the last lookup as failed: until one answers, the status is reported as possibly stale. */
export async function recordLookupFailure(client: DynamoDBClient, tableName: string, ref: CallRef): Promise<void> {
  await client.send(new UpdateItemCommand({
    TableName: tableName,
    Key: refKey(ref),
    UpdateExpression: `SET ${S.lookupOk} = :failed`,
    ConditionExpression: `${S.contactId} = :contactId`,
    ExpressionAttributeValues: { ':failed': { BOOL: false }, ':contactId': { S: ref.contactId } },
  }));
}
