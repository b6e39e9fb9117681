/**
 * The phone-number metadata the handler ships: libphonenumber-js's full
 * ("max") metadata without what only formatting reads (README,
 * "Performance"). Validity, country and number type (the toll-fraud guard's
 * PREMIUM_RATE and SHARED_COST) read the rest, which is kept as it is.
 *
 * Generated at build time (`npx projen bundle` runs this file) into
 * lambda/generated/phone-metadata.json, from the installed library: an
 * upgrade of the library regenerates it, and test/lambda/phone-metadata.test.ts
 * checks that it answers like the full metadata for every calling code.
 *
 * Packed: each numbering plan is kept as a JSON string of its own, which the
 * handler parses on first use (phone.ts, `unpackPhoneMetadata`). A handler
 * that checks numbers of a few countries parses those few plans (about 1 KB
 * each) instead of all of them (about 100 KB, 1 ms of CPU and 330 KB of heap
 * at every cold start).
 *
 *   ts-node lambda/phone-metadata.ts <out.json>
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** libphonenumber-js metadata, as far as this module needs to know it. */
export interface PhoneMetadata {
  readonly version: number;
  readonly country_calling_codes: Record<string, string[]>;
  readonly countries: Record<string, unknown[]>;
  readonly nonGeographic?: Record<string, unknown[]>;
}

/**
 * Positions in a numbering plan (metadata version 4) that only formatting
 * reads: the formats, the national-prefix formatting rule, and whether the
 * national prefix is optional when formatting (libphonenumber-js
 * source/metadata.js: `_getFormats`, `_getNationalPrefixFormattingRule`,
 * `_getNationalPrefixIsOptionalWhenFormatting`).
 */
export const FORMATTING_ONLY = [4, 6, 9] as const;

/** The metadata with each numbering plan as a JSON string (lambda/generated/phone-metadata.json). */
export interface PackedPhoneMetadata {
  readonly version: number;
  readonly country_calling_codes: Record<string, string[]>;
  readonly countries: Record<string, string>;
  readonly nonGeographic?: Record<string, string>;
}

/** Each numbering plan as a JSON string of its own, parsed when first used (phone.ts). */
export function packPhoneMetadata(metadata: PhoneMetadata): PackedPhoneMetadata {
  const pack = (plans: Record<string, unknown[]>): Record<string, string> =>
    Object.fromEntries(Object.entries(plans).map(([id, plan]) => [id, JSON.stringify(plan)]));
  return {
    version: metadata.version,
    country_calling_codes: metadata.country_calling_codes,
    countries: pack(metadata.countries),
    ...(metadata.nonGeographic ? { nonGeographic: pack(metadata.nonGeographic) } : {}),
  };
}

/** The full metadata without the formatting-only positions (0 is the library's "absent"). */
export function reducePhoneMetadata(full: PhoneMetadata): PhoneMetadata {
  if (full.version !== 4) {
    throw new Error(`phone-metadata: libphonenumber-js metadata version ${full.version} is not the known version 4; `
      + 'check the positions in FORMATTING_ONLY against the library\'s source/metadata.js, then update this check');
  }
  const reduce = (plans: Record<string, unknown[]>): Record<string, unknown[]> =>
    Object.fromEntries(Object.entries(plans).map(([id, plan]) => {
      const copy = [...plan];
      for (const position of FORMATTING_ONLY) if (position < copy.length) copy[position] = 0;
      // Trailing "absent" entries are dropped, as the library's own generator does.
      while (copy.length > 0 && copy[copy.length - 1] === 0) copy.pop();
      return [id, copy];
    }));
  return {
    version: full.version,
    country_calling_codes: full.country_calling_codes,
    countries: reduce(full.countries),
    ...(full.nonGeographic ? { nonGeographic: reduce(full.nonGeographic) } : {}),
  };
}

if (require.main === module) {
  const out = process.argv[2];
  if (!out) throw new Error('usage: ts-node lambda/phone-metadata.ts <out.json>');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const full = require('libphonenumber-js/metadata.max.json') as PhoneMetadata;
  fs.mkdirSync(path.dirname(out), { recursive: true });
  // Written beside, then renamed: a build running at the same time never reads half a file.
  fs.writeFileSync(`${out}.next`, JSON.stringify(packPhoneMetadata(reducePhoneMetadata(full))));
  fs.renameSync(`${out}.next`, out);
}
