import { isTimestamp } from './validators.js';

describe('RFC 3339 timestamps, strictly (SPEC §1.1)', () => {
  it.each([
    '2026-03-01T12:00:00.000Z',
    '2026-03-01T12:00:00Z',
    '2026-03-01t12:00:00z',
    '2026-03-01T12:00:00.123456789+02:00',
    '2026-03-01T23:59:59-23:59',
    '2024-02-29T00:00:00Z',
    '2000-02-29T00:00:00Z',
    '0001-01-01T00:00:00Z',
    '9999-12-31T23:59:59Z',
  ])('accepts %s', (value) => {
    expect(isTimestamp(value)).toBe(true);
  });

  it.each([
    ['30 February', '2026-02-30T00:00:00Z'],
    ['29 February of a common year', '2025-02-29T00:00:00Z'],
    ['29 February 1900', '1900-02-29T00:00:00Z'],
    ['31 April', '2026-04-31T00:00:00Z'],
    ['month 13', '2026-13-01T00:00:00Z'],
    ['month 0', '2026-00-01T00:00:00Z'],
    ['day 0', '2026-01-00T00:00:00Z'],
    ['24:00:00', '2026-01-01T24:00:00Z'],
    ['minute 60', '2026-01-01T12:60:00Z'],
    ['a leap second', '2016-12-31T23:59:60Z'],
    ['offset +24:00', '2026-01-01T00:00:00+24:00'],
    ['offset minutes 60', '2026-01-01T00:00:00+05:60'],
    ['year 0000', '0000-01-01T00:00:00Z'],
    ['no offset', '2026-01-01T00:00:00'],
    ['no seconds', '2026-01-01T00:00Z'],
    ['a space for T', '2026-01-01 00:00:00Z'],
    ['a week date', '2026-W01'],
    ['an ordinal date', '2026-100'],
    ['a bare date', '2026-01-01'],
    ['an offset without colon', '2026-01-01T00:00:00+0200'],
    ['a number', 1767225600000],
  ])('refuses %s', (_, value) => {
    expect(isTimestamp(value)).toBe(false);
  });
});
