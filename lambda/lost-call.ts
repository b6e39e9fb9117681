/**
 * Finding a call again without its ContactId, for the one case the ledger
 * cannot settle alone: an earlier attempt took the claim, Connect may have
 * accepted its call, and the attempt died before it recorded the ContactId.
 *
 * Connect returns the contact of a repeated ClientToken only while that
 * contact is still going ("If the contact is disconnected, a new contact is
 * started", StartOutboundVoiceContact API reference). So each call carries a
 * contact attribute holding a digest of its ClientToken (never the key or the
 * token itself), and when a stale claim is taken over, SearchContacts looks
 * for a contact with that digest before anything is dialled.
 *
 * The attribute must be configured as a searchable contact attribute in the
 * Connect instance, a manual setting (README, "Reliability"): the feature is
 * opt-in (`contactSearchAttribute`).
 */
import { createHash } from 'node:crypto';
import { SearchContactsCommand, type ConnectClient } from '@aws-sdk/client-connect';
import { LOOKUP_BUDGET_MS } from './contact-lookup';
import { ApiError } from './http';
import type { OutboundCallRequest } from './request';
import { LIMITS } from '../src/private/contract';

/** The attribute value: 43 characters, inside SearchContacts' 100. */
export function tokenDigest(clientToken: string): string {
  return createHash('sha256').update(`outbound-caller/contact-search/v1\u0000${clientToken}`).digest('base64url');
}

/**
 * The request with the digest attribute added. The key is reserved: a
 * request that sets it itself, or whose attributes leave no room for it, is
 * refused before anything is written or called.
 */
export function withSearchAttribute(request: OutboundCallRequest, key: string, digest: string): OutboundCallRequest {
  const attributes: Record<string, string> = { ...(request.Attributes ?? {}) };
  if (Object.prototype.hasOwnProperty.call(attributes, key)) {
    throw new ApiError('VALIDATION_ERROR', `The attribute ${key} is reserved by this API.`, [
      { field: `Attributes.${key}`, message: 'is reserved: it carries the digest that finds a lost call again; use another key' },
    ]);
  }
  attributes[key] = digest;
  let bytes = 0;
  for (const [name, value] of Object.entries(attributes)) bytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value, 'utf8');
  if (bytes > LIMITS.attributesTotalBytes) {
    const room = LIMITS.attributesTotalBytes - Buffer.byteLength(key, 'utf8') - Buffer.byteLength(digest, 'utf8');
    throw new ApiError('VALIDATION_ERROR', 'The attributes are too large.', [
      { field: 'Attributes', message: `keys and values together must be at most ${room} UTF-8 bytes (this API adds one attribute)` },
    ]);
  }
  return { ...request, Attributes: attributes };
}

export type SearchResult =
  | { readonly ok: true; readonly found?: { readonly contactId: string; readonly initiatedAt?: Date } }
  | { readonly ok: false; readonly throttled: boolean; readonly errorType: string };

/**
 * The earliest contact of this instance carrying the digest, initiated within
 * the last `windowSeconds` (the idempotency window: the ledger holds the
 * request's claim no longer). One attempt within the budget.
 */
export async function findPlacedContact(
  client: ConnectClient,
  options: { instanceId: string; key: string; digest: string; windowSeconds: number; nowMs: number; budgetMs: number },
): Promise<SearchResult> {
  try {
    const out = await client.send(new SearchContactsCommand({
      InstanceId: options.instanceId,
      TimeRange: {
        Type: 'INITIATION_TIMESTAMP',
        StartTime: new Date(options.nowMs - options.windowSeconds * 1000),
        // Clocks differ a little between here and Connect.
        EndTime: new Date(options.nowMs + 60_000),
      },
      SearchCriteria: {
        SearchableContactAttributes: { Criteria: [{ Key: options.key, Values: [options.digest] }], MatchType: 'MATCH_ALL' },
      },
      MaxResults: 10,
    }), { abortSignal: AbortSignal.timeout(Math.max(1, options.budgetMs)) });
    const contacts = (out.Contacts ?? [])
      .filter((c): c is typeof c & { Id: string } => typeof c.Id === 'string' && c.Id.length > 0)
      .sort((a, b) => (a.InitiationTimestamp?.getTime() ?? 0) - (b.InitiationTimestamp?.getTime() ?? 0));
    const first = contacts[0];
    return { ok: true, ...(first ? { found: { contactId: first.Id, initiatedAt: first.InitiationTimestamp } } : {}) };
  } catch (error) {
    const name = (error as Error | undefined)?.name ?? 'Error';
    return { ok: false, throttled: ['ThrottlingException', 'LimitExceededException', 'TooManyRequestsException'].includes(name), errorType: name };
  }
}

/**
 * The contact search of one deployment, for both entries that dial (the
 * synchronous route and the batch dispatcher): the attribute each call
 * carries, and the search when a stale claim is taken over. `undefined` when
 * `contactSearchAttribute` is off (lostCallSearch).
 */
export class LostCallSearch {
  constructor(
    /** The searchable contact attribute's key. */
    readonly key: string,
    private readonly settings: { readonly instanceId: string; readonly windowSeconds: number },
    private readonly client: () => ConnectClient,
  ) {}

  /** The request a call is placed with: the digest of its token added as the attribute (withSearchAttribute). */
  tag(request: OutboundCallRequest, clientToken: string): OutboundCallRequest {
    return withSearchAttribute(request, this.key, tokenDigest(clientToken));
  }

  /** The call an earlier attempt placed with this token, if Connect has it (one attempt, LOOKUP_BUDGET_MS). */
  find(clientToken: string, nowMs: number = Date.now()): Promise<SearchResult> {
    return findPlacedContact(this.client(), {
      instanceId: this.settings.instanceId,
      key: this.key,
      digest: tokenDigest(clientToken),
      windowSeconds: this.settings.windowSeconds,
      nowMs,
      budgetMs: LOOKUP_BUDGET_MS,
    });
  }
}

/** The search of a handler's configuration; undefined when it has no `contactSearchAttribute`. */
export function lostCallSearch(
  config: { readonly contactSearchAttribute?: string; readonly policy: { readonly instanceId: string }; readonly idempotencyWindowSeconds: number },
  client: () => ConnectClient,
): LostCallSearch | undefined {
  if (!config.contactSearchAttribute) return undefined;
  return new LostCallSearch(config.contactSearchAttribute,
    { instanceId: config.policy.instanceId, windowSeconds: config.idempotencyWindowSeconds }, client);
}
