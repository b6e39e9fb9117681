/**
 * Jest global setup: one DynamoDB Local (in memory, 127.0.0.1, free port) per
 * test run, shared by all workers through `process.env.DYNAMODB_LOCAL_ENDPOINT`
 * (workers are forked after this runs and inherit the environment).
 *
 * It always starts (about 1.5 s on 2 cores), also for runs that only touch
 * construct tests. To reuse a server you started yourself, set
 * DYNAMODB_LOCAL_ENDPOINT before running jest: nothing is started then.
 * DYNAMODB_LOCAL_VERBOSE=1 prints the endpoint and start-up time.
 */
import { DynamoDbLocal, startDynamoDbLocal } from './dynamodb-local';

/** Where the teardown finds the handle (globalSetup and globalTeardown share one process). */
export const GLOBAL_HANDLE_KEY = '__outboundCallerDynamoDbLocal';

type GlobalWithHandle = typeof globalThis & { [GLOBAL_HANDLE_KEY]?: DynamoDbLocal };

export default async function globalSetup(): Promise<void> {
  // The SDK warns on every client about Node 20 (Lambda runs the bundle on Node 24): noise in test output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  if (process.env.DYNAMODB_LOCAL_ENDPOINT) {
    return; // someone else runs it
  }
  const started = Date.now();
  const ddb = await startDynamoDbLocal();
  (globalThis as GlobalWithHandle)[GLOBAL_HANDLE_KEY] = ddb;
  process.env.DYNAMODB_LOCAL_ENDPOINT = ddb.endpoint;
  if (process.env.DYNAMODB_LOCAL_VERBOSE) {
    process.stderr.write(`\nDynamoDB Local ready at ${ddb.endpoint} (pid ${ddb.pid}) in ${Date.now() - started} ms\n`);
  }
}
