/** 1 = positive review, 0 = negative review (the classic `review_db.sentiment` encoding). */
export type Label = 0 | 1;

/**
 * Whether `value` is a label: 0 or 1, nothing else. The one statement of that rule: rows adopted
 * from a classic database may hold anything, and are never learned from unless it holds.
 */
export const isLabel = (value: unknown): value is Label => value === 0 || value === 1;

export type LabelName = 'positive' | 'negative';

export const labelName = (label: Label): LabelName => (label === 1 ? 'positive' : 'negative');

/** One term of the text and how much it pushed the decision (positive = towards "positive"). */
export interface Contribution {
  term: string;
  weight: number;
}

export interface Prediction {
  label: LabelName;
  /** Probability of the predicted label, in [0.5, 1]. */
  probability: number;
  /** Probability that the review is positive, in [0, 1]. */
  positiveProbability: number;
}

/**
 * The prediction a probability of "positive" makes: positive from 0.5 up (a tie goes to
 * positive), with the probability of whichever label it predicts.
 *
 * @example predictionOf(0.2) // { label: 'negative', probability: 0.8, positiveProbability: 0.2 }
 */
export function predictionOf(positiveProbability: number): Prediction {
  const label: Label = positiveProbability >= 0.5 ? 1 : 0;
  return {
    label: labelName(label),
    probability: label === 1 ? positiveProbability : 1 - positiveProbability,
    positiveProbability,
  };
}
