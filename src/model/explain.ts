import { murmur3 } from '../text/murmur3.js';
import { ENGLISH_STOP_WORDS } from '../text/stop-words.js';
import { scanTokens, TokenBuffer } from '../text/token-scanner.js';
import type { SentimentModel } from './sentiment-model.js';
import type { Contribution } from './types.js';

export interface TextSegment {
  text: string;
  /** > 0 pushed towards positive, < 0 towards negative, 0 = neutral or not a word. */
  weight: number;
}

export interface Explanation {
  /** Terms (words and n-grams) by |weight|, strongest first; weights sum to decision − intercept. */
  contributions: Contribution[];
  /** The text, split into stretches; concatenated they give the text back exactly. */
  segments: TextSegment[];
}

const WORD_OR_TAG = /<[^>]*>|[\p{L}\p{N}_]+/gu;

/**
 * Why the model decided as it did for `text`: each feature's share of the decision value
 * (weight × scaled feature value), named by the first n-gram that hashes to it, and the same
 * shares spread over the words of the text for highlighting (an n-gram's share is split evenly
 * between its words and its occurrences).
 *
 * @example explain(model, 'A wonderful film', 5).contributions[0] // { term: 'wonderful', weight: 1.7 }
 */
export function explain(model: SentimentModel, text: string, top = 10): Explanation {
  const { nFeatures, ngramMin, ngramMax, removeStopWords } = model.spec.features;
  const row = model.row(text);
  const classifier = model.classifier;
  const contributionOf = new Map<number, number>();
  for (let k = 0; k < row.length; k++) {
    const j = row.indices[k];
    contributionOf.set(j, classifier.v[j] * classifier.scale * row.values[k]);
  }

  const tokens = new TokenBuffer();
  scanTokens(text, removeStopWords, tokens);
  const words = Array.from({ length: tokens.count }, (_, k) => tokens.token(k));
  const grams: { start: number; n: number; column: number }[] = [];
  const occurrences = new Map<number, number>();
  const termOf = new Map<number, string>();
  for (let n = ngramMin; n <= ngramMax; n++) {
    for (let i = 0; i + n <= tokens.count; i++) {
      const h = n === 1 ? tokens.hashes[i] : murmur3(tokens.bytes, tokens.starts[i], tokens.ends[i + n - 1]);
      const column = Math.abs(h) % nFeatures;
      grams.push({ start: i, n, column });
      occurrences.set(column, (occurrences.get(column) ?? 0) + 1);
      if (!termOf.has(column)) termOf.set(column, words.slice(i, i + n).join(' '));
    }
  }

  const contributions: Contribution[] = [];
  for (const [column, weight] of contributionOf) {
    const term = termOf.get(column);
    if (term !== undefined && weight !== 0) contributions.push({ term, weight });
  }
  contributions.sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || (a.term < b.term ? -1 : 1));

  const wordWeight = new Float64Array(tokens.count);
  for (const { start, n, column } of grams) {
    const share = (contributionOf.get(column) ?? 0) / (n * (occurrences.get(column) ?? 1));
    for (let i = start; i < start + n; i++) wordWeight[i] += share;
  }
  return { contributions: contributions.slice(0, top), segments: segmentsOf(text, words, wordWeight, removeStopWords) };
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
  let position = 0;
  for (const match of text.matchAll(WORD_OR_TAG)) {
    push(text.slice(position, match.index), 0);
    position = match.index + match[0].length;
    const piece = match[0];
    if (piece.startsWith('<')) {
      push(piece, 0);
      continue;
    }
    const lower = piece.toLowerCase();
    if (removeStopWords && ENGLISH_STOP_WORDS.has(lower)) {
      push(piece, 0);
      continue;
    }
    if (aligned && words[next] === lower) {
      push(piece, weights[next]);
      next++;
    } else {
      aligned = false;
      push(piece, 0);
    }
  }
  push(text.slice(position), 0);
  return segments;
}
