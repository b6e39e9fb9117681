/**
 * Configuration of the handlers: read from environment variables once, at cold
 * start, and checked. A misconfigured deployment fails at init with a message
 * that names the variable, instead of failing on its first caller.
 *
 * The construct writes exactly these variables; their names are in the shared
 * contract (src/private/contract.ts).
 */
import type { RequestPolicy } from './request';
import { callingHoursPolicyProblems, type CallingHoursPolicy } from '../src/private/calling-hours-policy';
import {
  ALL_COUNTRIES, AUTH_MODES, BATCH, ENV, LIMITS, MAX_IDEMPOTENCY_WINDOW_SECONDS, METRICS, PATTERNS, STATUS_LOOKUP, type AuthMode,
} from '../src/private/contract';

export interface HandlerConfig {
  readonly policy: RequestPolicy;
  readonly authMode: AuthMode;
  readonly tableName: string;
  /** How long a completed call is replayed for its key, in seconds (at most 7 days). */
  readonly idempotencyWindowSeconds: number;
  readonly metricsNamespace: string;
  /** Record each call's status for Connect's contact events and serve GET /contact/outbound-voice/{contactId}. */
  readonly callStatus: boolean;
  /** A call with no news for this long is looked up with DescribeContact (ms). */
  readonly statusLookupAfterMs: number;
  /** At most one DescribeContact per call per this many ms. */
  readonly statusLookupIntervalMs: number;
  /**
   * The searchable contact attribute that carries a digest of each call's
   * ClientToken, so a call whose record was lost can be found again; undefined: off.
   */
  readonly contactSearchAttribute?: string;
  /** The calling-hours policy (README, "Calling hours"); undefined: calls at any time. */
  readonly callingHours?: CallingHoursPolicy;
  /** Whether the synchronous route refuses calls outside the calling hours (403 OUTSIDE_CALLING_HOURS). */
  readonly callingHoursOnSyncRoute: boolean;
  /** Batch calls (docs/batches.md): the dispatch queue and the dispatcher's dial rate; undefined: off. */
  readonly batch?: BatchConfig;
}

export interface BatchConfig {
  readonly queueUrl: string;
  /** Calls per second the dispatcher places, all its instances together. */
  readonly dialRatePerSecond: number;
  /** The longest one wake-up sleeps (seconds, at most SQS's 900). */
  readonly maxWakeUpSeconds: number;
}

const GUID = new RegExp(PATTERNS.guid);
const E164 = new RegExp(PATTERNS.e164);
const COUNTRY = new RegExp(PATTERNS.country);

export class ConfigError extends Error {
  constructor(problems: string[], handler = 'handler') {
    super(`OutboundCaller ${handler} is misconfigured (${problems.length} problem(s)): ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Reads variables and collects every problem, so one error lists them all. */
class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  required(name: string): string {
    const value = this.env[name]?.trim();
    if (!value) this.problems.push(`${name} is required`);
    return value ?? '';
  }

  optional(name: string): string | undefined {
    return this.env[name]?.trim() || undefined;
  }

  list(name: string): string[] {
    return (this.env[name] ?? '').split(',').map((item) => item.trim()).filter((item) => item.length > 0);
  }

  flag(name: string, fallback: boolean): boolean {
    const value = this.env[name]?.trim();
    if (value === undefined || value === '') return fallback;
    if (value === 'true') return true;
    if (value === 'false') return false;
    this.problems.push(`${name} must be "true" or "false", got "${value}"`);
    return fallback;
  }

  /** A duration in whole seconds (1 s to 1 day), returned in milliseconds. */
  seconds(name: string, fallback: number): number {
    const text = this.optional(name) ?? String(fallback);
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1 || value > 86_400) {
      this.problems.push(`${name} must be a whole number of seconds from 1 to 86400, got "${text}"`);
    }
    return value * 1000;
  }

  check(name: string, values: readonly string[], rule: RegExp, what: string): void {
    for (const value of values) {
      if (!rule.test(value)) this.problems.push(`${name} must contain ${what}, got "${value}"`);
    }
  }

  /** The Connect instance id both functions are deployed for. */
  instanceId(): string {
    const instanceId = this.required(ENV.instanceId);
    if (instanceId && (instanceId.length > LIMITS.instanceId.max || !/^[\w-]+$/.test(instanceId))) {
      this.problems.push(`${ENV.instanceId} must be a Connect instance id (1-100 characters), got "${instanceId}"`);
    }
    return instanceId;
  }

  metricsNamespace(): string {
    return this.optional(ENV.metricsNamespace) ?? METRICS.namespace;
  }

  throwIfAny(handler?: string): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems, handler);
  }
}

/**
 * The calling-hours policy (JSON), checked like the construct checks it; undefined when unset. A function, not
 * a method of EnvReader, so the status function's bundle (which shares this file) leaves the checks out.
 */
function readCallingHours(read: EnvReader): CallingHoursPolicy | undefined {
  const text = read.optional(ENV.callingHours);
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    read.problems.push(`${ENV.callingHours} must be JSON, got "${text.slice(0, 80)}"`);
    return undefined;
  }
  const problems = callingHoursPolicyProblems(value);
  read.problems.push(...problems.map((problem) => `${ENV.callingHours} ${problem}`));
  return problems.length === 0 ? value as CallingHoursPolicy : undefined;
}

/** Reads and checks the configuration of the request handler; throws ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): HandlerConfig {
  const read = new EnvReader(env);
  const instanceId = read.instanceId();
  const contactFlowId = read.required(ENV.contactFlowId);
  const sourcePhoneNumber = read.optional(ENV.sourcePhoneNumber);
  const queueId = read.optional(ENV.queueId);
  const allowedContactFlowIds = read.list(ENV.allowedContactFlowIds);
  const allowedQueueIds = read.list(ENV.allowedQueueIds);
  const allowedSourcePhoneNumbers = read.list(ENV.allowedSourcePhoneNumbers);
  const countries = read.list(ENV.allowedDestinationCountries);
  const allCountries = countries.length === 0 || (countries.length === 1 && countries[0] === ALL_COUNTRIES);

  read.check(ENV.contactFlowId, contactFlowId ? [contactFlowId] : [], GUID, 'a contact-flow GUID');
  read.check(ENV.allowedContactFlowIds, allowedContactFlowIds, GUID, 'contact-flow GUIDs');
  read.check(ENV.sourcePhoneNumber, sourcePhoneNumber ? [sourcePhoneNumber] : [], E164, 'an E.164 number');
  read.check(ENV.allowedSourcePhoneNumbers, allowedSourcePhoneNumbers, E164, 'E.164 numbers');
  if (!allCountries) read.check(ENV.allowedDestinationCountries, countries, COUNTRY, 'ISO 3166-1 alpha-2 codes or "*"');
  if (!sourcePhoneNumber && !queueId) {
    read.problems.push(`one of ${ENV.sourcePhoneNumber} or ${ENV.queueId} is required (Connect needs a caller id)`);
  }

  const authMode = (read.optional(ENV.authMode) ?? 'IAM') as AuthMode;
  if (!(AUTH_MODES as readonly string[]).includes(authMode)) {
    read.problems.push(`${ENV.authMode} must be one of ${AUTH_MODES.join(', ')}, got "${authMode}"`);
  }

  const tableName = read.required(ENV.tableName);

  const windowText = read.optional(ENV.idempotencyWindowSeconds) ?? String(MAX_IDEMPOTENCY_WINDOW_SECONDS);
  const idempotencyWindowSeconds = Number(windowText);
  if (!Number.isInteger(idempotencyWindowSeconds) || idempotencyWindowSeconds < 1
    || idempotencyWindowSeconds > MAX_IDEMPOTENCY_WINDOW_SECONDS) {
    read.problems.push(`${ENV.idempotencyWindowSeconds} must be an integer from 1 to ${MAX_IDEMPOTENCY_WINDOW_SECONDS}, got "${windowText}"`);
  }

  const policy: RequestPolicy = {
    instanceId,
    contactFlowId,
    sourcePhoneNumber,
    queueId,
    allowedContactFlowIds,
    allowedQueueIds,
    allowedSourcePhoneNumbers,
    allowedDestinationCountries: allCountries ? undefined : countries,
    blockPremiumRateNumbers: read.flag(ENV.blockPremiumRateNumbers, true),
    allowCampaignCalls: read.flag(ENV.allowCampaignCalls, false),
  };

  // On unless the construct says otherwise: the construct's callStatus is on by default too.
  const callStatus = read.flag(ENV.callStatus, true);
  const statusLookupAfterMs = read.seconds(ENV.statusLookupAfterSeconds, STATUS_LOOKUP.afterSeconds);
  const statusLookupIntervalMs = read.seconds(ENV.statusLookupIntervalSeconds, STATUS_LOOKUP.intervalSeconds);
  const contactSearchAttribute = read.optional(ENV.contactSearchAttribute);
  if (contactSearchAttribute !== undefined && !new RegExp(PATTERNS.searchableAttributeKey).test(contactSearchAttribute)) {
    read.problems.push(`${ENV.contactSearchAttribute} must be an attribute key of 1-100 letters, digits, "_" or "-", got "${contactSearchAttribute}"`);
  }
  const callingHours = readCallingHours(read);
  // The construct writes both; on by default with a policy, as the construct's enforceOnSyncRoute is.
  const callingHoursOnSyncRoute = read.flag(ENV.callingHoursSync, read.optional(ENV.callingHours) !== undefined);
  if (callingHoursOnSyncRoute && read.optional(ENV.callingHours) === undefined) {
    read.problems.push(`${ENV.callingHoursSync} is "true" but ${ENV.callingHours} is not set: there is no policy to enforce`);
  }
  const batch = batchConfig(read);
  read.throwIfAny();
  return {
    ...(batch ? { batch } : {}),
    ...(callingHours ? { callingHours } : {}),
    callingHoursOnSyncRoute,
    callStatus,
    statusLookupAfterMs,
    statusLookupIntervalMs,
    ...(contactSearchAttribute ? { contactSearchAttribute } : {}),
    policy,
    authMode,
    tableName,
    idempotencyWindowSeconds,
    metricsNamespace: read.metricsNamespace(),
  };
}

function batchConfig(read: EnvReader): BatchConfig | undefined {
  const queueUrl = read.optional(ENV.batchQueueUrl);
  if (queueUrl === undefined) return undefined;
  if (!/^https?:\/\/[^\s/]+\/\S+$/.test(queueUrl)) read.problems.push(`${ENV.batchQueueUrl} must be an SQS queue URL, got "${queueUrl}"`);
  const rateText = read.optional(ENV.batchDialRate) ?? String(BATCH.defaultDialRatePerSecond);
  const dialRatePerSecond = Number(rateText);
  if (!Number.isFinite(dialRatePerSecond) || dialRatePerSecond <= 0 || dialRatePerSecond > BATCH.maxDialRatePerSecond) {
    read.problems.push(`${ENV.batchDialRate} must be a number of calls per second above 0 and at most ${BATCH.maxDialRatePerSecond}, got "${rateText}"`);
  }
  const wakeText = read.optional(ENV.batchMaxWakeUpSeconds) ?? String(BATCH.maxWakeUpDelaySeconds);
  const maxWakeUpSeconds = Number(wakeText);
  if (!Number.isInteger(maxWakeUpSeconds) || maxWakeUpSeconds < 1 || maxWakeUpSeconds > BATCH.maxWakeUpDelaySeconds) {
    read.problems.push(`${ENV.batchMaxWakeUpSeconds} must be a whole number of seconds from 1 to ${BATCH.maxWakeUpDelaySeconds}, got "${wakeText}"`);
  }
  return { queueUrl, dialRatePerSecond, maxWakeUpSeconds };
}

/** Configuration of the status function (contact events to call status). */
export interface StatusFunctionConfig {
  /** Events of other instances are ignored. */
  readonly instanceId: string;
  readonly tableName: string;
  readonly metricsNamespace: string;
}

/** Reads and checks the status function's configuration; throws ConfigError listing every problem. */
export function loadStatusFunctionConfig(env: NodeJS.ProcessEnv = process.env): StatusFunctionConfig {
  const read = new EnvReader(env);
  const config = {
    instanceId: read.instanceId(),
    tableName: read.required(ENV.tableName),
    metricsNamespace: read.metricsNamespace(),
  };
  read.throwIfAny('contact-events handler');
  return config;
}
