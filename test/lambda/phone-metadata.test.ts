/**
 * The shipped phone-number metadata (lambda/generated/phone-metadata.json,
 * made at build time by lambda/phone-metadata.ts) against the library's full
 * metadata: generated from the installed library, different only where
 * formatting reads, and answering the same (valid, E.164, country, number
 * type) for numbers of every calling code. A library upgrade that moved a
 * field would fail here instead of silently changing the toll-fraud guard.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parsePhoneNumberFromString, type MetadataJson } from 'libphonenumber-js/core';
import examples from 'libphonenumber-js/examples.mobile.json';
import full from 'libphonenumber-js/metadata.max.json';
import { isE164, parsePhoneNumber, unpackPhoneMetadata } from '../../lambda/phone';
import {
  FORMATTING_ONLY, packPhoneMetadata, reducePhoneMetadata, type PackedPhoneMetadata, type PhoneMetadata,
} from '../../lambda/phone-metadata';

const GENERATED = path.join(__dirname, '..', '..', 'lambda', 'generated', 'phone-metadata.json');
const fullMetadata = full as unknown as PhoneMetadata;
const packed = JSON.parse(fs.readFileSync(GENERATED, 'utf8')) as PackedPhoneMetadata;
const parsePlans = (plans: Record<string, string>): Record<string, unknown[]> =>
  Object.fromEntries(Object.entries(plans).map(([id, plan]) => [id, JSON.parse(plan) as unknown[]]));
/** The shipped metadata with every plan parsed. */
const shipped: PhoneMetadata = {
  version: packed.version,
  country_calling_codes: packed.country_calling_codes,
  countries: parsePlans(packed.countries),
  ...(packed.nonGeographic ? { nonGeographic: parsePlans(packed.nonGeographic) } : {}),
};
/** The shipped metadata as the handler reads it: each plan parsed on first use. */
const shippedLazily = unpackPhoneMetadata(packed);

test('the shipped file is what the installed library generates (run `npx projen bundle` after an upgrade)', () => {
  expect(packed).toEqual(packPhoneMetadata(reducePhoneMetadata(fullMetadata)));
});

test('the handler parses a numbering plan only when the library first reads it, then keeps it', () => {
  const metadata = unpackPhoneMetadata(packed) as unknown as { countries: Record<string, unknown> };
  const parsed = (id: string): boolean => 'value' in Object.getOwnPropertyDescriptor(metadata.countries, id)!;
  expect(Object.keys(metadata.countries)).toEqual(Object.keys(packed.countries));
  expect(Object.keys(metadata.countries).filter(parsed)).toEqual([]);
  const number = parsePhoneNumberFromString('+442079460018', metadata as unknown as MetadataJson);
  expect(number?.country).toBe('GB');
  expect(parsed('GB')).toBe(true);
  expect(metadata.countries.GB).toBe(metadata.countries.GB);
  expect(metadata.countries.GB).toEqual(shipped.countries.GB);
  // Only the plans of calling code 44 (and none of the other calling codes') were read.
  const read = Object.keys(metadata.countries).filter(parsed);
  expect(read.every((id) => packed.country_calling_codes['44'].includes(id))).toBe(true);
});

test('it differs from the full metadata only in the formatting-only positions, and is smaller', () => {
  const at = (plan: unknown[] | undefined, i: number): unknown => plan?.[i] ?? 0;
  for (const kind of ['countries', 'nonGeographic'] as const) {
    const fullPlans = fullMetadata[kind]!;
    const reduced = shipped[kind]!;
    expect(Object.keys(reduced).sort()).toEqual(Object.keys(fullPlans).sort());
    for (const [id, plan] of Object.entries(fullPlans)) {
      for (let i = 0; i < plan.length; i++) {
        if ((FORMATTING_ONLY as readonly number[]).includes(i)) expect(at(reduced[id], i)).toBe(0);
        else expect([id, i, at(reduced[id], i)]).toEqual([id, i, at(plan, i)]);
      }
    }
  }
  expect(shipped.country_calling_codes).toEqual(fullMetadata.country_calling_codes);
  expect(JSON.stringify(shipped).length).toBeLessThan(JSON.stringify(fullMetadata).length * 0.75);
  // Packing adds the escaping of each plan's JSON string, not more.
  expect(JSON.stringify(packed).length).toBeLessThan(JSON.stringify(shipped).length * 1.15);
});

test('a metadata version other than 4 is refused with what to check', () => {
  expect(() => reducePhoneMetadata({ ...fullMetadata, version: 5 })).toThrow(/metadata version 5 is not the known version 4/);
});

/** A small deterministic generator (Park-Miller): the same numbers on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 16_807) % 2_147_483_647;
    return state / 2_147_483_647;
  };
}

test('the same answers as the full metadata for numbers of every calling code', () => {
  const answer = (value: string, metadata: unknown): unknown => {
    const number = parsePhoneNumberFromString(value, metadata as MetadataJson);
    if (!number) return undefined;
    return { valid: number.isValid(), possible: number.isPossible(), e164: number.number, country: number.country, type: number.getType() };
  };
  const next = random(11);
  const numbers: string[] = Object.entries(examples as Record<string, string>).map(([country, national]) => {
    const code = (fullMetadata.countries[country] as string[])[0];
    return `+${code}${national}`;
  });
  const callingCodes = Object.keys(fullMetadata.country_calling_codes);
  for (const code of callingCodes) {
    for (let length = 4; length <= 15 - code.length; length++) {
      for (let i = 0; i < 12; i++) {
        let digits = '';
        for (let d = 0; d < length; d++) digits += String(Math.floor(next() * 10));
        numbers.push(`+${code}${digits}`);
      }
    }
  }
  let valid = 0;
  const typesSeen = new Set<unknown>();
  for (const value of numbers) {
    const expected = answer(value, fullMetadata) as { valid?: boolean; type?: string } | undefined;
    expect([value, answer(value, shippedLazily)]).toEqual([value, expected]);
    if (expected?.valid) {
      valid++;
      typesSeen.add(expected.type);
    }
  }
  // The handler's own parsePhoneNumber (one pass over the type patterns) answers as the library does.
  for (const value of numbers) {
    const expected = answer(value, fullMetadata) as { valid: boolean; e164: string; country?: string; type?: string } | undefined;
    const ours = parsePhoneNumber(value);
    expect([value, ours && { e164: ours.e164, country: ours.country, type: ours.type }])
      .toEqual([value, expected?.valid && isE164(value)
        ? { e164: expected.e164, country: expected.country, type: expected.type } : undefined]);
  }
  // Not a vacuous comparison: thousands of valid numbers, of the types the guard cares about among others.
  expect(callingCodes.length).toBeGreaterThan(200);
  expect(valid).toBeGreaterThan(1_000);
  expect([...typesSeen]).toEqual(expect.arrayContaining(['MOBILE', 'FIXED_LINE', 'TOLL_FREE', 'PREMIUM_RATE', 'SHARED_COST']));
});
