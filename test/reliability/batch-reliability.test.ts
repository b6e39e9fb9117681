/**
 * Batch calls under load and faults (README, "Reliability"; docs/batches.md):
 * the shipped API bundle submits, the shipped dispatcher bundle dials from a
 * process of its own fed by ElasticMQ through the local SQS event source, the
 * Connect simulator enforces a quota scaled up so 10,000 calls take about three
 * minutes here. Every scenario checks: 0 lost, 0 dialled twice (per ClientToken and
 * per destination), every call final; the figures are printed at the end.
 */
import { BATCH, ENV } from '../../src/private/contract';
import { allFinal, BatchHarness, type RunningDispatcher } from '../local/batch-harness';
import type { SimContact } from '../local/connect-simulator';

/** Connect's quota scaled up (2/s, burst 5 → 50/s, burst 125: what this shared 2-core machine sustains under load) and the dial rate set to it. */
const RATE = Number(process.env.BATCH_TEST_RATE ?? 50);
const TOTAL = Number(process.env.BATCH_TEST_CALLS ?? 10_000);
const parse = (result: { body: string }): any => JSON.parse(result.body);

interface Figures {
  scenario: string;
  calls: number;
  placed: number;
  final: number;
  lost: number;
  dialledTwice: number;
  limitExceeded: number;
  rate?: number;
  configuredRate?: number;
  seconds: number;
  note?: string;
}
const figures: Figures[] = [];

function numberOf(i: number, area = 212): string {
  return `+1${area}555${String(i % 10_000).padStart(4, '0')}`;
}

/** Submits `count` calls in batches of 1,000, to numbers +1<area>555xxxx (one area per scenario). */
async function submitAll(harness: BatchHarness, count: number, prefix: string, area: number): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += BATCH.calls.max) {
    const calls = Array.from({ length: Math.min(BATCH.calls.max, count - start) }, (_, j) => ({
      DestinationPhoneNumber: numberOf(start + j, area),
      ClientToken: `${prefix}-${start + j}`,
    }));
    const result = await harness.submit({ Calls: calls });
    expect(result.statusCode).toBe(202);
    const data = parse(result).data;
    expect(data.accepted).toBe(calls.length);
    ids.push(data.id);
  }
  return ids;
}

async function statesOf(harness: BatchHarness, ids: readonly string[]): Promise<any[]> {
  const calls: any[] = [];
  for (const id of ids) calls.push(...parse(await harness.status(id)).data.calls);
  return calls;
}

/**
 * Waits until every call of these batches is final. While the simulator has fewer than `expectedDials`
 * dials to the scenario's numbers, only the simulator (in this process) is looked at: reading 10,000
 * records a second would load DynamoDB Local more than the dispatcher does.
 */
async function waitAllFinal(
  harness: BatchHarness, ids: readonly string[], timeoutMs: number, expected?: { area: number; dials: number },
): Promise<any[]> {
  const deadline = Date.now() + timeoutMs;
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  while (expected && dialsOf(harness, expected.area).contacts.length < expected.dials && Date.now() < deadline) await sleep(500);
  for (;;) {
    const calls = await statesOf(harness, ids);
    if (allFinal({ calls }) || Date.now() > deadline) return calls;
    await sleep(2_000);
  }
}

/** Every dial the simulator started (not deduplicated) to the scenario's numbers; dialled twice: per ClientToken or per destination. */
function dialsOf(harness: BatchHarness, area: number): { contacts: SimContact[]; twice: number } {
  const contacts = harness.sim.contacts.filter((contact) => (contact.body.DestinationPhoneNumber ?? '').startsWith(`+1${area}555`));
  const byToken = new Map<string, number>();
  const byDestination = new Map<string, number>();
  for (const contact of contacts) {
    byToken.set(contact.clientToken ?? '', (byToken.get(contact.clientToken ?? '') ?? 0) + 1);
    byDestination.set(contact.body.DestinationPhoneNumber ?? '', (byDestination.get(contact.body.DestinationPhoneNumber ?? '') ?? 0) + 1);
  }
  const twice = Math.max([...byToken.values()].filter((n) => n > 1).length, [...byDestination.values()].filter((n) => n > 1).length);
  if (twice > 0 && process.env.BATCH_DEBUG) {
    const doubled = contacts.filter((contact) => (byDestination.get(contact.body.DestinationPhoneNumber ?? '') ?? 0) > 1);
    process.stderr.write(`${JSON.stringify(doubled.map((c) => [c.body.DestinationPhoneNumber, c.clientToken?.slice(0, 12), c.createdAt, c.contactId]))}\n`);
  }
  return { contacts, twice };
}

function record(
  harness: BatchHarness, scenario: string, calls: any[], area: number, started: number, note?: string, configuredRate: number = RATE,
): Figures {
  const placedIds = new Set(calls.filter((call) => call.state === 'PLACED').map((call) => call.contact_id as string));
  const { contacts, twice } = dialsOf(harness, area);
  const contactIds = new Set(contacts.map((contact) => contact.contactId));
  const times = contacts.map((contact) => contact.createdAt).sort((a, b) => a - b);
  const limitExceeded = harness.sim.requests.filter((request) => request.error === 'LimitExceededException').length;
  const spanSeconds = times.length > 1 ? (times[times.length - 1] - times[0]) / 1000 : 0;
  const entry: Figures = {
    scenario,
    calls: calls.length,
    placed: placedIds.size,
    final: calls.filter((call) => ['PLACED', 'FAILED', 'EXPIRED', 'CANCELLED'].includes(call.state)).length,
    // Accepted but neither placed (with a contact the simulator has) nor cancelled.
    lost: calls.filter((call) => (call.state === 'PLACED' && !contactIds.has(call.contact_id)) || !['PLACED', 'CANCELLED'].includes(call.state)).length,
    dialledTwice: twice,
    limitExceeded,
    ...(spanSeconds > 0 ? { rate: (times.length - 1) / spanSeconds, configuredRate } : {}),
    seconds: (Date.now() - started) / 1000,
    ...(note ? { note } : {}),
  };
  figures.push(entry);
  return entry;
}

afterAll(() => {
  const rows = figures.map((f) => `| ${f.scenario} | ${f.calls.toLocaleString('en-US')} | ${f.placed.toLocaleString('en-US')} | ${f.final.toLocaleString('en-US')} `
    + `| ${f.lost} | ${f.dialledTwice} | ${f.limitExceeded} | ${f.rate !== undefined ? `${f.rate.toFixed(1)}/s of ${f.configuredRate}/s (${(f.rate / f.configuredRate!).toFixed(3)}×)` : '–'} `
    + `| ${f.seconds.toFixed(1)} s |${f.note ? ` ${f.note}` : ''}`);
  process.stdout.write(['', `Batch calls (dial rate ${RATE}/s, simulator quota ${RATE}/s burst ${Math.round(RATE * 2.5)}):`,
    '| scenario | calls | placed | final | lost | dialled twice | LimitExceeded | achieved rate | time | notes |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|', ...rows, ''].join('\n'));
});

describe(`${TOTAL.toLocaleString('en-US')} calls at the scaled-up quota`, () => {
  const harness = new BatchHarness({
    name: 'load',
    dialRatePerSecond: RATE,
    simulator: { quota: { ratePerSecond: RATE, burst: Math.round(RATE * 2.5) } },
    env: { [ENV.callStatus]: 'false' },
  });
  beforeAll(() => harness.start(), 120_000);
  afterAll(() => harness.stop(), 60_000);

  test('0 lost, 0 dialled twice, every call final, rate ≥ 0.95× configured, LimitExceeded ≤ 1 %', async () => {
    const ids = await submitAll(harness, TOTAL, 'load', 212);
    const started = Date.now();
    const dispatcher = await harness.startDispatcher({ concurrency: 16 });
    const calls = await waitAllFinal(harness, ids, TOTAL / RATE * 1000 * 3 + 60_000, { area: 212, dials: TOTAL });
    await dispatcher.stop();
    const f = record(harness, 'steady load', calls, 212, started);
    expect(f.final).toBe(TOTAL);
    expect(f.placed).toBe(TOTAL);
    expect(f.lost).toBe(0);
    expect(f.dialledTwice).toBe(0);
    expect(f.limitExceeded).toBeLessThanOrEqual(TOTAL * 0.01);
    expect(f.rate!).toBeGreaterThanOrEqual(RATE * 0.95);
  }, 600_000);
});

describe('faults', () => {
  // Calls last 30 s here (a ring timeout is at least 15 s), and the contact search is on (README, "Bulk
  // and scheduled calls"): a takeover asks Connect whether the earlier attempt placed the call.
  const harness = new BatchHarness({
    name: 'faults',
    dialRatePerSecond: 100,
    simulator: {
      quota: { ratePerSecond: 100, burst: 250 },
      lifecycle: { initiated: 100, connected: 1_500, disconnected: 30_000 },
      searchableAttributeKeys: ['outboundCallerToken'],
    },
    visibilityTimeoutSeconds: 20,
    env: { [ENV.callStatus]: 'false', [ENV.contactSearchAttribute]: 'outboundCallerToken' },
  });
  beforeAll(() => harness.start(), 120_000);
  afterAll(() => harness.stop(), 60_000);

  test('the dispatcher killed (SIGKILL) mid-batch, twice: another one finishes; 0 lost, 0 dialled twice', async () => {
    const ids = await submitAll(harness, 3_000, 'kill', 212);
    const started = Date.now();
    let dispatcher: RunningDispatcher = await harness.startDispatcher({ concurrency: 4 });
    for (let kill = 0; kill < 2; kill++) {
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      await dispatcher.kill();
      dispatcher = await harness.startDispatcher({ concurrency: 4 });
    }
    const calls = await waitAllFinal(harness, ids, 240_000);
    await dispatcher.stop();
    const f = record(harness, 'dispatcher killed twice', calls, 212, started, '2 SIGKILLs mid-batch; redelivered after the claim lease', 100);
    expect(f.final).toBe(3_000);
    expect(f.placed).toBe(3_000);
    expect(f.dialledTwice).toBe(0);
    expect(f.lost).toBe(0);
  }, 600_000);

  test('killed without the contact search: still 0 dialled twice; a call whose takeover came too late is FAILED (outcome unknown), never re-dialled', async () => {
    const ids = await submitAll(harness, 2_000, 'kill-nosearch', 617);
    const started = Date.now();
    const noSearch = { env: { [ENV.contactSearchAttribute]: '' }, concurrency: 4 };
    let dispatcher: RunningDispatcher = await harness.startDispatcher(noSearch);
    for (let kill = 0; kill < 2; kill++) {
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      await dispatcher.kill();
      dispatcher = await harness.startDispatcher(noSearch);
    }
    const calls = await waitAllFinal(harness, ids, 240_000);
    await dispatcher.stop();
    const unknown = calls.filter((call) => call.state === 'FAILED' && call.error?.code === 'UPSTREAM_ERROR').length;
    const f = record(harness, 'dispatcher killed twice, no contact search', calls, 617, started,
      `${unknown} FAILED as outcome unknown (taken over too late to re-send the token safely)`, 100);
    expect(f.final).toBe(2_000);
    expect(f.placed + unknown).toBe(2_000);
    expect(f.dialledTwice).toBe(0);
  }, 600_000);

  test('redelivered messages (every wake-up sent twice, 20 % of messages left undeleted): 0 dialled twice', async () => {
    const ids = await submitAll(harness, 2_000, 'redeliver', 310);
    // A second copy of every batch wake-up: each call gets at least two messages.
    for (const id of ids) await harness.sendWakeUp(id);
    const started = Date.now();
    const dispatcher = await harness.startDispatcher({ concurrency: 4, redeliverFraction: 0.2 });
    const calls = await waitAllFinal(harness, ids, 240_000);
    // Let the undeleted copies come back (visibility timeout 20 s) and be acknowledged.
    await new Promise((resolve) => setTimeout(resolve, 25_000));
    await dispatcher.stop();
    const f = record(harness, 'redelivered messages', calls, 310, started, 'each call woken ≥ 2 times; 20 % of handled messages delivered again', 100);
    expect(f.placed).toBe(2_000);
    expect(f.dialledTwice).toBe(0);
    expect(f.lost).toBe(0);
  }, 600_000);

  test('cancel while dialling: every call ends PLACED or CANCELLED, and no cancelled call is dialled', async () => {
    const [id] = await submitAll(harness, 1_000, 'cancel', 415);
    const started = Date.now();
    const dispatcher = await harness.startDispatcher({ concurrency: 2 });
    await harness.waitFor(id, (data) => data.counts.PLACED >= 100, 60_000);
    const cancelled = parse(await harness.cancel(id)).data;
    expect(cancelled.cancelled).toBeGreaterThan(0);
    const calls = await waitAllFinal(harness, [id], 60_000);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await dispatcher.stop();
    const f = record(harness, 'cancel while dialling', calls, 415, started, `${cancelled.cancelled} cancelled`, 100);
    expect(calls.every((call) => call.state === 'PLACED' || call.state === 'CANCELLED')).toBe(true);
    expect(f.placed + calls.filter((call) => call.state === 'CANCELLED').length).toBe(1_000);
    // Dials of this batch = placed calls: none of the cancelled ones reached Connect.
    expect(dialsOf(harness, 415).contacts).toHaveLength(f.placed);
    expect(f.dialledTwice).toBe(0);
  }, 300_000);
});

describe('scheduling, with a controlled clock', () => {
  const HOUR = 3_600_000;
  const harness = new BatchHarness({
    name: 'schedule',
    dialRatePerSecond: 50,
    simulator: { quota: { ratePerSecond: 50, burst: 100 } },
    env: {
      [ENV.batchMaxWakeUpSeconds]: '1',
      // US rule (08:00-21:00 every day); a number with no known zone is judged in Tokyo time.
      [ENV.callingHours]: JSON.stringify({ days: Array.from({ length: 7 }, () => [[480, 1260]]), unknownZone: { kind: 'zone', zone: 'Asia/Tokyo' } }),
      [ENV.callingHoursSync]: 'false',
    },
  });
  beforeAll(() => harness.start(), 120_000);
  afterAll(() => harness.stop(), 60_000);

  test('NotBefore: nothing is dialled before it; at it, every call is', async () => {
    const started = Date.now();
    const calls = Array.from({ length: 20 }, (_, i) => ({ DestinationPhoneNumber: numberOf(i, 310), ClientToken: `nb-${i}` }));
    // Judged in LA time by the calling hours: the dispatcher's clock says 12:00 there once it moves.
    const notBefore = Date.now() + 2 * HOUR;
    const data = parse(await harness.submit({ Calls: calls, NotBefore: new Date(notBefore).toISOString() })).data;
    const offsetToNoonLa = nextUtcHour(notBefore, 20) - Date.now();
    const dispatcher = await harness.startDispatcher({ clockOffsetMs: 0 });
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const waiting = parse(await harness.status(data.id)).data;
    expect(waiting.counts.SCHEDULED).toBe(20);
    expect(dialsOf(harness, 310).contacts).toHaveLength(0);
    dispatcher.setClock(offsetToNoonLa);
    const done = await harness.waitFor(data.id, allFinal, 30_000);
    await dispatcher.stop();
    expect(done.counts.PLACED).toBe(20);
    record(harness, 'NotBefore 2 h ahead (clock moved)', done.calls, 310, started);
  }, 120_000);

  test('calling hours across the boundary, several zones and an unknown zone: each call waits for its own window', async () => {
    const started = Date.now();
    // 03:00 UTC: New York 22:00 (closed), Los Angeles 19:00 (open), London 03:00 (closed), Tokyo (the fallback) 12:00 (open).
    // Two days on: later than the clock of the test before (the pacer's slots follow the dispatcher's clock, which only moves forward).
    const t0 = nextUtcHour(Date.now() + 2 * 86_400_000, 3);
    const numbers = { ny: '+12125550199', la: '+13105550199', london: '+442079460199', unknown: '+80012345678' };
    const calls = Object.entries(numbers).map(([name, number]) => ({ DestinationPhoneNumber: number, ClientToken: `ch-${name}` }));
    const data = parse(await harness.submit({ Calls: calls, NotAfter: new Date(Date.now() + 4 * 86_400_000).toISOString() })).data;
    expect(data.accepted).toBe(4);
    const dispatcher = await harness.startDispatcher({ clockOffsetMs: t0 - Date.now() });
    const stateOf = async (): Promise<Record<string, string>> => Object.fromEntries(
      (parse(await harness.status(data.id)).data.calls as any[]).map((call) => [call.client_token.replace('ch-', ''), call.state]));
    const settle = async (expected: Record<string, string>): Promise<Record<string, string>> => {
      const deadline = Date.now() + 20_000;
      let states = await stateOf();
      while (JSON.stringify(states) !== JSON.stringify(expected) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        states = await stateOf();
      }
      return states;
    };
    expect(await settle({ ny: 'SCHEDULED', la: 'PLACED', london: 'SCHEDULED', unknown: 'PLACED' }))
      .toEqual({ ny: 'SCHEDULED', la: 'PLACED', london: 'SCHEDULED', unknown: 'PLACED' });
    // 08:00:05 in London (and 03:00 in New York).
    dispatcher.setClock(t0 + 5 * HOUR + 5_000 - Date.now());
    expect(await settle({ ny: 'SCHEDULED', la: 'PLACED', london: 'PLACED', unknown: 'PLACED' }))
      .toEqual({ ny: 'SCHEDULED', la: 'PLACED', london: 'PLACED', unknown: 'PLACED' });
    // 08:00:05 in New York.
    dispatcher.setClock(t0 + 10 * HOUR + 5_000 - Date.now());
    const final = await settle({ ny: 'PLACED', la: 'PLACED', london: 'PLACED', unknown: 'PLACED' });
    await dispatcher.stop();
    expect(final).toEqual({ ny: 'PLACED', la: 'PLACED', london: 'PLACED', unknown: 'PLACED' });
    figures.push({ scenario: 'calling hours: 4 zones, clock moved twice', calls: 4, placed: 4, final: 4, lost: 0, dialledTwice: 0, limitExceeded: 0, seconds: (Date.now() - started) / 1000 });
  }, 120_000);
});

/** The next instant at or after `fromMs` that is `hour`:00 UTC, plus whole days to land at least 1 h ahead. */
function nextUtcHour(fromMs: number, hour: number): number {
  const day = new Date(fromMs);
  let at = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), hour);
  while (at < fromMs + 3_600_000) at += 86_400_000;
  return at;
}
