import { maskPhoneNumber } from '../../lambda/masking';
import { isE164, parsePhoneNumber } from '../../lambda/phone';

describe('parsePhoneNumber', () => {
  test.each([
    ['+12125550123', { e164: '+12125550123', country: 'US', type: 'FIXED_LINE_OR_MOBILE' }],
    ['+14165550123', { e164: '+14165550123', country: 'CA', type: 'FIXED_LINE_OR_MOBILE' }],
    ['+442071838750', { e164: '+442071838750', country: 'GB', type: 'FIXED_LINE' }],
    ['+447400123456', { e164: '+447400123456', country: 'GB', type: 'MOBILE' }],
    ['+449098765432', { e164: '+449098765432', country: 'GB', type: 'PREMIUM_RATE' }],
    ['+19002345678', { e164: '+19002345678', country: 'US', type: 'PREMIUM_RATE' }],
    ['+18002345678', { e164: '+18002345678', country: 'US', type: 'TOLL_FREE' }],
    ['+33810123456', { e164: '+33810123456', country: 'FR', type: 'SHARED_COST' }],
    ['+34901123456', { e164: '+34901123456', country: 'ES', type: 'SHARED_COST' }],
    ['+80012345678', { e164: '+80012345678', country: undefined, type: 'TOLL_FREE' }],
    ['+979123456789', { e164: '+979123456789', country: undefined, type: 'PREMIUM_RATE' }],
    // The trunk "0" after the country code is dropped: E.164 as libphonenumber formats it.
    ['+4402071838750', { e164: '+442071838750', country: 'GB', type: 'FIXED_LINE' }],
  ])('%s is valid: %j', (value, expected) => {
    expect(parsePhoneNumber(value)).toStrictEqual(expected);
  });

  test.each([
    // Not the API's E.164 pattern, though libphonenumber alone would accept most of them.
    '+1 212 555 0123',
    '+1-212-555-0123',
    '+1 (212) 555-0123',
    '0012125550123',
    '12125550123',
    '+12125550123 ext. 5',
    ' +12125550123',
    '+1212555012312345',
    '',
    // The pattern, but no such number.
    '+15551234567',
    '+10000000000',
    '+1212555012',
    '+999123456',
  ])('%j is refused', (value) => {
    expect(parsePhoneNumber(value)).toBeUndefined();
  });
});

describe('isE164', () => {
  test.each<[string, boolean]>([
    ['+12', true],
    ['+123456789012345', true], // 15 digits
    ['+1234567890123456', false], // 16 digits
    ['+1', false],
    ['+0123456', false],
    ['12125550123', false],
    ['+1 2125550123', false],
    ['+12125550123\n', false],
  ])('%j → %s', (value, expected) => {
    expect(isE164(value)).toBe(expected);
  });
});

describe('maskPhoneNumber', () => {
  test.each([
    ['+12125550123', '***0123'],
    ['+449098765432', '***5432'],
    ['+1 (212) 555-0123', '***0123'],
    ['+12345', '***2345'],
    ['+1234', '***'],
    ['+12', '***'],
    ['', '***'],
    ['not a number', '***'],
  ])('%j → %j', (value, masked) => {
    expect(maskPhoneNumber(value)).toBe(masked);
  });

  test('never contains more than the last 4 digits', () => {
    for (const value of ['+12125550123', '+4402071838750', '+979123456789']) {
      const masked = maskPhoneNumber(value);
      expect(masked.replace(/\D/g, '')).toBe(value.replace(/\D/g, '').slice(-4));
    }
  });
});
