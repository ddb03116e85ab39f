import { describe, expect, it } from 'vitest';

import { barChart, niceScale, shareChart, timelineChart, xml } from '../../../src/web/console/charts.js';
import { csvField, csvRow } from '../../../src/web/console/csv.js';

const rects = (svg: string) =>
  [
    ...svg.matchAll(/<rect class="(chart-fill--\w+)" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"\/>/g),
  ].map((m) => ({
    className: m[1],
    y: Number(m[3]),
    height: Number(m[5]),
  }));

describe('niceScale', () => {
  it.each([
    [0, 1, 1],
    [3, 3, 1],
    [9, 10, 5],
    [37, 40, 10],
    [1234, 1500, 500],
    [1_000_000, 1_000_000, 500_000],
  ])('gives %d an axis up to %d in steps of %d', (max, top, step) => {
    expect(niceScale(max)).toEqual({ top, step });
  });
});

describe('barChart', () => {
  const base = {
    title: 'Counts <per> "day"',
    label: (c: string) => c,
    labelEvery: 1,
    describe: (c: string, i: number) => `${c}: ${i}`,
  };

  it('draws stacked bars whose heights add up, on a labelled axis, with a tooltip per column', () => {
    const svg = barChart({
      ...base,
      categories: ['d1', 'd2'],
      series: [
        { name: 'accepted', className: 'chart-fill--accepted', values: [30, 10] },
        { name: 'held', className: 'chart-fill--held', values: [10, 0] },
      ],
      layout: 'stacked',
    });

    const bars = rects(svg);
    expect(bars.map((b) => b.className)).toEqual(['chart-fill--accepted', 'chart-fill--held', 'chart-fill--accepted']);
    // 40 is the top of the axis: the first column fills the plot, the second is a quarter of it.
    expect(bars[0].height + bars[1].height).toBeCloseTo(174, 0);
    expect(bars[2].height).toBeCloseTo(174 / 4, 0);
    expect(bars[1].y + bars[1].height).toBeCloseTo(bars[0].y, 1);
    expect(svg).toContain('<title id="chart-');
    expect(svg).toContain('Counts &#60;per&#62; &#34;day&#34;');
    expect(svg).toContain('<title>d2: 1</title>');
    expect(svg).not.toMatch(/style=/);
  });

  it('draws overlaid series from the axis, the later ones narrower', () => {
    const svg = barChart({
      ...base,
      categories: ['h'],
      series: [
        { name: 'predictions', className: 'chart-fill--predictions', values: [10] },
        { name: 'feedback', className: 'chart-fill--feedback', values: [5] },
      ],
      layout: 'overlaid',
    });

    const [predictions, feedback] = rects(svg);
    expect(predictions.y + predictions.height).toBeCloseTo(feedback.y + feedback.height, 1);
    expect(feedback.height).toBeCloseTo(predictions.height / 2, 0);
  });
});

describe('shareChart', () => {
  it('draws a point per measured day and leaves a gap where there were no answers', () => {
    const svg = shareChart({
      title: 't',
      categories: ['a', 'b', 'c', 'd'],
      values: [1, null, 0.5, 0.75],
      label: (c) => c,
      labelEvery: 1,
      describe: (c) => c,
    });

    expect([...svg.matchAll(/<circle class="chart-point"/g)]).toHaveLength(3);
    // The axis spans the shares shown (45% to 100%), with gridlines at round shares.
    expect([...svg.matchAll(/>(\d+)%<\/text>/g)].map((m) => m[1])).toEqual(['50', '75', '100']);
    const path = /<path class="chart-line" d="([^"]+)"/.exec(svg)![1];
    expect(path.match(/M/g)).toHaveLength(2);
  });
});

describe('timelineChart', () => {
  it('places events in time order at their accuracy, and says so when there are none', () => {
    const svg = timelineChart(
      'timeline',
      [
        { at: '2026-04-02T00:00:00.000Z', accuracy: 0.9, kind: 'update', describe: 'second' },
        { at: '2026-04-01T00:00:00.000Z', accuracy: 0.91, kind: 'trained', describe: 'first' },
      ],
      [
        { name: 'trained', className: 'chart-fill--trained', values: [] },
        { name: 'update', className: 'chart-fill--update', values: [] },
      ],
    );

    expect(svg.indexOf('<title>first</title>')).toBeLessThan(svg.indexOf('<title>second</title>'));
    expect(svg).toContain('2026-04-01');
    expect(timelineChart('timeline', [], [])).toContain('No model events yet');
  });
});

describe('xml and CSV', () => {
  it('escapes text for SVG', () => {
    expect(xml(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  });

  it('writes RFC 4180 fields: quoted only when needed, quotes doubled', () => {
    expect(csvField('plain text')).toBe('plain text');
    expect(csvField('a, b')).toBe('"a, b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(null)).toBe('');
    expect(csvRow({ id: 1, review: 'x', sentiment: 1, date: 'd', verdict: 'held', client: null })).toBe(
      'x,1,d,held,\r\n',
    );
  });
});
