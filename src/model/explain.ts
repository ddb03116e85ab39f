import { ENGLISH_STOP_WORDS } from '../text/stop-words.js';
import { tagRanges } from '../text/strip-tags.js';
import { sigmoid } from './logistic-regression.js';
import type { SentimentModel } from './sentiment-model.js';
import { labelName, type Contribution, type Label, type Prediction } from './types.js';

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

const WORD = /[\p{L}\p{N}_]+/gu;

/**
 * Classifies `text` and says why, from one pass of the vectorizer: each feature's share of the
 * decision value (scaled, normalized feature value × weight — the same sum `model.decision`
 * makes), named by the first n-gram that hashes to it, and the same shares spread over the words
 * of the text for highlighting (an n-gram's share is split evenly between its words and its
 * occurrences).
 *
 * @example explain(model, 'A wonderful film', 5).contributions[0] // { term: 'wonderful', weight: 1.7 }
 */
export function explain(model: SentimentModel, text: string, top = 10): Explanation {
  const { ngramMin, ngramMax, removeStopWords } = model.spec.features;
  const vectorizer = model.vectorizer;
  const acc = vectorizer.accumulate(text);
  // Per distinct column (accumulator slot): its share of the decision.
  const share = new Float64Array(acc.size);
  const decision = model.score(acc, share);
  const size = acc.size;

  // Slot of every n-gram occurrence (gramColumns lists unigrams, then bigrams, ...).
  const columns = vectorizer.gramColumns;
  const grams = vectorizer.gramCount;
  const gramSlot = new Int32Array(grams);
  const occurrences = new Int32Array(size);
  for (let g = 0; g < grams; g++) {
    const slot = acc.slotOf(columns[g]);
    gramSlot[g] = slot;
    occurrences[slot]++;
  }
  acc.clear();

  const tokens = vectorizer.tokens;
  const words = tokens.allTokens();
  const wordWeight = new Float64Array(tokens.count);
  // Top terms: the strongest slots, each named by its first n-gram occurrence.
  const topSlots = strongest(share, top);
  const termOfSlot = new Map<number, string>();
  let g = 0;
  for (let n = ngramMin; n <= ngramMax; n++) {
    for (let i = 0; i + n <= tokens.count; i++, g++) {
      const slot = gramSlot[g];
      const part = share[slot] / (n * occurrences[slot]);
      for (let w = i; w < i + n; w++) wordWeight[w] += part;
      if (topSlots.has(slot) && !termOfSlot.has(slot)) termOfSlot.set(slot, words.slice(i, i + n).join(' '));
    }
  }
  const contributions: Contribution[] = [];
  for (const [slot, term] of termOfSlot) contributions.push({ term, weight: share[slot] });
  contributions.sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || (a.term < b.term ? -1 : 1));
  contributions.length = Math.min(contributions.length, top);

  const positiveProbability = sigmoid(decision);
  const label: Label = positiveProbability >= 0.5 ? 1 : 0;
  return {
    prediction: {
      label: labelName(label),
      probability: label === 1 ? positiveProbability : 1 - positiveProbability,
      positiveProbability,
    },
    contributions,
    segments: segmentsOf(text, words, wordWeight, removeStopWords),
  };
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
 * Lays word weights back onto the original text. Kept tokens are matched, in order, to the word
 * runs of the text outside HTML tags; where the two disagree (a tag inside a word, an emoticon
 * glued to the last word) alignment stops and the rest is shown unweighted — the text itself is
 * always reproduced exactly.
 */
function segmentsOf(text: string, words: string[], weights: Float64Array, removeStopWords: boolean): TextSegment[] {
  const segments: TextSegment[] = [];
  const push = (piece: string, weight: number): void => {
    if (piece.length === 0) return;
    const last = segments[segments.length - 1];
    if (last !== undefined && last.weight === 0 && weight === 0) last.text += piece;
    else segments.push({ text: piece, weight });
  };
  let next = 0;
  let aligned = true;
  const wordsOf = (stretch: string): void => {
    let position = 0;
    for (const match of stretch.matchAll(WORD)) {
      push(stretch.slice(position, match.index), 0);
      position = match.index + match[0].length;
      const piece = match[0];
      const lower = piece.toLowerCase();
      if (removeStopWords && ENGLISH_STOP_WORDS.has(lower)) {
        push(piece, 0);
      } else if (aligned && words[next] === lower) {
        push(piece, weights[next]);
        next++;
      } else {
        aligned = false;
        push(piece, 0);
      }
    }
    push(stretch.slice(position), 0);
  };
  // Tags are shown as typed but hold no words (the tokenizer drops them).
  let position = 0;
  for (const [start, end] of tagRanges(text)) {
    wordsOf(text.slice(position, start));
    push(text.slice(start, end), 0);
    position = end;
  }
  wordsOf(text.slice(position));
  return segments;
}
