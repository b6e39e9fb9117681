/**
 * The calling-hours policy as the construct writes it (environment variable
 * CALLING_HOURS, JSON) and the handlers read it: allowed windows per weekday in
 * the callee's local time, and what to do for a number whose time zone is not
 * known. README, "Calling hours".
 *
 * Plain code, no aws-cdk-lib or SDK imports: jsii compiles this file with the
 * construct, and esbuild inlines it into the handler bundles (like contract.ts).
 */

/** The days of a week in the order of `Date#getUTCDay()`: index 0 is Sunday. */
export const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
export type Weekday = typeof WEEKDAYS[number];

/** Minutes in a day: the end of a window that lasts until midnight. */
export const MINUTES_PER_DAY = 1440;

/**
 * How far ahead `nextAllowedTime` looks for an opening (days). A number whose
 * zones share no allowed minute within it is treated as never allowed.
 */
export const CALLING_HOURS_HORIZON_DAYS = 14;

/**
 * An allowed window of one day in local time: minutes after midnight, start
 * included, end excluded (1440 = until midnight). A window never crosses
 * midnight: 22:00-02:00 is written as 22:00-24:00 on one day and 00:00-02:00 on
 * the next, and the two join.
 */
export type MinuteWindow = readonly [start: number, end: number];

/** What a number whose time zone is not known gets. */
export type UnknownZoneRule =
  /** Use this IANA time zone. */
  | { readonly kind: 'zone'; readonly zone: string }
  /** Never call it (while the policy applies). */
  | { readonly kind: 'refuse' }
  /** Call it at any time. */
  | { readonly kind: 'allow' };

/** The resolved policy: the value of CALLING_HOURS. */
export interface CallingHoursPolicy {
  /** Seven lists of windows, Sunday first (`WEEKDAYS`); sorted, not overlapping, possibly empty. */
  readonly days: readonly (readonly MinuteWindow[])[];
  /** For a number whose time zone is not known. */
  readonly unknownZone: UnknownZoneRule;
}

const WINDOW_TEXT = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/;

/**
 * Reads a window written `HH:MM-HH:MM` (24-hour clock, end after start, `24:00`
 * allowed as an end). Returns the window, or why it is not one.
 */
export function parseWindowText(text: string): MinuteWindow | string {
  const match = WINDOW_TEXT.exec(text);
  if (!match) return 'must be written HH:MM-HH:MM (24-hour clock, e.g. 08:00-21:00)';
  const [h1, m1, h2, m2] = match.slice(1).map(Number);
  if (h1 > 23 || m1 > 59) return `starts at ${match[1]}:${match[2]}, which is not a time of day (00:00 to 23:59)`;
  if (h2 > 24 || m2 > 59 || (h2 === 24 && m2 !== 0)) {
    return `ends at ${match[3]}:${match[4]}, which is not a time of day (00:01 to 24:00)`;
  }
  const start = h1 * 60 + m1;
  const end = h2 * 60 + m2;
  if (end <= start) {
    return 'ends at or before its start; a window cannot cross midnight: end it at 24:00 and continue at 00:00 on the next day';
  }
  return [start, end];
}

/** `HH:MM` of a minute of the day (1440 is `24:00`). */
export function formatMinute(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}

/** `HH:MM-HH:MM` of a window. */
export function formatWindow(window: MinuteWindow): string {
  return `${formatMinute(window[0])}-${formatMinute(window[1])}`;
}

/** Whether the runtime's time-zone database knows `zone` (an IANA name such as `America/New_York`). */
export function isKnownTimeZone(zone: string): boolean {
  if (typeof zone !== 'string' || zone.length === 0) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Every problem of a policy read from JSON (the handler's cold-start check):
 * its shape, each window in range and in order, the zone known, at least one
 * window in the week.
 */
export function callingHoursPolicyProblems(value: unknown): string[] {
  const problems: string[] = [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['must be a JSON object with "days" and "unknownZone"'];
  const policy = value as Record<string, unknown>;
  const extra = Object.keys(policy).filter((key) => key !== 'days' && key !== 'unknownZone');
  if (extra.length > 0) problems.push(`has unknown fields ${extra.join(', ')}`);
  const days = policy.days;
  if (!Array.isArray(days) || days.length !== WEEKDAYS.length) {
    problems.push('"days" must be 7 lists of windows, Sunday first');
  } else {
    days.forEach((windows: unknown, day) => {
      const name = WEEKDAYS[day];
      if (!Array.isArray(windows)) {
        problems.push(`"days" of ${name} must be a list of [start, end] minute pairs`);
        return;
      }
      let previousEnd = -1;
      for (const window of windows as unknown[]) {
        const ok = Array.isArray(window) && window.length === 2 && window.every((m) => Number.isInteger(m))
          && window[0] >= 0 && window[0] < window[1] && window[1] <= MINUTES_PER_DAY;
        if (!ok) {
          problems.push(`"days" of ${name} has ${JSON.stringify(window)}, not a [start, end] pair of minutes with 0 <= start < end <= 1440`);
        } else if (window[0] < previousEnd) {
          problems.push(`"days" of ${name} has windows out of order or overlapping at ${JSON.stringify(window)}`);
        }
        if (ok) previousEnd = window[1];
      }
    });
    if (problems.length === 0 && days.every((windows: unknown[]) => windows.length === 0)) {
      problems.push('"days" has no window at all: no call could ever be placed');
    }
  }
  const unknownZone = policy.unknownZone as Record<string, unknown> | undefined;
  const kind = unknownZone?.kind;
  if (kind === 'zone') {
    if (!isKnownTimeZone(unknownZone!.zone as string)) {
      problems.push(`"unknownZone" names the time zone ${JSON.stringify(unknownZone!.zone)}, which this runtime does not know`);
    }
  } else if (kind !== 'refuse' && kind !== 'allow') {
    problems.push('"unknownZone" must be {"kind":"zone","zone":"<IANA name>"}, {"kind":"refuse"} or {"kind":"allow"}');
  }
  return problems;
}
