/**
 * Batch calls, the pure part (docs/batches.md): the whole-batch rules of
 * `POST /contact/outbound-voice/batches`, each call checked with the
 * synchronous route's rules, the queue's message format, and how a call's
 * ledger record reads as a batch state. No I/O.
 */
import type { ErrorDetail } from './http';
import { checkRequest, type OutboundCallRequest, type RequestErrorCode, type RequestPolicy } from './request';
import { BATCH, BATCH_CALL_STATES, LEDGER, type BatchCallState, type ErrorCode } from '../src/private/contract';

const B = LEDGER.batchCall;
const STATUS = LEDGER.batchCallStatus;
const BATCH_FIELDS = ['Calls', 'NotBefore', 'NotAfter'];

/** A call of the batch that passed the synchronous route's rules. */
export interface BatchCallInput {
  readonly index: number;
  readonly clientToken: string;
  readonly request: OutboundCallRequest;
}

/** A call refused before anything was written for it. */
export interface RefusedCall {
  readonly index: number;
  readonly clientToken: string;
  readonly code: ErrorCode;
  readonly message: string;
  readonly details: readonly ErrorDetail[];
}

export type BatchCheck =
  | {
    readonly ok: true;
    readonly notBeforeMs: number;
    readonly notAfterMs: number;
    readonly calls: readonly BatchCallInput[];
    readonly refused: readonly RefusedCall[];
    /** Every call's ClientToken, in submission order. */
    readonly clientTokens: readonly string[];
  }
  | { readonly ok: false; readonly message: string; readonly details: ErrorDetail[] };

const invalid = (message: string, details: ErrorDetail[]): BatchCheck => ({ ok: false, message, details });

/** ISO 8601 with a time and an offset (Z or ±hh:mm): a time without a zone would mean nothing here. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

function parseTime(value: unknown, field: string, details: ErrorDetail[]): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'string' && ISO_TIME.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) {
    details.push({ field, message: 'must be an ISO 8601 time with an offset, e.g. "2026-12-01T09:00:00Z"' });
    return undefined;
  }
  return ms;
}

/**
 * The whole-batch rules (any failure: 400, nothing written), then each call
 * with the synchronous route's rules (a failure refuses that call only).
 */
export function checkBatch(body: unknown, policy: RequestPolicy, nowMs: number): BatchCheck {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return invalid('The body must be a JSON object: {"Calls": [...], "NotBefore"?, "NotAfter"?}.', [
      { field: '(body)', message: 'must be a JSON object' },
    ]);
  }
  const fields = body as Record<string, unknown>;
  const details: ErrorDetail[] = [];
  for (const name of Object.keys(fields)) {
    if (!BATCH_FIELDS.includes(name)) details.push({ field: name, message: `unknown field; a batch has only ${BATCH_FIELDS.join(', ')}` });
  }
  const calls = fields.Calls;
  if (!Array.isArray(calls)) {
    details.push({ field: 'Calls', message: 'is required: an array of call bodies, each with its ClientToken' });
  } else if (calls.length < BATCH.calls.min || calls.length > BATCH.calls.max) {
    details.push({ field: 'Calls', message: `must hold ${BATCH.calls.min} to ${BATCH.calls.max} calls (got ${calls.length})` });
  }

  const notBefore = parseTime(fields.NotBefore, 'NotBefore', details);
  const notAfter = parseTime(fields.NotAfter, 'NotAfter', details);
  if (notBefore !== undefined) {
    if (notBefore < nowMs - BATCH.notBeforeSkewSeconds * 1000) {
      details.push({ field: 'NotBefore', message: 'is in the past; leave it out to start now' });
    } else if (notBefore > nowMs + BATCH.maxNotBeforeAheadSeconds * 1000) {
      details.push({ field: 'NotBefore', message: `is more than ${BATCH.maxNotBeforeAheadSeconds / 86_400} days ahead` });
    }
  }
  const startMs = Math.max(nowMs, notBefore ?? nowMs);
  if (notAfter !== undefined) {
    if (notAfter <= startMs) {
      details.push({ field: 'NotAfter', message: notBefore === undefined ? 'must be in the future' : 'must be after NotBefore' });
    } else if (notAfter > startMs + BATCH.maxLifetimeSeconds * 1000) {
      details.push({ field: 'NotAfter', message: `must be at most ${BATCH.maxLifetimeSeconds / 86_400} days after ${notBefore === undefined ? 'now' : 'NotBefore'}` });
    }
  }
  if (!Array.isArray(calls) || calls.length < BATCH.calls.min || calls.length > BATCH.calls.max) {
    return invalid('The batch is not valid; nothing was queued.', details);
  }

  // Every call needs its own key: it is how the call is reported, replayed and never dialled twice.
  const tokens: string[] = [];
  const seen = new Map<string, number>();
  let tokenBytes = 0;
  calls.forEach((call, index) => {
    const token = call !== null && typeof call === 'object' && !Array.isArray(call) ? (call as Record<string, unknown>).ClientToken : undefined;
    if (typeof token !== 'string' || token.length < 1 || token.length > 500) {
      details.push({ field: `Calls[${index}].ClientToken`, message: 'is required: a string of 1 to 500 characters, the call\'s idempotency key' });
      tokens.push('');
      return;
    }
    const first = seen.get(token);
    if (first !== undefined) {
      details.push({ field: `Calls[${index}].ClientToken`, message: `repeats the ClientToken of Calls[${first}]; each call needs its own key` });
    } else {
      seen.set(token, index);
    }
    tokenBytes += Buffer.byteLength(token, 'utf8');
    tokens.push(token);
  });
  if (tokenBytes > BATCH.clientTokensBytes) {
    details.push({ field: 'Calls', message: `the ClientTokens together are ${tokenBytes} bytes; at most ${BATCH.clientTokensBytes} in one batch` });
  }
  if (details.length > 0) return invalid('The batch is not valid; nothing was queued.', details);

  const accepted: BatchCallInput[] = [];
  const refused: RefusedCall[] = [];
  calls.forEach((call, index) => {
    const checked = checkRequest(call, policy);
    if (checked.ok) {
      accepted.push({ index, clientToken: tokens[index], request: checked.request });
    } else {
      refused.push({
        index,
        clientToken: tokens[index],
        code: checked.code as RequestErrorCode,
        message: checked.message,
        details: checked.details.map((detail) => ({ ...detail, field: `Calls[${index}].${detail.field}` })),
      });
    }
  });
  return {
    ok: true,
    notBeforeMs: startMs,
    notAfterMs: notAfter ?? startMs + BATCH.defaultLifetimeSeconds * 1000,
    calls: accepted,
    refused,
    clientTokens: tokens,
  };
}

/** A message on the dispatch queue: which batch or call to look at, never a request or a phone number. */
export type DispatchMessage =
  | { readonly v: 1; readonly kind: 'batch'; readonly batchId: string }
  | { readonly v: 1; readonly kind: 'call'; readonly batchId: string; readonly pk: string };

export function parseDispatchMessage(body: string): DispatchMessage | undefined {
  try {
    const message = JSON.parse(body) as Record<string, unknown>;
    if (message?.v !== 1 || typeof message.batchId !== 'string') return undefined;
    if (message.kind === 'batch') return { v: 1, kind: 'batch', batchId: message.batchId };
    if (message.kind === 'call' && typeof message.pk === 'string') return { v: 1, kind: 'call', batchId: message.batchId, pk: message.pk };
  } catch {
    // not JSON: undefined below
  }
  return undefined;
}

/** SQS DelaySeconds for a wake-up at `atMs`: 0 to 900, the rest of a longer wait is another wake-up. */
export function wakeUpDelaySeconds(atMs: number, nowMs: number, maxSeconds: number = BATCH.maxWakeUpDelaySeconds): number {
  return Math.max(0, Math.min(maxSeconds, BATCH.maxWakeUpDelaySeconds, Math.ceil((atMs - nowMs) / 1000)));
}

/** What GET reports for one call. */
export interface BatchCallView {
  readonly client_token: string;
  readonly state: BatchCallState;
  readonly contact_id?: string;
  readonly error?: { readonly code: string };
}

/** A call's record as a batch state; a record not written by this batch (a replayed call) by what it holds. */
export function callState(
  item: Record<string, { S?: string; N?: string }> | undefined, nowMs: number,
): { state: BatchCallState; contactId?: string; errorCode?: string } {
  if (!item) return { state: 'EXPIRED' };
  const status = item[LEDGER.record.status]?.S;
  const notAfter = Number(item[B.notAfter]?.N ?? Infinity);
  switch (status) {
    case LEDGER.recordStatus.completed:
      return { state: 'PLACED', contactId: item[LEDGER.record.contactId]?.S };
    case STATUS.failed:
      return { state: 'FAILED', errorCode: item[B.errorCode]?.S };
    case STATUS.expired:
      return { state: 'EXPIRED' };
    case STATUS.cancelled:
      return { state: 'CANCELLED' };
    case STATUS.dialing:
      return { state: 'DIALING' };
    case STATUS.queued:
      if (notAfter <= nowMs) return { state: 'EXPIRED' };
      return { state: Number(item[B.dueAt]?.N ?? 0) > nowMs ? 'SCHEDULED' : 'QUEUED' };
    default:
      // A synchronous attempt of the same key (the call was a replay of it) still in flight.
      return { state: 'DIALING' };
  }
}

/** Counts by state, every state present (0 when none). */
export function countStates(states: readonly BatchCallState[]): Record<BatchCallState, number> {
  const counts = Object.fromEntries(BATCH_CALL_STATES.map((state) => [state, 0])) as Record<BatchCallState, number>;
  for (const state of states) counts[state] += 1;
  return counts;
}
