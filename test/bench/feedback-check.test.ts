import { describe, expect, it } from 'vitest';

import { compareFeedback } from '../../tools/bench/feedback-check.js';

const rows = (ids: number[]) => ids.map((id) => ({ id, predictionId: `p${id}` }));

describe('compareFeedback', () => {
  it('passes when every acknowledged review id is a new row, once, and the rest were cut off at the end', () => {
    // Act
    const check = compareFeedback(rows([11, 12, 13, 14]), [11, 12, 13], 4, 16);

    // Assert
    expect(check).toEqual({
      rowsAdded: 4,
      answered: 3,
      answeredAndStored: 3,
      repeatedAnswerIds: 0,
      duplicatePredictionRows: 0,
      linkedPredictions: 4,
      storedAfterCutOff: 1,
      exactlyOnce: true,
    });
  });

  it('fails when an acknowledged feedback is missing from the database', () => {
    expect(compareFeedback(rows([11]), [11, 12], 1, 16).exactlyOnce).toBe(false);
  });

  it('fails when two answers report the same row', () => {
    expect(compareFeedback(rows([11, 12]), [11, 11], 2, 16)).toMatchObject({ repeatedAnswerIds: 1, exactlyOnce: false });
  });

  it('fails when one prediction got two rows', () => {
    const stored = [
      { id: 11, predictionId: 'same' },
      { id: 12, predictionId: 'same' },
    ];
    expect(compareFeedback(stored, [11, 12], 2, 16)).toMatchObject({ duplicatePredictionRows: 1, exactlyOnce: false });
  });

  it('fails when more rows appeared than connections could have left unanswered', () => {
    expect(compareFeedback(rows([1, 2, 3, 4]), [1], 4, 2)).toMatchObject({ storedAfterCutOff: 3, exactlyOnce: false });
  });

  it('fails when a new row is not linked back to its prediction', () => {
    expect(compareFeedback(rows([1, 2]), [1, 2], 1, 16).exactlyOnce).toBe(false);
  });
});
