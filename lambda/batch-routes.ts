/**
 * The batch routes of the API function (docs/batches.md): submit
 * (`POST /contact/outbound-voice/batches`), status (`GET …/{batchId}`) and
 * cancel (`DELETE …/{batchId}`). The dispatcher places the calls.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { callState, checkBatch, countStates, type BatchCallView } from './batch';
import { BatchLedger, type StoredBatch } from './batch-ledger';
import type { DispatchQueue } from './batch-queue';
import { callerHash } from './call-status';
import { deriveClientToken } from './connect';
import { ApiError, header, readJsonBody, successResponse } from './http';
import { fingerprint, keyReusedMessage, ledgerKey, LedgerUnavailableError, type Claim, type ClaimOutcome } from './ledger';
import type { Logger } from './observability';
import type { RequestPolicy } from './request';
import { BATCH, HEADERS } from '../src/private/contract';

const BATCH_ID = new RegExp(BATCH.batchIdPattern);
/** Ledger writes in flight at once while a batch is submitted or cancelled. */
const LANES = 16;

export interface BatchRouteContext {
  readonly ledger: BatchLedger;
  readonly queue: DispatchQueue;
  readonly policy: RequestPolicy;
  readonly log: Logger;
}

/** Runs `work` over `items`, at most LANES at once, in order of the results. */
export async function inLanes<T, R>(items: readonly T[], work: (item: T, index: number) => Promise<R>, lanes = LANES): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: unknown;
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, async () => {
    while (next < items.length && failure === undefined) {
      const index = next++;
      try {
        results[index] = await work(items[index], index);
      } catch (error) {
        failure ??= error;
      }
    }
  }));
  if (failure !== undefined) throw failure;
  return results;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** POST: checks the whole batch, claims each new call (QUEUED), writes the batch and its wake-up; 202. */
export async function submitBatch(
  event: APIGatewayProxyEvent, caller: string, requestId: string, ctx: BatchRouteContext,
): Promise<APIGatewayProxyResult> {
  const body = readJsonBody(event, BATCH.bodyBytes);
  if (header(event, HEADERS.idempotencyKey) !== undefined) {
    throw new ApiError('VALIDATION_ERROR', 'A batch takes no Idempotency-Key header: each call\'s ClientToken is its key.', [
      { field: HEADERS.idempotencyKey, message: 'not accepted on this route' },
    ]);
  }
  const nowMs = Date.now();
  const checked = checkBatch(body, ctx.policy, nowMs);
  if (!checked.ok) throw new ApiError('VALIDATION_ERROR', checked.message, checked.details);

  const batchId = randomUUID();
  const owner = callerHash(caller);
  const batch = { batchId, callerHash: owner, notAfterMs: checked.notAfterMs };
  const outcomes = new Map<number, ClaimOutcome>();
  const written: Claim[] = [];
  const rollback = async (): Promise<void> => {
    await inLanes(written, (claim) => ctx.ledger.deleteClaim(claim)).catch((error: unknown) => {
      ctx.log.error('batch rollback incomplete: leftover claims expire at NotAfter', { batchId, error: String(error) });
    });
  };

  // 1. One claim per call, QUEUED until the batch is due; an existing record decides as on the synchronous route.
  try {
    await inLanes(checked.calls, async (call) => {
      const requestFingerprint = fingerprint(call.request);
      const outcome = await ctx.ledger.claimQueued({
        pk: ledgerKey(caller, call.clientToken),
        fingerprint: requestFingerprint,
        clientToken: deriveClientToken(caller, call.clientToken, requestFingerprint),
        request: call.request,
        dueAtMs: checked.notBeforeMs,
      }, batch, nowMs);
      if (outcome.kind === 'claimed') written.push(outcome.claim);
      outcomes.set(call.index, outcome);
    });
  } catch (error) {
    await rollback();
    throw unavailable(error, ctx.log, 'The idempotency ledger is unavailable, so no call of the batch was queued. Retry later.');
  }

  const views: Array<Record<string, unknown>> = checked.clientTokens.map((token) => ({ client_token: token }));
  const acceptedKeys: string[] = [];
  const acceptedTokens: string[] = [];
  for (const refused of checked.refused) {
    views[refused.index] = {
      client_token: refused.clientToken,
      result: 'refused',
      error: { code: refused.code, message: refused.message, details: refused.details },
    };
  }
  for (const call of checked.calls) {
    const outcome = outcomes.get(call.index)!;
    const view = views[call.index];
    switch (outcome.kind) {
      case 'claimed':
        Object.assign(view, { result: 'accepted' });
        break;
      case 'replay':
        Object.assign(view, { result: 'accepted', replayed: true, contact_id: outcome.contactId });
        break;
      case 'in-progress':
        Object.assign(view, {
          result: 'refused',
          error: { code: 'IDEMPOTENCY_IN_PROGRESS', message: 'A request with this ClientToken is still being processed.', details: [] },
        });
        continue;
      case 'key-reused':
        Object.assign(view, {
          result: 'refused',
          error: {
            code: 'IDEMPOTENCY_KEY_REUSED',
            message: keyReusedMessage('ClientToken', outcome.endedAs),
            details: [],
          },
        });
        continue;
    }
    acceptedKeys.push(ledgerKey(caller, call.clientToken));
    acceptedTokens.push(call.clientToken);
  }

  // 2. The batch item (who may see it, its calls), then 3. its wake-up. Either fails: nothing stays queued.
  const createdAt = iso(nowMs);
  if (acceptedKeys.length > 0) {
    const stored: StoredBatch = {
      ...batch, createdAt, notBeforeMs: checked.notBeforeMs, clientTokens: acceptedTokens, callKeys: acceptedKeys,
    };
    try {
      await ctx.ledger.putBatch(stored);
    } catch (error) {
      await rollback();
      throw unavailable(error, ctx.log, 'The idempotency ledger is unavailable, so no call of the batch was queued. Retry later.');
    }
    if (written.length > 0) {
      try {
        await ctx.queue.send({ v: 1, kind: 'batch', batchId }, checked.notBeforeMs, nowMs);
      } catch (error) {
        ctx.log.error('dispatch queue unavailable; batch rolled back', { batchId, error: String((error as Error)?.name ?? error) });
        await rollback();
        await ctx.ledger.deleteBatch(batchId).catch(() => undefined);
        throw new ApiError('UPSTREAM_ERROR', 'The dispatch queue could not be reached, so no call of the batch was queued. Retry later.', [], 5);
      }
    }
  }
  const refusedCount = checked.clientTokens.length - acceptedKeys.length;
  ctx.log.info('batch submitted', { batchId, accepted: acceptedKeys.length, refused: refusedCount, queued: written.length });
  return successResponse(JSON.stringify({
    success: true,
    data: {
      id: acceptedKeys.length > 0 ? batchId : null,
      created_at: createdAt,
      not_before: iso(checked.notBeforeMs),
      not_after: iso(checked.notAfterMs),
      accepted: acceptedKeys.length,
      refused: refusedCount,
      calls: views,
    },
  }), requestId, false, 202);
}

/** GET: counts by state and each call's state, to the submitting caller only. */
export async function batchStatus(
  event: APIGatewayProxyEvent, caller: string, requestId: string, ctx: BatchRouteContext,
): Promise<APIGatewayProxyResult> {
  const batch = await ownBatch(event, caller, ctx);
  return successResponse(JSON.stringify({ success: true, data: await statusView(batch, ctx) }), requestId, false);
}

/** DELETE: every call still QUEUED (or SCHEDULED) becomes CANCELLED; calls already dialling go on. */
export async function cancelBatch(
  event: APIGatewayProxyEvent, caller: string, requestId: string, ctx: BatchRouteContext,
): Promise<APIGatewayProxyResult> {
  const batch = await ownBatch(event, caller, ctx);
  let cancelled: boolean[];
  try {
    cancelled = await inLanes(batch.callKeys, (pk) => ctx.ledger.cancel(pk, batch.batchId));
  } catch (error) {
    throw unavailable(error, ctx.log, 'The ledger is unavailable; some calls may not be cancelled yet. Retry the cancellation.');
  }
  const count = cancelled.filter(Boolean).length;
  ctx.log.info('batch cancelled', { batchId: batch.batchId, cancelled: count });
  const view = await statusView(batch, ctx);
  return successResponse(JSON.stringify({ success: true, data: { ...view, cancelled: count } }), requestId, false);
}

async function ownBatch(event: APIGatewayProxyEvent, caller: string, ctx: BatchRouteContext): Promise<StoredBatch> {
  const batchId = event.pathParameters?.batchId ?? '';
  if (!BATCH_ID.test(batchId)) {
    throw new ApiError('VALIDATION_ERROR', 'The batch id is not valid.', [
      { field: 'batchId', message: 'must be the id a batch submission answered (a UUID)' },
    ]);
  }
  let batch: StoredBatch | undefined;
  try {
    batch = await ctx.ledger.readBatch(batchId);
  } catch (error) {
    throw unavailable(error, ctx.log, 'The batch cannot be read right now. Retry later.');
  }
  // Someone else's batch is answered exactly like one that does not exist.
  if (!batch || batch.callerHash !== callerHash(caller)) {
    throw new ApiError('RESOURCE_NOT_FOUND', 'No batch with this id was submitted by this caller.');
  }
  return batch;
}

async function statusView(batch: StoredBatch, ctx: BatchRouteContext): Promise<Record<string, unknown>> {
  let records;
  try {
    records = await ctx.ledger.readCalls(batch.callKeys);
  } catch (error) {
    throw unavailable(error, ctx.log, 'The batch cannot be read right now. Retry later.');
  }
  const nowMs = Date.now();
  const calls: BatchCallView[] = batch.callKeys.map((pk, index) => {
    const { state, contactId, errorCode } = callState(records.get(pk), nowMs);
    return {
      client_token: batch.clientTokens[index],
      state,
      ...(contactId ? { contact_id: contactId } : {}),
      ...(errorCode ? { error: { code: errorCode } } : {}),
    };
  });
  return {
    id: batch.batchId,
    created_at: batch.createdAt,
    not_before: iso(batch.notBeforeMs),
    not_after: iso(batch.notAfterMs),
    counts: countStates(calls.map((call) => call.state)),
    calls,
  };
}

function unavailable(error: unknown, log: Logger, message: string): unknown {
  if (!(error instanceof LedgerUnavailableError)) return error;
  log.error('ledger unavailable', { error: String((error.cause as Error)?.name ?? error.cause) });
  return new ApiError('LEDGER_UNAVAILABLE', message, [], 5);
}
