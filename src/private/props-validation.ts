import { Duration, Token } from 'aws-cdk-lib';
import { MAX_IDEMPOTENCY_WINDOW_SECONDS, PATTERNS, sameConnectId } from './contract';

/**
 * Synth-time checks of OutboundCaller's props. Every problem is collected and
 * thrown together, before anything is created; each message names the prop,
 * the rule, the value and the fix. Unresolved tokens are skipped.
 */

const GUID_RE = new RegExp(PATTERNS.guid);
const INSTANCE_ARN_RE = new RegExp(PATTERNS.instanceArn);
const FLOW_ARN_RE = new RegExp(PATTERNS.contactFlowArn);
const QUEUE_ARN_RE = new RegExp(PATTERNS.queueArn);
const E164_RE = new RegExp(PATTERNS.e164);
const COUNTRY_RE = new RegExp(PATTERNS.country);

/** Connect's ClientToken lives 7 days: a longer replay window could not be honoured. */
export const MAX_IDEMPOTENCY_WINDOW = Duration.days(MAX_IDEMPOTENCY_WINDOW_SECONDS / 86_400);
/** API Gateway's integration timeout. */
export const MAX_TIMEOUT = Duration.seconds(29);

/** Where an instance lives, when its ARN says so. */
export interface InstanceRef {
  readonly instanceId: string;
  readonly partition?: string;
  readonly region?: string;
  readonly account?: string;
}

export class PropsProblems {
  private readonly problems: string[] = [];

  add(prop: string, rule: string, value: unknown, fix: string): void {
    this.problems.push(`${prop} ${rule}; got ${JSON.stringify(value)}. ${fix}`);
  }

  throwIfAny(): void {
    if (this.problems.length === 0) return;
    const list = this.problems.map((problem) => `  - ${problem}`).join('\n');
    throw new Error(`OutboundCaller: ${this.problems.length} problem(s) in props:\n${list}`);
  }
}

/** Takes the instance id out of an ARN; GUIDs pass; tokens pass unchecked. */
export function parseInstance(value: string, problems: PropsProblems): InstanceRef {
  if (Token.isUnresolved(value)) return { instanceId: value };
  const arn = INSTANCE_ARN_RE.exec(value);
  if (arn) return { partition: arn[1], region: arn[2], account: arn[3], instanceId: arn[4] };
  if (!GUID_RE.test(value)) {
    problems.add('instanceId', 'must be a Connect instance id (a GUID) or an instance ARN', value,
      'Copy the instance ARN from the Amazon Connect console (Overview of the instance).');
  }
  return { instanceId: value };
}

/** Reduces a contact-flow ARN to its GUID (the service rejects ARNs). */
export function parseContactFlowId(prop: string, value: string, instanceId: string, problems: PropsProblems): string {
  return parseChildId(prop, value, instanceId, problems, FLOW_ARN_RE, 'contact-flow',
    'Copy it from the flow designer: "Show additional flow information" shows the ARN; the GUID after contact-flow/ is the id.');
}

/** Reduces a queue ARN to its GUID. */
export function parseQueueId(prop: string, value: string, instanceId: string, problems: PropsProblems): string {
  return parseChildId(prop, value, instanceId, problems, QUEUE_ARN_RE, 'queue',
    'Copy it from the queue editor: the GUID after queue/ in the address bar is the id.');
}

function parseChildId(
  prop: string, value: string, instanceId: string, problems: PropsProblems,
  arnRe: RegExp, kind: string, fix: string,
): string {
  if (Token.isUnresolved(value)) return value;
  const arn = arnRe.exec(value);
  if (arn) {
    if (!Token.isUnresolved(instanceId) && !sameConnectId(arn[1], instanceId)) {
      problems.add(prop, `must belong to the instance ${instanceId}`, value,
        `Use a ${kind} of the same Connect instance as instanceId.`);
    }
    return arn[2];
  }
  if (!GUID_RE.test(value)) {
    problems.add(prop, `must be a ${kind} GUID or a ${kind} ARN`, value, fix);
  }
  return value;
}

export function checkPhoneNumber(prop: string, value: string, problems: PropsProblems): void {
  if (Token.isUnresolved(value)) return;
  if (!E164_RE.test(value)) {
    problems.add(prop, 'must be an E.164 phone number (+ and 2 to 15 digits, no spaces)', value,
      'Write it like +14155550100: country code first, no spaces or punctuation.');
  }
}

export function parseCountries(values: string[] | undefined, problems: PropsProblems): string[] | undefined {
  if (values === undefined) return undefined;
  if (values.length === 0) {
    problems.add('allowedDestinationCountries', 'must not be empty (an empty list would refuse every call)', values,
      'Leave it undefined to allow all countries, or list ISO 3166-1 alpha-2 codes such as ["US", "CA"].');
    return values;
  }
  return values.map((value) => {
    if (Token.isUnresolved(value)) return value;
    const code = value.toUpperCase();
    if (!COUNTRY_RE.test(code)) {
      problems.add('allowedDestinationCountries', 'must contain ISO 3166-1 alpha-2 country codes', value,
        'Use two-letter codes such as "US", "GB" or "DE".');
    }
    return code;
  });
}

export function checkRange(
  prop: string, value: number | undefined, min: number, max: number, fix: string, problems: PropsProblems,
): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.add(prop, `must be an integer from ${min} to ${max}`, value, fix);
  }
}

export function checkDuration(
  prop: string, value: Duration | undefined, min: Duration, max: Duration, fix: string, problems: PropsProblems,
): void {
  if (value === undefined || value.isUnresolved()) return;
  const millis = value.toMilliseconds();
  if (millis < min.toMilliseconds() || millis > max.toMilliseconds()) {
    problems.add(prop, `must be from ${min.toHumanString()} to ${max.toHumanString()}`, value.toHumanString(), fix);
  }
}

/** A throttle: a positive rate and a whole burst. */
export function checkThrottle(
  prop: string, rateLimit: number, burstLimit: number, fix: { rate: string; burst: string }, problems: PropsProblems,
): void {
  if (!Token.isUnresolved(rateLimit) && !(rateLimit > 0)) {
    problems.add(`${prop}.rateLimit`, 'must be greater than 0', rateLimit, fix.rate);
  }
  checkRange(`${prop}.burstLimit`, burstLimit, 1, 5000, fix.burst, problems);
}
