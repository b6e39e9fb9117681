/**
 * The lean credentials provider: environment first, then the container
 * credentials endpoint (a real HTTP server on 127.0.0.1), memoized and
 * refreshed before expiry; a clear error when no source is configured. And
 * the shipped bundle placing a call with credentials from the container
 * endpoint only (what Lambda gives a function where it does not set the
 * environment variables).
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { handlerEnv, INSTANCE_ID, loadBundle, StdoutCapture } from './bundle';
import {
  containerEndpoint, CredentialsError, fromEnvironment, lambdaCredentials, REFRESH_BEFORE_EXPIRY_MS,
} from '../../lambda/credentials';
import { ConnectSimulator } from '../local/connect-simulator';
import { createLedgerTable } from '../local/dynamodb-local';
import { callEvent, lambdaContext } from '../local/proxy-event';

/** A container credentials endpoint on 127.0.0.1 that counts its requests and answers what it is told. */
class CredentialsEndpoint {
  readonly requests: Array<{ path: string; authorization?: string }> = [];
  /** Status codes to answer before a 200, one per request. */
  failures: number[] = [];
  delayMs = 0;
  private server?: http.Server;
  body: (n: number) => string = (n) => JSON.stringify({
    AccessKeyId: `AKID${n}`,
    SecretAccessKey: `secret${n}`,
    Token: `token${n}`,
    Expiration: new Date(Date.now() + 3600_000).toISOString(),
    AccountId: '123456789012',
  });

  async start(): Promise<string> {
    this.server = http.createServer((request, response) => {
      this.requests.push({ path: request.url ?? '', authorization: request.headers.authorization });
      const failure = this.failures.shift();
      setTimeout(() => {
        if (failure !== undefined) {
          response.writeHead(failure).end('{"message":"no"}');
          return;
        }
        response.writeHead(200, { 'content-type': 'application/json' }).end(this.body(this.requests.length));
      }, this.delayMs);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/credentials`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

describe('credentials from the environment', () => {
  test('the access key pair with session token, expiration, scope and account id', async () => {
    const env = {
      AWS_ACCESS_KEY_ID: 'AKIDENV',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'session',
      AWS_CREDENTIAL_EXPIRATION: '2030-01-01T00:00:00Z',
      AWS_ACCOUNT_ID: '123456789012',
      // The environment wins over the container endpoint, as in the SDK's chain.
      AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1:1/never-asked',
    };
    await expect(lambdaCredentials(env)()).resolves.toEqual({
      accessKeyId: 'AKIDENV',
      secretAccessKey: 'secret',
      sessionToken: 'session',
      expiration: new Date('2030-01-01T00:00:00Z'),
      accountId: '123456789012',
    });
  });

  test('half a pair is no credentials', () => {
    expect(fromEnvironment({ AWS_ACCESS_KEY_ID: 'AKID' })).toBeUndefined();
    expect(fromEnvironment({ AWS_SECRET_ACCESS_KEY: 'secret' })).toBeUndefined();
  });
});

describe('credentials from the container endpoint', () => {
  const endpoint = new CredentialsEndpoint();
  let url: string;
  beforeAll(async () => { url = await endpoint.start(); });
  afterAll(() => endpoint.stop());
  beforeEach(() => {
    endpoint.requests.length = 0;
    endpoint.failures = [];
    endpoint.delayMs = 0;
  });

  test('fetched with the authorization token, then memoized', async () => {
    const provider = lambdaCredentials({ AWS_CONTAINER_CREDENTIALS_FULL_URI: url, AWS_CONTAINER_AUTHORIZATION_TOKEN: 'Bearer t0k' });
    const first = await provider();
    expect(first).toMatchObject({ accessKeyId: 'AKID1', secretAccessKey: 'secret1', sessionToken: 'token1', accountId: '123456789012' });
    expect(first.expiration).toBeInstanceOf(Date);
    await expect(provider()).resolves.toBe(first);
    expect(endpoint.requests).toEqual([{ path: '/v1/credentials', authorization: 'Bearer t0k' }]);
  });

  test('the token is read from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE on every fetch (it may rotate)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'credentials-test-'));
    const tokenFile = path.join(dir, 'token');
    fs.writeFileSync(tokenFile, 'from-file-1\n');
    let now = Date.now();
    const provider = lambdaCredentials({
      AWS_CONTAINER_CREDENTIALS_FULL_URI: url,
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: 'ignored when the file is set',
    }, () => now);
    await provider();
    fs.writeFileSync(tokenFile, 'from-file-2');
    now += 3600_000; // expired: fetched again
    await provider();
    expect(endpoint.requests.map((r) => r.authorization)).toEqual(['from-file-1', 'from-file-2']);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('fetched again 5 minutes before they expire, not sooner', async () => {
    let now = Date.now();
    const provider = lambdaCredentials({ AWS_CONTAINER_CREDENTIALS_FULL_URI: url }, () => now);
    const first = await provider();
    const expiresAt = first.expiration!.getTime();
    now = expiresAt - REFRESH_BEFORE_EXPIRY_MS - 1_000;
    await expect(provider()).resolves.toBe(first);
    now = expiresAt - REFRESH_BEFORE_EXPIRY_MS + 1_000;
    await expect(provider()).resolves.toMatchObject({ accessKeyId: 'AKID2' });
    expect(endpoint.requests).toHaveLength(2);
  });

  test('concurrent requests share one fetch', async () => {
    endpoint.delayMs = 50;
    const provider = lambdaCredentials({ AWS_CONTAINER_CREDENTIALS_FULL_URI: url });
    const all = await Promise.all(Array.from({ length: 20 }, () => provider()));
    expect(new Set(all).size).toBe(1);
    expect(endpoint.requests).toHaveLength(1);
  });

  test('a 5xx is retried; a 4xx is not, and the error says what the endpoint answered', async () => {
    endpoint.failures = [500, 503];
    await expect(lambdaCredentials({ AWS_CONTAINER_CREDENTIALS_FULL_URI: url })()).resolves.toMatchObject({ accessKeyId: 'AKID3' });
    endpoint.requests.length = 0;
    endpoint.failures = [401];
    const error = await lambdaCredentials({ AWS_CONTAINER_CREDENTIALS_FULL_URI: url })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toMatch(/container credentials endpoint http:\/\/127\.0\.0\.1:\d+ gave no credentials \(HTTP 401\)/);
    expect(endpoint.requests).toHaveLength(1);
  });

  test('a failed refresh keeps credentials that are still valid; a later call tries again', async () => {
    let now = Date.now();
    const provider = lambdaCredentials({ AWS_CONTAINER_CREDENTIALS_FULL_URI: url }, () => now);
    const first = await provider();
    now = first.expiration!.getTime() - 60_000; // inside the refresh window, not expired
    endpoint.failures = [403];
    await expect(provider()).resolves.toBe(first);
    await expect(provider()).resolves.toMatchObject({ accessKeyId: 'AKID3' });
  });

  test('an answer without the four fields is refused', async () => {
    const original = endpoint.body;
    endpoint.body = () => JSON.stringify({ AccessKeyId: 'AKID', SecretAccessKey: 'secret' });
    await expect(lambdaCredentials({ AWS_CONTAINER_CREDENTIALS_FULL_URI: url })())
      .rejects.toThrow(/answered without AccessKeyId, SecretAccessKey, Token and a valid Expiration/);
    endpoint.body = () => 'not json';
    await expect(lambdaCredentials({ AWS_CONTAINER_CREDENTIALS_FULL_URI: url })()).rejects.toThrow(/not JSON/);
    endpoint.body = original;
  });

  test('an endpoint that does not answer fails after the attempts, with the reason', async () => {
    // A port nothing listens on: connection refused, three times.
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(lambdaCredentials({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${port}/creds` })())
      .rejects.toThrow(/gave no credentials \(.*ECONNREFUSED/);
  });
});

describe('which endpoints are accepted', () => {
  test.each([
    ['http://127.0.0.1:9001/2018-06-01/credentials', true],
    ['http://localhost/creds', true],
    ['http://169.254.170.2/v2/credentials/abc', true],
    ['http://169.254.170.23/v1/credentials', true],
    ['https://credentials.example.com/creds', true],
    ['http://credentials.example.com/creds', false],
    ['http://10.0.0.1/creds', false],
  ])('%s → %s', (uri, accepted) => {
    const read = (): URL | undefined => containerEndpoint({ AWS_CONTAINER_CREDENTIALS_FULL_URI: uri });
    if (accepted) expect(read()?.href).toBe(new URL(uri).href);
    else expect(read).toThrow(/must use https, or http on a loopback or the container credentials host/);
  });

  test('a relative URI is on 169.254.170.2 and wins over a full URI', () => {
    expect(containerEndpoint({ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/id', AWS_CONTAINER_CREDENTIALS_FULL_URI: 'https://x' })?.href)
      .toBe('http://169.254.170.2/v2/credentials/id');
  });
});

test('no source at all: an error that names both', async () => {
  const error = await lambdaCredentials({})().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(CredentialsError);
  expect((error as Error).message).toBe('No AWS credentials: neither AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY nor '
    + 'AWS_CONTAINER_CREDENTIALS_FULL_URI / AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is set. Lambda sets one of them '
    + 'for the function\'s role; elsewhere, set the access key pair.');
});

describe('the shipped bundle with credentials from the container endpoint only', () => {
  const endpoint = new CredentialsEndpoint();
  const ddbEndpoint = process.env.DYNAMODB_LOCAL_ENDPOINT!;
  const tableName = `ledger-credentials-${process.pid}-${Date.now()}`;
  let sim: ConnectSimulator;
  const capture = new StdoutCapture();
  afterAll(async () => {
    await sim?.stop();
    await endpoint.stop();
  });

  test('places a call: both clients sign with the fetched credentials, fetched once', async () => {
    const url = await endpoint.start();
    await createLedgerTable(ddbEndpoint, tableName);
    sim = await ConnectSimulator.start({ quota: false, knownInstanceIds: [INSTANCE_ID] });
    const handler = loadBundle(handlerEnv({
      tableName,
      dynamodbEndpoint: ddbEndpoint,
      connectEndpoint: sim.url,
      overrides: {
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        AWS_SESSION_TOKEN: undefined,
        AWS_CONTAINER_CREDENTIALS_FULL_URI: url,
        AWS_CONTAINER_AUTHORIZATION_TOKEN: 'lambda-token',
      },
    }));
    capture.start();
    try {
      for (const key of ['container-1', 'container-2']) {
        const result = await handler(callEvent({ DestinationPhoneNumber: '+12125550123' }, { idempotencyKey: key }), lambdaContext());
        expect(result.statusCode).toBe(200);
      }
    } finally {
      capture.stop();
      delete process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
      delete process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN;
    }
    expect(sim.contacts).toHaveLength(2);
    // SigV4 names the access key in the Authorization header.
    expect(String(sim.requests[0].headers.authorization)).toContain('Credential=AKID1/');
    expect(endpoint.requests).toEqual([{ path: '/v1/credentials', authorization: 'lambda-token' }]);
  });
});
