import type { TokenSpans } from '../text/token-scanner.js';
import type { SentimentModel } from './sentiment-model.js';
import type { Contribution, Prediction } from './types.js';

export interface TextSegment {
  text: string;
  /** > 0 pushed towards positive, < 0 towards negative, 0 = neutral or not a word. */
  weight: number;
}

export interface Explanation {
  prediction: Prediction;
  /** Terms (words and n-grams) by |weight|, strongest first; all of them sum to decision − intercept. */
  contributions: Contribution[];
  /** The text, split into stretches; concatenated they give the text back exactly (empty when not asked for). */
  segments: TextSegment[];
}

export interface ExplainOptions {
  /** How many terms to name. @default 10 */
  top?: number;
  /** Lay the weights back onto the text (`segments`); an API answer has no use for them. @default true */
  segments?: boolean;
  /**
   * Words pushing less than this share of the strongest push among the text's shown words are laid
   * back as plain text (weight 0), joined with the text around them: a page that highlights only
   * the stronger ones then gets ~30 segments for a 1,000-character review instead of ~340.
   * @default 0 (every weighted word is a segment of its own)
   */
  segmentFloor?: number;
}

/**
 * Classifies `text` and says why, from the one pass `predict` makes: each feature's share of the
 * decision value (scaled, normalized feature value × weight — the sum the prediction is made
 * of), named by the first n-gram that hashes to it, and the same shares spread over the words of
 * the text for highlighting (an n-gram's share is split evenly between its words and its
 * occurrences).
 *
 * @example explain(model, 'A wonderful film', { top: 5 }).contributions[0] // { term: 'wonderful', weight: 1.7 }
 */
export function explain(
  model: SentimentModel,
  text: string,
  { top = 10, segments = true, segmentFloor = 0 }: ExplainOptions = {},
): Explanation {
  const { ngramMin, ngramMax } = model.spec.features;
  const { terms, ...prediction } = model.predict(text, { terms: true });
  const { tokenCount, entries, shares } = terms;

  // Occurrences of each distinct feature, to split its share between them.
  const occurrences = new Int32Array(shares.length);
  for (let g = 0; g < entries.length; g++) occurrences[entries[g]]++;

  // Only laid back onto the text when segments are asked for.
  const tokenWeight = segments ? new Float64Array(tokenCount) : null;
  // Top terms: the strongest features, each named by its first n-gram occurrence.
  const picked = strongest(shares, top);
  const contributions: Contribution[] = [];
  let g = 0;
  for (let n = ngramMin; n <= ngramMax; n++) {
    for (let i = 0; i + n <= tokenCount; i++, g++) {
      const entry = entries[g];
      if (tokenWeight !== null) {
        const part = shares[entry] / (n * occurrences[entry]);
        for (let w = i; w < i + n; w++) tokenWeight[w] += part;
      }
      if (picked[entry] === PICKED) {
        picked[entry] = NAMED;
        contributions.push({ term: terms.term(i, n), weight: shares[entry] });
      }
    }
  }
  contributions.sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || (a.term < b.term ? -1 : 1));
  contributions.length = Math.min(contributions.length, top);

  return {
    prediction,
    contributions,
    segments: tokenWeight === null ? [] : segmentsOf(text, terms.spans(), tokenWeight, segmentFloor),
  };
}

const PICKED = 1;
const NAMED = 2;

/**
 * Flags (PICKED) the `top` non-zero entries of `values` by absolute value, with every entry tied
 * with the weakest of them (the caller breaks ties by name, as a full sort would). The weakest
 * is found by keeping the `top` largest magnitudes seen so far, in order: for the ten terms of
 * a page that is a pass over the values, where sorting all of them cost a sixth of `explain`.
 */
function strongest(values: Float64Array, top: number): Uint8Array {
  const picked = new Uint8Array(values.length);
  let threshold = 0;
  if (values.length >= top) {
    // As the sorted magnitudes' [length - top]: no such element (top < 1, or not whole) picks nothing.
    if (!(Number.isInteger(top) && top >= 1)) return picked;
    const best = new Float64Array(top); // descending; the first `kept` are filled
    let kept = 0;
    for (let k = 0; k < values.length; k++) {
      const magnitude = Math.abs(values[k]);
      if (kept === top && !(magnitude > best[top - 1])) continue;
      let at = kept < top ? kept++ : top - 1;
      for (; at > 0 && best[at - 1] < magnitude; at--) best[at] = best[at - 1];
      best[at] = magnitude;
    }
    threshold = best[top - 1];
  }
  for (let k = 0; k < values.length; k++) {
    const magnitude = Math.abs(values[k]);
    if (magnitude !== 0 && magnitude >= threshold) picked[k] = PICKED;
  }
  return picked;
}

/**
 * Lays token weights back onto the text, where the scanner found each token. A token that is not
 * a stretch of the text as typed (an emoticon, a word with a tag inside or an emoticon glued on,
 * a word whose lower-casing changes its length) is not shown; the text between tokens — tags, punctuation, stop words — is shown unweighted.
 * So is a token whose |weight| is below `floor` times the strongest shown token's. The text itself
 * is always reproduced exactly.
 */
function segmentsOf(text: string, spans: TokenSpans, weights: Float64Array, floor: number): TextSegment[] {
  const { starts, ends } = spans;
  let strongest = 0;
  if (floor > 0)
    for (let k = 0; k < weights.length; k++) if (starts[k] >= 0) strongest = Math.max(strongest, Math.abs(weights[k]));
  // Stretches of plain text (between tokens, and tokens whose weight is 0 or below the floor)
  // come out as one segment each, between the weighted tokens, sliced once.
  const segments: TextSegment[] = [];
  let plainFrom = 0;
  for (let k = 0; k < weights.length; k++) {
    const weight = weights[k];
    const start = starts[k];
    // As a share, divided as the page's highlighting divides it, so the two agree at the floor.
    if (start < 0 || weight === 0 || (floor > 0 && Math.abs(weight) / strongest < floor)) continue;
    if (start > plainFrom) segments.push({ text: text.slice(plainFrom, start), weight: 0 });
    segments.push({ text: text.slice(start, ends[k]), weight });
    plainFrom = ends[k];
  }
  if (text.length > plainFrom) segments.push({ text: text.slice(plainFrom), weight: 0 });
  return segments;
}
