import { Arn, ArnFormat, Duration, Stack, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { LEDGER, MAX_IDEMPOTENCY_WINDOW_SECONDS, PATTERNS, sameConnectId } from './contract';
import { PHONE_NUMBER_COUNTRIES } from './phone-countries';

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

  /** `owner`: the construct whose props these are, first word of the message. */
  constructor(private readonly owner = 'OutboundCaller') {}

  add(prop: string, rule: string, value: unknown, fix: string): void {
    this.problems.push(`${prop} ${rule}; got ${JSON.stringify(value)}. ${fix}`);
  }

  throwIfAny(): void {
    if (this.problems.length === 0) return;
    const list = this.problems.map((problem) => `  - ${problem}`).join('\n');
    throw new Error(`${this.owner}: ${this.problems.length} problem(s) in props:\n${list}`);
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
    const code = value.trim().toUpperCase();
    if (!COUNTRY_RE.test(code)) {
      const suggestion = suggestCountry(value);
      problems.add('allowedDestinationCountries', 'must contain ISO 3166-1 alpha-2 country codes', value,
        suggestion ? `Did you mean ${suggestion}?` : 'Use two-letter codes such as "US", "GB" or "DE".');
    } else if (!KNOWN_COUNTRIES.has(code)) {
      // The handler could never match a destination to a code its phone-number library does not know:
      // every call there would be refused with 403 DESTINATION_NOT_ALLOWED.
      const suggestion = suggestCountry(code);
      problems.add('allowedDestinationCountries',
        'must contain country codes the phone-number library knows (calls there would all be refused)', value,
        suggestion ? `Did you mean ${suggestion}?` : 'Use the ISO 3166-1 alpha-2 code of the country, such as "US", "GB" or "DE".');
    }
    return code;
  });
}

const KNOWN_COUNTRIES: ReadonlySet<string> = new Set(PHONE_NUMBER_COUNTRIES);

/**
 * Codes people write for a country that are not its ISO 3166-1 alpha-2 code:
 * the United Kingdom is GB (UK is only "exceptionally reserved"), Greece is
 * GR (EL is the European Union's code).
 */
const COUNTRY_ALIASES: Readonly<Record<string, string>> = { UK: 'GB', EL: 'GR' };

/** `"GB" (United Kingdom)` for a known alias or an English country name, else undefined. */
function suggestCountry(value: string): string | undefined {
  const key = value.trim().toUpperCase();
  const names = regionNames();
  const named = (code: string): string => {
    const name = names?.of(code);
    return name && name !== code ? `"${code}" (${name})` : `"${code}"`;
  };
  const alias = COUNTRY_ALIASES[key];
  if (alias) return named(alias);
  if (!names || key.length <= 2) return undefined;
  const wanted = key.replace(/[^A-Z]/g, '');
  const match = PHONE_NUMBER_COUNTRIES.find((code) => names.of(code)?.toUpperCase().replace(/[^A-Z]/g, '') === wanted);
  return match ? named(match) : undefined;
}

function regionNames(): Intl.DisplayNames | undefined {
  try {
    return new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });
  } catch {
    return undefined; // a Node.js built without ICU data: suggestions by alias only
  }
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
  prop: string, throttle: { rateLimit: number; burstLimit: number }, fix: { rate: string; burst: string },
  problems: PropsProblems,
): void {
  if (!Token.isUnresolved(throttle.rateLimit) && !(throttle.rateLimit > 0)) {
    problems.add(`${prop}.rateLimit`, 'must be greater than 0', throttle.rateLimit, fix.rate);
  }
  checkRange(`${prop}.burstLimit`, throttle.burstLimit, 1, 5000, fix.burst, problems);
}

/**
 * The handler calls Connect in its own account and region (the Lambda's), and
 * StartOutboundVoiceContact has no cross-account or cross-region form: an
 * instance ARN of another account or region would make every call fail with
 * 404 RESOURCE_NOT_FOUND. Skipped when either side is a token.
 */
export function checkInstanceLocation(instance: InstanceRef, stackAccount: string, stackRegion: string, problems: PropsProblems): void {
  const elsewhere = (mine: string, theirs?: string): boolean =>
    theirs !== undefined && !Token.isUnresolved(mine) && mine !== theirs;
  if (elsewhere(stackRegion, instance.region) || elsewhere(stackAccount, instance.account)) {
    problems.add('instanceId', `must be an instance in the stack's account and region (${stackAccount}/${stackRegion}): `
      + 'the handler calls Connect there, so every call would fail with 404', `${instance.account}/${instance.region}`,
    'Deploy this stack to the instance\'s account and region (the stack\'s env), or use an instance that lives there.');
  }
}

const LEDGER_PARTITION_KEY = LEDGER.partitionKey;
const LEDGER_TTL_ATTRIBUTE = LEDGER.ttlAttribute;

/**
 * A table of the user's must have the ledger's key schema, or every claim
 * fails (ValidationException) and every request answers 503
 * LEDGER_UNAVAILABLE. Checked when the table is defined in this app (its
 * CloudFormation key schema is known); an imported table is taken on trust.
 * With call status on, it must also have the contact index (README, "Call
 * status"), or every status lookup and contact event fails. Returns a warning
 * when its TTL is on another attribute (calls still work, but records are
 * never removed).
 */
export function checkLedgerTable(
  table: dynamodb.ITable | undefined, callStatus: boolean, problems: PropsProblems,
): string | undefined {
  if (table) checkLedgerLocation(table, problems);
  const cfn = table?.node.defaultChild;
  if (!(cfn instanceof dynamodb.CfnTable) && !(cfn instanceof dynamodb.CfnGlobalTable)) return undefined;
  // TableV2 builds its attribute definitions lazily: resolve them as CloudFormation will see them.
  const stack = Stack.of(cfn);
  const keySchema: unknown = stack.resolve(cfn.keySchema);
  const attributes: unknown = stack.resolve(cfn.attributeDefinitions);
  if (!Array.isArray(keySchema) || !Array.isArray(attributes)) return undefined;
  const keys = (keySchema as Array<{ attributeName?: string; keyType?: string }>)
    .map((key) => `${key.attributeName} (${key.keyType === 'RANGE' ? 'sort' : 'partition'} key, `
      + `${(attributes as Array<{ attributeName?: string; attributeType?: string }>)
        .find((attribute) => attribute.attributeName === key.attributeName)?.attributeType ?? '?'})`);
  if (keys.length !== 1 || keys[0] !== `${LEDGER_PARTITION_KEY} (partition key, S)`) {
    problems.add('table', `must have the partition key "${LEDGER_PARTITION_KEY}" (String) and no sort key: every request `
      + 'would fail with 503 LEDGER_UNAVAILABLE', keys.join(', '),
    `Create it with partitionKey: { name: '${LEDGER_PARTITION_KEY}', type: AttributeType.STRING } and `
      + `timeToLiveAttribute: '${LEDGER_TTL_ATTRIBUTE}', or leave table undefined.`);
    return undefined;
  }
  if (callStatus) checkContactIndex(cfn, attributes as AttributeDefinition[], problems);
  const ttl: unknown = stack.resolve(cfn.timeToLiveSpecification);
  const spec = ttl as { attributeName?: string; enabled?: unknown } | undefined;
  if (spec?.attributeName !== LEDGER_TTL_ATTRIBUTE || spec.enabled === false) {
    return `table: TTL is not on "${LEDGER_TTL_ATTRIBUTE}" (got ${JSON.stringify(spec?.attributeName ?? null)}), `
      + `so call records are never removed. Set timeToLiveAttribute: '${LEDGER_TTL_ATTRIBUTE}'.`;
  }
  return undefined;
}

interface AttributeDefinition { attributeName?: string; attributeType?: string }
interface KeySchemaElement { attributeName?: string; keyType?: string }

const CONTACT_INDEX = LEDGER.contactIndex;

/** With call status on, the status route and the status function find a call's record through this index. */
function checkContactIndex(cfn: dynamodb.CfnTable | dynamodb.CfnGlobalTable, attributes: AttributeDefinition[], problems: PropsProblems): void {
  const indexes: unknown = Stack.of(cfn).resolve(cfn.globalSecondaryIndexes);
  if (indexes !== undefined && !Array.isArray(indexes)) return;
  const list = (indexes ?? []) as Array<{ indexName?: string; keySchema?: KeySchemaElement[] }>;
  const index = list.find((candidate) => candidate.indexName === CONTACT_INDEX.name);
  const type = attributes.find((attribute) => attribute.attributeName === CONTACT_INDEX.partitionKey)?.attributeType;
  const keys = index?.keySchema ?? [];
  if (index && keys.length === 1 && keys[0].attributeName === CONTACT_INDEX.partitionKey && keys[0].keyType === 'HASH' && type === 'S') return;
  const got = index
    ? `index "${CONTACT_INDEX.name}" keyed on ${keys.map((key) => `${key.attributeName} (${key.keyType === 'RANGE' ? 'sort' : 'partition'} key, `
      + `${attributes.find((attribute) => attribute.attributeName === key.attributeName)?.attributeType ?? '?'})`).join(', ')}`
    : `indexes: ${list.map((candidate) => `"${candidate.indexName}"`).join(', ') || 'none'}`;
  problems.add('table', `must have the global secondary index "${CONTACT_INDEX.name}" with the partition key `
    + `"${CONTACT_INDEX.partitionKey}" (String) and no sort key when callStatus is on: the status route and the status `
    + 'function find a call by its ContactId through it, so every status lookup would fail', got,
  `Before passing the table, call table.addGlobalSecondaryIndex({ indexName: '${CONTACT_INDEX.name}', partitionKey: `
    + `{ name: '${CONTACT_INDEX.partitionKey}', type: AttributeType.STRING }, projectionType: ProjectionType.KEYS_ONLY }), `
    + 'or set callStatus: false.');
}

/**
 * The handlers reach the ledger by its name, in their own account and region:
 * a table imported from another region or account (Table.fromTableArn) would
 * make every request fail with 503 LEDGER_UNAVAILABLE. Skipped when either
 * side is a token.
 */
function checkLedgerLocation(table: dynamodb.ITable, problems: PropsProblems): void {
  if (Token.isUnresolved(table.tableArn)) return;
  const stack = Stack.of(table);
  const arn = Arn.split(table.tableArn, ArnFormat.SLASH_RESOURCE_NAME);
  const elsewhere = (mine: string, theirs?: string): boolean =>
    theirs !== undefined && theirs !== '' && !Token.isUnresolved(mine) && !Token.isUnresolved(theirs) && mine !== theirs;
  if (elsewhere(stack.region, arn.region) || elsewhere(stack.account, arn.account)) {
    problems.add('table', `must be in the stack's account and region (${stack.account}/${stack.region}): the handlers reach `
      + 'the ledger by name there, so every request would fail with 503 LEDGER_UNAVAILABLE', table.tableArn,
    'Use a table in this stack\'s account and region (a global table\'s local replica is one), or leave table undefined.');
  }
}
