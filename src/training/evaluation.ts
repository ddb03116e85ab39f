import type { LabelledDoc } from '../corpus/index.js';
import type { SentimentModel } from '../model/sentiment-model.js';
import { labelName } from '../model/types.js';

/** How well a model classified a stream of labelled documents, and how fast. */
export interface Evaluation {
  n: number;
  accuracy: number;
  /** Mean negative log-likelihood of the true labels (natural log), probabilities clipped at 1e-15. */
  logLoss: number;
  /** Rows: true label; columns: predicted. */
  confusion: { truePositive: number; falseNegative: number; falsePositive: number; trueNegative: number };
  /** Documents classified per second, counting only the model's work (tokenize, hash, score). */
  docsPerSecond: number;
  /** Wall-clock seconds including reading the corpus. */
  seconds: number;
}

const EPSILON = 1e-15;

/** Classifies every document of a stream and compares the predictions with the labels. */
export async function evaluateModel(
  model: SentimentModel,
  docs: AsyncIterable<LabelledDoc>,
  onProgress?: (docs: number) => void,
): Promise<Evaluation> {
  const confusion = { truePositive: 0, falseNegative: 0, falsePositive: 0, trueNegative: 0 };
  let n = 0;
  let logLoss = 0;
  let modelMs = 0;
  const started = performance.now();
  for await (const doc of docs) {
    const t0 = performance.now();
    const prediction = model.predict(doc.text);
    modelMs += performance.now() - t0;
    const p = prediction.positiveProbability;
    const correct = prediction.label === labelName(doc.label);
    if (doc.label === 1) {
      if (correct) confusion.truePositive++;
      else confusion.falseNegative++;
      logLoss -= Math.log(Math.max(p, EPSILON));
    } else {
      if (correct) confusion.trueNegative++;
      else confusion.falsePositive++;
      logLoss -= Math.log(Math.max(1 - p, EPSILON));
    }
    n++;
    if (onProgress !== undefined && n % 1000 === 0) onProgress(n);
  }
  const correct = confusion.truePositive + confusion.trueNegative;
  return {
    n,
    accuracy: n === 0 ? 0 : correct / n,
    logLoss: n === 0 ? 0 : logLoss / n,
    confusion,
    docsPerSecond: modelMs === 0 ? 0 : n / (modelMs / 1000),
    seconds: (performance.now() - started) / 1000,
  };
}
