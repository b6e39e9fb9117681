/**
 * Loads the handler bundle from assets/ (what ships, not the TypeScript
 * source) with the environment a deployment would give it, and captures
 * what it writes on stdout (logs and EMF metrics).
 */
import { ENV, METRICS } from '../../src/private/contract';
import { HANDLER_BUNDLE, type ProxyHandler } from '../local/proxy-event';
import { CONTACT_FLOW_ID, INSTANCE_ID, SOURCE_PHONE_NUMBER } from '../support/ids';
import { interceptStdout } from '../support/stdout-tap';

export { CONTACT_FLOW_ID, INSTANCE_ID, SOURCE_PHONE_NUMBER };

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
    [ENV.instanceId]: INSTANCE_ID,
    [ENV.contactFlowId]: CONTACT_FLOW_ID,
    [ENV.sourcePhoneNumber]: SOURCE_PHONE_NUMBER,
    [ENV.allowedContactFlowIds]: '',
    [ENV.allowedQueueIds]: '',
    [ENV.allowedSourcePhoneNumbers]: '',
    [ENV.allowedDestinationCountries]: '*',
    [ENV.blockPremiumRateNumbers]: 'true',
    [ENV.allowCampaignCalls]: 'false',
    [ENV.authMode]: 'IAM',
    [ENV.tableName]: options.tableName,
    [ENV.idempotencyWindowSeconds]: '604800',
    [ENV.metricsNamespace]: METRICS.namespace,
    // The construct turns call status on by default; these tests exercise the ledger alone unless they turn it on.
    [ENV.callStatus]: 'false',
    ...options.overrides,
  };
}

/**
 * Sets the environment (kept for the rest of the test file: the SDK reads it at call time too) and loads a fresh
 * bundle: the synchronous route's handler unless another bundle is named.
 */
export function loadBundle(env: Record<string, string | undefined>, bundle: string = HANDLER_BUNDLE): ProxyHandler {
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  let handler: ProxyHandler | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = (require(bundle) as { handler: ProxyHandler }).handler;
  });
  return handler!;
}

/** Everything written on stdout while `fn` runs (through process.stdout or to descriptor 1), line by line. */
export class StdoutCapture {
  readonly lines: string[] = [];
  private restore?: () => void;

  start(): void {
    const lines = this.lines;
    this.restore = interceptStdout((text) => lines.push(...text.split('\n').filter((line) => line.length > 0)));
  }

  stop(): void {
    this.restore?.();
    this.restore = undefined;
  }

  json(): Array<Record<string, unknown>> {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}
