/**
 * Configuration of the handler: read from environment variables once, at cold
 * start, and checked. A misconfigured deployment fails at init with a message
 * that names the variable, instead of failing on its first caller.
 *
 * The construct (src/outbound-caller.ts) writes exactly these variables.
 */
import type { RequestPolicy } from './request';

/** How API Gateway authenticated the caller: decides where the caller identity is read. */
export type AuthMode = 'IAM' | 'API_KEY' | 'COGNITO' | 'NONE';

export interface HandlerConfig {
  readonly policy: RequestPolicy;
  readonly authMode: AuthMode;
  readonly tableName: string;
  /** How long a completed call is replayed for its key, in seconds (at most 7 days). */
  readonly idempotencyWindowSeconds: number;
  readonly metricsNamespace: string;
  /** Record each call's status for Connect's contact events and serve GET /contact/outbound-voice/{contactId}. */
  readonly callStatus: boolean;
}

/** Names of the environment variables, shared with the construct's tests. */
export const ENV = {
  instanceId: 'INSTANCE_ID',
  contactFlowId: 'CONTACT_FLOW_ID',
  sourcePhoneNumber: 'SOURCE_PHONE_NUMBER',
  queueId: 'QUEUE_ID',
  allowedContactFlowIds: 'ALLOWED_CONTACT_FLOW_IDS',
  allowedQueueIds: 'ALLOWED_QUEUE_IDS',
  allowedSourcePhoneNumbers: 'ALLOWED_SOURCE_PHONE_NUMBERS',
  allowedDestinationCountries: 'ALLOWED_DESTINATION_COUNTRIES',
  blockPremiumRateNumbers: 'BLOCK_PREMIUM_RATE_NUMBERS',
  allowCampaignCalls: 'ALLOW_CAMPAIGN_CALLS',
  authMode: 'AUTH_MODE',
  tableName: 'LEDGER_TABLE_NAME',
  idempotencyWindowSeconds: 'IDEMPOTENCY_WINDOW_SECONDS',
  metricsNamespace: 'METRICS_NAMESPACE',
  callStatus: 'CALL_STATUS',
} as const;

/** Connect's ClientToken is valid for 7 days: a longer window could not be honoured. */
export const MAX_IDEMPOTENCY_WINDOW_SECONDS = 7 * 24 * 3600;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const E164 = /^\+[1-9]\d{1,14}$/;
const COUNTRY = /^[A-Z]{2}$/;
const AUTH_MODES: readonly AuthMode[] = ['IAM', 'API_KEY', 'COGNITO', 'NONE'];

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
  const allCountries = countries.length === 0 || (countries.length === 1 && countries[0] === '*');

  if (instanceId && (instanceId.length > 100 || !/^[\w-]+$/.test(instanceId))) {
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
  if (!AUTH_MODES.includes(authMode)) {
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
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    callStatus,
    policy,
    authMode,
    tableName,
    idempotencyWindowSeconds,
    metricsNamespace: env[ENV.metricsNamespace]?.trim() || 'OutboundCaller',
  };
}
