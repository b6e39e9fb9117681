/**
 * SDK client configuration for Lambda, explicit (README, "Performance").
 *
 * Left to itself, an SDK client looks up each setting it was not given on its
 * first request: an environment variable, else the shared config files, else
 * a default (FIPS, dual-stack, retry mode, defaults mode, auth scheme
 * preference, app id, clock-skew correction, account-id endpoint mode,
 * endpoint discovery, the endpoint URL): each miss throws and catches an error,
 * and the file lookups hit the disk. Here every one of them is read from the
 * same environment variable, with the SDK's default otherwise, once at cold
 * start. Shared config files are not read: a Lambda function has none.
 *
 * Endpoints: AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL (unless
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true), as the SDK does; this is what
 * points the handler at DynamoDB Local and the Connect simulator.
 */
import { sharedLambdaCredentials, type CredentialsProvider } from './credentials';

/** The SDK's service ids of the clients the handlers make. */
export type ServiceId = 'Connect' | 'DynamoDB' | 'SQS';

/** A setting in the environment that the SDK would refuse too. */
export class ClientConfigError extends Error {
  constructor(message: string) {
    super(`OutboundCaller handler is misconfigured: ${message}`);
    this.name = 'ClientConfigError';
  }
}

/** The name of the SDK's logger middleware in a client's middleware stack. */
export const SDK_LOGGER_MIDDLEWARE = 'loggerMiddleware';

/**
 * Takes the SDK's logger middleware out of a client's middleware stack, and
 * returns the client. These clients are given no logger: the SDK's default
 * logger drops every entry, yet its middleware still builds one for every
 * call, running the command's input and output (or error) through the
 * sensitive-data filter of its schema: about 4 % of the SDK's CPU per call
 * (README, "Performance"). The handlers' own log lines say what each call did.
 */
export function withoutSdkLogger<C extends { readonly middlewareStack: { remove(toRemove: string): boolean } }>(client: C): C {
  client.middlewareStack.remove(SDK_LOGGER_MIDDLEWARE);
  return client;
}

/** The settings both clients share (a structural subset of the SDK's client configuration). */
export interface AwsClientConfig {
  readonly region: string;
  readonly credentials: CredentialsProvider;
  readonly useFipsEndpoint: boolean;
  readonly useDualstackEndpoint: boolean;
  readonly retryMode: string;
  readonly defaultsMode: 'legacy' | 'standard' | 'in-region' | 'cross-region' | 'mobile' | 'auto';
  readonly authSchemePreference: string[];
  readonly userAgentAppId: () => Promise<string | undefined>;
  readonly disableClockSkewCorrection: boolean;
  readonly ignoreConfiguredEndpointUrls: true;
  readonly endpoint?: string;
  /** Resolve each command's middleware stack once per client, not on every request. */
  readonly cacheMiddleware: true;
}

/** DynamoDB's extra settings. */
export interface DynamoDbClientExtras {
  readonly accountIdEndpointMode: 'disabled' | 'preferred' | 'required';
  readonly endpointDiscoveryEnabledProvider: () => Promise<boolean | undefined>;
}

const DEFAULTS_MODES = ['legacy', 'standard', 'in-region', 'cross-region', 'mobile', 'auto'] as const;
const ACCOUNT_ID_ENDPOINT_MODES = ['disabled', 'preferred', 'required'] as const;

/** "true" / "false" as the SDK reads them; anything else is refused, as the SDK does. */
function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const value = env[name];
  if (value === undefined) return false;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new ClientConfigError(`${name} must be "true" or "false", got "${value}"`);
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[], fallback: T): T {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  const found = allowed.find((item) => item === value.toLowerCase());
  if (!found) throw new ClientConfigError(`${name} must be one of ${allowed.join(', ')}, got "${value}"`);
  return found;
}

/** The endpoint a service's client is pointed at by the environment, if any. */
export function configuredEndpoint(service: ServiceId, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (flag(env, 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS')) return undefined;
  const url = env[`AWS_ENDPOINT_URL_${service.toUpperCase().replace(/ /g, '_')}`] || env.AWS_ENDPOINT_URL || undefined;
  if (url !== undefined && !/^https?:\/\/[^\s/]+/.test(url)) {
    throw new ClientConfigError(`the endpoint of ${service} must be an http(s) URL, got "${url}"`);
  }
  return url;
}

/** The configuration of one client, read from the environment. */
export function awsClientConfig(service: ServiceId, env: NodeJS.ProcessEnv = process.env,
  credentials: CredentialsProvider = sharedLambdaCredentials()): AwsClientConfig {
  const region = env.AWS_REGION?.trim();
  if (!region) throw new ClientConfigError('AWS_REGION is required (Lambda sets it)');
  const appId = env.AWS_SDK_UA_APP_ID || undefined;
  const endpoint = configuredEndpoint(service, env);
  return {
    region,
    credentials,
    useFipsEndpoint: flag(env, 'AWS_USE_FIPS_ENDPOINT'),
    useDualstackEndpoint: flag(env, 'AWS_USE_DUALSTACK_ENDPOINT'),
    // The SDK's default; "adaptive" adds client-side rate limiting.
    retryMode: env.AWS_RETRY_MODE || 'standard',
    defaultsMode: oneOf(env, 'AWS_DEFAULTS_MODE', DEFAULTS_MODES, 'legacy'),
    authSchemePreference: (env.AWS_AUTH_SCHEME_PREFERENCE ?? '').split(',').map((item) => item.replace(/\s/g, '')).filter(Boolean),
    userAgentAppId: async () => appId,
    disableClockSkewCorrection: flag(env, 'AWS_DISABLE_CLOCK_SKEW_CORRECTION'),
    ignoreConfiguredEndpointUrls: true,
    ...(endpoint ? { endpoint } : {}),
    cacheMiddleware: true,
  };
}

/** DynamoDB's configuration: the common settings plus account-id endpoints and endpoint discovery. */
export function dynamoDbClientConfig(env: NodeJS.ProcessEnv = process.env,
  credentials?: CredentialsProvider): AwsClientConfig & DynamoDbClientExtras {
  const discovery = env.AWS_ENABLE_ENDPOINT_DISCOVERY ?? env.AWS_ENDPOINT_DISCOVERY_ENABLED;
  if (discovery === '') throw new ClientConfigError('AWS_ENABLE_ENDPOINT_DISCOVERY must not be empty');
  return {
    ...awsClientConfig('DynamoDB', env, credentials),
    accountIdEndpointMode: oneOf(env, 'AWS_ACCOUNT_ID_ENDPOINT_MODE', ACCOUNT_ID_ENDPOINT_MODES, 'preferred'),
    endpointDiscoveryEnabledProvider: async () => (discovery === undefined ? undefined : !['false', '0'].includes(discovery)),
  };
}
