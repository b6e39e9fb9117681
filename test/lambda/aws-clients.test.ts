/**
 * Explicit SDK client configuration: every setting the SDK would look up on
 * the first request is read from the same environment variable, with the
 * SDK's default otherwise; shared config files are never read.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { awsClientConfig, configuredEndpoint, dynamoDbClientConfig, SDK_LOGGER_MIDDLEWARE, withoutSdkLogger } from '../../lambda/aws-clients';
import { DispatchQueue } from '../../lambda/batch-queue';
import { ConnectCaller } from '../../lambda/connect';
import { lookupClient } from '../../lambda/contact-lookup';
import { lambdaCredentials } from '../../lambda/credentials';
import { Ledger, ledgerClient } from '../../lambda/ledger';
import { createLedgerTable } from '../local/dynamodb-local';

const REGION = { AWS_REGION: 'eu-west-1' };
const credentials = lambdaCredentials({ AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });

describe('defaults: what the SDK uses when nothing is set', () => {
  test('Connect', async () => {
    const config = awsClientConfig('Connect', REGION, credentials);
    expect(config).toMatchObject({
      region: 'eu-west-1',
      useFipsEndpoint: false,
      useDualstackEndpoint: false,
      retryMode: 'standard',
      defaultsMode: 'legacy',
      authSchemePreference: [],
      disableClockSkewCorrection: false,
      ignoreConfiguredEndpointUrls: true,
      cacheMiddleware: true,
    });
    expect(config.endpoint).toBeUndefined();
    await expect(config.userAgentAppId()).resolves.toBeUndefined();
    expect(config.credentials).toBe(credentials);
  });

  test('DynamoDB adds account-id endpoints (preferred) and endpoint discovery (unset)', async () => {
    const config = dynamoDbClientConfig(REGION, credentials);
    expect(config.accountIdEndpointMode).toBe('preferred');
    await expect(config.endpointDiscoveryEnabledProvider()).resolves.toBeUndefined();
  });
});

describe('the environment is honoured', () => {
  test('FIPS, dual-stack, retry mode, defaults mode, auth scheme preference, app id, clock skew', async () => {
    const config = awsClientConfig('Connect', {
      ...REGION,
      AWS_USE_FIPS_ENDPOINT: 'true',
      AWS_USE_DUALSTACK_ENDPOINT: 'true',
      AWS_RETRY_MODE: 'adaptive',
      AWS_DEFAULTS_MODE: 'Standard',
      AWS_AUTH_SCHEME_PREFERENCE: 'sigv4a, sigv4',
      AWS_SDK_UA_APP_ID: 'my-app',
      AWS_DISABLE_CLOCK_SKEW_CORRECTION: 'true',
    }, credentials);
    expect(config).toMatchObject({
      useFipsEndpoint: true,
      useDualstackEndpoint: true,
      retryMode: 'adaptive',
      defaultsMode: 'standard',
      authSchemePreference: ['sigv4a', 'sigv4'],
      disableClockSkewCorrection: true,
    });
    await expect(config.userAgentAppId()).resolves.toBe('my-app');
  });

  test('DynamoDB: account-id endpoint mode and endpoint discovery', async () => {
    const config = dynamoDbClientConfig({ ...REGION, AWS_ACCOUNT_ID_ENDPOINT_MODE: 'disabled', AWS_ENABLE_ENDPOINT_DISCOVERY: 'false' }, credentials);
    expect(config.accountIdEndpointMode).toBe('disabled');
    await expect(config.endpointDiscoveryEnabledProvider()).resolves.toBe(false);
    const on = dynamoDbClientConfig({ ...REGION, AWS_ENDPOINT_DISCOVERY_ENABLED: 'true' }, credentials);
    await expect(on.endpointDiscoveryEnabledProvider()).resolves.toBe(true);
  });

  test.each<[string, Record<string, string>, string | undefined]>([
    ['the service\'s own variable', { AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' }, 'http://127.0.0.1:8000'],
    ['then the global one', { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ENDPOINT_URL_CONNECT: 'http://127.0.0.1:7' }, 'http://127.0.0.1:9'],
    ['neither', {}, undefined],
    ['AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true ignores both', { AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }, undefined],
  ])('endpoint of DynamoDB: %s', (_, env, expected) => {
    expect(configuredEndpoint('DynamoDB', env)).toBe(expected);
    expect(dynamoDbClientConfig({ ...REGION, ...env }, credentials).endpoint).toBe(expected);
  });

  test.each<[Record<string, string>, RegExp]>([
    [{}, /AWS_REGION is required/],
    [{ ...REGION, AWS_USE_FIPS_ENDPOINT: 'yes' }, /AWS_USE_FIPS_ENDPOINT must be "true" or "false", got "yes"/],
    [{ ...REGION, AWS_USE_DUALSTACK_ENDPOINT: 'TRUE' }, /AWS_USE_DUALSTACK_ENDPOINT must be "true" or "false", got "TRUE"/],
    [{ ...REGION, AWS_DEFAULTS_MODE: 'fast' }, /AWS_DEFAULTS_MODE must be one of legacy, standard, in-region, cross-region, mobile, auto, got "fast"/],
    [{ ...REGION, AWS_ENDPOINT_URL: 'localhost:8000' }, /the endpoint of Connect must be an http\(s\) URL, got "localhost:8000"/],
  ])('a value the SDK would refuse fails at cold start: %j', (env, message) => {
    expect(() => awsClientConfig('Connect', env, credentials)).toThrow(message);
    expect(() => awsClientConfig('Connect', env, credentials)).toThrow(/^OutboundCaller handler is misconfigured: /);
  });

  test('DynamoDB refuses an unknown account-id endpoint mode', () => {
    expect(() => dynamoDbClientConfig({ ...REGION, AWS_ACCOUNT_ID_ENDPOINT_MODE: 'sometimes' }, credentials))
      .toThrow(/AWS_ACCOUNT_ID_ENDPOINT_MODE must be one of disabled, preferred, required, got "sometimes"/);
  });
});

/**
 * The SDK's logger middleware is taken out of every handler client: with no
 * logger given, it would only filter each call's input and output for a
 * logger that drops them (README, "Performance").
 */
describe('no SDK logger middleware', () => {
  const stackOf = (client: { middlewareStack: { identify(): string[] } }): string[] => client.middlewareStack.identify();
  const env = { ...REGION, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };
  const saved = { ...process.env };
  afterEach(() => { process.env = { ...saved }; });

  test('control: a client as the SDK makes it has the middleware, under the name removed here', () => {
    const client = new DynamoDBClient({ region: 'eu-west-1', credentials });
    expect(stackOf(client)).toContain(`${SDK_LOGGER_MIDDLEWARE} - initialize`);
    expect(stackOf(withoutSdkLogger(client))).not.toContain(`${SDK_LOGGER_MIDDLEWARE} - initialize`);
    // The rest of the stack is untouched.
    expect(stackOf(client)).toEqual(stackOf(new DynamoDBClient({ region: 'eu-west-1', credentials }))
      .filter((entry) => !entry.startsWith(`${SDK_LOGGER_MIDDLEWARE} `)));
  });

  test('every client the handlers make: ledger (DynamoDB), Connect calls, Connect lookups, the dispatch queue (SQS)', () => {
    Object.assign(process.env, env);
    const clients = {
      ledger: ledgerClient(env),
      connect: new ConnectCaller({ ...awsClientConfig('Connect', env, credentials), http: {} }).client,
      lookups: lookupClient()(),
      queue: new DispatchQueue('http://127.0.0.1:1/queue').sqs(),
    };
    for (const [name, client] of Object.entries(clients)) {
      expect({ name, stack: stackOf(client).join(', ') }).toEqual({ name, stack: expect.stringContaining('serializerMiddleware') });
      expect({ name, stack: stackOf(client).join(', ') }).toEqual({ name, stack: expect.not.stringContaining(SDK_LOGGER_MIDDLEWARE) });
      client.destroy();
    }
  });

  test('a failed call still arrives whole: the claim of a completed key is answered as a replay from DynamoDB Local', async () => {
    const ddbEndpoint = process.env.DYNAMODB_LOCAL_ENDPOINT!;
    const tableName = `ledger-nolog-${process.pid}-${Date.now()}`;
    await createLedgerTable(ddbEndpoint, tableName);
    const client = ledgerClient({ ...env, AWS_ENDPOINT_URL_DYNAMODB: ddbEndpoint });
    const ledger = new Ledger(client, tableName, 3600);
    const request = { caller: 'c', idempotencyKey: 'k', fingerprint: 'fp', deadlineMs: Date.now() + 10_000 };
    const first = await ledger.claim(request);
    if (first.kind !== 'claimed') throw new Error('setup: not claimed');
    await ledger.complete(first.claim, 'contact-1', new Date().toISOString(), 'body-1');
    // The conditional put fails (ConditionalCheckFailedException carrying the old item): decided as a replay.
    await expect(ledger.claim(request)).resolves.toEqual({ kind: 'replay', responseBody: 'body-1', contactId: 'contact-1' });
    client.destroy();
  });
});

describe('shared config files are never read', () => {
  const ddbEndpoint = process.env.DYNAMODB_LOCAL_ENDPOINT!;
  const saved = { ...process.env };
  let dir: string;
  beforeAll(() => {
    // A config file that would send every request to a closed port and break retries, were it read.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aws-clients-test-'));
    fs.writeFileSync(path.join(dir, 'config'), '[default]\nendpoint_url = http://127.0.0.1:1\nretry_mode = broken\nuse_fips_endpoint = maybe\n');
    process.env.AWS_CONFIG_FILE = path.join(dir, 'config');
    process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(dir, 'credentials');
    delete process.env.AWS_ENDPOINT_URL;
    delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
  });
  afterAll(() => {
    process.env = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a client made with this configuration answers from DynamoDB Local', async () => {
    const config = dynamoDbClientConfig({ ...REGION, AWS_ENDPOINT_URL_DYNAMODB: ddbEndpoint }, credentials);
    const client = new DynamoDBClient({ ...config, maxAttempts: 1 });
    await expect(client.send(new ListTablesCommand({ Limit: 1 }))).resolves.toHaveProperty('TableNames');
    client.destroy();
  });

  test('control: a default client does read the file (and fails on it), so the test above can fail', async () => {
    process.env.AWS_REGION = 'eu-west-1';
    const client = new DynamoDBClient({ credentials, maxAttempts: 1 });
    await expect(client.send(new ListTablesCommand({ Limit: 1 }))).rejects.toThrow();
    client.destroy();
  });
});

/**
 * cacheMiddleware: the SDK then resolves each command class's middleware
 * stack once and shares its handler context between all requests of that
 * class, also concurrent ones (one process may serve several invocations at
 * once, as on Lambda Managed Instances). What the middleware writes there is
 * the same for every request of one client (endpoint, auth scheme, identity of
 * the one credentials provider), so answers must never cross: proven here
 * with 80 concurrent claims on one client, half of them replays that must
 * each get back their own record.
 */
describe('cacheMiddleware with concurrent requests on one client', () => {
  test('80 concurrent claims: every new key claimed, every replay answered with its own record', async () => {
    const ddbEndpoint = process.env.DYNAMODB_LOCAL_ENDPOINT!;
    const tableName = `ledger-cache-${process.pid}-${Date.now()}`;
    await createLedgerTable(ddbEndpoint, tableName);
    const client = new DynamoDBClient({
      ...dynamoDbClientConfig({ ...REGION, AWS_ENDPOINT_URL_DYNAMODB: ddbEndpoint }, credentials),
      // Concurrency is the point here, not the handler's tight timeouts (a shared 2-core machine opens 80 sockets slowly).
      requestHandler: { connectionTimeout: 15_000, requestTimeout: 15_000 },
    });
    expect(client.config.cacheMiddleware).toBe(true);
    const ledger = new Ledger(client, tableName, 3600);
    const deadlineMs = Date.now() + 60_000;
    const completed = Array.from({ length: 40 }, (_, i) => ({ key: `done-${i}`, fingerprint: `fp-done-${i}` }));
    for (const { key, fingerprint } of completed) {
      const outcome = await ledger.claim({ caller: 'c', idempotencyKey: key, fingerprint, deadlineMs });
      if (outcome.kind !== 'claimed') throw new Error(`setup: ${key} not claimed`);
      await ledger.complete(outcome.claim, `contact-${key}`, new Date().toISOString(), `body-${key}`);
    }
    const fresh = Array.from({ length: 40 }, (_, i) => ({ key: `new-${i}`, fingerprint: `fp-new-${i}` }));
    const all = [...completed, ...fresh].sort(() => Math.random() - 0.5);
    const outcomes = await Promise.all(all.map(async ({ key, fingerprint }) =>
      ({ key, outcome: await ledger.claim({ caller: 'c', idempotencyKey: key, fingerprint, deadlineMs }) })));
    for (const { key, outcome } of outcomes) {
      if (key.startsWith('done-')) expect(outcome).toEqual({ kind: 'replay', responseBody: `body-${key}`, contactId: `contact-${key}` });
      else expect(outcome.kind).toBe('claimed');
    }
    client.destroy();
  });
});
