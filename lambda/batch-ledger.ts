/**
 * Batch calls in the ledger (docs/batches.md): the batch item, each call's
 * idempotency record in its batch states, and the dispatcher's pacing item.
 * Every change of a call's state is one conditional write on its record, so
 * repeated, late or reordered queue messages can never dial a call twice.
 */
import { randomUUID } from 'node:crypto';
import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { decide, Ledger, LedgerUnavailableError, type Claim, type ClaimOutcome } from './ledger';
import type { OutboundCallRequest } from './request';
import { LEDGER } from '../src/private/contract';

const { partitionKey: PK, ttlAttribute: TTL } = LEDGER;
const R = LEDGER.record;
const B = LEDGER.batchCall;
const BI = LEDGER.batch;
const ST = LEDGER.batchCallStatus;
const COMPLETED = LEDGER.recordStatus.completed;
const FINAL_STATUSES: readonly string[] = [COMPLETED, ST.failed, ST.expired, ST.cancelled];

type Item = Record<string, AttributeValue>;

export const batchKey = (batchId: string): string => `${LEDGER.batchKeyPrefix}${batchId}`;

/** A batch as its item holds it. */
export interface StoredBatch {
  readonly batchId: string;
  readonly callerHash: string;
  readonly createdAt: string;
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
  readonly clientTokens: readonly string[];
  readonly callKeys: readonly string[];
}

/** A new call of a batch, ready to be written as a QUEUED claim. */
export interface NewBatchCall {
  readonly pk: string;
  readonly fingerprint: string;
  readonly clientToken: string;
  readonly request: OutboundCallRequest;
  readonly dueAtMs: number;
}

/** What the dispatcher holds after claiming a call. */
export interface DialClaim extends Claim {
  readonly request: OutboundCallRequest;
  readonly clientToken: string;
  readonly callerHash: string;
  readonly notAfterMs: number;
  readonly attempts: number;
  /** A stale DIALING claim was taken over: an earlier attempt may have placed the call. */
  readonly takenOver: boolean;
  /** When the taken-over claim's lease ended (epoch ms); 0 when nothing was taken over. */
  readonly staleSinceMs: number;
}

export type DialClaimOutcome =
  | { readonly kind: 'claimed'; readonly claim: DialClaim }
  /** Nothing to do: final, cancelled, not this batch's call, or gone. */
  | { readonly kind: 'done' }
  /** Not yet: look again at `atMs` (dueAt, or the end of another dispatcher's lease). */
  | { readonly kind: 'later'; readonly atMs: number }
  /** Still QUEUED past NotAfter: expire it. */
  | { readonly kind: 'expired' };

export class BatchLedger {
  /** The idempotency ledger these call records belong to. */
  private readonly records: Ledger;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly windowSeconds: number,
  ) {
    this.records = new Ledger(client, tableName, windowSeconds);
  }

  private async send<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw error;
      throw new LedgerUnavailableError(operation, error);
    }
  }

  /** The batch item, written before its calls. */
  async putBatch(batch: StoredBatch): Promise<void> {
    await this.send('batch put', () => this.client.send(new PutItemCommand({
      TableName: this.tableName,
      Item: {
        [PK]: { S: batchKey(batch.batchId) },
        [BI.kind]: { S: LEDGER.batchKind },
        [BI.callerHash]: { S: batch.callerHash },
        [BI.createdAt]: { S: batch.createdAt },
        [BI.notBefore]: { N: String(batch.notBeforeMs) },
        [BI.notAfter]: { N: String(batch.notAfterMs) },
        [BI.clientTokens]: { L: batch.clientTokens.map((token) => ({ S: token })) },
        [BI.callKeys]: { L: batch.callKeys.map((key) => ({ S: key })) },
        [TTL]: { N: String(Math.ceil(batch.notAfterMs / 1000) + this.windowSeconds) },
      },
      ConditionExpression: `attribute_not_exists(${PK})`,
    })));
  }

  /** Only after a failed submission: the batch item goes with its claims. */
  async deleteBatch(batchId: string): Promise<void> {
    await this.send('batch delete', () => this.client.send(new DeleteItemCommand({
      TableName: this.tableName, Key: { [PK]: { S: batchKey(batchId) } },
    })));
  }

  async readBatch(batchId: string): Promise<StoredBatch | undefined> {
    const out = await this.send('batch read', () => this.client.send(new GetItemCommand({
      TableName: this.tableName, Key: { [PK]: { S: batchKey(batchId) } }, ConsistentRead: true,
    })));
    const item = out.Item;
    if (!item || item[BI.kind]?.S !== LEDGER.batchKind) return undefined;
    return {
      batchId,
      callerHash: item[BI.callerHash]?.S ?? '',
      createdAt: item[BI.createdAt]?.S ?? '',
      notBeforeMs: Number(item[BI.notBefore]?.N ?? 0),
      notAfterMs: Number(item[BI.notAfter]?.N ?? 0),
      clientTokens: (item[BI.clientTokens]?.L ?? []).map((value) => value.S ?? ''),
      callKeys: (item[BI.callKeys]?.L ?? []).map((value) => value.S ?? ''),
    };
  }

  /**
   * A call's claim, QUEUED until its batch is due: allowed where the
   * synchronous route's claim of a new key is (no record, or an expired one);
   * otherwise the old record decides (replay, in progress, key reused).
   */
  async claimQueued(call: NewBatchCall, batch: { batchId: string; callerHash: string; notAfterMs: number }, nowMs: number):
  Promise<ClaimOutcome> {
    const claimId = randomUUID();
    try {
      await this.client.send(new PutItemCommand({
        TableName: this.tableName,
        Item: {
          [PK]: { S: call.pk },
          [R.status]: { S: ST.queued },
          [R.fingerprint]: { S: call.fingerprint },
          [R.claimId]: { S: claimId },
          // Keeps the synchronous route out (409) while the call waits.
          [R.deadline]: { N: String(batch.notAfterMs) },
          [TTL]: { N: String(Math.ceil(batch.notAfterMs / 1000) + this.windowSeconds) },
          [B.batchId]: { S: batch.batchId },
          [B.request]: { S: JSON.stringify(call.request) },
          [B.clientToken]: { S: call.clientToken },
          [B.callerHash]: { S: batch.callerHash },
          [B.dueAt]: { N: String(call.dueAtMs) },
          [B.notAfter]: { N: String(batch.notAfterMs) },
          [B.attempts]: { N: '0' },
        },
        ConditionExpression: `attribute_not_exists(${PK}) OR ${TTL} < :nowSeconds`,
        ExpressionAttributeValues: { ':nowSeconds': { N: String(Math.floor(nowMs / 1000)) } },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }));
      return { kind: 'claimed', claim: { pk: call.pk, claimId, deadlineMs: batch.notAfterMs }, takenOver: false };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException && error.Item) return decide(error.Item, call.fingerprint, nowMs);
      throw new LedgerUnavailableError('batch claim', error);
    }
  }

  /** Undoes a claim of a submission that failed: the ledger's own release (only our claim, by its id). */
  async deleteClaim(claim: Claim): Promise<void> {
    await this.records.release(claim);
  }

  /** The records of these keys (request left out), 100 per BatchGetItem, unprocessed keys retried. */
  async readCalls(keys: readonly string[]): Promise<Map<string, Item>> {
    const found = new Map<string, Item>();
    const unique = [...new Set(keys)];
    for (let start = 0; start < unique.length; start += 100) {
      let pending: Array<Record<string, AttributeValue>> = unique.slice(start, start + 100).map((pk) => ({ [PK]: { S: pk } }));
      for (let round = 0; pending.length > 0; round++) {
        if (round > 8) throw new LedgerUnavailableError('batch read', new Error('unprocessed keys'));
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** round));
        const out = await this.send('batch read', () => this.client.send(new BatchGetItemCommand({
          RequestItems: {
            [this.tableName]: {
              Keys: pending,
              ConsistentRead: true,
              ProjectionExpression: `${PK}, #status, ${R.contactId}, ${B.batchId}, ${B.dueAt}, ${B.notAfter}, ${B.errorCode}`,
              ExpressionAttributeNames: { '#status': R.status },
            },
          },
        })));
        for (const item of out.Responses?.[this.tableName] ?? []) found.set(item[PK]?.S ?? '', item);
        pending = (out.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Array<Record<string, AttributeValue>>;
      }
    }
    return found;
  }

  /** Cancels a call that no dispatcher holds yet; false when it was not QUEUED in this batch. */
  async cancel(pk: string, batchId: string): Promise<boolean> {
    try {
      await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: { [PK]: { S: pk } },
        UpdateExpression: `SET #status = :cancelled, ${R.deadline} = :zero REMOVE ${B.request}`,
        ConditionExpression: `#status = :queued AND ${B.batchId} = :batchId`,
        ExpressionAttributeNames: { '#status': R.status },
        ExpressionAttributeValues: {
          ':cancelled': { S: ST.cancelled }, ':queued': { S: ST.queued }, ':batchId': { S: batchId }, ':zero': { N: '0' },
        },
      }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw new LedgerUnavailableError('batch cancel', error);
    }
  }

  /**
   * The dispatcher's claim before it dials: QUEUED and due (and not past
   * NotAfter) → DIALING with a lease, or a stale DIALING claim taken over.
   * The old record comes back either way: on success it carries the request;
   * on failure it says why not.
   */
  async claimForDial(pk: string, batchId: string, nowMs: number, leaseMs: number): Promise<DialClaimOutcome> {
    const claimId = randomUUID();
    const deadlineMs = nowMs + leaseMs;
    try {
      const out = await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: { [PK]: { S: pk } },
        UpdateExpression: `SET #status = :dialing, ${R.claimId} = :claimId, ${R.deadline} = :deadline`,
        ConditionExpression: `${B.batchId} = :batchId AND (`
          + `(#status = :queued AND ${B.dueAt} <= :now AND ${B.notAfter} > :now)`
          + ` OR (#status = :dialing AND ${R.deadline} < :now))`,
        ExpressionAttributeNames: { '#status': R.status },
        ExpressionAttributeValues: {
          ':dialing': { S: ST.dialing },
          ':queued': { S: ST.queued },
          ':claimId': { S: claimId },
          ':deadline': { N: String(deadlineMs) },
          ':batchId': { S: batchId },
          ':now': { N: String(nowMs) },
        },
        ReturnValues: 'ALL_OLD',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }));
      const old = out.Attributes ?? {};
      return {
        kind: 'claimed',
        claim: {
          pk,
          claimId,
          deadlineMs,
          request: JSON.parse(old[B.request]?.S ?? '{}') as OutboundCallRequest,
          clientToken: old[B.clientToken]?.S ?? '',
          callerHash: old[B.callerHash]?.S ?? '',
          notAfterMs: Number(old[B.notAfter]?.N ?? 0),
          attempts: Number(old[B.attempts]?.N ?? 0),
          takenOver: old[R.status]?.S === ST.dialing,
          staleSinceMs: old[R.status]?.S === ST.dialing ? Number(old[R.deadline]?.N ?? 0) : 0,
        },
      };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw new LedgerUnavailableError('dial claim', error);
      const old = error.Item;
      if (!old || old[B.batchId]?.S !== batchId || FINAL_STATUSES.includes(old[R.status]?.S ?? '')) return { kind: 'done' };
      if (old[R.status]?.S === ST.dialing) return { kind: 'later', atMs: Number(old[R.deadline]?.N ?? nowMs) + 1 };
      if (Number(old[B.notAfter]?.N ?? 0) <= nowMs) return { kind: 'expired' };
      return { kind: 'later', atMs: Number(old[B.dueAt]?.N ?? nowMs) };
    }
  }

  /**
   * Back to QUEUED without a failure (LimitExceeded, calling hours closed): due
   * again at `dueAtMs`; `countAttempt` counts it toward the backoff.
   */
  async requeue(claim: Claim, dueAtMs: number, notAfterMs: number, countAttempt: boolean): Promise<boolean> {
    return this.conditional('requeue', {
      UpdateExpression: `SET #status = :queued, ${B.dueAt} = :dueAt, ${R.deadline} = :notAfter ADD ${B.attempts} :inc`,
      ExpressionAttributeValues: {
        ':queued': { S: ST.queued },
        ':dueAt': { N: String(dueAtMs) },
        ':notAfter': { N: String(notAfterMs) },
        ':inc': { N: countAttempt ? '1' : '0' },
      },
    }, claim);
  }

  /** Counts an attempt whose outcome is unknown; the claim stays until its lease ends (then a takeover re-sends the token). */
  async countAttempt(claim: Claim): Promise<boolean> {
    return this.conditional('attempt', {
      UpdateExpression: `ADD ${B.attempts} :one`,
      ExpressionAttributeValues: { ':one': { N: '1' } },
    }, claim);
  }

  /** A final state without a call (FAILED with its code, or EXPIRED): the request is removed. */
  async finish(claim: Claim, status: typeof ST.failed | typeof ST.expired, errorCode?: string): Promise<boolean> {
    return this.conditional('finish', {
      UpdateExpression: `SET #status = :status, ${R.deadline} = :zero${errorCode ? `, ${B.errorCode} = :code` : ''} REMOVE ${B.request}`,
      ExpressionAttributeValues: {
        ':status': { S: status }, ':zero': { N: '0' }, ...(errorCode ? { ':code': { S: errorCode } } : {}),
      },
    }, claim);
  }

  /** A queued call's destination and window, read before a dial slot is spent on it (calling hours). */
  async peek(pk: string, batchId: string): Promise<{ destination: string; dueAtMs: number; notAfterMs: number } | undefined> {
    const out = await this.send('peek', () => this.client.send(new GetItemCommand({
      TableName: this.tableName,
      Key: { [PK]: { S: pk } },
      ProjectionExpression: `#status, ${B.batchId}, ${B.request}, ${B.dueAt}, ${B.notAfter}`,
      ExpressionAttributeNames: { '#status': R.status },
    })));
    const item = out.Item;
    if (!item || item[R.status]?.S !== ST.queued || item[B.batchId]?.S !== batchId) return undefined;
    const request = JSON.parse(item[B.request]?.S ?? '{}') as Partial<OutboundCallRequest>;
    return {
      destination: request.DestinationPhoneNumber ?? '',
      dueAtMs: Number(item[B.dueAt]?.N ?? 0),
      notAfterMs: Number(item[B.notAfter]?.N ?? 0),
    };
  }

  /** A QUEUED call waits until `dueAtMs` (its calling hours open then); false when it is no longer QUEUED. */
  async reschedule(pk: string, batchId: string, dueAtMs: number): Promise<boolean> {
    try {
      await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: { [PK]: { S: pk } },
        UpdateExpression: `SET ${B.dueAt} = :dueAt`,
        ConditionExpression: `#status = :queued AND ${B.batchId} = :batchId`,
        ExpressionAttributeNames: { '#status': R.status },
        ExpressionAttributeValues: { ':dueAt': { N: String(dueAtMs) }, ':queued': { S: ST.queued }, ':batchId': { S: batchId } },
      }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw new LedgerUnavailableError('reschedule', error);
    }
  }

  /** A QUEUED call past its NotAfter becomes EXPIRED (no claim needed: the condition is the state). */
  async expireQueued(pk: string, batchId: string, nowMs: number): Promise<void> {
    try {
      await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: { [PK]: { S: pk } },
        UpdateExpression: `SET #status = :expired, ${R.deadline} = :zero REMOVE ${B.request}`,
        ConditionExpression: `#status = :queued AND ${B.batchId} = :batchId AND ${B.notAfter} <= :now`,
        ExpressionAttributeNames: { '#status': R.status },
        ExpressionAttributeValues: {
          ':expired': { S: ST.expired },
          ':queued': { S: ST.queued },
          ':batchId': { S: batchId },
          ':now': { N: String(nowMs) },
          ':zero': { N: '0' },
        },
      }));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return;
      throw new LedgerUnavailableError('expire', error);
    }
  }

  private async conditional(operation: string, update: {
    UpdateExpression: string; ExpressionAttributeValues: Record<string, AttributeValue>;
  }, claim: Claim): Promise<boolean> {
    try {
      await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: { [PK]: { S: claim.pk } },
        UpdateExpression: update.UpdateExpression,
        ConditionExpression: `${R.claimId} = :claimId`,
        ExpressionAttributeNames: update.UpdateExpression.includes('#status') ? { '#status': R.status } : undefined,
        ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':claimId': { S: claim.claimId } },
      }));
      return true;
    } catch (error) {
      // Another dispatcher took the claim over: it is theirs now.
      if (error instanceof ConditionalCheckFailedException) return false;
      throw new LedgerUnavailableError(operation, error);
    }
  }

  /**
   * `count` consecutive dial slots at `intervalMs` per call, shared by every
   * dispatcher: one ADD on the pacing item; resolves to the first (epoch ms).
   * Slots more than `slackMs` behind the clock (the dispatchers were idle) are
   * moved to now with a conditional write, so idle time is not banked as a burst.
   */
  async takeDialSlots(count: number, intervalMs: number, nowMs: number, slackMs: number): Promise<number> {
    const key = { [PK]: { S: LEDGER.pacerKey } };
    const span = count * intervalMs;
    for (let attempt = 0; attempt < 10; attempt++) {
      const out = await this.send('pacer', () => this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: key,
        UpdateExpression: `ADD ${LEDGER.pacerNextSlot} :span`,
        ExpressionAttributeValues: { ':span': { N: String(span) } },
        ReturnValues: 'UPDATED_NEW',
      })));
      const next = Number(out.Attributes?.[LEDGER.pacerNextSlot]?.N ?? 0);
      const first = next - span;
      if (first >= nowMs - slackMs) return first;
      try {
        await this.client.send(new UpdateItemCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: `SET ${LEDGER.pacerNextSlot} = :next`,
          // Only while it is still behind: of several dispatchers that saw it so, one moves it.
          ConditionExpression: `${LEDGER.pacerNextSlot} < :stale`,
          ExpressionAttributeValues: { ':next': { N: String(nowMs + span) }, ':stale': { N: String(nowMs - slackMs) } },
        }));
        return nowMs;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw new LedgerUnavailableError('pacer', error);
        // Another dispatcher moved it first: take slots after theirs.
      }
    }
    throw new LedgerUnavailableError('pacer', new Error('the pacing item kept moving'));
  }
}
