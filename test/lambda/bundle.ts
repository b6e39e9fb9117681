/**
 * Loads the handler bundle from assets/ (what ships, not the TypeScript
 * source) with the environment a deployment would give it, and captures
 * what it writes on stdout (logs and EMF metrics).
 */
import { HANDLER_BUNDLE, type ProxyHandler } from '../local/proxy-event';

export const INSTANCE_ID = '10a4c4eb-f57e-4d4c-b602-bf39176ced07';
export const CONTACT_FLOW_ID = '846ec553-a005-41c0-8341-2a9cf1e8f2a7';
export const SOURCE_PHONE_NUMBER = '+14155550100';

/** The environment the construct writes, plus the endpoints of the local stand-ins. */
export function handlerEnv(options: {
  tableName: string;
  dynamodbEndpoint: string;
  connectEndpoint: string;
  overrides?: Record<string, string | undefined>;
}): Record<string, string | undefined> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: options.dynamodbEndpoint,
    AWS_ENDPOINT_URL_CONNECT: options.connectEndpoint,
    INSTANCE_ID,
    CONTACT_FLOW_ID,
    SOURCE_PHONE_NUMBER,
    ALLOWED_CONTACT_FLOW_IDS: '',
    ALLOWED_QUEUE_IDS: '',
    ALLOWED_SOURCE_PHONE_NUMBERS: '',
    ALLOWED_DESTINATION_COUNTRIES: '*',
    BLOCK_PREMIUM_RATE_NUMBERS: 'true',
    ALLOW_CAMPAIGN_CALLS: 'false',
    AUTH_MODE: 'IAM',
    LEDGER_TABLE_NAME: options.tableName,
    IDEMPOTENCY_WINDOW_SECONDS: '604800',
    METRICS_NAMESPACE: 'OutboundCaller',
    // The construct turns call status on by default; these tests exercise the ledger alone unless they turn it on.
    CALL_STATUS: 'false',
    ...options.overrides,
  };
}

/** Sets the environment (kept for the rest of the test file: the SDK reads it at call time too) and loads a fresh bundle. */
export function loadBundle(env: Record<string, string | undefined>): ProxyHandler {
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  let handler: ProxyHandler | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = (require(HANDLER_BUNDLE) as { handler: ProxyHandler }).handler;
  });
  return handler!;
}

/** Everything written on stdout while `fn` runs, line by line. */
export class StdoutCapture {
  readonly lines: string[] = [];
  private original?: typeof process.stdout.write;

  start(): void {
    this.original = process.stdout.write.bind(process.stdout);
    const lines = this.lines;
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      lines.push(...String(chunk).split('\n').filter((line) => line.length > 0));
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof process.stdout.write;
  }

  stop(): void {
    if (this.original) process.stdout.write = this.original;
  }

  json(): Array<Record<string, unknown>> {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}
