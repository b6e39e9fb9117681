/**
 * Phone numbers never reach a log line or an answer in full: everything that
 * is, or could be, one is shown by its last 4 digits ("***0123").
 *
 * - `maskPhoneNumber`: a number the handler knows is one (a destination, a caller id).
 * - `maskNumberLike`: digits inside a name the caller chose (an unknown field, an attribute key).
 * - `scrub`: the net under every log line, for what the two above did not catch.
 */

const MASK = '***';

/**
 * Masks a phone number: only the last 4 digits are kept, e.g.
 * "+12125550123" → "***0123". Values with 4 digits or fewer are masked
 * entirely ("***"), so a short value is never shown whole.
 */
export function maskPhoneNumber(value: string): string {
  const digits = String(value).replace(/\D/g, '');
  return digits.length <= 4 ? MASK : `${MASK}${digits.slice(-4)}`;
}

/**
 * Digits that could be (part of) a phone number in a name the caller chose:
 * 5 or more digits, separated or not by spaces, dots, dashes or brackets.
 */
const NUMBER_LIKE = /\+?\d(?:[\s().-]*\d){4,}/g;

/** A caller-given name with its number-like runs masked. */
export function maskNumberLike(name: string): string {
  return name.replace(NUMBER_LIKE, maskPhoneNumber);
}

/**
 * What could be a phone number in free text: "+" and 6 to 15 digits, or a
 * free-standing run of 9 to 15 digits. Timestamps, UUIDs and hashes are left alone.
 */
const PHONE_LIKE = /\+\d{6,15}|(?<![\w.:-])\d{9,15}(?![\w.:-])/g;

/** Keeps the last 4 digits of anything in the text that looks like a phone number. */
export function scrub(text: string): string {
  return text.replace(PHONE_LIKE, maskPhoneNumber);
}
