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
  /** The text, split into stretches; concatenated they give the text back exactly. */
  segments: TextSegment[];
}

/**
 * Classifies `text` and says why, from the one pass `predict` makes: each feature's share of the
 * decision value (scaled, normalized feature value × weight — the sum the prediction is made
 * of), named by the first n-gram that hashes to it, and the same shares spread over the words of
 * the text for highlighting (an n-gram's share is split evenly between its words and its
 * occurrences).
 *
 * @example explain(model, 'A wonderful film', 5).contributions[0] // { term: 'wonderful', weight: 1.7 }
 */
export function explain(model: SentimentModel, text: string, top = 10): Explanation {
  const { ngramMin, ngramMax } = model.spec.features;
  const { terms, ...prediction } = model.predict(text, { terms: true });
  const { tokens, entries, shares } = terms;

  // Occurrences of each distinct feature, to split its share between them.
  const occurrences = new Int32Array(shares.length);
  for (let g = 0; g < entries.length; g++) occurrences[entries[g]]++;

  const tokenWeight = new Float64Array(tokens.length);
  // Top terms: the strongest features, each named by its first n-gram occurrence.
  const topEntries = strongest(shares, top);
  const termOfEntry = new Map<number, string>();
  let g = 0;
  for (let n = ngramMin; n <= ngramMax; n++) {
    for (let i = 0; i + n <= tokens.length; i++, g++) {
      const entry = entries[g];
      const part = shares[entry] / (n * occurrences[entry]);
      for (let w = i; w < i + n; w++) tokenWeight[w] += part;
      if (topEntries.has(entry) && !termOfEntry.has(entry)) termOfEntry.set(entry, tokens.slice(i, i + n).join(' '));
    }
  }
  const contributions: Contribution[] = [];
  for (const [entry, term] of termOfEntry) contributions.push({ term, weight: shares[entry] });
  contributions.sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || (a.term < b.term ? -1 : 1));
  contributions.length = Math.min(contributions.length, top);

  return { prediction, contributions, segments: segmentsOf(text, terms, tokenWeight) };
}

/**
 * Positions of the `top` non-zero entries of `values` by absolute value, with every entry tied
 * with the weakest of them (the caller breaks ties by name, as a full sort would).
 */
function strongest(values: Float64Array, top: number): Set<number> {
  const magnitudes = values.map(Math.abs).sort();
  const threshold = magnitudes.length >= top ? magnitudes[magnitudes.length - top] : 0;
  const picked = new Set<number>();
  for (let k = 0; k < values.length; k++) {
    const magnitude = Math.abs(values[k]);
    if (magnitude !== 0 && magnitude >= threshold) picked.add(k);
  }
  return picked;
}

/**
 * Lays token weights back onto the text, where the scanner found each token. A token that is not
 * a stretch of the text as typed (an emoticon, a word with a tag inside or an emoticon glued on,
 * a word whose lower-casing changes its length) is not shown; the text between tokens — tags, punctuation, stop words — is shown unweighted.
 * The text itself is always reproduced exactly.
 */
function segmentsOf(text: string, spans: TokenSpans, weights: Float64Array): TextSegment[] {
  const segments: TextSegment[] = [];
  const push = (piece: string, weight: number): void => {
    if (piece.length === 0) return;
    const last = segments[segments.length - 1];
    if (last !== undefined && last.weight === 0 && weight === 0) last.text += piece;
    else segments.push({ text: piece, weight });
  };
  const { starts, ends } = spans;
  let position = 0;
  for (let k = 0; k < weights.length; k++) {
    if (starts[k] < 0) continue;
    push(text.slice(position, starts[k]), 0);
    push(text.slice(starts[k], ends[k]), weights[k]);
    position = ends[k];
  }
  push(text.slice(position), 0);
  return segments;
}
