import { noneMatch, rangeStillValid } from './conditional.js';

describe('If-None-Match (RFC 9110 §13.1.2)', () => {
  const etag = '"abc"';
  it.each([
    [undefined, true],
    ['"abc"', false],
    ['W/"abc"', false],
    ['"x", "abc"', false],
    ['"x","abc"', false],
    ['  "x" ,  W/"abc"  ', false],
    ['*', false],
    [' * ', false],
    ['"x"', true],
    ['"x", "y"', true],
    ['"ab"', true],
    ['abc', true],
    ['"a,bc"', true],
    ['', true],
  ])('%p → noneMatch %p', (header, expected) => {
    expect(noneMatch(header, etag)).toBe(expected);
  });

  it('compares a weak current tag weakly as well', () => {
    expect(noneMatch('"abc"', 'W/"abc"')).toBe(false);
  });
});

describe('If-Range (RFC 9110 §13.1.5)', () => {
  it.each([
    [undefined, true],
    ['"abc"', true],
    [' "abc" ', true],
    ['W/"abc"', false],
    ['"x"', false],
  ])('%p → %p', (header, expected) => {
    expect(rangeStillValid(header, '"abc"')).toBe(expected);
  });
});
