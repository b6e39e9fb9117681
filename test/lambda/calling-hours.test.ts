/**
 * Calling hours (lambda/calling-hours.ts): the zones of a number, whether it
 * may be called at an instant, and when it may be called next. Table-driven,
 * against the real time-zone database (Intl) and the shipped prefix index:
 * single zones, several zones (intersection), unknown zones (each fallback),
 * daylight-saving days in both hemispheres, weekday boundaries and windows
 * that join across midnight; then a brute-force check of `nextAllowedTime`
 * against `isAllowed`, minute by minute, across offset changes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import {
  callingHoursVerdict, isAllowed, localTimeText, nextAllowedTime, resolveZones, zonesOfNumber,
} from '../../lambda/calling-hours';
import { ConfigError, loadConfig } from '../../lambda/config';
import {
  callingHoursPolicyProblems, type CallingHoursPolicy, type MinuteWindow, type UnknownZoneRule,
} from '../../src/private/calling-hours-policy';
import { ENV } from '../../src/private/contract';

const REFUSE: UnknownZoneRule = { kind: 'refuse' };
const hm = (text: string): number => Number(text.slice(0, 2)) * 60 + Number(text.slice(3, 5));
const window = (text: string): MinuteWindow => [hm(text.slice(0, 5)), hm(text.slice(6, 11))];

/** The same windows every day. */
function everyDay(windows: string[], unknownZone: UnknownZoneRule = REFUSE): CallingHoursPolicy {
  return { days: Array.from({ length: 7 }, () => windows.map(window)), unknownZone };
}
/** Windows Monday to Friday, none at the weekend. */
function weekdays(windows: string[], unknownZone: UnknownZoneRule = REFUSE): CallingHoursPolicy {
  return { days: Array.from({ length: 7 }, (_, day) => (day === 0 || day === 6 ? [] : windows.map(window))), unknownZone };
}

/** 8:00-21:00 every day (the US rule). */
const US = everyDay(['08:00-21:00']);
const BUSINESS = weekdays(['09:00-17:00']);

const NEW_YORK = '+12125550123';
const LOS_ANGELES = '+13105550123';
const PARIS = '+33612345678';
const LONDON = '+442079460123';
const SYDNEY = '+61291234567';
/** Area code 928, exchange 283: Arizona's Navajo Nation area, Denver time (DST) and Phoenix time (none). */
const DENVER_AND_PHOENIX = '+19282831234';
/** +800: international freephone, no time zone. */
const NO_ZONE = '+80012345678';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('zones of a number (longest prefix)', () => {
  test.each([
    [NEW_YORK, ['America/New_York']],
    [LOS_ANGELES, ['America/Los_Angeles']],
    [PARIS, ['Europe/Paris']],
    ['+4930123456', ['Europe/Berlin']],
    [DENVER_AND_PHOENIX, ['America/Denver', 'America/Phoenix']],
    ['+19072345678', ['America/Adak', 'America/Anchorage']],
    [NO_ZONE, []],
  ])('%s -> %j', (number, zones) => {
    expect(zonesOfNumber(number)).toEqual(zones);
  });

  test('a number known only by its country code gets every zone of the country', () => {
    // 555 is no area code: +1 alone answers, with every zone of the North American Numbering Plan.
    const zones = zonesOfNumber('+15555550123');
    expect(zones).toEqual(expect.arrayContaining(['America/New_York', 'America/Los_Angeles', 'Pacific/Honolulu', 'Pacific/Guam']));
    expect(zones.length).toBeGreaterThan(30);
    expect(zonesOfNumber('+61')).toEqual(expect.arrayContaining(['Australia/Perth', 'Australia/Sydney', 'Australia/Lord_Howe']));
  });

  test('with or without the plus', () => {
    expect(zonesOfNumber('12125550123')).toEqual(zonesOfNumber(NEW_YORK));
  });

  test.each<[string, UnknownZoneRule, unknown]>([
    [NO_ZONE, REFUSE, { kind: 'refuse' }],
    [NO_ZONE, { kind: 'allow' }, { kind: 'allow' }],
    [NO_ZONE, { kind: 'zone', zone: 'Europe/London' }, { kind: 'zones', zones: ['Europe/London'], fallback: true }],
    [PARIS, { kind: 'zone', zone: 'Europe/London' }, { kind: 'zones', zones: ['Europe/Paris'], fallback: false }],
  ])('%s with unknown-zone rule %j resolves to %j', (number, unknownZone, expected) => {
    expect(resolveZones(number, everyDay(['08:00-21:00'], unknownZone))).toEqual(expected);
  });
});

/** [what, number, policy, now, allowed now, next allowed time] */
type Case = [string, string, CallingHoursPolicy, string, boolean, string | undefined];

const CASES: Case[] = [
  // One zone, the US rule, a winter day (EST, UTC-5).
  ['New York 07:59:59 EST', NEW_YORK, US, '2026-11-30T12:59:59.000Z', false, '2026-11-30T13:00:00.000Z'],
  ['New York 08:00 EST', NEW_YORK, US, '2026-11-30T13:00:00.000Z', true, '2026-11-30T13:00:00.000Z'],
  ['New York 20:59:59 EST', NEW_YORK, US, '2026-12-01T01:59:59.999Z', true, '2026-12-01T01:59:59.999Z'],
  ['New York 21:00 EST: the end is excluded', NEW_YORK, US, '2026-12-01T02:00:00.000Z', false, '2026-12-01T13:00:00.000Z'],
  ['Los Angeles 23:00 PST', LOS_ANGELES, US, '2026-12-01T07:00:00.000Z', false, '2026-12-01T16:00:00.000Z'],
  ['Paris 07:30 CET', PARIS, US, '2026-12-01T06:30:00.000Z', false, '2026-12-01T07:00:00.000Z'],
  ['Berlin, a whole-country zone, 12:00 CET', '+4930123456', US, '2026-12-01T11:00:00.000Z', true, '2026-12-01T11:00:00.000Z'],
  // Several zones: the intersection. Denver keeps DST, Phoenix does not.
  ['Denver+Phoenix in July, 08:30 Denver = 07:30 Phoenix', DENVER_AND_PHOENIX, US, '2026-07-15T14:30:00.000Z', false, '2026-07-15T15:00:00.000Z'],
  ['Denver+Phoenix in July, 20:30 Denver = 19:30 Phoenix', DENVER_AND_PHOENIX, US, '2026-07-16T02:30:00.000Z', true, '2026-07-16T02:30:00.000Z'],
  ['Denver+Phoenix in July, 21:00 Denver', DENVER_AND_PHOENIX, US, '2026-07-16T03:00:00.000Z', false, '2026-07-16T15:00:00.000Z'],
  ['Denver+Phoenix in January (one offset), 20:30 both', DENVER_AND_PHOENIX, US, '2026-01-15T03:30:00.000Z', true, '2026-01-15T03:30:00.000Z'],
  ['Denver+Phoenix in January, 07:30 both', DENVER_AND_PHOENIX, US, '2026-01-15T14:30:00.000Z', false, '2026-01-15T15:00:00.000Z'],
  // +1 alone: Guam (UTC+10) to St John's (UTC-3:30) in winter: the US rule leaves 22:00-00:30 UTC.
  ['+1 toll-free, every NANP zone, 21:59 UTC', '+18005550100', US, '2026-11-30T21:59:00.000Z', false, '2026-11-30T22:00:00.000Z'],
  ['+1 toll-free, every NANP zone, 00:29 UTC', '+18005550100', US, '2026-12-01T00:29:00.000Z', true, '2026-12-01T00:29:00.000Z'],
  ['+1 toll-free, every NANP zone, 00:30 UTC', '+18005550100', US, '2026-12-01T00:30:00.000Z', false, '2026-12-01T22:00:00.000Z'],
  ['+1 toll-free, a one-hour window no two NANP zones share', '+18005550100', everyDay(['09:00-10:00']), '2026-12-01T06:59:00.000Z', false, undefined],
  // Unknown zone: each fallback.
  ['no zone, refuse', NO_ZONE, everyDay(['00:00-24:00']), '2026-12-01T12:00:00.000Z', false, undefined],
  ['no zone, allow', NO_ZONE, everyDay(['09:00-10:00'], { kind: 'allow' }), '2026-12-01T03:00:00.000Z', true, '2026-12-01T03:00:00.000Z'],
  ['no zone, fallback Asia/Tokyo 07:00', NO_ZONE, everyDay(['08:00-21:00'], { kind: 'zone', zone: 'Asia/Tokyo' }), '2026-11-30T22:00:00.000Z', false, '2026-11-30T23:00:00.000Z'],
  // Daylight-saving days. New York springs forward 2026-03-08 02:00 EST -> 03:00 EDT (07:00 UTC).
  ['New York, the day before spring forward, 07:30 EST', NEW_YORK, US, '2026-03-07T12:30:00.000Z', false, '2026-03-07T13:00:00.000Z'],
  ['New York, spring-forward day, 07:30 EDT', NEW_YORK, US, '2026-03-08T11:30:00.000Z', false, '2026-03-08T12:00:00.000Z'],
  ['New York, 21:00 EST the night before spring forward', NEW_YORK, US, '2026-03-08T02:00:00.000Z', false, '2026-03-08T12:00:00.000Z'],
  ['New York, a window in the skipped hour opens at the jump', NEW_YORK, everyDay(['02:30-04:00']), '2026-03-08T05:00:00.000Z', false, '2026-03-08T07:00:00.000Z'],
  ['New York, the skipped hour: 01:59 EST', NEW_YORK, everyDay(['02:30-04:00']), '2026-03-08T06:59:00.000Z', false, '2026-03-08T07:00:00.000Z'],
  // New York falls back 2026-11-01 02:00 EDT -> 01:00 EST (06:00 UTC): 01:15-01:45 shows twice.
  ['New York, the repeated hour, first showing', NEW_YORK, everyDay(['01:15-01:45']), '2026-11-01T05:00:00.000Z', false, '2026-11-01T05:15:00.000Z'],
  ['New York, the repeated hour, between the showings', NEW_YORK, everyDay(['01:15-01:45']), '2026-11-01T05:50:00.000Z', false, '2026-11-01T06:15:00.000Z'],
  ['New York, the repeated hour, second showing', NEW_YORK, everyDay(['01:15-01:45']), '2026-11-01T06:20:00.000Z', true, '2026-11-01T06:20:00.000Z'],
  ['New York, fall-back day, 07:59 EST', NEW_YORK, US, '2026-11-01T12:59:00.000Z', false, '2026-11-01T13:00:00.000Z'],
  // London springs forward 2026-03-29 01:00 GMT -> 02:00 BST; the southern hemisphere: Sydney on 2026-10-04 02:00 -> 03:00.
  ['London, spring-forward day, 07:30 BST', LONDON, US, '2026-03-29T06:30:00.000Z', false, '2026-03-29T07:00:00.000Z'],
  ['London, the day after falling back, 07:30 GMT', LONDON, US, '2026-10-26T07:30:00.000Z', false, '2026-10-26T08:00:00.000Z'],
  ['Sydney, spring-forward day, 07:30 AEDT', SYDNEY, US, '2026-10-03T20:30:00.000Z', false, '2026-10-03T21:00:00.000Z'],
  ['Sydney, the day before, 07:30 AEST', SYDNEY, US, '2026-10-02T21:30:00.000Z', false, '2026-10-02T22:00:00.000Z'],
  // Weekday boundaries (Paris, CET in December): Monday to Friday, 09:00-17:00.
  ['Paris Friday 16:59', PARIS, BUSINESS, '2026-12-04T15:59:00.000Z', true, '2026-12-04T15:59:00.000Z'],
  ['Paris Friday 17:00 -> Monday 09:00', PARIS, BUSINESS, '2026-12-04T16:00:00.000Z', false, '2026-12-07T08:00:00.000Z'],
  ['Paris Saturday noon -> Monday 09:00', PARIS, BUSINESS, '2026-12-05T11:00:00.000Z', false, '2026-12-07T08:00:00.000Z'],
  ['Paris Sunday 23:59 -> Monday 09:00', PARIS, BUSINESS, '2026-12-06T22:59:00.000Z', false, '2026-12-07T08:00:00.000Z'],
  ['Paris Monday 08:59', PARIS, BUSINESS, '2026-12-07T07:59:00.000Z', false, '2026-12-07T08:00:00.000Z'],
  // A weekday that is Saturday in UTC but already Sunday in Sydney (UTC+11): the callee's weekday counts.
  ['Sydney Sunday 10:00 (Saturday in UTC), business hours -> Monday 09:00', SYDNEY, BUSINESS, '2026-12-05T23:00:00.000Z', false, '2026-12-06T22:00:00.000Z'],
  ['Sydney Monday 09:00 (Sunday in UTC)', SYDNEY, BUSINESS, '2026-12-06T22:00:00.000Z', true, '2026-12-06T22:00:00.000Z'],
];

describe('isAllowed and nextAllowedTime', () => {
  test.each(CASES)('%s', (_what, number, policy, now, allowed, next) => {
    expect(callingHoursPolicyProblems(policy)).toEqual([]);
    expect(isAllowed(number, policy, at(now))).toBe(allowed);
    expect(iso(nextAllowedTime(number, policy, at(now)))).toBe(next);
    // What nextAllowedTime gives is allowed (a Date works as well as epoch ms).
    if (next) expect(isAllowed(number, policy, new Date(next))).toBe(true);
  });

  test('a window that ends at midnight joins the next day\'s window from midnight (22:00-02:00 in two parts)', () => {
    // Monday 22:00-24:00 and Tuesday 00:00-02:00, New York, December (EST).
    const days: MinuteWindow[][] = [[], [[hm('22:00'), 1440]], [[0, hm('02:00')]], [], [], [], []];
    const policy: CallingHoursPolicy = { days, unknownZone: REFUSE };
    expect(iso(nextAllowedTime(NEW_YORK, policy, at('2026-11-30T20:00:00.000Z')))).toBe('2026-12-01T03:00:00.000Z');
    expect(isAllowed(NEW_YORK, policy, at('2026-12-01T04:59:59.999Z'))).toBe(true); // Monday 23:59:59.999
    expect(isAllowed(NEW_YORK, policy, at('2026-12-01T05:00:00.000Z'))).toBe(true); // Tuesday 00:00
    expect(isAllowed(NEW_YORK, policy, at('2026-12-01T07:00:00.000Z'))).toBe(false); // Tuesday 02:00
    expect(iso(nextAllowedTime(NEW_YORK, policy, at('2026-12-01T07:00:00.000Z')))).toBe('2026-12-08T03:00:00.000Z');
  });
});

describe('the verdict and its message text', () => {
  test('outside the window: when it opens, by which zones', () => {
    expect(callingHoursVerdict(NEW_YORK, US, at('2026-11-30T12:00:00.000Z'))).toEqual({
      allowed: false, opensAt: at('2026-11-30T13:00:00.000Z'), zones: ['America/New_York'], fallback: false,
    });
    expect(callingHoursVerdict(NEW_YORK, US, at('2026-11-30T13:00:00.000Z'))).toEqual({ allowed: true });
  });

  test('an unknown zone: refused for good, or judged by the fallback zone', () => {
    expect(callingHoursVerdict(NO_ZONE, US, at('2026-11-30T12:00:00.000Z'))).toEqual({ allowed: false, zones: [], fallback: true });
    expect(callingHoursVerdict(NO_ZONE, everyDay(['08:00-21:00'], { kind: 'zone', zone: 'Europe/Paris' }), at('2026-11-30T06:00:00.000Z')))
      .toEqual({ allowed: false, opensAt: at('2026-11-30T07:00:00.000Z'), zones: ['Europe/Paris'], fallback: true });
  });

  test('the local time names weekday, time and zone', () => {
    expect(localTimeText('America/New_York', at('2026-11-30T13:00:00.000Z'))).toBe('Mon 08:00 America/New_York');
    expect(localTimeText('Australia/Sydney', at('2026-12-06T22:00:00.000Z'))).toBe('Mon 09:00 Australia/Sydney');
  });
});

describe('nextAllowedTime agrees with isAllowed, minute by minute', () => {
  /** The first whole minute from `from` (inclusive) at which isAllowed says yes, scanning up to `limitMinutes`. */
  function scan(number: string, policy: CallingHoursPolicy, from: number, limitMinutes: number): number | undefined {
    for (let minute = 0; minute <= limitMinutes; minute++) {
      const t = from + minute * 60_000;
      if (isAllowed(number, policy, t)) return t;
    }
    return undefined;
  }

  // Around offset changes, with windows in and next to the changed hour, in zones that change in
  // spring, in autumn, by half an hour (Lord Howe) or not at all.
  const days: Array<[string, string, string[]]> = [
    ['New York spring forward', '2026-03-07T20:00:00.000Z', ['01:30-02:30', '03:00-03:10', '08:00-21:00']],
    ['New York fall back', '2026-10-31T20:00:00.000Z', ['00:50-01:20', '01:40-02:10', '08:00-21:00']],
    ['Lord Howe, a half-hour change', '2026-10-03T10:00:00.000Z', ['01:50-02:40', '08:00-21:00']],
  ];
  // Lord Howe Island has no prefix of its own: a number without a zone, judged by the fallback zone.
  const cases: Record<string, [string, UnknownZoneRule]> = {
    'New York spring forward': [NEW_YORK, REFUSE],
    'New York fall back': [NEW_YORK, REFUSE],
    'Lord Howe, a half-hour change': [NO_ZONE, { kind: 'zone', zone: 'Australia/Lord_Howe' }],
  };

  test.each(days)('%s', (name, start, windows) => {
    const [number, unknownZone] = cases[name];
    const policy = everyDay(windows, unknownZone);
    let compared = 0;
    for (let minute = 0; minute < 36 * 60; minute += 7) {
      const t = at(start) + minute * 60_000;
      expect([iso(t), iso(nextAllowedTime(number, policy, t))]).toEqual([iso(t), iso(scan(number, policy, t, 24 * 60))]);
      compared++;
    }
    expect(compared).toBeGreaterThan(300);
  });
});

describe('configuration: CALLING_HOURS and CALLING_HOURS_SYNC, checked at cold start', () => {
  const BASE = {
    [ENV.instanceId]: '11111111-2222-3333-4444-555555555555',
    [ENV.contactFlowId]: '66666666-7777-8888-9999-000000000000',
    [ENV.sourcePhoneNumber]: '+12065550100',
    [ENV.tableName]: 'ledger',
  };

  test('unset: no policy, nothing enforced', () => {
    const config = loadConfig(BASE);
    expect(config.callingHours).toBeUndefined();
    expect(config.callingHoursOnSyncRoute).toBe(false);
  });

  test('a policy: read, and enforced on the synchronous route unless CALLING_HOURS_SYNC says false', () => {
    const json = JSON.stringify(US);
    expect(loadConfig({ ...BASE, [ENV.callingHours]: json })).toMatchObject({ callingHours: US, callingHoursOnSyncRoute: true });
    expect(loadConfig({ ...BASE, [ENV.callingHours]: json, [ENV.callingHoursSync]: 'false' }))
      .toMatchObject({ callingHours: US, callingHoursOnSyncRoute: false });
  });

  test.each<[string, Record<string, string>, RegExp]>([
    ['not JSON', { [ENV.callingHours]: '{days' }, /CALLING_HOURS must be JSON/],
    ['six days', { [ENV.callingHours]: JSON.stringify({ ...US, days: US.days.slice(1) }) }, /"days" must be 7 lists/],
    ['a window past midnight', { [ENV.callingHours]: JSON.stringify(everyDay(['22:00-23:00'])).replace('[1320,1380]', '[1320,1500]') }, /not a \[start, end\] pair/],
    ['overlapping windows', { [ENV.callingHours]: JSON.stringify(everyDay(['08:00-12:00', '11:00-13:00'])) }, /overlapping/],
    ['no window at all', { [ENV.callingHours]: JSON.stringify(everyDay([])) }, /no window at all/],
    ['an unknown fallback zone', { [ENV.callingHours]: JSON.stringify(everyDay(['08:00-21:00'], { kind: 'zone', zone: 'Mars/Olympus' })) }, /"Mars\/Olympus", which this runtime does not know/],
    ['a bad unknown-zone rule', { [ENV.callingHours]: JSON.stringify({ ...US, unknownZone: { kind: 'maybe' } }) }, /"unknownZone" must be/],
    ['an unknown field', { [ENV.callingHours]: JSON.stringify({ ...US, holidays: [] }) }, /unknown fields holidays/],
    ['enforcement without a policy', { [ENV.callingHoursSync]: 'true' }, /CALLING_HOURS_SYNC is "true" but CALLING_HOURS is not set/],
    ['enforcement neither true nor false', { [ENV.callingHours]: JSON.stringify(US), [ENV.callingHoursSync]: 'yes' }, /CALLING_HOURS_SYNC must be "true" or "false"/],
  ])('%s fails at cold start, naming the variable', (_what, env, message) => {
    expect(() => loadConfig({ ...BASE, ...env })).toThrow(ConfigError);
    expect(() => loadConfig({ ...BASE, ...env })).toThrow(message);
  });
});

describe('property: nextAllowedTime is the first allowed minute, for random numbers, windows and instants', () => {
  // Every prefix of the shipped index: numbers with one zone and with several.
  const index = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'lambda', 'generated', 'phone-timezones.json'), 'utf8')) as {
    groups: Array<[number[], string]>;
  };
  const prefixes = index.groups.filter(([zones]) => zones.length <= 4).map(([, coded]) => {
    let previous = '';
    return (coded.match(/[a-z][0-9]*/g) ?? []).map((token) => (previous = previous.slice(0, token.charCodeAt(0) - 97) + token.slice(1)));
  }).flat();
  const SCAN_MINUTES = 3 * 24 * 60;

  const windowArb = fc.tuple(fc.integer({ min: 0, max: 1439 }), fc.integer({ min: 1, max: 600 }))
    .map(([start, length]): MinuteWindow => [start, Math.min(1440, start + length)]);
  const dayArb = fc.array(windowArb, { maxLength: 2 }).map((windows) => {
    // Sorted and joined where they overlap, as the construct would accept them.
    const sorted = [...windows].sort((a, b) => a[0] - b[0]);
    const joined: Array<[number, number]> = [];
    for (const [start, end] of sorted) {
      const last = joined[joined.length - 1];
      if (last && start <= last[1]) last[1] = Math.max(last[1], end);
      else joined.push([start, end]);
    }
    return joined as MinuteWindow[];
  });
  const policyArb = fc.array(dayArb, { minLength: 7, maxLength: 7 })
    .filter((days) => days.some((windows) => windows.length > 0))
    .map((days): CallingHoursPolicy => ({ days, unknownZone: REFUSE }));
  // Minutes of 2026 and 2027, so offset changes of both hemispheres come up.
  const instantArb = fc.integer({ min: 0, max: 2 * 365 * 24 * 60 }).map((minute) => at('2026-01-01T00:00:00.000Z') + minute * 60_000);

  test('for 60 random cases, against a minute-by-minute scan of up to 3 days', () => {
    fc.assert(fc.property(fc.constantFrom(...prefixes), policyArb, instantArb, (prefix, policy, now) => {
      const number = `+${prefix}`;
      const next = nextAllowedTime(number, policy, now);
      let scanned: number | undefined;
      for (let minute = 0; minute <= SCAN_MINUTES && scanned === undefined; minute++) {
        if (isAllowed(number, policy, now + minute * 60_000)) scanned = now + minute * 60_000;
      }
      if (scanned !== undefined) {
        expect(iso(next)).toBe(iso(scanned));
      } else if (next !== undefined) {
        expect(next).toBeGreaterThan(now + SCAN_MINUTES * 60_000);
        expect(isAllowed(number, policy, next)).toBe(true);
      }
    }), { numRuns: 60, seed: 15 });
  });
});
