import type { Learner } from '../learner/index.js';
import type { Metrics } from './registry.js';

/**
 * The learner as the web layer uses it, counting predictions made and feedback rows recorded (by
 * verdict) as they are answered. Everything else is the learner's own, looked up on it at each
 * call (so it stays the one object the rest of the process holds).
 */
export function countedLearner(learner: Learner, metrics: Pick<Metrics, 'predictions' | 'feedback'>): Learner {
  const counted = Object.create(learner) as Learner;
  counted.predict = async (review, options) => {
    const outcome = await learner.predict(review, options);
    metrics.predictions.inc();
    return outcome;
  };
  counted.feedback = async (predictionId, correct, origin) => {
    const outcome = await learner.feedback(predictionId, correct, origin);
    if (outcome.status === 'recorded') metrics.feedback.inc({ verdict: outcome.verdict });
    return outcome;
  };
  return counted;
}
