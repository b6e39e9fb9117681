/**
 * Configuration of the handler: read from environment variables once, at cold
 * start, and checked. A misconfigured deployment fails at init with a message
 * that names the variable, instead of failing on its first caller.
 *
 * The construct writes exactly these variables; their names are in the shared
 * contract (src/private/contract.ts).
 */
import type { RequestPolicy } from './request';
import {
  ALL_COUNTRIES, AUTH_MODES, ENV, LIMITS, MAX_IDEMPOTENCY_WINDOW_SECONDS, METRICS, PATTERNS, STATUS_LOOKUP, type AuthMode,
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
}

const GUID = new RegExp(PATTERNS.guid);
const E164 = new RegExp(PATTERNS.e164);
const COUNTRY = new RegExp(PATTERNS.country);

export class ConfigError extends Error {
  constructor(problems: string[]) {
    super(`OutboundCaller handler is misconfigured (${problems.length} problem(s)): ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and checks the configuration; throws ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): HandlerConfig {
  const problems: string[] = [];

  const required = (name: string): string => {
    const value = env[name]?.trim();
    if (!value) problems.push(`${name} is required`);
    return value ?? '';
  };
  const optional = (name: string): string | undefined => env[name]?.trim() || undefined;
  const list = (name: string): string[] =>
    (env[name] ?? '').split(',').map((item) => item.trim()).filter((item) => item.length > 0);
  const flag = (name: string, fallback: boolean): boolean => {
    const value = env[name]?.trim();
    if (value === undefined || value === '') return fallback;
    if (value === 'true') return true;
    if (value === 'false') return false;
    problems.push(`${name} must be "true" or "false", got "${value}"`);
    return fallback;
  };
  const check = (name: string, values: readonly string[], rule: RegExp, what: string): void => {
    for (const value of values) {
      if (!rule.test(value)) problems.push(`${name} must contain ${what}, got "${value}"`);
    }
  };

  const instanceId = required(ENV.instanceId);
  const contactFlowId = required(ENV.contactFlowId);
  const sourcePhoneNumber = optional(ENV.sourcePhoneNumber);
  const queueId = optional(ENV.queueId);
  const allowedContactFlowIds = list(ENV.allowedContactFlowIds);
  const allowedQueueIds = list(ENV.allowedQueueIds);
  const allowedSourcePhoneNumbers = list(ENV.allowedSourcePhoneNumbers);
  const countries = list(ENV.allowedDestinationCountries);
  const allCountries = countries.length === 0 || (countries.length === 1 && countries[0] === ALL_COUNTRIES);

  if (instanceId && (instanceId.length > LIMITS.instanceId.max || !/^[\w-]+$/.test(instanceId))) {
    problems.push(`${ENV.instanceId} must be a Connect instance id (1-100 characters), got "${instanceId}"`);
  }
  check(ENV.contactFlowId, contactFlowId ? [contactFlowId] : [], GUID, 'a contact-flow GUID');
  check(ENV.allowedContactFlowIds, allowedContactFlowIds, GUID, 'contact-flow GUIDs');
  check(ENV.sourcePhoneNumber, sourcePhoneNumber ? [sourcePhoneNumber] : [], E164, 'an E.164 number');
  check(ENV.allowedSourcePhoneNumbers, allowedSourcePhoneNumbers, E164, 'E.164 numbers');
  if (!allCountries) check(ENV.allowedDestinationCountries, countries, COUNTRY, 'ISO 3166-1 alpha-2 codes or "*"');
  if (!sourcePhoneNumber && !queueId) {
    problems.push(`one of ${ENV.sourcePhoneNumber} or ${ENV.queueId} is required (Connect needs a caller id)`);
  }

  const authMode = (env[ENV.authMode]?.trim() || 'IAM') as AuthMode;
  if (!(AUTH_MODES as readonly string[]).includes(authMode)) {
    problems.push(`${ENV.authMode} must be one of ${AUTH_MODES.join(', ')}, got "${authMode}"`);
  }

  const tableName = required(ENV.tableName);

  const windowText = env[ENV.idempotencyWindowSeconds]?.trim() || String(MAX_IDEMPOTENCY_WINDOW_SECONDS);
  const idempotencyWindowSeconds = Number(windowText);
  if (!Number.isInteger(idempotencyWindowSeconds) || idempotencyWindowSeconds < 1
    || idempotencyWindowSeconds > MAX_IDEMPOTENCY_WINDOW_SECONDS) {
    problems.push(`${ENV.idempotencyWindowSeconds} must be an integer from 1 to ${MAX_IDEMPOTENCY_WINDOW_SECONDS}, got "${windowText}"`);
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
    blockPremiumRateNumbers: flag(ENV.blockPremiumRateNumbers, true),
    allowCampaignCalls: flag(ENV.allowCampaignCalls, false),
  };

  const callStatus = flag(ENV.callStatus, false);
  const seconds = (name: string, fallback: number): number => {
    const text = env[name]?.trim() || String(fallback);
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1 || value > 86_400) {
      problems.push(`${name} must be a whole number of seconds from 1 to 86400, got "${text}"`);
    }
    return value * 1000;
  };
  const statusLookupAfterMs = seconds(ENV.statusLookupAfterSeconds, STATUS_LOOKUP.afterSeconds);
  const statusLookupIntervalMs = seconds(ENV.statusLookupIntervalSeconds, STATUS_LOOKUP.intervalSeconds);
  const contactSearchAttribute = optional(ENV.contactSearchAttribute);
  if (contactSearchAttribute !== undefined && !new RegExp(PATTERNS.searchableAttributeKey).test(contactSearchAttribute)) {
    problems.push(`${ENV.contactSearchAttribute} must be an attribute key of 1-100 letters, digits, "_" or "-", got "${contactSearchAttribute}"`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    callStatus,
    statusLookupAfterMs,
    statusLookupIntervalMs,
    ...(contactSearchAttribute ? { contactSearchAttribute } : {}),
    policy,
    authMode,
    tableName,
    idempotencyWindowSeconds,
    metricsNamespace: env[ENV.metricsNamespace]?.trim() || METRICS.namespace,
  };
}
