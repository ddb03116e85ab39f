import { describe, expect, it } from 'vitest';

import { openStore } from '../../src/store/index.js';
import { checkFeedbackRows, compareFeedback } from '../../tools/bench/feedback-check.js';

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
    expect(compareFeedback(rows([11, 12]), [11, 11], 2, 16)).toMatchObject({
      repeatedAnswerIds: 1,
      exactlyOnce: false,
    });
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

describe('checkFeedbackRows', () => {
  const storeWithPredictions = async (count: number) => {
    const store = openStore(':memory:');
    const ids = Array.from({ length: count }, (_, i) => `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`);
    for (const id of ids) {
      await store.insertPrediction({
        id,
        review: `review ${id}`,
        sentiment: 1,
        probability: 0.9,
        modelVersion: 'm@0',
        createdAt: '2024-05-01T00:00:00.000Z',
      });
    }
    return { store, ids };
  };

  it('reads the rows after the mark from the store and passes when each feedback made one linked row', async () => {
    // Arrange
    const { store, ids } = await storeWithPredictions(3);
    await store.recordFeedback(ids[0], 1, 'api');
    const before = await store.maxReviewId();
    const answered: number[] = [];
    for (const id of ids.slice(1)) {
      const outcome = await store.recordFeedback(id, 0, 'api');
      answered.push(outcome.status === 'recorded' ? outcome.reviewId : -1);
    }

    // Act
    const check = await checkFeedbackRows(store, before, answered, 16);
    await store.close();

    // Assert
    expect(check).toMatchObject({ rowsAdded: 2, answeredAndStored: 2, linkedPredictions: 2, exactlyOnce: true });
  });

  it('fails when a row appeared that no prediction links to', async () => {
    // Arrange
    const { store, ids } = await storeWithPredictions(1);
    const outcome = await store.recordFeedback(ids[0], 1, 'api');
    await store.insertReview('a row written around the API', 0, 'api');

    // Act
    const check = await checkFeedbackRows(store, 0, outcome.status === 'recorded' ? [outcome.reviewId] : [], 16);
    await store.close();

    // Assert
    expect(check).toMatchObject({ rowsAdded: 2, linkedPredictions: 1, exactlyOnce: false });
  });
});
