/**
 * Amazon Connect contact events → call status in the ledger table. Invoked by
 * an EventBridge rule that matches this instance's API-initiated contacts.
 *
 * A malformed event, an event of another instance or a contact this construct
 * did not place is logged and dropped (no retry can fix it). An event that
 * arrives before the placing handler recorded the call (a race of
 * milliseconds) is retried while it is young: the function throws, and the
 * asynchronous invocation is retried, then sent to the dead-letter queue.
 */
import type { Context } from 'aws-lambda';
import { applyContactEvent, parseContactEvent } from './call-status';
import { loadStatusFunctionConfig } from './config';
import { ledgerClient } from './ledger';
import { Logger, METRIC, RequestMetrics } from './observability';

/** How long an event for a not-yet-recorded contact is worth retrying. */
const YOUNG_EVENT_MS = 60_000;

const { instanceId, tableName, metricsNamespace } = loadStatusFunctionConfig();
const logger = new Logger({ service: 'outbound-caller-contact-events' });
const dynamodb = ledgerClient();

/** Thrown to have the event redelivered: the call it belongs to may not be recorded yet. */
export class NotRecordedYetError extends Error {
  constructor(contactId: string) {
    super(`contact ${contactId} is not recorded yet; retrying`);
    this.name = 'NotRecordedYetError';
  }
}

export async function handler(raw: unknown, context: Pick<Context, 'functionName' | 'awsRequestId'>): Promise<void> {
  const log = logger.child({ requestId: context.awsRequestId });
  const metrics = new RequestMetrics(metricsNamespace, context.functionName);
  try {
    const parsed = parseContactEvent(raw);
    if (!parsed.ok) {
      log.warn('contact event ignored', { reason: parsed.reason });
      return;
    }
    const event = parsed.event;
    const eventLog = log.child({ contactId: event.contactId, eventType: event.type });
    if (!event.instanceArn.endsWith(`:instance/${instanceId}`) || event.initiationMethod !== 'API'
      || (event.channel !== undefined && event.channel.toUpperCase() !== 'VOICE')) {
      eventLog.info('contact event ignored: not an outbound API call of this instance');
      return;
    }
    const outcome = await applyContactEvent(dynamodb, tableName, event);
    if (outcome === 'unknown-contact') {
      const published = Date.parse(String((raw as { time?: unknown }).time ?? event.time));
      if (Date.now() - published < YOUNG_EVENT_MS) throw new NotRecordedYetError(event.contactId);
      eventLog.info('contact event ignored: a contact this construct did not place');
      return;
    }
    const added = outcome === 'recorded' || outcome === 'older-than-status';
    if (added && event.type === 'CONNECTED_TO_SYSTEM') metrics.add(METRIC.callsConnected, 1);
    if (added && event.type === 'DISCONNECTED' && !event.connectedToSystem) metrics.add(METRIC.callsFailed, 1);
    eventLog.info('contact event applied', { outcome, disconnectReason: event.disconnect_reason });
  } finally {
    metrics.flush();
  }
}
