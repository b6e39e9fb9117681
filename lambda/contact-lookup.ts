/**
 * Asking Connect about a call when its contact events did not come:
 * DescribeContact (`GET /contacts/{InstanceId}/{ContactId}`) and what its
 * answer means for the call's status.
 *
 * The answer's Contact carries InitiationTimestamp, ConnectedToSystemTimestamp
 * (media established), QueueInfo.EnqueueTimestamp, AgentInfo.ConnectedToAgentTimestamp,
 * DisconnectTimestamp and DisconnectReason (Amazon Connect API reference,
 * DescribeContact and Contact). Each timestamp that is present is a state the
 * call reached; the latest in the lifecycle is its status.
 *
 * One attempt within a short budget: a throttled or failed lookup is not
 * retried here. The status route then answers the last known status, flagged
 * as possibly stale, and a later request asks again (README, "Call status").
 */
import { ConnectClient, DescribeContactCommand, type Contact } from '@aws-sdk/client-connect';
import { awsClientConfig, withoutSdkLogger } from './aws-clients';
import type { ContactEventEntry, ContactEventType, ContactObservation } from './call-status';

/** Time given to one lookup: a DescribeContact here, or the lost-call search (lost-call.ts). */
export const LOOKUP_BUDGET_MS = 2_500;

/**
 * The Connect client of lookups (status lookups, the lost-call search): one
 * attempt, a short budget. A throttled lookup is not retried (that would spend
 * more of Connect's quota); its caller answers without it. Made on first use,
 * not at cold start: most containers only place calls and never need it.
 */
export function lookupClient(): () => ConnectClient {
  let client: ConnectClient | undefined;
  return () => client ??= withoutSdkLogger(new ConnectClient({
    ...awsClientConfig('Connect'),
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000, throwOnRequestTimeout: true },
  }));
}

export type LookupResult =
  | { readonly ok: true; readonly observation: ContactObservation }
  /** `throttled`: Connect's quota; `not-found`: Connect does not know the contact; `failed`: anything else. */
  | { readonly ok: false; readonly reason: 'throttled' | 'not-found' | 'failed'; readonly errorType: string };

const THROTTLES = new Set(['ThrottlingException', 'LimitExceededException', 'TooManyRequestsException']);

export async function describeCall(
  client: ConnectClient, instanceId: string, contactId: string, budgetMs: number,
): Promise<LookupResult> {
  try {
    const out = await client.send(new DescribeContactCommand({ InstanceId: instanceId, ContactId: contactId }),
      { abortSignal: AbortSignal.timeout(Math.max(1, budgetMs)) });
    const observation = out.Contact ? observe(out.Contact) : undefined;
    if (!observation) return { ok: false, reason: 'failed', errorType: 'EmptyContact' };
    return { ok: true, observation };
  } catch (error) {
    const name = (error as Error | undefined)?.name ?? 'Error';
    if (THROTTLES.has(name)) return { ok: false, reason: 'throttled', errorType: name };
    if (name === 'ResourceNotFoundException') return { ok: false, reason: 'not-found', errorType: name };
    return { ok: false, reason: 'failed', errorType: name };
  }
}

/** The states a described contact went through, in lifecycle order. */
export function observe(contact: Contact): ContactObservation | undefined {
  const entries: ContactEventEntry[] = [];
  const add = (type: ContactEventType, time: Date | undefined, reason?: string): void => {
    if (!(time instanceof Date) || Number.isNaN(time.getTime())) return;
    entries.push({ type, time: time.toISOString(), ...(reason ? { disconnect_reason: reason.slice(0, 256) } : {}) });
  };
  add('INITIATED', contact.InitiationTimestamp);
  add('CONNECTED_TO_SYSTEM', contact.ConnectedToSystemTimestamp);
  add('QUEUED', contact.QueueInfo?.EnqueueTimestamp);
  add('CONNECTED_TO_AGENT', contact.AgentInfo?.ConnectedToAgentTimestamp);
  add('DISCONNECTED', contact.DisconnectTimestamp, contact.DisconnectReason);
  add('COMPLETED', contact.AgentInfo?.AfterContactWorkEndTimestamp);
  const last = entries.at(-1);
  return last ? { status: last.type, entries } : undefined;
}
