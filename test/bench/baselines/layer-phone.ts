/**
 * A load-time layer for the benchmark's "where the cold load goes" table:
 * layer-dynamodb plus the phone-number library as lambda/phone.ts loads it
 * (libphonenumber-js core and its full metadata). Never invoked: only loaded.
 */
import type { MetadataJson } from 'libphonenumber-js/core';
import { parsePhoneNumberFromString } from 'libphonenumber-js/core';
import maxMetadata from 'libphonenumber-js/metadata.max.json';

export { handler, dynamodb, used } from './layer-dynamodb';

export const parse = (value: string): unknown => parsePhoneNumberFromString(value, maxMetadata as unknown as MetadataJson);
