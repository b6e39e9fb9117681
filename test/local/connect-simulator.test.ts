import * as net from 'node:net';
import {
  ConnectClient,
  ConnectServiceException,
  DescribeContactCommand,
  LimitExceededException,
  ResourceNotFoundException,
  SearchContactsCommand,
  StartOutboundVoiceContactCommand,
  StartOutboundVoiceContactCommandInput,
  ThrottlingException,
} from '@aws-sdk/client-connect';
import {
  CLIENT_TOKEN_TTL_MS, CONNECT_ERRORS, ConnectErrorName, ConnectSimulator, ConnectSimulatorOptions, DEFAULT_QUOTA, type SimContactEvent,
} from './connect-simulator';

import { INSTANCE_ID } from '../support/ids';
const FLOW_ID = '846ec553-a005-41c0-8341-0123456789ab';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function input(over: Partial<StartOutboundVoiceContactCommandInput> = {}): StartOutboundVoiceContactCommandInput {
  return {
    DestinationPhoneNumber: '+14155550100',
    ContactFlowId: FLOW_ID,
    InstanceId: INSTANCE_ID,
    SourcePhoneNumber: '+14155550199',
    ...over,
  };
}

/** The real SDK client, no retries (they would hide what the simulator answers). */
function connectClient(sim: ConnectSimulator, extra: { requestTimeout?: number } = {}): ConnectClient {
  return new ConnectClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
    endpoint: sim.url,
    maxAttempts: 1,
    ...(extra.requestTimeout ? { requestHandler: { requestTimeout: extra.requestTimeout, throwOnRequestTimeout: true } } : {}),
  });
}

/** Resolves with the error the promise rejects with; fails the test if it resolves. */
async function errorOf(p: Promise<unknown>): Promise<Error & Partial<ConnectServiceException>> {
  try {
    const value = await p;
    throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
  } catch (err) {
    return err as Error & Partial<ConnectServiceException>;
  }
}

async function rawPut(sim: ConnectSimulator, body: string): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const res = await fetch(`${sim.url}/contact/outbound-voice`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body,
  });
  return { status: res.status, headers: res.headers, json: await res.json() as Record<string, unknown> };
}

async function control(sim: ConnectSimulator, method: 'GET' | 'POST', route: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${sim.url}/_sim/${route}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

describe('ConnectSimulator with the real ConnectClient', () => {
  let sim: ConnectSimulator;
  let client: ConnectClient;

  async function startSim(opts: ConnectSimulatorOptions = { quota: false }): Promise<void> {
    sim = await ConnectSimulator.start(opts);
    client = connectClient(sim);
  }

  afterEach(async () => {
    client?.destroy();
    await sim?.stop();
  });

  test('listens on 127.0.0.1 and answers success with a ContactId', async () => {
    await startSim();
    expect(sim.url).toBe(`http://127.0.0.1:${sim.port}`);

    const out = await client.send(new StartOutboundVoiceContactCommand(input({ Attributes: { name: 'Ada' } })));

    expect(out.ContactId).toMatch(UUID);
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.$metadata.requestId).toMatch(UUID); // from x-amzn-RequestId
    expect(sim.contacts).toHaveLength(1);
    expect(sim.contacts[0].contactId).toBe(out.ContactId);
    const [rec] = sim.requests;
    expect(rec).toMatchObject({ method: 'PUT', path: '/contact/outbound-voice', status: 200, contactId: out.ContactId, deduplicated: false });
    expect(rec.body).toMatchObject({
      DestinationPhoneNumber: '+14155550100',
      ContactFlowId: FLOW_ID,
      InstanceId: INSTANCE_ID,
      Attributes: { name: 'Ada' },
    });
    expect(rec.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDLOCAL\//); // the SDK really signed it
    expect(rec.headers['content-type']).toMatch(/^application\/json/);
  });

  test('the same ClientToken twice gives the same ContactId and one contact', async () => {
    await startSim();
    const a = await client.send(new StartOutboundVoiceContactCommand(input({ ClientToken: 'token-1' })));
    const b = await client.send(new StartOutboundVoiceContactCommand(input({ ClientToken: 'token-1' })));
    const c = await client.send(new StartOutboundVoiceContactCommand(input({ ClientToken: 'token-2' })));

    expect(b.ContactId).toBe(a.ContactId);
    expect(c.ContactId).not.toBe(a.ContactId);
    expect(sim.contacts.map((x) => x.clientToken)).toEqual(['token-1', 'token-2']);
    expect(sim.requests.map((r) => r.deduplicated)).toEqual([false, true, false]);
  });

  test('a ClientToken is forgotten after 7 days, and after its contact is disconnected', async () => {
    let now = Date.UTC(2026, 0, 1);
    await startSim({ quota: false, now: () => now });
    const first = await client.send(new StartOutboundVoiceContactCommand(input({ ClientToken: 'weekly' })));

    now += CLIENT_TOKEN_TTL_MS - 1;
    const again = await client.send(new StartOutboundVoiceContactCommand(input({ ClientToken: 'weekly' })));
    expect(again.ContactId).toBe(first.ContactId);

    now += 1;
    const later = await client.send(new StartOutboundVoiceContactCommand(input({ ClientToken: 'weekly' })));
    expect(later.ContactId).not.toBe(first.ContactId);

    expect(sim.disconnectContact(later.ContactId!)).toBe(true);
    const afterHangUp = await client.send(new StartOutboundVoiceContactCommand(input({ ClientToken: 'weekly' })));
    expect(afterHangUp.ContactId).not.toBe(later.ContactId);
    expect(sim.contacts).toHaveLength(3);
  });

  test('requests without a ClientToken always make a new contact (raw HTTP: the SDK always sends one)', async () => {
    await startSim();
    const body = JSON.stringify(input());
    const a = await rawPut(sim, body);
    const b = await rawPut(sim, body);

    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(a.headers.get('content-type')).toBe('application/json');
    expect(a.headers.get('x-amzn-requestid')).toMatch(UUID);
    expect(a.json.ContactId).not.toBe(b.json.ContactId);
    expect(sim.contacts).toHaveLength(2);
    expect(sim.contacts[0].clientToken).toBeUndefined();

    // The SDK fills in an idempotency token itself when the caller gives none.
    await client.send(new StartOutboundVoiceContactCommand(input()));
    expect((sim.requests[2].body as Record<string, unknown>).ClientToken).toMatch(UUID);
  });

  describe('every exception surfaces in the SDK with its name and status', () => {
    test.each(Object.entries(CONNECT_ERRORS) as Array<[ConnectErrorName, number]>)('%s → %i', async (name, status) => {
      await startSim();
      sim.failNext({ error: name, message: `simulated ${name}` });

      const err = await errorOf(client.send(new StartOutboundVoiceContactCommand(input())));

      expect(err).toBeInstanceOf(ConnectServiceException);
      expect(err.name).toBe(name);
      expect(err.message).toBe(`simulated ${name}`);
      expect(err.$metadata?.httpStatusCode).toBe(status);
      expect(err.$fault).toBe(status >= 500 ? 'server' : 'client');
      expect(sim.contacts).toHaveLength(0);
      expect(sim.requests[0]).toMatchObject({ status, error: name, injected: true });

      // The fault was used up: the next call goes through.
      await expect(client.send(new StartOutboundVoiceContactCommand(input()))).resolves.toHaveProperty('ContactId');
    });

    test('modelled exceptions come out as their SDK classes', async () => {
      await startSim();
      sim.failNext({ error: 'LimitExceededException' });
      const err = await errorOf(client.send(new StartOutboundVoiceContactCommand(input())));
      expect(err).toBeInstanceOf(LimitExceededException);
    });

    test('count applies a fault to several requests in a row', async () => {
      await startSim();
      sim.failNext({ error: 'InternalServiceException', count: 2 });
      const names: string[] = [];
      for (let i = 0; i < 3; i++) {
        names.push(await client.send(new StartOutboundVoiceContactCommand(input())).then(() => 'ok', (e: Error) => e.name));
      }
      expect(names).toEqual(['InternalServiceException', 'InternalServiceException', 'ok']);
    });

    test('unknown error names are refused', async () => {
      await startSim();
      expect(() => sim.failNext({ error: 'NopeException' as ConnectErrorName })).toThrow(/unknown error "NopeException"/);
    });
  });

  describe('checks the service makes', () => {
    test('missing required members → InvalidParameterException', async () => {
      await startSim();
      for (const missing of ['DestinationPhoneNumber', 'ContactFlowId', 'InstanceId'] as const) {
        const body: Record<string, unknown> = { ...input() };
        delete body[missing];
        const res = await rawPut(sim, JSON.stringify(body));
        expect(res.status).toBe(400);
        expect(res.headers.get('x-amzn-errortype')).toBe('InvalidParameterException');
        expect(res.json.Message).toContain(missing);
      }
      expect(sim.contacts).toHaveLength(0);
    });

    test.each(['4155550100', '+0155550100', '+1 415 555 0100', '+1234567890123456', '+1'])(
      'destination %s is not E.164 → InvalidParameterException', async (number) => {
        await startSim();
        const err = await errorOf(client.send(new StartOutboundVoiceContactCommand(input({ DestinationPhoneNumber: number }))));
        expect(err.name).toBe('InvalidParameterException');
        expect(err.$metadata?.httpStatusCode).toBe(400);
      });

    test('documented limits and rules', async () => {
      await startSim();
      const cases: Array<[Partial<StartOutboundVoiceContactCommandInput>, string]> = [
        [{ ClientToken: 'x'.repeat(501) }, 'ClientToken'],
        [{ ContactFlowId: 'f'.repeat(501) }, 'ContactFlowId'],
        [{ InstanceId: 'i'.repeat(101) }, 'InstanceId'],
        [{ Attributes: { 'bad key': 'v' } }, 'Attribute keys'],
        [{ Attributes: { a: 'x'.repeat(20000), b: 'y'.repeat(20000) } }, 'UTF-8 bytes'],
        [{ RingTimeoutInSeconds: 14, TrafficType: 'CAMPAIGN' }, 'RingTimeoutInSeconds'],
        [{ SourcePhoneNumber: undefined, QueueId: undefined }, 'SourcePhoneNumber or QueueId'],
        [{ AnswerMachineDetectionConfig: { EnableAnswerMachineDetection: true } }, 'CAMPAIGN'],
      ];
      for (const [over, fragment] of cases) {
        const err = await errorOf(client.send(new StartOutboundVoiceContactCommand(input(over))));
        expect([err.name, err.message]).toEqual(['InvalidParameterException', expect.stringContaining(fragment)]);
      }
      // The largest allowed attribute map and a queue instead of a source number pass.
      await expect(client.send(new StartOutboundVoiceContactCommand(input({
        SourcePhoneNumber: undefined,
        QueueId: 'aeg40574-2d01-51c3-73d6-bf8624d2168c',
        Attributes: { a: 'x'.repeat(32767) },
        ClientToken: 't'.repeat(500),
      })))).resolves.toHaveProperty('ContactId');
      expect(sim.contacts).toHaveLength(1);
    });

    test('unknown instance, flow or queue → ResourceNotFoundException when ids are configured', async () => {
      await startSim({ quota: false, knownInstanceIds: [INSTANCE_ID], knownContactFlowIds: [FLOW_ID], knownQueueIds: ['q-1'] });
      for (const over of [{ InstanceId: 'other-instance' }, { ContactFlowId: 'other-flow' }, { QueueId: 'q-2' }]) {
        const err = await errorOf(client.send(new StartOutboundVoiceContactCommand(input(over))));
        expect(err.name).toBe('ResourceNotFoundException');
        expect(err.$metadata?.httpStatusCode).toBe(404);
      }
      await expect(client.send(new StartOutboundVoiceContactCommand(input({ QueueId: 'q-1' })))).resolves.toHaveProperty('ContactId');
    });

    test('UK mobile numbers (+447) are refused by default with DestinationNotAllowedException', async () => {
      await startSim();
      const err = await errorOf(client.send(new StartOutboundVoiceContactCommand(input({ DestinationPhoneNumber: '+447700900123' }))));
      expect(err.name).toBe('DestinationNotAllowedException');
      expect(err.$metadata?.httpStatusCode).toBe(403);
      await expect(client.send(new StartOutboundVoiceContactCommand(input({ DestinationPhoneNumber: '+442079460123' }))))
        .resolves.toHaveProperty('ContactId');
    });

    test('a body that is not JSON → InvalidRequestException; an unknown route → UnknownOperationException', async () => {
      await startSim();
      const bad = await rawPut(sim, '{not json');
      expect([bad.status, bad.headers.get('x-amzn-errortype')]).toEqual([400, 'InvalidRequestException']);

      const res = await fetch(`${sim.url}/contact/chat`, { method: 'PUT', body: '{}' });
      expect(res.status).toBe(404);
      expect(res.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
      await res.arrayBuffer();
    });
  });

  describe('quota (2 per second, burst 5)', () => {
    test('6 immediate calls: the 6th is LimitExceededException (frozen clock)', async () => {
      let now = 1_000_000;
      await startSim({ now: () => now });
      const outcomes: string[] = [];
      for (let i = 0; i < 6; i++) {
        outcomes.push(await client.send(new StartOutboundVoiceContactCommand(input()))
          .then(() => 'ok', (e: Error & { $metadata?: { httpStatusCode?: number } }) => `${e.name}/${e.$metadata?.httpStatusCode}`));
      }
      expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'LimitExceededException/429']);
      expect(sim.contacts).toHaveLength(5);

      // Refill: 2 per second, so half a second buys one more call and no more.
      now += 500;
      await expect(client.send(new StartOutboundVoiceContactCommand(input()))).resolves.toHaveProperty('ContactId');
      await expect(client.send(new StartOutboundVoiceContactCommand(input()))).rejects.toHaveProperty('name', 'LimitExceededException');
    });

    test('6 concurrent calls in real time: exactly one is throttled', async () => {
      await startSim({});
      const results = await Promise.allSettled(
        Array.from({ length: 6 }, () => client.send(new StartOutboundVoiceContactCommand(input()))));
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(rejected).toHaveLength(1);
      expect(rejected[0].reason).toBeInstanceOf(LimitExceededException);
    });

    test('deduplicated requests count against the quota too', async () => {
      await startSim({ now: () => 42, quota: { ratePerSecond: 2, burst: 5 } });
      const outcomes: string[] = [];
      for (let i = 0; i < 6; i++) {
        outcomes.push(await client.send(new StartOutboundVoiceContactCommand(input({ ClientToken: 'same' })))
          .then(() => 'ok', (e: Error) => e.name));
      }
      expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'LimitExceededException']);
      expect(sim.contacts).toHaveLength(1);
    });

    test('quota: false never throttles', async () => {
      await startSim({ quota: false, now: () => 42 });
      for (let i = 0; i < 10; i++) {
        await client.send(new StartOutboundVoiceContactCommand(input()));
      }
      expect(sim.contacts).toHaveLength(10);
    });
  });

  describe('delays and dropped connections', () => {
    test('delayNext answers late; the contact is placed on arrival, so a retry with the token gets it', async () => {
      await startSim();
      sim.delayNext({ ms: 400 });
      const started = Date.now();
      const slow = await client.send(new StartOutboundVoiceContactCommand(input({ ClientToken: 'slow' })));
      expect(Date.now() - started).toBeGreaterThanOrEqual(380);
      expect(sim.requests[0].delayedMs).toBe(400);

      // A client that gives up before the answer: unknown outcome, but Connect placed the call.
      sim.delayNext({ ms: 1_000 });
      const impatient = connectClient(sim, { requestTimeout: 150 });
      try {
        const err = await errorOf(impatient.send(new StartOutboundVoiceContactCommand(input({ ClientToken: 'timeout' }))));
        expect(err).not.toBeInstanceOf(ConnectServiceException);
        expect(err.name).toBe('TimeoutError');
      } finally {
        impatient.destroy();
      }
      const placed = sim.requests[1].contactId;
      expect(placed).toMatch(UUID);
      const retry = await client.send(new StartOutboundVoiceContactCommand(input({ ClientToken: 'timeout' })));
      expect(retry.ContactId).toBe(placed);
      expect(sim.contacts.map((c) => c.contactId)).toEqual([slow.ContactId, placed]);
    });

    test.each(['before-body', 'after-body'] as const)('dropNext(%s): a network error, not a service exception, and no contact', async (when) => {
      await startSim();
      sim.dropNext({ when });
      const err = await errorOf(client.send(new StartOutboundVoiceContactCommand(input())));
      expect(err).not.toBeInstanceOf(ConnectServiceException);
      expect(err.$metadata?.httpStatusCode).toBeUndefined();
      expect(err.message).toMatch(/socket hang up|ECONNRESET|EPIPE/);
      expect(sim.contacts).toHaveLength(0);
      expect(sim.requests[0].dropped).toBe(when);
      // The next request is served normally.
      await expect(client.send(new StartOutboundVoiceContactCommand(input()))).resolves.toHaveProperty('ContactId');
    });

    test('dropNext(after-processing): the call is placed but the answer is lost', async () => {
      await startSim();
      sim.dropNext({ when: 'after-processing' });
      const err = await errorOf(client.send(new StartOutboundVoiceContactCommand(input({ ClientToken: 'lost' }))));
      expect(err).not.toBeInstanceOf(ConnectServiceException);
      expect(sim.contacts).toHaveLength(1);
      const retry = await client.send(new StartOutboundVoiceContactCommand(input({ ClientToken: 'lost' })));
      expect(retry.ContactId).toBe(sim.contacts[0].contactId);
    });

    test('the SDK default retries ride over a dropped connection with the same ClientToken', async () => {
      await startSim();
      const retrying = new ConnectClient({
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
        endpoint: sim.url,
        maxAttempts: 3,
      });
      try {
        sim.dropNext({ when: 'after-processing' });
        const out = await retrying.send(new StartOutboundVoiceContactCommand(input()));
        expect(sim.requests).toHaveLength(2);
        expect(sim.requests[1].deduplicated).toBe(true);
        expect(out.ContactId).toBe(sim.contacts[0].contactId);
        expect(sim.contacts).toHaveLength(1);
      } finally {
        retrying.destroy();
      }
    });
  });

  describe('control API over HTTP', () => {
    test('fail-next, delay-next, drop-next, requests, contacts, reset', async () => {
      await startSim();

      expect(await control(sim, 'POST', 'fail-next', { error: 'OutboundContactNotPermittedException', count: 1, message: 'nope' }))
        .toEqual({ status: 200, json: expect.objectContaining({ ok: true }) });
      const err = await errorOf(client.send(new StartOutboundVoiceContactCommand(input())));
      expect([err.name, err.message, err.$metadata?.httpStatusCode]).toEqual(['OutboundContactNotPermittedException', 'nope', 403]);

      const unknown = await control(sim, 'POST', 'fail-next', { error: 'MadeUpException' });
      expect(unknown.status).toBe(400);
      expect(unknown.json).toEqual({ Message: expect.stringContaining('MadeUpException') });
      expect((await control(sim, 'POST', 'delay-next', { ms: -1 })).status).toBe(400);
      expect((await control(sim, 'POST', 'drop-next', { when: 'sometimes' })).status).toBe(400);

      expect((await control(sim, 'POST', 'delay-next', { ms: 250 })).status).toBe(200);
      const started = Date.now();
      await client.send(new StartOutboundVoiceContactCommand(input({ Attributes: { order: '42' } })));
      expect(Date.now() - started).toBeGreaterThanOrEqual(230);

      expect((await control(sim, 'POST', 'drop-next')).status).toBe(200);
      const dropped = await errorOf(client.send(new StartOutboundVoiceContactCommand(input())));
      expect(dropped).not.toBeInstanceOf(ConnectServiceException);

      const requests = await control(sim, 'GET', 'requests');
      expect(requests.status).toBe(200);
      expect(requests.json).toEqual([
        expect.objectContaining({ seq: 1, status: 403, error: 'OutboundContactNotPermittedException', injected: true }),
        expect.objectContaining({ seq: 2, status: 200, delayedMs: 250, body: expect.objectContaining({ Attributes: { order: '42' } }) }),
        expect.objectContaining({ seq: 3, dropped: 'after-body', body: expect.objectContaining({ DestinationPhoneNumber: '+14155550100' }) }),
      ]);
      const contacts = await control(sim, 'GET', 'contacts');
      expect(contacts.json).toEqual([expect.objectContaining({ contactId: sim.requests[1].contactId })]);

      expect((await control(sim, 'POST', 'disconnect', { ContactId: sim.contacts[0].contactId })).status).toBe(200);
      expect(sim.contacts[0].disconnectedAt).toEqual(expect.any(Number));

      await control(sim, 'POST', 'fail-next', { error: 'ThrottlingException' });
      expect((await control(sim, 'GET', 'faults')).json).toHaveLength(1);
      expect((await control(sim, 'POST', 'reset')).status).toBe(200);
      expect(sim.requests).toHaveLength(0);
      expect(sim.contacts).toHaveLength(0);
      expect(sim.pendingFaults).toHaveLength(0);
      await expect(client.send(new StartOutboundVoiceContactCommand(input()))).resolves.toHaveProperty('ContactId');
      expect((await control(sim, 'GET', 'nothing-here')).status).toBe(404);
    });
  });

  describe('lifecycle', () => {
    test('works through AWS_ENDPOINT_URL_CONNECT, as the handler will use it', async () => {
      await startSim();
      const saved = process.env.AWS_ENDPOINT_URL_CONNECT;
      process.env.AWS_ENDPOINT_URL_CONNECT = sim.url;
      const envClient = new ConnectClient({
        region: 'eu-west-2',
        credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
        maxAttempts: 1,
      });
      try {
        await expect(envClient.send(new StartOutboundVoiceContactCommand(input()))).resolves.toHaveProperty('ContactId');
        expect(sim.requests).toHaveLength(1);
      } finally {
        envClient.destroy();
        if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_CONNECT;
        else process.env.AWS_ENDPOINT_URL_CONNECT = saved;
      }
    });

    test('a port in use gives an Error naming the port', async () => {
      await startSim();
      await expect(ConnectSimulator.start({ port: sim.port })).rejects.toThrow(`port ${sim.port} on 127.0.0.1 is already in use`);
    });

    test('stop() closes keep-alive and delayed connections and frees the port', async () => {
      await startSim();
      await client.send(new StartOutboundVoiceContactCommand(input())); // leaves a keep-alive socket open
      sim.delayNext({ ms: 60_000 });
      const pending = errorOf(client.send(new StartOutboundVoiceContactCommand(input())));
      await new Promise((r) => setTimeout(r, 100));
      const port = sim.port;

      await sim.stop();
      await expect(pending).resolves.toBeInstanceOf(Error);
      await expect(sim.stop()).resolves.toBeUndefined(); // idempotent
      const refused = await new Promise<string>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve('connected'); });
        s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
      expect(refused).toBe('ECONNREFUSED');
    });
  });
});

describe('contact events', () => {
  // The repeated token must reach the simulator while the first contact is still going (a token whose contact
  // has ended starts a new one): the contact lasts a second, well over the gap between two requests on a busy machine.
  const timeline = { initiated: 10, connected: 40, disconnected: 1_000 };

  async function placeWith(outcome?: 'answered' | 'no-answer'): Promise<{ events: SimContactEvent[]; contactId: string; sim: ConnectSimulator }> {
    const events: SimContactEvent[] = [];
    const sim = await ConnectSimulator.start({ quota: false, contactEvents: { deliver: (event) => { events.push(event); }, timeline } });
    try {
      if (outcome) sim.nextCallOutcome(outcome);
      const client = new ConnectClient({ region: 'us-east-1', endpoint: sim.url, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
      const out = await client.send(new StartOutboundVoiceContactCommand({
        DestinationPhoneNumber: '+12125550123', ContactFlowId: 'flow', InstanceId: 'instance-1', SourcePhoneNumber: '+14155550100', ClientToken: 'token-events',
      }));
      await client.send(new StartOutboundVoiceContactCommand({
        DestinationPhoneNumber: '+12125550123', ContactFlowId: 'flow', InstanceId: 'instance-1', SourcePhoneNumber: '+14155550100', ClientToken: 'token-events',
      }));
      client.destroy();
      // Wait for the contact to end, then a little longer: an event after DISCONNECTED would be a bug the tests see.
      for (let waited = 0; waited < 10_000 && !events.some((event) => event.detail.eventType === 'DISCONNECTED'); waited += 25) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
      return { events, contactId: out.ContactId!, sim };
    } finally {
      await sim.stop();
    }
  }

  test('an answered call emits INITIATED, CONNECTED_TO_SYSTEM and DISCONNECTED, once (a deduplicated token emits nothing)', async () => {
    const { events, contactId } = await placeWith();
    expect(events.map((event) => event.detail.eventType)).toEqual(['INITIATED', 'CONNECTED_TO_SYSTEM', 'DISCONNECTED']);
    for (const event of events) {
      expect(event).toMatchObject({ 'source': 'aws.connect', 'detail-type': 'Amazon Connect Contact Event' });
      expect(event.detail).toMatchObject({ contactId, initiationMethod: 'API', channel: 'VOICE', instanceArn: 'arn:aws:connect:us-east-1:111122223333:instance/instance-1' });
    }
    expect(events[2].detail.connectedToSystemTimestamp).toBeDefined();
    expect(events[2].detail.disconnectReason).toBe('CUSTOMER_DISCONNECT');
  });

  test('a call that is not answered emits INITIATED and DISCONNECTED without media', async () => {
    const { events } = await placeWith('no-answer');
    expect(events.map((event) => event.detail.eventType)).toEqual(['INITIATED', 'DISCONNECTED']);
    expect(events[1].detail.connectedToSystemTimestamp).toBeUndefined();
  });
});

describe('DescribeContact and SearchContacts with the real ConnectClient', () => {
  let sim: ConnectSimulator;
  let client: ConnectClient;
  let clock = Date.parse('2026-11-25T08:00:00.000Z');
  const now = (): number => clock;

  async function startSim(opts: ConnectSimulatorOptions = {}): Promise<void> {
    clock = Date.parse('2026-11-25T08:00:00.000Z');
    sim = await ConnectSimulator.start({ quota: false, now, ...opts });
    client = connectClient(sim);
  }
  afterEach(async () => {
    client?.destroy();
    await sim?.stop();
  });
  const place = async (over: Partial<StartOutboundVoiceContactCommandInput> = {}): Promise<string> =>
    (await client.send(new StartOutboundVoiceContactCommand(input(over)))).ContactId!;
  const describeContact = async (contactId: string, instanceId = INSTANCE_ID) =>
    (await client.send(new DescribeContactCommand({ InstanceId: instanceId, ContactId: contactId }))).Contact!;

  test('GET /contacts/{InstanceId}/{ContactId}: a live contact has no DisconnectTimestamp; disconnectContact sets it with the reason', async () => {
    await startSim();
    const id = await place();
    const live = await describeContact(id);
    expect(live).toMatchObject({ Id: id, InitiationMethod: 'API', Channel: 'VOICE', InitiationTimestamp: new Date(clock) });
    expect(live.DisconnectTimestamp).toBeUndefined();
    expect(live.Arn).toBe(`arn:aws:connect:us-east-1:111122223333:instance/${INSTANCE_ID}/contact/${id}`);
    clock += 12_500;
    expect(sim.disconnectContact(id, 'CUSTOMER_DISCONNECT')).toBe(true);
    const ended = await describeContact(id);
    expect(ended.DisconnectTimestamp).toEqual(new Date(clock));
    expect(ended.DisconnectReason).toBe('CUSTOMER_DISCONNECT');
    expect(ended.LastUpdateTimestamp).toEqual(new Date(clock));
    expect(sim.requests.map((r) => r.operation)).toEqual(['StartOutboundVoiceContact', 'DescribeContact', 'DescribeContact']);
    expect(sim.requests[1]).toMatchObject({ method: 'GET', path: `/contacts/${INSTANCE_ID}/${id}`, status: 200 });
  });

  test('the lifecycle timeline: answered, then ended; a call not answered ends with OUTBOUND_ATTEMPT_FAILED; its token then starts a new contact', async () => {
    await startSim({ lifecycle: { initiated: 100, connected: 1_000, disconnected: 3_000 } });
    const start = clock;
    const answered = await place({ ClientToken: 'tok-a' });
    sim.nextCallOutcome('no-answer');
    const unanswered = await place({ ClientToken: 'tok-b' });
    clock = start + 1_500;
    expect((await describeContact(answered)).ConnectedToSystemTimestamp).toEqual(new Date(start + 1_000));
    expect((await describeContact(unanswered)).ConnectedToSystemTimestamp).toBeUndefined();
    expect(await place({ ClientToken: 'tok-a' })).toBe(answered); // still up: same contact
    clock = start + 3_000;
    expect(await describeContact(answered)).toMatchObject({ DisconnectTimestamp: new Date(start + 3_000), DisconnectReason: 'CUSTOMER_DISCONNECT' });
    expect(await describeContact(unanswered)).toMatchObject({ DisconnectReason: 'OUTBOUND_ATTEMPT_FAILED' });
    const again = await place({ ClientToken: 'tok-a' });
    expect(again).not.toBe(answered); // Connect: "If the contact is disconnected, a new contact is started."
    expect(sim.contacts).toHaveLength(3);
  });

  test('unknown contact, or a contact of another instance → ResourceNotFoundException', async () => {
    await startSim();
    const id = await place();
    const unknown = await errorOf(describeContact('00000000-0000-4000-8000-000000000000'));
    expect(unknown).toBeInstanceOf(ResourceNotFoundException);
    const other = await errorOf(describeContact(id, 'other-instance'));
    expect(other.name).toBe('ResourceNotFoundException');
    expect(other.$metadata?.httpStatusCode).toBe(404);
  });

  test('fault controls apply to DescribeContact: injected ThrottlingException, InternalServiceException, dropped connection', async () => {
    await startSim();
    const id = await place();
    sim.failNext({ error: 'ThrottlingException' });
    const throttled = await errorOf(describeContact(id));
    expect(throttled).toBeInstanceOf(ThrottlingException);
    expect(throttled.$metadata?.httpStatusCode).toBe(429);
    sim.failNext({ error: 'InternalServiceException' });
    expect((await errorOf(describeContact(id))).name).toBe('InternalServiceException');
    sim.dropNext();
    expect((await errorOf(describeContact(id))).name).not.toBe('ResourceNotFoundException');
    expect((await describeContact(id)).Id).toBe(id);
  });

  test('each operation has its own quota bucket; DescribeContact over quota is ThrottlingException (frozen clock)', async () => {
    await startSim({ quota: DEFAULT_QUOTA });
    const id = await place();
    for (let i = 0; i < 5; i++) expect((await describeContact(id)).Id).toBe(id);
    expect(await errorOf(describeContact(id))).toBeInstanceOf(ThrottlingException);
    // StartOutboundVoiceContact had one token taken, not six.
    for (let i = 0; i < 4; i++) await place();
    expect((await errorOf(place())).name).toBe('LimitExceededException');
  });

  test('POST /search-contacts finds a contact by a searchable contact attribute within the time range', async () => {
    await startSim({ searchableAttributeKeys: ['oc_token'] });
    const start = clock;
    const id = await place({ Attributes: { oc_token: 'digest-1' } });
    await place({ Attributes: { oc_token: 'digest-2' } });
    const search = (values: string[], from = start - 60_000, to = start + 60_000) => client.send(new SearchContactsCommand({
      InstanceId: INSTANCE_ID,
      TimeRange: { Type: 'INITIATION_TIMESTAMP', StartTime: new Date(from), EndTime: new Date(to) },
      SearchCriteria: { SearchableContactAttributes: { Criteria: [{ Key: 'oc_token', Values: values }], MatchType: 'MATCH_ALL' } },
      MaxResults: 10,
    }));
    const found = await search(['digest-1']);
    expect(found.Contacts?.map((c) => c.Id)).toEqual([id]);
    expect(found.Contacts?.[0]).toMatchObject({ InitiationMethod: 'API', Channel: 'VOICE', InitiationTimestamp: new Date(start) });
    expect(found.TotalCount).toBe(1);
    expect((await search(['nothing'])).Contacts).toEqual([]);
    expect((await search(['digest-1'], start + 1_000, start + 2_000)).Contacts).toEqual([]);
    expect(sim.requests.at(-1)).toMatchObject({ method: 'POST', path: '/search-contacts', operation: 'SearchContacts' });
  });

  test('SearchContacts on a key the instance has not configured as searchable → InvalidParameterException', async () => {
    await startSim();
    await place({ Attributes: { oc_token: 'digest-1' } });
    const error = await errorOf(client.send(new SearchContactsCommand({
      InstanceId: INSTANCE_ID,
      TimeRange: { Type: 'INITIATION_TIMESTAMP', StartTime: new Date(clock - 1_000), EndTime: new Date(clock + 1_000) },
      SearchCriteria: { SearchableContactAttributes: { Criteria: [{ Key: 'oc_token', Values: ['digest-1'] }] } },
    })));
    expect(error.name).toBe('InvalidParameterException');
    expect(error.message).toContain('oc_token');
  });

  test('a contact is found only searchIndexDelayMs after it was placed', async () => {
    await startSim({ searchableAttributeKeys: ['oc_token'], searchIndexDelayMs: 2_000 });
    const id = await place({ Attributes: { oc_token: 'digest-1' } });
    const search = () => client.send(new SearchContactsCommand({
      InstanceId: INSTANCE_ID,
      TimeRange: { Type: 'INITIATION_TIMESTAMP', StartTime: new Date(clock - 60_000), EndTime: new Date(clock + 60_000) },
      SearchCriteria: { SearchableContactAttributes: { Criteria: [{ Key: 'oc_token', Values: ['digest-1'] }] } },
    }));
    expect((await search()).Contacts).toEqual([]);
    clock += 2_000;
    expect((await search()).Contacts?.map((c) => c.Id)).toEqual([id]);
  });
});
