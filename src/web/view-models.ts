import nunjucks from 'nunjucks';

import type { TextSegment } from '../learner/index.js';
import type { Contribution, LabelName } from '../model/types.js';
import type { Verdict } from '../store/types.js';
import type { ConsolePageLocals } from './console/view-models.js';

/**
 * What each page template reads, and nothing more: the contract between the routes and
 * views/pages/, checked when `renderPage` is called.
 */
export interface PageLocals extends ConsolePageLocals {
  'pages/index': { minLength: number; maxLength: number; review?: string; error?: string };
  'pages/results': {
    label: LabelName;
    probability: number;
    highlighted: nunjucks.runtime.SafeString;
    /** The top-terms list's items (`termItemsHtml`); empty when there are none. */
    termItems: nunjucks.runtime.SafeString;
    predictionId: string;
    csrfToken: string;
  };
  'pages/thanks': {
    alreadyRecorded: boolean;
    label: LabelName;
    /** accepted: learned now (unless `learned` says otherwise); held: waits for an operator; rejected: never learned. */
    verdict: Verdict;
    /** The served model holds the row (false when the fold failed: see Learner.learningFailure). */
    learned: boolean;
    notLearnedBecause: string | null;
  };
  'pages/error': { status: number; title: string; message: string; stack: string | undefined };
}

export type PageName = keyof PageLocals;

export type Tone = 'positive' | 'negative';

export interface HighlightedSegment {
  text: string;
  /** Which way this stretch pushed the decision, or null when it is not highlighted. */
  tone: Tone | null;
  /** 'strong' for at least half of the strongest push in this review, else 'weak'. */
  strength: 'strong' | 'weak' | null;
}

/**
 * Pushes weaker than this share of the strongest one in the review are not highlighted (and the
 * results page asks the learner for them as plain text: `PredictOptions.segmentFloor`).
 */
export const HIGHLIGHT_FLOOR = 0.15;
const STRONG = 0.5;

/** How a stretch of this weight is shown, in a review whose strongest push is `strongest`; null: not highlighted. */
function highlightOf(weight: number, strongest: number): { tone: Tone; strength: 'strong' | 'weak' } | null {
  const share = strongest === 0 ? 0 : Math.abs(weight) / strongest;
  if (share < HIGHLIGHT_FLOOR || weight === 0) return null;
  return { tone: weight > 0 ? 'positive' : 'negative', strength: share >= STRONG ? 'strong' : 'weak' };
}

function strongestPush(segments: readonly TextSegment[]): number {
  let strongest = 0;
  for (const segment of segments) strongest = Math.max(strongest, Math.abs(segment.weight));
  return strongest;
}

/**
 * Decide which stretches of the review to highlight. Weights are compared with the strongest in
 * this review, so a review full of mild words still shows which of them mattered most. Runs of
 * plain stretches are joined into one.
 */
export function highlightSegments(segments: readonly TextSegment[]): HighlightedSegment[] {
  const strongest = strongestPush(segments);
  const pieces: HighlightedSegment[] = [];
  for (const { text, weight } of segments) {
    const highlight = highlightOf(weight, strongest);
    if (highlight === null) {
      const last = pieces[pieces.length - 1];
      if (last !== undefined && last.tone === null) last.text += text;
      else pieces.push({ text, tone: null, strength: null });
      continue;
    }
    pieces.push({ text, ...highlight });
  }
  return pieces;
}

/**
 * The review as HTML, highlighted as `highlightSegments` says, escaped as the template engine's
 * autoescaping escapes (applied here once instead of per loop iteration in the template: looping
 * over a long review's pieces was the largest part of rendering the results page). Written
 * straight from the segments: joining the plain runs into pieces first allocated ~11 KB a page.
 */
export function highlightedHtml(segments: readonly TextSegment[]): nunjucks.runtime.SafeString {
  const strongest = strongestPush(segments);
  let html = '';
  for (const { text, weight } of segments) {
    const highlight = highlightOf(weight, strongest);
    const escaped = escapeHtml(text);
    html +=
      highlight === null
        ? escaped
        : `<mark class="push push--${highlight.tone} push--${highlight.strength}" data-qa="push-${highlight.tone}">${escaped}</mark>`;
  }
  return new nunjucks.runtime.SafeString(html);
}

/**
 * The items of the top-terms list, as the template's loop wrote them. A Nunjucks `for` loop sets
 * eight `loop.*` variables per item through its scope frames, which made the ten items 16 of the
 * page's 19 µs (.perf/render.mjs); written here, they cost well under a microsecond each.
 */
export function termItemsHtml(terms: readonly ExplainedTerm[]): nunjucks.runtime.SafeString {
  let html = '';
  for (const { term, weight, tone } of terms) {
    html +=
      `\n    <li class="term term--${tone}">\n      <span class="term__text">${escapeHtml(term)}</span>\n` +
      `      <span class="term__weight">${signedHtml(weight)} towards ${tone}</span>\n    </li>\n    `;
  }
  return new nunjucks.runtime.SafeString(html);
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '"': '&quot;',
  "'": '&#39;',
  '<': '&lt;',
  '>': '&gt;',
  '\\': '&#92;',
};
const NEEDS_ESCAPING = /[&"'<>\\]/;

/**
 * Exactly what Nunjucks' autoescaping (`lib.escape`) gives, sooner: most pieces of a review need
 * no escaping at all, and those are returned after one search instead of a replace with a callback.
 */
export function escapeHtml(text: string): string {
  const first = text.search(NEEDS_ESCAPING);
  if (first < 0) return text;
  let html = text.slice(0, first);
  for (let k = first; k < text.length; k++) {
    const ch = text[k];
    html += HTML_ESCAPES[ch] ?? ch;
  }
  return html;
}

export interface ExplainedTerm extends Contribution {
  tone: Tone;
}

/** The top terms for the list, without those whose push rounds to nothing ("+0.00"). */
export function explainTerms(explanation: readonly Contribution[]): ExplainedTerm[] {
  return explanation
    .filter(({ weight }) => Math.abs(weight) >= 0.005)
    .map(({ term, weight }) => ({ term, weight, tone: weight >= 0 ? 'positive' : 'negative' }));
}

/** 0.934 -> "93%"; never rounds a non-certain probability up to 100%. */
export function percent(probability: number): string {
  const value = Math.round(probability * 100);
  return `${probability < 1 && value === 100 ? 99 : value}%`;
}

/** 1.234 -> "+1.23", -0.5 -> "−0.50" (a real minus sign). */
export function signed(weight: number): string {
  const text = Math.abs(weight).toFixed(2);
  return weight < 0 ? `\u2212${text}` : `+${text}`;
}

/**
 * `signed` as HTML, the minus sign written `&minus;`: one character above U+00FF makes V8 hold
 * the whole page in two bytes per character, which doubled what flattening and encoding the
 * results page allocated (~25 KB a request).
 */
export function signedHtml(weight: number): string {
  return signed(weight).replace('\u2212', '&minus;');
}
