import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { formPairs } from '../../../src/web/middleware/request-parsing.js';

const asURLSearchParams = (text: string): [string, string][] => [...new URLSearchParams(text)];

/** Pieces a form text is made of: the separators, escapes good and bad, '+', ASCII and beyond. */
const piece = fc.oneof(
  fc.constantFrom(
    '&',
    '=',
    '+',
    '%',
    '%2',
    '%20',
    '%2B',
    '%26',
    '%3D',
    '%E4%B8%AD',
    '%F0%9F%98%80',
    '%C3%A9',
    '%ED%A0%80',
    '%FF',
    '%C3',
    '%00',
    '%zz',
  ),
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 4 }),
  fc.string({ maxLength: 8 }).map((text) => encodeURIComponent(text)),
);
const formText = fc.array(piece, { maxLength: 25 }).map((pieces) => pieces.join(''));

describe('formPairs', () => {
  it('gives exactly what URLSearchParams gives, for any text', () => {
    fc.assert(
      fc.property(formText, (text) => {
        expect([...formPairs(text)]).toEqual(asURLSearchParams(text));
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    [
      'a browser form',
      `review=${encodeURIComponent('Un film “magnifique”, 好 😀 & co.').replace(/%20/g, '+')}&_csrf=abc`,
    ],
    ['empty pieces and a field without a value', '&&a&b=&=c&'],
    ['a malformed escape', 'review=100%+sure'],
    ['an escape that is not UTF-8', 'review=%FF%FE'],
    ['raw characters beyond ASCII', 'review=café'],
  ])('decodes %s as URLSearchParams does', (_case, text) => {
    expect([...formPairs(text)]).toEqual(asURLSearchParams(text));
  });
});
