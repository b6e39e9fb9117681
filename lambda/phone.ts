/**
 * Phone-number parsing for the request rules: E.164 syntax, validity, country
 * and number type (masking for logs and messages is in masking.ts).
 *
 * Bundle size (README, "Performance"): only the core functions of
 * libphonenumber-js are imported, with the metadata passed in explicitly: the
 * library's FULL ("max") metadata, because the toll-fraud guard asks for the
 * number type (PREMIUM_RATE, SHARED_COST), which the default "min" metadata
 * cannot answer; without what only formatting reads (phone-metadata.ts makes
 * lambda/generated/phone-metadata.json from the installed library at build
 * time). Nothing else of the library (no examples, no as-you-type formatter)
 * is loaded.
 */
import type { MetadataJson } from 'libphonenumber-js/core';
import { parsePhoneNumberFromString } from 'libphonenumber-js/core';
// esbuild inlines the metadata as a string (import attribute `type: 'text'`):
// V8 parses a large JSON string with JSON.parse faster than the same data as an
// object literal (measured: load CPU of the bundle -6%). ts-jest ignores the
// attribute and hands over the object. tsc (module node16) does not know the
// attribute (and the file exists only after `npx projen bundle`), hence the expect-error.
// @ts-expect-error TS2823: import attributes need module esnext/nodenext; esbuild applies it
import phoneMetadata from './generated/phone-metadata.json' with { type: 'text' };
import type { PackedPhoneMetadata } from './phone-metadata';
import { PATTERNS } from '../src/private/contract';

/**
 * The metadata as libphonenumber reads it, each numbering plan parsed from
 * its JSON string when the library first reads it (then kept): a getter per
 * country and per non-geographic calling code (phone-metadata.ts packs them).
 * The library only looks plans up by id and lists ids, which a getter answers
 * like the plain object.
 */
export function unpackPhoneMetadata(packed: PackedPhoneMetadata): MetadataJson {
  const lazily = (plans: Record<string, string>): Record<string, unknown> => {
    const table: Record<string, unknown> = {};
    for (const id of Object.keys(plans)) {
      Object.defineProperty(table, id, {
        enumerable: true,
        configurable: true,
        get(): unknown {
          const plan = JSON.parse(plans[id]) as unknown;
          Object.defineProperty(table, id, { value: plan, enumerable: true, configurable: false, writable: false });
          return plan;
        },
      });
    }
    return table;
  };
  return {
    version: packed.version,
    country_calling_codes: packed.country_calling_codes,
    countries: lazily(packed.countries),
    ...(packed.nonGeographic ? { nonGeographic: lazily(packed.nonGeographic) } : {}),
  } as unknown as MetadataJson;
}

/** The metadata, typed once (the package's own declaration is `MetadataJson`). */
const METADATA = unpackPhoneMetadata(
  (typeof phoneMetadata === 'string' ? JSON.parse(phoneMetadata) : phoneMetadata) as PackedPhoneMetadata);

/**
 * The pattern of the Amazon Connect API for phone numbers (E.164): a plus, a
 * country calling code that does not start with 0, at most 15 digits in all.
 * No spaces, dashes, brackets or extensions.
 */
export const E164_PATTERN = new RegExp(PATTERNS.e164);

/** A phone number that passed both the E.164 pattern and libphonenumber's validation. */
export interface ParsedPhoneNumber {
  /** The number in E.164 as libphonenumber formats it (e.g. a trunk `0` after `+44` removed). */
  readonly e164: string;
  /**
   * ISO 3166-1 alpha-2 country (upper case) the number belongs to; undefined
   * for non-geographic numbers such as +800 (international freephone).
   */
  readonly country?: string;
  /**
   * libphonenumber's number type (FIXED_LINE, MOBILE, FIXED_LINE_OR_MOBILE,
   * TOLL_FREE, PREMIUM_RATE, SHARED_COST, VOIP, PERSONAL_NUMBER, PAGER, UAN,
   * VOICEMAIL); undefined when the metadata does not say.
   */
  readonly type?: string;
}

/** True when `value` has the E.164 syntax of the API (it may still be an unassigned number). */
export function isE164(value: string): boolean {
  return E164_PATTERN.test(value);
}

/**
 * Parses a phone number given in E.164. Returns undefined unless the value
 * matches the API's E.164 pattern AND is a valid number for its country
 * according to the full libphonenumber metadata.
 */
export function parsePhoneNumber(value: string): ParsedPhoneNumber | undefined {
  if (!isE164(value)) {
    return undefined;
  }
  const phoneNumber = parsePhoneNumberFromString(value, METADATA);
  if (phoneNumber === undefined) return undefined;
  // One pass over the type patterns: with type patterns in the metadata, libphonenumber's isValid() is
  // "getType() found a type"; isValid() itself is asked only when no type matched (its other test, the
  // national-number pattern, is for plans without types).
  const type = phoneNumber.getType();
  if (type === undefined && !phoneNumber.isValid()) return undefined;
  return {
    e164: phoneNumber.number,
    country: phoneNumber.country,
    type,
  };
}
