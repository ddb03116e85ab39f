import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { explain } from '../../src/model/explain.js';
import {
  escapeHtml,
  explainTerms,
  HIGHLIGHT_FLOOR,
  highlightedHtml,
  highlightSegments,
  percent,
  signed,
  signedHtml,
} from '../../src/web/view-models.js';
import { makeTestModel, miniImdbDocs } from '../helpers/model.js';

describe('highlightSegments', () => {
  it('marks pushes by direction, strong at half the strongest push or more, weak down to 15%, and leaves the rest plain', () => {
    const segments = [
      { text: 'great', weight: 2 },
      { text: ' ', weight: 0 },
      { text: 'dull', weight: -1 },
      { text: ' ', weight: 0 },
      { text: 'slow', weight: -0.4 },
      { text: ' ', weight: 0 },
      { text: 'film', weight: 0.1 },
      { text: '.', weight: 0 },
    ];

    expect(highlightSegments(segments)).toEqual([
      { text: 'great', tone: 'positive', strength: 'strong' },
      { text: ' ', tone: null, strength: null },
      { text: 'dull', tone: 'negative', strength: 'strong' },
      { text: ' ', tone: null, strength: null },
      { text: 'slow', tone: 'negative', strength: 'weak' },
      { text: ' film.', tone: null, strength: null },
    ]);
  });

  it('keeps the text: the pieces joined give the review back', () => {
    const segments = 'It was not bad at all , really .'.split(/(\s)/).map((text, i) => ({ text, weight: (i % 5) - 2 }));

    expect(
      highlightSegments(segments)
        .map((piece) => piece.text)
        .join(''),
    ).toBe('It was not bad at all , really .');
  });

  it('highlights nothing when no word carries weight', () => {
    expect(highlightSegments([{ text: 'plain words', weight: 0 }])).toEqual([
      { text: 'plain words', tone: null, strength: null },
    ]);
  });
});

describe('highlightedHtml', () => {
  /** The pieces `highlightSegments` decides, written out one by one. */
  const piecesAsHtml = (segments: { text: string; weight: number }[]): string =>
    highlightSegments(segments)
      .map(({ text, tone, strength }) =>
        tone === null
          ? escapeHtml(text)
          : `<mark class="push push--${tone} push--${strength}" data-qa="push-${tone}">${escapeHtml(text)}</mark>`,
      )
      .join('');

  it('writes exactly the pieces highlightSegments decides, escaped', () => {
    const segment = fc.record({
      text: fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('<b>', '&amp;', '"', "'", '\\', ' ')),
      weight: fc.oneof(fc.constant(0), fc.double({ min: -3, max: 3, noNaN: true })),
    });
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 30 }), (segments) => {
        expect(highlightedHtml(segments).toString()).toBe(piecesAsHtml(segments));
      }),
      { numRuns: 500 },
    );
  });

  it('writes the same page from segments laid back with the highlight floor as from all of them, from far fewer', () => {
    // Arrange: real explanations, with tags, Unicode, emoticons and words glued by tags
    const { model } = makeTestModel();
    const texts = [
      ...miniImdbDocs('test').map((doc) => doc.text),
      'Naïve <i>café</i> scene, 日本語 subtitles 😀 and İstanbul — cafe\u0301 wonderful :-) <b>bad</b>ly',
      'not <b>good</b>, not bad :( awful<br />wonderful',
    ];

    for (const text of texts) {
      // Act
      const all = explain(model, text).segments;
      const floored = explain(model, text, { segmentFloor: HIGHLIGHT_FLOOR }).segments;

      // Assert
      expect(highlightedHtml(floored).toString()).toBe(highlightedHtml(all).toString());
      expect(floored.map((segment) => segment.text).join('')).toBe(text);
      expect(floored.length).toBeLessThanOrEqual(all.length);
    }
    const long = explain(model, miniImdbDocs('test')[0].text);
    const longFloored = explain(model, miniImdbDocs('test')[0].text, { segmentFloor: HIGHLIGHT_FLOOR });
    expect(longFloored.segments.length).toBeLessThan(long.segments.length / 2);
  });

  it('marks a strong push and escapes the text around it', () => {
    const html = highlightedHtml([
      { text: 'a <great>', weight: 0 },
      { text: 'film', weight: 1 },
    ]).toString();

    expect(html).toBe(
      'a &lt;great&gt;<mark class="push push--positive push--strong" data-qa="push-positive">film</mark>',
    );
  });
});

describe('explainTerms', () => {
  it('gives each term the direction it pushed and leaves out pushes that round to zero', () => {
    expect(
      explainTerms([
        { term: 'great', weight: 1.2 },
        { term: 'dull', weight: -0.3 },
        { term: 'film', weight: -0.004 },
      ]),
    ).toEqual([
      { term: 'great', weight: 1.2, tone: 'positive' },
      { term: 'dull', weight: -0.3, tone: 'negative' },
    ]);
  });
});

describe('percent', () => {
  it.each([
    [0.5, '50%'],
    [0.934, '93%'],
    [0.996, '99%'],
    [1, '100%'],
  ])('shows %d as %s, never rounding an uncertain prediction up to 100%%', (value, text) => {
    expect(percent(value)).toBe(text);
  });
});

describe('signed', () => {
  it('writes weights with a sign and two decimals', () => {
    expect(signed(1.234)).toBe('+1.23');
    expect(signed(-0.5)).toBe('\u22120.50');
    expect(signed(0)).toBe('+0.00');
  });

  it('as HTML, writes the minus sign as an entity, so that a Latin-1 page stays one byte per character', () => {
    expect(signedHtml(-0.5)).toBe('&minus;0.50');
    expect(signedHtml(1.234)).toBe('+1.23');
  });
});
