/** Jest global teardown: stops the DynamoDB Local started by jest-global-setup.ts. */
import type { DynamoDbLocal } from './dynamodb-local';
import { GLOBAL_HANDLE_KEY } from './jest-global-setup';

type GlobalWithHandle = typeof globalThis & { [GLOBAL_HANDLE_KEY]?: DynamoDbLocal };

export default async function globalTeardown(): Promise<void> {
  const g = globalThis as GlobalWithHandle;
  const ddb = g[GLOBAL_HANDLE_KEY];
  if (!ddb) {
    return; // not started by us (DYNAMODB_LOCAL_ENDPOINT was given)
  }
  delete g[GLOBAL_HANDLE_KEY];
  delete process.env.DYNAMODB_LOCAL_ENDPOINT;
  await ddb.stop();
}
