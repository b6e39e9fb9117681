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
import { FORMATTING_ONLY, reducePhoneMetadata, type PhoneMetadata } from '../../lambda/phone-metadata';

const GENERATED = path.join(__dirname, '..', '..', 'lambda', 'generated', 'phone-metadata.json');
const fullMetadata = full as unknown as PhoneMetadata;
const shipped = JSON.parse(fs.readFileSync(GENERATED, 'utf8')) as PhoneMetadata;

test('the shipped file is what the installed library generates (run `npx projen bundle` after an upgrade)', () => {
  expect(shipped).toEqual(reducePhoneMetadata(fullMetadata));
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
    expect([value, answer(value, shipped)]).toEqual([value, expected]);
    if (expected?.valid) {
      valid++;
      typesSeen.add(expected.type);
    }
  }
  // Not a vacuous comparison: thousands of valid numbers, of the types the guard cares about among others.
  expect(callingCodes.length).toBeGreaterThan(200);
  expect(valid).toBeGreaterThan(1_000);
  expect([...typesSeen]).toEqual(expect.arrayContaining(['MOBILE', 'FIXED_LINE', 'TOLL_FREE', 'PREMIUM_RATE', 'SHARED_COST']));
});
