/**
 * The idempotency ledger: one DynamoDB item per (caller, key). The item
 * layout is LEDGER in the shared contract (src/private/contract.ts), described
 * in docs/architecture.md.
 *
 *   claim     conditional PutItem IN_PROGRESS, allowed if the key is new, its
 *             record has expired, or it is a stale claim of the same request;
 *             on failure the old item comes back with the failure itself
 *             (ReturnValuesOnConditionCheckFailure ALL_OLD): one round trip
 *             decides replay / 422 / 409.
 *   complete  COMPLETED with ContactId, created_at and the exact response body
 *             (and, with call status on, the call's first status: same write).
 *   release   delete our claim when Connect refused (nothing was placed).
 *   replayOf  read-only: the recorded answer of a completed request, for a
 *             request refused before its claim (outside the calling hours).
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb';
import { dynamoDbClientConfig, withoutSdkLogger } from './aws-clients';
import { LEDGER } from '../src/private/contract';

/** Attribute names of an idempotency record (the shared contract). */
const { partitionKey: PK, ttlAttribute: TTL } = LEDGER;
const R = LEDGER.record;
const IN_PROGRESS = LEDGER.recordStatus.inProgress;
const COMPLETED = LEDGER.recordStatus.completed;

/**
 * How every handler's DynamoDB client talks to the ledger: a hung attempt is
 * abandoned after 3 s and retried (the SDK only warns on a request timeout
 * unless told to throw), 3 attempts in all.
 */
const LEDGER_CLIENT_CONFIG: DynamoDBClientConfig = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
};

/** The DynamoDB client of a handler: configured from the environment (aws-clients.ts), LEDGER_CLIENT_CONFIG, no SDK logger. */
export function ledgerClient(env: NodeJS.ProcessEnv = process.env): DynamoDBClient {
  return withoutSdkLogger(new DynamoDBClient({ ...dynamoDbClientConfig(env), ...LEDGER_CLIENT_CONFIG }));
}

export type ItemStatus = typeof IN_PROGRESS | typeof COMPLETED;

/** A claim this invocation holds: needed to complete or release it. */
export interface Claim {
  readonly pk: string;
  readonly claimId: string;
  readonly deadlineMs: number;
}

export type ClaimOutcome =
  /**
   * `takenOver`: this claim replaced a stale claim of the same request, an
   * earlier attempt that neither recorded a ContactId nor released its claim
   * (it died, or Connect's answer never came): it may have placed the call.
   */
  | { readonly kind: 'claimed'; readonly claim: Claim; readonly takenOver: boolean }
  | { readonly kind: 'replay'; readonly responseBody: string; readonly contactId: string }
  | { readonly kind: 'in-progress'; readonly retryAfterSeconds: number }
  /**
   * The key is bound to another request, or (`endedAs`) to a batch call that
   * ended FAILED, EXPIRED or CANCELLED without a call: either way, until its
   * record expires (docs/batches.md).
   */
  | { readonly kind: 'key-reused'; readonly endedAs?: string };

/** The ledger could not be read or written: no call may be placed. */
export class LedgerUnavailableError extends Error {
  constructor(operation: string, readonly cause: unknown) {
    super(`ledger ${operation} failed: ${(cause as Error)?.name ?? 'unknown error'}`);
    this.name = 'LedgerUnavailableError';
  }
}

/** Partition key: a caller's key never meets another caller's. */
export function ledgerKey(caller: string, idempotencyKey: string): string {
  return createHash('sha256').update(`${caller}\u0000${idempotencyKey}`).digest('hex');
}

/** SHA-256 of the normalised request, as canonical JSON (object keys sorted). */
export function fingerprint(request: object): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
}

export interface ClaimRequest {
  readonly caller: string;
  readonly idempotencyKey: string;
  readonly fingerprint: string;
  /** When this invocation gives up (epoch ms): after it, another may take the claim over. */
  readonly deadlineMs: number;
  readonly nowMs?: number;
}

export class Ledger {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly windowSeconds: number,
  ) {}

  async claim(request: ClaimRequest): Promise<ClaimOutcome> {
    const now = request.nowMs ?? Date.now();
    const claim: Claim = {
      pk: ledgerKey(request.caller, request.idempotencyKey),
      claimId: randomUUID(),
      deadlineMs: request.deadlineMs,
    };
    try {
      const out = await this.client.send(new PutItemCommand({
        TableName: this.tableName,
        Item: {
          [PK]: { S: claim.pk },
          [R.status]: { S: IN_PROGRESS },
          [R.fingerprint]: { S: request.fingerprint },
          [R.claimId]: { S: claim.claimId },
          [R.deadline]: { N: String(claim.deadlineMs) },
          // An abandoned claim is removed eventually; until then it still pins the request (422 for another one).
          [TTL]: { N: String(Math.ceil(claim.deadlineMs / 1000) + this.windowSeconds) },
        },
        ConditionExpression:
          `attribute_not_exists(${PK}) OR ${TTL} < :nowSeconds`
          + ` OR (#status = :inProgress AND ${R.deadline} < :nowMs AND ${R.fingerprint} = :fingerprint)`,
        ExpressionAttributeNames: { '#status': R.status },
        ExpressionAttributeValues: {
          ':nowSeconds': { N: String(Math.floor(now / 1000)) },
          ':nowMs': { N: String(now) },
          ':inProgress': { S: IN_PROGRESS },
          ':fingerprint': { S: request.fingerprint },
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        // The item this claim replaced, if any, in the same round trip: a stale claim means an earlier
        // attempt may have placed the call (README, "Reliability").
        ReturnValues: 'ALL_OLD',
      }));
      return { kind: 'claimed', claim, takenOver: out.Attributes?.[R.status]?.S === IN_PROGRESS };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException && error.Item) {
        return decide(error.Item, request.fingerprint, now);
      }
      throw new LedgerUnavailableError('claim', error);
    }
  }

  /**
   * Records the placed call. Only our own claim is completed. With call status
   * on, `statusAttributes` (the call's first status, call-status.ts) are set
   * by the same UpdateItem: placing a call costs two DynamoDB calls, the claim
   * and this one (README, "Call status").
   */
  async complete(
    claim: Claim, contactId: string, createdAt: string, responseBody: string,
    statusAttributes: Record<string, AttributeValue> = {},
  ): Promise<void> {
    const expiresAt = Math.floor(Date.parse(createdAt) / 1000) + this.windowSeconds;
    const extraNames: Record<string, string> = {};
    const extraValues: Record<string, AttributeValue> = {};
    const extraSets = Object.entries(statusAttributes).map(([name, value], i) => {
      extraNames[`#s${i}`] = name;
      extraValues[`:s${i}`] = value;
      return `, #s${i} = :s${i}`;
    });
    try {
      await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: { [PK]: { S: claim.pk } },
        UpdateExpression:
          `SET #status = :completed, ${R.contactId} = :contactId, ${R.createdAt} = :createdAt,`
          + ` ${R.responseBody} = :body, ${TTL} = :expiresAt${extraSets.join('')} REMOVE ${R.deadline}, ${LEDGER.batchCall.request}`,
        ConditionExpression: `${R.claimId} = :claimId`,
        ExpressionAttributeNames: { '#status': R.status, ...extraNames },
        ExpressionAttributeValues: {
          ':completed': { S: COMPLETED },
          ':contactId': { S: contactId },
          ':createdAt': { S: createdAt },
          ':body': { S: responseBody },
          ':expiresAt': { N: String(expiresAt) },
          ':claimId': { S: claim.claimId },
          ...extraValues,
        },
      }));
    } catch (error) {
      throw new LedgerUnavailableError('complete', error);
    }
  }

  /**
   * Gives a claim up without deleting it: its deadline becomes now, so the
   * next attempt takes it over at once and, like this one, knows an earlier
   * attempt may have placed the call. Used when that could not be checked.
   */
  async expire(claim: Claim, nowMs: number = Date.now()): Promise<void> {
    try {
      await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: { [PK]: { S: claim.pk } },
        UpdateExpression: `SET ${R.deadline} = :now`,
        ConditionExpression: `${R.claimId} = :claimId`,
        ExpressionAttributeValues: { ':now': { N: String(nowMs) }, ':claimId': { S: claim.claimId } },
      }));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return;
      throw new LedgerUnavailableError('expire', error);
    }
  }

  /** Connect refused: nothing was placed, so a corrected or later request may go. */
  async release(claim: Claim): Promise<void> {
    try {
      await this.client.send(new DeleteItemCommand({
        TableName: this.tableName,
        Key: { [PK]: { S: claim.pk } },
        ConditionExpression: `${R.claimId} = :claimId`,
        ExpressionAttributeValues: { ':claimId': { S: claim.claimId } },
      }));
    } catch (error) {
      // Someone took a stale claim over: it is theirs now, nothing to release.
      if (error instanceof ConditionalCheckFailedException) return;
      throw new LedgerUnavailableError('release', error);
    }
  }

  /**
   * The recorded answer of this very request, if an earlier attempt placed
   * it and the record is still within its window; otherwise undefined. Reads
   * only (a strongly consistent GetItem): for a request that is refused before
   * anything is written, whose retry must still get its replay.
   */
  async replayOf(
    caller: string, idempotencyKey: string, requestFingerprint: string, nowMs: number = Date.now(),
  ): Promise<{ responseBody: string; contactId: string } | undefined> {
    let item: Record<string, AttributeValue> | undefined;
    try {
      item = (await this.client.send(new GetItemCommand({
        TableName: this.tableName,
        Key: { [PK]: { S: ledgerKey(caller, idempotencyKey) } },
        ConsistentRead: true,
        ProjectionExpression: `#status, ${R.fingerprint}, ${R.responseBody}, ${R.contactId}, ${TTL}`,
        ExpressionAttributeNames: { '#status': R.status },
      }))).Item;
    } catch (error) {
      throw new LedgerUnavailableError('read', error);
    }
    if (!item || item[R.status]?.S !== COMPLETED || item[R.fingerprint]?.S !== requestFingerprint) return undefined;
    if (Number(item[TTL]?.N ?? 0) < Math.floor(nowMs / 1000)) return undefined;
    return { responseBody: item[R.responseBody]?.S ?? '', contactId: item[R.contactId]?.S ?? '' };
  }
}

/** The answer's message for a key bound to something else (IDEMPOTENCY_KEY_REUSED), by the key's name on the route. */
export function keyReusedMessage(keyName: 'Idempotency-Key' | 'ClientToken', endedAs?: string): string {
  return endedAs
    ? `This ${keyName} belongs to a batch call that ended ${endedAs} without placing a call; it stays bound to that `
      + 'call until its record expires. Use a new key for a new call.'
    : `This ${keyName} was already used for a different request; use a new key for a new call.`;
}

/** A batch call's final states without a call. */
const ENDED_WITHOUT_CALL: readonly string[] = [
  LEDGER.batchCallStatus.failed, LEDGER.batchCallStatus.expired, LEDGER.batchCallStatus.cancelled,
];

/** What the old item says about this request (also for a batch call's claim: docs/batches.md). */
export function decide(old: Record<string, AttributeValue>, requestFingerprint: string, nowMs: number): ClaimOutcome {
  const sameRequest = old[R.fingerprint]?.S === requestFingerprint;
  const status = old[R.status]?.S ?? '';
  if (ENDED_WITHOUT_CALL.includes(status)) return { kind: 'key-reused', endedAs: status };
  if (status === COMPLETED) {
    if (!sameRequest) return { kind: 'key-reused' };
    return { kind: 'replay', responseBody: old[R.responseBody]?.S ?? '', contactId: old[R.contactId]?.S ?? '' };
  }
  const deadline = Number(old[R.deadline]?.N ?? 0);
  if (deadline >= nowMs) return { kind: 'in-progress', retryAfterSeconds: Math.max(1, Math.ceil((deadline - nowMs) / 1000)) };
  // A stale claim of a different request: the key is bound to that request until it expires.
  return { kind: 'key-reused' };
}
