import { Token } from 'aws-cdk-lib';
import {
  formatWindow, isKnownTimeZone, parseWindowText, WEEKDAYS, type CallingHoursPolicy, type MinuteWindow, type UnknownZoneRule,
} from './private/calling-hours-policy';
import type { PropsProblems } from './private/props-validation';

/** Options every calling-hours policy takes. */
export interface CallingHoursOptions {
  /**
   * The IANA time zone (e.g. `Europe/London`) a destination number is judged
   * by when its own zone is not known: no prefix of it is in the shipped
   * time-zone data (international freephone `+800`, satellite and other
   * non-geographic numbers). Cannot be combined with `allowUnknownTimeZones`.
   *
   * @default - such numbers are not called while the policy applies (403 OUTSIDE_CALLING_HOURS without Retry-After)
   */
  readonly fallbackTimeZone?: string;

  /**
   * Call numbers whose time zone is not known at any time, instead of
   * refusing them. Cannot be combined with `fallbackTimeZone`.
   *
   * @default false
   */
  readonly allowUnknownTimeZones?: boolean;

  /**
   * Whether the synchronous route (`PUT /contact/outbound-voice`) refuses a
   * call outside the calling hours (403 `OUTSIDE_CALLING_HOURS`, with
   * `Retry-After` until the window opens). Queued (batch) calls always wait
   * for their window. Set to false when the synchronous route places calls
   * the callee asked for (a verification code, a call back).
   *
   * @default true - a policy you set applies to every call unless you say otherwise
   */
  readonly enforceOnSyncRoute?: boolean;
}

/**
 * Allowed windows of each weekday in the callee's local time, each written
 * `HH:MM-HH:MM` (24-hour clock; the end is excluded and may be `24:00`). A
 * window cannot cross midnight: write 22:00-02:00 as `22:00-24:00` on one day
 * and `00:00-02:00` on the next; the two join.
 */
export interface CustomCallingHoursProps extends CallingHoursOptions {
  /**
   * Windows on Mondays, e.g. `['09:00-12:00', '13:00-17:00']`.
   *
   * @default - no calls on Mondays
   */
  readonly monday?: string[];
  /**
   * Windows on Tuesdays.
   *
   * @default - no calls on Tuesdays
   */
  readonly tuesday?: string[];
  /**
   * Windows on Wednesdays.
   *
   * @default - no calls on Wednesdays
   */
  readonly wednesday?: string[];
  /**
   * Windows on Thursdays.
   *
   * @default - no calls on Thursdays
   */
  readonly thursday?: string[];
  /**
   * Windows on Fridays.
   *
   * @default - no calls on Fridays
   */
  readonly friday?: string[];
  /**
   * Windows on Saturdays.
   *
   * @default - no calls on Saturdays
   */
  readonly saturday?: string[];
  /**
   * Windows on Sundays.
   *
   * @default - no calls on Sundays
   */
  readonly sunday?: string[];
}

/**
 * When calls may be placed, in the callee's local time (README, "Calling
 * hours"). The callee's time zone comes from the destination number's prefix
 * (libphonenumber's time-zone data, shipped with the handler); a number that
 * spans several zones may be called only when every one of them is inside the
 * window. Public holidays are not modelled.
 */
export class CallingHours {
  /**
   * 08:00-21:00 every day: the US rule for telephone solicitations, "before
   * the hour of 8 a.m. or after 9 p.m. (local time at the called party's
   * location)" is forbidden (47 CFR 64.1200(c)(1)). Some US states are stricter.
   */
  public static usTelemarketing(options: CallingHoursOptions = {}): CallingHours {
    const every = ['08:00-21:00'];
    return CallingHours.custom({
      ...options, monday: every, tuesday: every, wednesday: every, thursday: every, friday: every, saturday: every, sunday: every,
    });
  }

  /**
   * Monday to Friday, 10:00-13:00 and 14:00-20:00: the French rule for
   * commercial calls to consumers (Code de la consommation, article D223-9,
   * décret n° 2022-1313). That rule also excludes public holidays, which this
   * policy does not know.
   */
  public static franceTelemarketing(options: CallingHoursOptions = {}): CallingHours {
    const day = ['10:00-13:00', '14:00-20:00'];
    return CallingHours.custom({ ...options, monday: day, tuesday: day, wednesday: day, thursday: day, friday: day });
  }

  /** Monday to Friday, 09:00-17:00: generic office hours, not a legal rule. */
  public static businessHours(options: CallingHoursOptions = {}): CallingHours {
    const day = ['09:00-17:00'];
    return CallingHours.custom({ ...options, monday: day, tuesday: day, wednesday: day, thursday: day, friday: day });
  }

  /** Windows of your own for each weekday; a day without windows has no calls. */
  public static custom(props: CustomCallingHoursProps): CallingHours {
    return new CallingHours(props);
  }

  /** Whether the synchronous route refuses calls outside the calling hours. */
  public readonly enforceOnSyncRoute: boolean;

  private constructor(private readonly props: CustomCallingHoursProps) {
    this.enforceOnSyncRoute = props.enforceOnSyncRoute ?? true;
  }

  /**
   * The windows of each weekday as given, e.g. `{ monday: ['08:00-21:00'], … }`
   * (days without windows left out).
   */
  public get windows(): { [day: string]: string[] } {
    const out: { [day: string]: string[] } = {};
    for (const day of WEEKDAYS) {
      const windows = this.props[day];
      if (windows && windows.length > 0) out[day] = [...windows];
    }
    return out;
  }

  /**
   * The policy the handlers read (CALLING_HOURS), after checking every window
   * and the fallback zone; problems go to `problems` under `prop`.
   *
   * @internal
   */
  public _resolve(prop: string, problems: PropsProblems): CallingHoursPolicy {
    const days: MinuteWindow[][] = WEEKDAYS.map((day) => {
      const parsed: MinuteWindow[] = [];
      (this.props[day] ?? []).forEach((text, i) => {
        if (Token.isUnresolved(text)) {
          problems.add(`${prop}.${day}[${i}]`, 'must be a plain HH:MM-HH:MM string, not a token (the handler reads it at cold start)', text,
            'Write the window in the code, e.g. "08:00-21:00".');
          return;
        }
        const window = parseWindowText(text);
        if (typeof window === 'string') {
          problems.add(`${prop}.${day}[${i}]`, window, text, 'Write it as HH:MM-HH:MM in the callee\'s local time, e.g. "08:00-21:00".');
        } else {
          parsed.push(window);
        }
      });
      parsed.sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < parsed.length; i++) {
        if (parsed[i][0] < parsed[i - 1][1]) {
          problems.add(`${prop}.${day}`, 'has overlapping windows', [formatWindow(parsed[i - 1]), formatWindow(parsed[i])],
            'Join them into one window, or end the first before the second starts.');
        }
      }
      return parsed;
    });
    const given = WEEKDAYS.flatMap((day) => this.props[day] ?? []);
    if (given.length === 0) {
      problems.add(prop, 'has no window on any day: no call could ever be placed', {},
        'Give at least one weekday a window, e.g. CallingHours.custom({ monday: [\'09:00-17:00\'] }), or leave callingHours out.');
    }
    const { fallbackTimeZone: zone, allowUnknownTimeZones } = this.props;
    let unknownZone: UnknownZoneRule = allowUnknownTimeZones ? { kind: 'allow' } : { kind: 'refuse' };
    if (zone !== undefined) {
      if (allowUnknownTimeZones) {
        problems.add(`${prop}.allowUnknownTimeZones`, 'cannot be combined with fallbackTimeZone', true,
          'Either judge numbers of unknown zone by fallbackTimeZone, or call them at any time (allowUnknownTimeZones), not both.');
      }
      if (Token.isUnresolved(zone) || !isKnownTimeZone(zone)) {
        problems.add(`${prop}.fallbackTimeZone`, 'must be an IANA time-zone name', zone,
          'Use a name such as "America/New_York" or "Europe/London" (Intl.supportedValuesOf(\'timeZone\') lists them).');
      } else {
        unknownZone = { kind: 'zone', zone };
      }
    }
    return { days, unknownZone };
  }
}
