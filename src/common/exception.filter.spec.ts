import { bounded } from './exception.filter.js';

/** A string is well-formed Unicode: every surrogate in a pair (what strict JSON parsers require). */
const wellFormed = (text: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);

describe('bounded: error details and sources cut to a limit', () => {
  it('leaves a short text alone and cuts a long one with "..."', () => {
    expect(bounded('short', 10)).toBe('short');
    expect(bounded('a'.repeat(20), 10)).toBe(`${'a'.repeat(7)}...`);
  });

  it('never cuts inside a surrogate pair, wherever the limit falls', () => {
    const text = `${'😀'.repeat(300)}`;
    for (let limit = 4; limit < 40; limit += 1) {
      const cut = bounded(text, limit);
      expect(cut.length).toBeLessThanOrEqual(limit);
      expect(cut.endsWith('...')).toBe(true);
      expect(wellFormed(cut)).toBe(true);
      expect([...cut.slice(0, -3)].every((c) => c === '😀')).toBe(true);
    }
    // One code unit short of a pair's end: the whole pair goes.
    expect(bounded(`ab😀cdefgh`, 6)).toBe('ab...');
    expect(bounded(`ab😀cdefgh`, 7)).toBe('ab😀...');
  });

  it('answers well-formed text for a lone surrogate the client sent', () => {
    expect(bounded('x\uD800y', 10)).toBe('x\uFFFDy');
    expect(bounded('x\uDC00y\uD83D', 10)).toBe('x\uFFFDy\uFFFD');
    expect(wellFormed(bounded(`${'z'.repeat(50)}\uD83D`, 20))).toBe(true);
    expect(JSON.parse(JSON.stringify({ detail: bounded('😀'.repeat(101), 200) })).detail).toBe('😀'.repeat(98) + '...');
  });
});
