/** 1 = positive review, 0 = negative review (the classic `review_db.sentiment` encoding). */
export type Label = 0 | 1;

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
