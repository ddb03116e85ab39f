import { phrasesOf } from './fingerprint.js';

/**
 * How often documents holding each phrase of a review (by key, as fingerprint's phraseKeys) were
 * positive, by the model's counts (SentimentModel.countLean), for FeedbackOptions.phraseLeans:
 * every answer moves those counts by one document however sure the prediction was, so the phrase
 * budget counts an answer against a phrase's lean (src/store/rows.ts, phrasePush) even when its
 * prediction's push is small. Null when the model keeps no counts. Counts, not the model's weights
 * on the phrase alone: three words alone get the weight of a whole review after normalization
 * ("to see it" reads 0.99 positive), and measured against that the learning loop held 1,850 of
 * 5,000 truthful answers.
 */
export function phraseLeans(review: string, lean: (text: string) => number | null): Map<number, number> | null {
  const leans = new Map<number, number>();
  for (const { key, words } of phrasesOf(review)) {
    const value = lean(words);
    if (value === null) return null;
    leans.set(key, value);
  }
  return leans;
}
