/**
 * A load-time layer for the benchmark's "where the cold load goes" table:
 * layer-dynamodb plus the phone-number library as the handler loads it
 * (lambda/phone.ts: libphonenumber-js core and the generated metadata).
 * Never invoked: only loaded.
 */
export { handler, dynamodb, used } from './layer-dynamodb';
export { parsePhoneNumber as parse } from '../../../lambda/phone';
