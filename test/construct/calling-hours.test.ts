/**
 * OutboundCaller's callingHours prop: the presets and custom windows become
 * CALLING_HOURS (which the handler reads back to the same policy) and
 * CALLING_HOURS_SYNC; every malformed window, an unknown zone and conflicting
 * options fail at synth with prop, rule, value and fix; the handler may read
 * the ledger (a refused retry's replay) only when it needs to.
 */
import { Token } from 'aws-cdk-lib';
import { isAllowed } from '../../lambda/calling-hours';
import { loadConfig } from '../../lambda/config';
import { CallingHours, type CustomCallingHoursProps } from '../../src';
import type { CallingHoursPolicy } from '../../src/private/calling-hours-policy';
import { ENV } from '../../src/private/contract';
import { removeTestApps } from '../support/cdk-test-app';
import {
  actionsOf, build, environment, expectProblem, handlerStatements, propsError, type Built,
} from '../support/construct-template';

afterAll(removeTestApps);

function policyOf(built: Built): CallingHoursPolicy {
  return JSON.parse(environment(built.template)[ENV.callingHours] as string) as CallingHoursPolicy;
}

/** The handler's configuration from the environment the construct wrote (the table name, a Ref, made a string). */
function handlerConfig(built: Built): ReturnType<typeof loadConfig> {
  const env = Object.fromEntries(Object.entries(environment(built.template))
    .map(([name, value]) => [name, typeof value === 'string' ? value : 'ledger']));
  return loadConfig(env);
}

const HM = (h: number, m = 0): number => h * 60 + m;
const NONE: never[] = [];

describe('presets and custom windows become the handler\'s policy', () => {
  test.each<[string, CallingHours, number[][][]]>([
    ['usTelemarketing (47 CFR 64.1200(c)(1)): 08:00-21:00 every day', CallingHours.usTelemarketing(),
      Array.from({ length: 7 }, () => [[HM(8), HM(21)]])],
    ['franceTelemarketing (Code de la consommation D223-9): weekdays 10:00-13:00 and 14:00-20:00', CallingHours.franceTelemarketing(),
      [NONE, ...Array.from({ length: 5 }, () => [[HM(10), HM(13)], [HM(14), HM(20)]]), NONE]],
    ['businessHours: weekdays 09:00-17:00', CallingHours.businessHours(),
      [NONE, ...Array.from({ length: 5 }, () => [[HM(9), HM(17)]]), NONE]],
    ['custom: windows sorted, a window until midnight, empty days', CallingHours.custom({
      monday: ['13:00-17:30', '08:15-12:00'], saturday: ['22:00-24:00'], sunday: ['00:00-02:00'],
    }), [[[0, HM(2)]], [[HM(8, 15), HM(12)], [HM(13), HM(17, 30)]], NONE, NONE, NONE, NONE, [[HM(22), 1440]]]],
  ])('%s', (_name, callingHours, days) => {
    const built = build({ callingHours });
    const policy = policyOf(built);
    expect(policy).toEqual({ days, unknownZone: { kind: 'refuse' } });
    const config = handlerConfig(built);
    expect(config.callingHours).toEqual(policy);
    expect(config.callingHoursOnSyncRoute).toBe(true);
    expect(environment(built.template)[ENV.callingHoursSync]).toBe('true');
  });

  test('the windows as given are readable on the policy', () => {
    expect(CallingHours.franceTelemarketing().windows).toEqual({
      monday: ['10:00-13:00', '14:00-20:00'],
      tuesday: ['10:00-13:00', '14:00-20:00'],
      wednesday: ['10:00-13:00', '14:00-20:00'],
      thursday: ['10:00-13:00', '14:00-20:00'],
      friday: ['10:00-13:00', '14:00-20:00'],
    });
  });

  test('the preset the handler reads allows 20:59 and refuses 21:00 in New York', () => {
    const policy = handlerConfig(build({ callingHours: CallingHours.usTelemarketing() })).callingHours!;
    expect(isAllowed('+12125550123', policy, Date.parse('2026-12-01T01:59:00Z'))).toBe(true);
    expect(isAllowed('+12125550123', policy, Date.parse('2026-12-01T02:00:00Z'))).toBe(false);
  });

  test.each<[string, Partial<CustomCallingHoursProps>, CallingHoursPolicy['unknownZone']]>([
    ['refused by default', {}, { kind: 'refuse' }],
    ['a fallback zone', { fallbackTimeZone: 'Europe/London' }, { kind: 'zone', zone: 'Europe/London' }],
    ['allowed', { allowUnknownTimeZones: true }, { kind: 'allow' }],
  ])('numbers of unknown zone: %s', (_name, options, unknownZone) => {
    expect(policyOf(build({ callingHours: CallingHours.usTelemarketing(options) })).unknownZone).toEqual(unknownZone);
  });

  test('enforceOnSyncRoute: false leaves the synchronous route out', () => {
    const built = build({ callingHours: CallingHours.businessHours({ enforceOnSyncRoute: false }) });
    expect(environment(built.template)[ENV.callingHoursSync]).toBe('false');
    expect(handlerConfig(built).callingHoursOnSyncRoute).toBe(false);
  });

  test('without callingHours: no variables, calls at any time', () => {
    const env = environment(build().template);
    expect(env[ENV.callingHours]).toBeUndefined();
    expect(env[ENV.callingHoursSync]).toBeUndefined();
  });
});

describe('IAM: GetItem (a refused retry\'s replay) only when the synchronous route enforces the hours or call status reads', () => {
  const getItem = (built: Built): boolean => handlerStatements(built).some((statement) => actionsOf(statement).includes('dynamodb:GetItem'));

  test.each<[string, boolean, CallingHours | undefined, boolean]>([
    ['call status off, no calling hours', false, undefined, false],
    ['call status off, calling hours enforced on the route', false, CallingHours.usTelemarketing(), true],
    ['call status off, calling hours not on the route', false, CallingHours.usTelemarketing({ enforceOnSyncRoute: false }), false],
    ['call status on', true, undefined, true],
  ])('%s', (_name, callStatus, callingHours, expected) => {
    expect(getItem(build({ callStatus, callingHours }))).toBe(expected);
  });
});

describe('synth-time errors: prop, rule, value and fix', () => {
  test.each<[string, string, RegExp]>([
    ['8-21', '8-21', /must be written HH:MM-HH:MM/],
    ['08:00 - 21:00', '08:00 - 21:00', /must be written HH:MM-HH:MM/],
    ['24:00-24:00', '24:00-24:00', /starts at 24:00, which is not a time of day/],
    ['08:60-09:00', '08:60-09:00', /starts at 08:60, which is not a time of day/],
    ['08:00-24:30', '08:00-24:30', /ends at 24:30, which is not a time of day/],
    ['22:00-02:00 (crosses midnight)', '22:00-02:00', /cannot cross midnight: end it at 24:00 and continue at 00:00/],
    ['09:00-09:00 (empty)', '09:00-09:00', /ends at or before its start/],
  ])('a window %s', (_name, window, rule) => {
    expectProblem(propsError({ callingHours: CallingHours.custom({ tuesday: ['08:00-09:00', window] }) }), {
      prop: 'callingHours.tuesday[1]', rule, value: window, fix: /HH:MM-HH:MM in the callee's local time/,
    });
  });

  test('overlapping windows of one day', () => {
    expectProblem(propsError({ callingHours: CallingHours.custom({ friday: ['13:00-18:00', '08:00-13:30'] }) }), {
      prop: 'callingHours.friday', rule: /has overlapping windows/, value: ['08:00-13:30', '13:00-18:00'], fix: /Join them into one window/,
    });
  });

  test('no window on any day', () => {
    expectProblem(propsError({ callingHours: CallingHours.custom({ monday: [] }) }), {
      prop: 'callingHours', rule: /has no window on any day/, value: {}, fix: /Give at least one weekday a window/,
    });
  });

  test('an unknown fallback time zone', () => {
    expectProblem(propsError({ callingHours: CallingHours.usTelemarketing({ fallbackTimeZone: 'Europe/Londn' }) }), {
      prop: 'callingHours.fallbackTimeZone', rule: /must be an IANA time-zone name/, value: 'Europe/Londn', fix: /"Europe\/London"/,
    });
  });

  test('a fallback zone and allowUnknownTimeZones together', () => {
    expectProblem(propsError({ callingHours: CallingHours.usTelemarketing({ fallbackTimeZone: 'UTC', allowUnknownTimeZones: true }) }), {
      prop: 'callingHours.allowUnknownTimeZones', rule: /cannot be combined with fallbackTimeZone/, value: true, fix: /not both/,
    });
  });

  test('a window that is a token', () => {
    const token = Token.asString({ Ref: 'Hours' });
    const message = propsError({ callingHours: CallingHours.custom({ monday: [token] }) });
    expect(message).toMatch(/callingHours\.monday\[0\] must be a plain HH:MM-HH:MM string, not a token/);
  });

  test('every problem at once, with the other props\' problems', () => {
    const message = propsError({
      instanceId: 'nope',
      callingHours: CallingHours.custom({ monday: ['9-17'], sunday: ['25:00-26:00'], fallbackTimeZone: 'Nowhere/City' }),
    });
    expect(message).toMatch(/^OutboundCaller: 4 problem\(s\) in props:/);
    for (const prop of ['instanceId', 'callingHours.monday[0]', 'callingHours.sunday[0]', 'callingHours.fallbackTimeZone']) {
      expect(message).toContain(`  - ${prop} `);
    }
  });
});
