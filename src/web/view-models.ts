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
    terms: ExplainedTerm[];
    predictionId: string;
    csrfToken: string;
  };
  'pages/thanks': {
    alreadyRecorded: boolean;
    label: LabelName;
    /** accepted: learned now; held: waits for an operator; rejected: never learned. */
    verdict: Verdict;
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

/** Pushes weaker than this share of the strongest one in the review are not highlighted. */
const HIGHLIGHT_FLOOR = 0.15;
const STRONG = 0.5;

/**
 * Decide which stretches of the review to highlight. Weights are compared with the strongest in
 * this review, so a review full of mild words still shows which of them mattered most. Runs of
 * plain stretches are joined into one, so the template loops over a few pieces, not every word.
 */
export function highlightSegments(segments: readonly TextSegment[]): HighlightedSegment[] {
  let strongest = 0;
  for (const segment of segments) strongest = Math.max(strongest, Math.abs(segment.weight));
  const pieces: HighlightedSegment[] = [];
  for (const { text, weight } of segments) {
    const share = strongest === 0 ? 0 : Math.abs(weight) / strongest;
    if (share < HIGHLIGHT_FLOOR || weight === 0) {
      const last = pieces[pieces.length - 1];
      if (last !== undefined && last.tone === null) last.text += text;
      else pieces.push({ text, tone: null, strength: null });
      continue;
    }
    pieces.push({ text, tone: weight > 0 ? 'positive' : 'negative', strength: share >= STRONG ? 'strong' : 'weak' });
  }
  return pieces;
}

/**
 * The highlighted review as HTML, escaped with nunjucks' own `escape` (the template engine's
 * autoescaping, applied here once instead of per loop iteration in the template: looping over a
 * long review's pieces was the largest part of rendering the results page).
 */
export function highlightedHtml(pieces: readonly HighlightedSegment[]): nunjucks.runtime.SafeString {
  const escape = (nunjucks.lib as unknown as { escape: (text: string) => string }).escape;
  let html = '';
  for (const { text, tone, strength } of pieces) {
    const escaped = escape(text);
    html +=
      tone === null
        ? escaped
        : `<mark class="push push--${tone} push--${strength}" data-qa="push-${tone}">${escaped}</mark>`;
  }
  return new nunjucks.runtime.SafeString(html);
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
