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
 * Storage: one status item per call, keyed `contact#<ContactId>`, written with
 * the ledger record when the call is placed (beside it, in parallel), so it can be
 * found by ContactId with a strongly consistent GetItem and no index. It holds
 * a hash of the caller (the GET route answers only that caller), the status,
 * and the history as a map keyed by event type.
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
import { LEDGER } from '../src/private/contract';

/** Attribute names of a call's status item (the shared contract). */
const { partitionKey: PK, ttlAttribute: TTL } = LEDGER;
const S = LEDGER.callStatus;

/** The lifecycle, in order. A status only ever moves to a higher rank. */
export const STATUS_RANK = {
  PLACED: 0,
  INITIATED: 1,
  CONNECTED_TO_SYSTEM: 2,
  QUEUED: 3,
  CONNECTED_TO_AGENT: 4,
  DISCONNECTED: 5,
  COMPLETED: 6,
} as const;
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
  try {
    await client.send(new UpdateItemCommand({
      TableName: tableName,
      Key: key,
      UpdateExpression: `SET #status = :status, ${S.statusRank} = :rank, ${S.updatedAt} = :time`,
      ConditionExpression: `attribute_exists(${PK}) AND ${S.statusRank} < :rank`,
      ExpressionAttributeNames: { '#status': S.status },
      ExpressionAttributeValues: {
        ':status': { S: event.type },
        ':rank': { N: String(STATUS_RANK[event.type]) },
        ':time': { S: event.time },
      },
    }));
    return 'recorded';
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return 'older-than-status';
    throw error;
  }
}

export interface CallStatusView {
  readonly id: string;
  readonly created_at: string;
  readonly status: CallStatus;
  readonly updated_at: string;
  readonly events: ContactEventEntry[];
}

/** The status of a call, for its caller only; undefined for anyone else or an unknown id. */
export async function readCallStatus(
  client: DynamoDBClient, tableName: string, contactId: string, caller: string,
): Promise<CallStatusView | undefined> {
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
  return {
    id: item[S.contactId]?.S ?? contactId,
    created_at: item[S.createdAt]?.S ?? '',
    status: (item[S.status]?.S ?? 'PLACED') as CallStatus,
    updated_at: item[S.updatedAt]?.S ?? '',
    events,
  };
}
