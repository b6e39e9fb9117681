/**
 * Calling hours (README, "Calling hours"): whether a number may be called now,
 * and when it may be called next, in the callee's local time. Pure: no I/O, the
 * time is an argument.
 *
 * - The callee's time zones come from the number's prefix (longest match in
 *   libphonenumber's timezone map, shipped offline: phone-timezones.ts).
 * - A number with several zones (a country or area code that spans them) may
 *   be called only when it is inside the calling hours in EVERY one of them:
 *   the intersection of their windows.
 * - A number with no zone gets the policy's `unknownZone` rule: a fallback
 *   zone, refuse, or allow.
 * - Local time is the runtime's time-zone database (Intl, full ICU in Node.js),
 *   so daylight-saving changes follow the zone's rules: a window that starts in
 *   the hour skipped in spring opens when the clock jumps; in the hour repeated
 *   in autumn, each instant is judged by the local time it shows.
 */
// esbuild inlines the index as a string (import attribute `type: 'text'`), parsed on first use only: a
// handler that never asks pays nothing at cold start. ts-jest ignores the attribute and hands over the
// object. tsc does not know the attribute (and the file exists only after `npx projen bundle`).
// @ts-expect-error TS2823: import attributes need module esnext/nodenext; esbuild applies it
import phoneTimezones from './generated/phone-timezones.json' with { type: 'text' };
import type { PhoneTimezoneIndex } from './phone-timezones';
import { CALLING_HOURS_HORIZON_DAYS, WEEKDAYS, type CallingHoursPolicy } from '../src/private/calling-hours-policy';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

let prefixIndex: { readonly zones: Map<string, readonly string[]>; readonly longest: number } | undefined;

/** The prefix → zones map, decoded from the shipped index on first use. */
function index(): { readonly zones: Map<string, readonly string[]>; readonly longest: number } {
  if (prefixIndex) return prefixIndex;
  const data = (typeof phoneTimezones === 'string' ? JSON.parse(phoneTimezones) : phoneTimezones) as PhoneTimezoneIndex;
  const zoneNames = decodeZoneNames(data.zones);
  const zones = new Map<string, readonly string[]>();
  let longest = 0;
  for (const [zoneIndexes, coded] of data.groups) {
    const names = Object.freeze(zoneIndexes.map((i) => zoneNames[i]));
    let previous = '';
    for (const token of coded.match(/[a-z][0-9]*/g) ?? []) {
      previous = previous.slice(0, token.charCodeAt(0) - 97) + token.slice(1);
      zones.set(previous, names);
      longest = Math.max(longest, previous.length);
    }
  }
  prefixIndex = { zones, longest };
  return prefixIndex;
}

/** The zone names of the index, in order: `Africa/Abidjan,Accra|America/Adak,…` → `Africa/Abidjan`, `Africa/Accra`, … */
export function decodeZoneNames(text: string): string[] {
  return text.split('|').flatMap((group) => {
    const slash = group.indexOf('/');
    const area = group.slice(0, slash + 1);
    return group.slice(slash + 1).split(',').map((location) => area + location);
  });
}

/**
 * The IANA time zones of an E.164 number by its longest known prefix, or an
 * empty list when no prefix of it is known.
 */
export function zonesOfNumber(e164: string): readonly string[] {
  const { zones, longest } = index();
  const digits = e164.startsWith('+') ? e164.slice(1) : e164;
  for (let length = Math.min(longest, digits.length); length > 0; length--) {
    const found = zones.get(digits.slice(0, length));
    if (found) return found;
  }
  return [];
}

/** The zones the policy judges a number by: its own, else the fallback; or the unknown-zone rule's verdict. */
export type ZoneResolution =
  | { readonly kind: 'zones'; readonly zones: readonly string[]; readonly fallback: boolean }
  | { readonly kind: 'refuse' }
  | { readonly kind: 'allow' };

export function resolveZones(e164: string, policy: CallingHoursPolicy): ZoneResolution {
  const zones = zonesOfNumber(e164);
  if (zones.length > 0) return { kind: 'zones', zones, fallback: false };
  const rule = policy.unknownZone;
  return rule.kind === 'zone' ? { kind: 'zones', zones: [rule.zone], fallback: true } : rule;
}

/** Whether `e164` may be called at `now` (epoch ms or Date). */
export function isAllowed(e164: string, policy: CallingHoursPolicy, now: number | Date): boolean {
  const resolution = resolveZones(e164, policy);
  if (resolution.kind !== 'zones') return resolution.kind === 'allow';
  return allowedIn(resolution.zones, policy, +now);
}

/**
 * The first instant at or after `now` at which `e164` may be called (epoch ms;
 * `now` itself when it may be called now), or undefined when it never may: the
 * unknown-zone rule refuses it, or its zones share no allowed minute within
 * the next CALLING_HOURS_HORIZON_DAYS days.
 */
export function nextAllowedTime(e164: string, policy: CallingHoursPolicy, now: number | Date): number | undefined {
  const resolution = resolveZones(e164, policy);
  if (resolution.kind !== 'zones') return resolution.kind === 'allow' ? +now : undefined;
  return nextAllowedIn(resolution.zones, policy, +now);
}

/** The answer the synchronous route and the dispatcher act on. */
export type CallingHoursVerdict =
  | { readonly allowed: true }
  | {
    readonly allowed: false;
    /** When the window opens (epoch ms), or undefined: never (within the horizon, or the unknown-zone rule refuses). */
    readonly opensAt?: number;
    /** The zones the number was judged by (empty when the unknown-zone rule refused it). */
    readonly zones: readonly string[];
    /** Whether those zones are the policy's fallback (the number's own are not known). */
    readonly fallback: boolean;
  };

/** Whether `e164` may be called at `now`, and if not, when and by which zones. */
export function callingHoursVerdict(e164: string, policy: CallingHoursPolicy, now: number | Date): CallingHoursVerdict {
  const resolution = resolveZones(e164, policy);
  if (resolution.kind === 'allow') return { allowed: true };
  if (resolution.kind === 'refuse') return { allowed: false, zones: [], fallback: true };
  const nowMs = +now;
  if (allowedIn(resolution.zones, policy, nowMs)) return { allowed: true };
  const opensAt = nextAllowedIn(resolution.zones, policy, nowMs);
  return { allowed: false, ...(opensAt !== undefined ? { opensAt } : {}), zones: resolution.zones, fallback: resolution.fallback };
}

/**
 * A local time as people read it, e.g. `Mon 08:00 America/New_York`, for
 * messages: names the zone and the time, never the number.
 */
export function localTimeText(zone: string, at: number): string {
  const wall = new Date(wallClock(zone, at));
  const day = WEEKDAYS[wall.getUTCDay()];
  const time = `${String(wall.getUTCHours()).padStart(2, '0')}:${String(wall.getUTCMinutes()).padStart(2, '0')}`;
  return `${day[0].toUpperCase()}${day.slice(1, 3)} ${time} ${zone}`;
}

/** Zones named in a refusal's message, at most. */
const ZONES_IN_MESSAGE = 3;

/**
 * The message and Retry-After (whole seconds, rounded up) of a refusal: when
 * the window opens, in UTC and in the callee's local time, naming zones, never
 * the number.
 */
export function refusalOf(
  verdict: Extract<CallingHoursVerdict, { allowed: false }>, nowMs: number,
): { message: string; retryAfterSeconds?: number } {
  if (verdict.zones.length === 0) {
    return {
      message: 'The time zone of this number is not known, and the calling hours refuse such numbers: '
        + 'it cannot be called while they apply.',
    };
  }
  const shown = verdict.zones.slice(0, ZONES_IN_MESSAGE);
  const more = verdict.zones.length - shown.length;
  const zonesText = `${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
  const judgedBy = verdict.fallback
    ? `the fallback time zone ${zonesText} (the number's own is not known)`
    : `the number's time zone${verdict.zones.length > 1 ? 's' : ''} ${zonesText}`;
  if (verdict.opensAt === undefined) {
    return {
      message: `The callee's local time is outside the calling hours, judged by ${judgedBy}, `
        + `and they share no allowed time in the next ${CALLING_HOURS_HORIZON_DAYS} days.`,
    };
  }
  const local = shown.map((zone) => localTimeText(zone, verdict.opensAt!)).join(', ');
  return {
    message: `The callee's local time is outside the calling hours, judged by ${judgedBy}. `
      + `Calls to this number may be placed from ${new Date(verdict.opensAt).toISOString()} (${local}); `
      + 'retry after the indicated time.',
    retryAfterSeconds: Math.max(1, Math.ceil((verdict.opensAt - nowMs) / 1000)),
  };
}

// ---- Local time -------------------------------------------------------------------------------------

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The local date and time at instant `at` in `zone`, written as if it were UTC (epoch ms, whole seconds). */
export function wallClock(zone: string, at: number): number {
  let format = formatters.get(zone);
  if (!format) {
    const numeric = 'numeric';
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: numeric, month: numeric, day: numeric, hour: numeric, minute: numeric, second: numeric });
    formatters.set(zone, format);
  }
  const part: Record<string, number> = {};
  for (const { type, value } of format.formatToParts(at)) if (type !== 'literal') part[type] = Number(value);
  return Date.UTC(part.year, part.month - 1, part.day, part.hour, part.minute, part.second);
}

/** The zone's offset from UTC at instant `at` (ms). */
function offsetAt(zone: string, at: number): number {
  return wallClock(zone, at) - Math.floor(at / 1000) * 1000;
}

/**
 * The offsets of `zone` around the local day that starts at `day` (its midnight
 * written as if UTC): one offset, or the offsets before and after the instant
 * the zone changes them. Zones change offset at most twice a year, so the three
 * days around one local day hold at most one change.
 */
function offsetsAround(zone: string, day: number): { before: number; after: number; change: number } {
  const low = day - DAY_MS;
  const high = day + 2 * DAY_MS;
  const before = offsetAt(zone, low);
  const after = offsetAt(zone, high);
  if (before === after) return { before, after, change: Infinity };
  // The instant of the change, to the minute (changes happen on whole minutes).
  let lo = low;
  let hi = high;
  while (hi - lo > MINUTE_MS) {
    const middle = lo + Math.floor((hi - lo) / 2 / MINUTE_MS) * MINUTE_MS;
    if (offsetAt(zone, middle) === before) lo = middle;
    else hi = middle;
  }
  return { before, after, change: hi };
}

// ---- Windows ----------------------------------------------------------------------------------------

/** Whether the local time in every zone is inside a window of its local weekday. */
function allowedIn(zones: readonly string[], policy: CallingHoursPolicy, at: number): boolean {
  return zones.every((zone) => {
    const wall = wallClock(zone, at);
    const minute = Math.floor((((wall % DAY_MS) + DAY_MS) % DAY_MS) / MINUTE_MS);
    return policy.days[new Date(wall).getUTCDay()].some(([start, end]) => start <= minute && minute < end);
  });
}

type Interval = readonly [start: number, end: number];

/**
 * The instants (epoch ms) when `zone`'s local time is inside a window, from the
 * local day before `from` for `days` days after it, sorted and joined. Exact
 * across offset changes: the instants whose local time is in [start, end) are
 * [start, end) minus the offset before the change, up to the change, and minus
 * the offset after it, from the change on. So a window in the hour skipped in
 * spring opens at the jump, and one in the hour repeated in autumn is open
 * twice.
 */
function zoneIntervals(zone: string, policy: CallingHoursPolicy, from: number, days: number): Interval[] {
  const today = Math.floor(wallClock(zone, from) / DAY_MS) * DAY_MS;
  const pieces: Array<[number, number]> = [];
  for (let day = today - DAY_MS; day <= today + days * DAY_MS; day += DAY_MS) {
    const windows = policy.days[new Date(day).getUTCDay()];
    if (windows.length === 0) continue;
    const { before, after, change } = offsetsAround(zone, day);
    for (const [start, end] of windows) {
      const first: [number, number] = [day + start * MINUTE_MS - before, Math.min(day + end * MINUTE_MS - before, change)];
      if (first[0] < first[1]) pieces.push(first);
      if (change === Infinity) continue;
      const second: [number, number] = [Math.max(day + start * MINUTE_MS - after, change), day + end * MINUTE_MS - after];
      if (second[0] < second[1]) pieces.push(second);
    }
  }
  pieces.sort((a, b) => a[0] - b[0]);
  const joined: Array<[number, number]> = [];
  for (const piece of pieces) {
    const last = joined[joined.length - 1];
    if (last && piece[0] <= last[1]) last[1] = Math.max(last[1], piece[1]);
    else joined.push(piece);
  }
  return joined;
}

function intersect(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const start = Math.max(a[i][0], b[j][0]);
    const end = Math.min(a[i][1], b[j][1]);
    if (start < end) out.push([start, end]);
    if (a[i][1] < b[j][1]) i++;
    else j++;
  }
  return out;
}

/** Looks two days ahead first (the usual case), then the whole horizon. */
const SEARCH_DAYS = [2, CALLING_HOURS_HORIZON_DAYS];

function nextAllowedIn(zones: readonly string[], policy: CallingHoursPolicy, now: number): number | undefined {
  if (allowedIn(zones, policy, now)) return now;
  for (const days of SEARCH_DAYS) {
    let common: Interval[] | undefined;
    for (const zone of zones) {
      const intervals = zoneIntervals(zone, policy, now, days);
      common = common ? intersect(common, intervals) : intervals;
      if (common.length === 0) break;
    }
    const next = (common ?? []).find(([, end]) => end > now);
    if (next) return Math.max(next[0], now);
  }
  return undefined;
}
