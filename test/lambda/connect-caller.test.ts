/**
 * Each Connect call's budget (ConnectCaller, lambda/connect.ts), against a real HTTP server on 127.0.0.1 and the
 * SDK's own client: the call is sent without options, so the SDK reuses the resolved middleware; an attempt in
 * flight at the end of the budget is aborted; an attempt of a call that has given up is never sent; the same
 * token twice at once in one process still gets two answers.
 */
import * as http from 'node:http';
import { StartOutboundVoiceContactCommand } from '@aws-sdk/client-connect';
import { ConnectCaller } from '../../lambda/connect';
import type { OutboundCallRequest } from '../../lambda/request';
import { CONTACT_FLOW_ID, INSTANCE_ID } from '../support/ids';

type Reply = (res: http.ServerResponse, body: Record<string, unknown>) => void;

const answer = (status: number, body: object, headers: Record<string, string> = {}): Reply => (res) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};
const placed = (contactId: string): Reply => answer(200, { ContactId: contactId });

let server: http.Server;
let url: string;
/** What the server answers next (in order); placed('c-default') once they are used up. */
let replies: Reply[] = [];
/** Every request the server received: its ClientToken and when. */
const received: Array<{ token: string; atMs: number }> = [];
const sockets = new Set<import('node:net').Socket>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      received.push({ token: String(body.ClientToken), atMs: Date.now() });
      (replies.shift() ?? placed('c-default'))(res, body);
    });
  });
  server.on('connection', (socket) => { sockets.add(socket); socket.on('close', () => sockets.delete(socket)); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  replies = [];
  received.length = 0;
});

function caller(options: { maxAttempts?: number; retryDelayMs?: number; requestTimeout?: number } = {}): ConnectCaller {
  return new ConnectCaller({
    region: 'us-east-1',
    endpoint: url,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    cacheMiddleware: true,
    maxAttempts: options.maxAttempts ?? 4,
    ...(options.retryDelayMs !== undefined
      ? { retryStrategy: fixedWaitRetries(options.maxAttempts ?? 4, options.retryDelayMs) } : {}),
    http: { connectionTimeout: 2_000, requestTimeout: options.requestTimeout ?? 8_000, throwOnRequestTimeout: true },
  });
}

const request: OutboundCallRequest = {
  InstanceId: INSTANCE_ID,
  ContactFlowId: CONTACT_FLOW_ID,
  DestinationPhoneNumber: '+12125550124',
  TrafficType: 'GENERAL',
};
/**
 * The SDK's retry contract (RetryStrategyV2) with a fixed wait between attempts, so a test knows when the retry
 * would be sent: throttling, transient and server errors are retried, up to `maxAttempts` attempts in all.
 */
function fixedWaitRetries(maxAttempts: number, waitMs: number) {
  const token = (count: number) => ({ getRetryCount: () => count, getRetryDelay: () => (count === 0 ? 0 : waitMs) });
  return {
    mode: 'standard',
    acquireInitialRetryToken: async () => token(0),
    refreshRetryTokenForRetry: async (previous: ReturnType<typeof token>, info: { errorType: string }) => {
      const count = previous.getRetryCount() + 1;
      if (count >= maxAttempts || !['THROTTLING', 'TRANSIENT', 'SERVER_ERROR'].includes(info.errorType)) throw new Error('no retry');
      return token(count);
    },
    recordSuccess: () => undefined,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('a call answers its ContactId; the SDK resolves the middleware once and reuses it (no options on send)', async () => {
  const c = caller();
  replies = [placed('c-1'), placed('c-2')];
  await expect(c.start(request, 'oc1-token-a', 5_000)).resolves.toBe('c-1');
  const handlers = (c.client as unknown as { handlers?: WeakMap<object, unknown> }).handlers;
  expect(handlers?.has(StartOutboundVoiceContactCommand)).toBe(true);
  const cached = handlers?.get(StartOutboundVoiceContactCommand);
  await expect(c.start(request, 'oc1-token-b', 5_000)).resolves.toBe('c-2');
  // The same resolved handler served the second call: a send with options would have dropped the cache.
  expect((c.client as unknown as { handlers?: WeakMap<object, unknown> }).handlers?.get(StartOutboundVoiceContactCommand)).toBe(cached);
  expect(received.map((r) => r.token)).toEqual(['oc1-token-a', 'oc1-token-b']);
});

test('an attempt still in flight when the budget ends is aborted: AbortError at the budget, one request sent', async () => {
  const c = caller();
  replies = [(res) => setTimeout(() => answer(200, { ContactId: 'late' })(res, {}), 3_000)];
  const started = Date.now();
  const error = await c.start(request, 'oc1-token-slow', 400).catch((e: unknown) => e as Error);
  const elapsed = Date.now() - started;
  expect(error).toMatchObject({ name: 'AbortError' });
  expect(elapsed).toBeGreaterThanOrEqual(350);
  expect(elapsed).toBeLessThan(2_000);
  expect(received).toHaveLength(1);
});

test('the budget ends while the SDK waits to retry: the call answers at the budget and the retry is never sent', async () => {
  // A throttled first attempt, then a 1.5 s wait before the retry; the budget ends 0.5 s into that wait.
  const c = caller({ retryDelayMs: 1_500 });
  replies = [answer(429, { __type: 'LimitExceededException', Message: 'rate' }, { 'x-amzn-errortype': 'LimitExceededException' })];
  const started = Date.now();
  const error = await c.start(request, 'oc1-token-throttled', 500).catch((e: unknown) => e as Error);
  expect(error).toMatchObject({ name: 'AbortError' });
  expect(Date.now() - started).toBeLessThan(1_400);
  await sleep(2_000); // past the SDK's wait: its retry finds the call gone
  expect(received.map((r) => r.token)).toEqual(['oc1-token-throttled']);
});

test('within the budget the SDK still retries: a throttled attempt, then the call', async () => {
  const c = caller({ retryDelayMs: 50 });
  replies = [answer(429, { __type: 'LimitExceededException', Message: 'rate' }, { 'x-amzn-errortype': 'LimitExceededException' }), placed('c-after-retry')];
  await expect(c.start(request, 'oc1-token-retried', 5_000)).resolves.toBe('c-after-retry');
  expect(received.map((r) => r.token)).toEqual(['oc1-token-retried', 'oc1-token-retried']);
});

test('a request of no registered call is never sent (only ConnectCaller.start places calls)', async () => {
  const c = caller();
  await expect(c.client.send(new StartOutboundVoiceContactCommand({ ...request, ClientToken: 'oc1-unregistered' })))
    .rejects.toMatchObject({ name: 'AbortError' });
  expect(received).toHaveLength(0);
});

test('a send that brings its own abort signal keeps it', async () => {
  const c = caller();
  replies = [placed('c-own-signal')];
  const output = await c.client.send(new StartOutboundVoiceContactCommand({ ...request, ClientToken: 'oc1-own' }),
    { abortSignal: AbortSignal.timeout(5_000) });
  expect(output.ContactId).toBe('c-own-signal');
});

test('the same token twice at once in one process: both calls are sent and answered', async () => {
  const c = caller();
  replies = [
    (res) => setTimeout(() => placed('c-same')(res, {}), 300),
    placed('c-same'),
  ];
  const [first, second] = await Promise.all([
    c.start(request, 'oc1-token-twice', 5_000),
    sleep(50).then(() => c.start(request, 'oc1-token-twice', 5_000)),
  ]);
  expect([first, second]).toEqual(['c-same', 'c-same']);
  expect(received.map((r) => r.token)).toEqual(['oc1-token-twice', 'oc1-token-twice']);
});

test('a call that has returned leaves nothing registered: a late attempt of it would not be sent', async () => {
  const c = caller();
  replies = [placed('c-done')];
  await c.start(request, 'oc1-token-done', 5_000);
  expect((c as unknown as { budgets: Map<string, AbortSignal> }).budgets.size).toBe(0);
});
