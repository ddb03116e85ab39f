import { openCorpus } from '../../src/corpus/index.js';
import { readModelFile } from '../../src/model/model-file.js';
import { presetSpec, type PresetName } from '../../src/model/presets.js';
import { evaluateModel } from '../../src/training/evaluation.js';
import { trainFromCorpus } from '../../src/training/train-from-corpus.js';
import { round } from './stats.js';

export interface TrainingSpeed {
  preset: PresetName;
  documents: number;
  /**
   * Training documents per second over one epoch (reading, tokenizing, hashing, learning); for
   * `default` the naive-Bayes counting pass that precedes it is included in the time.
   */
  docsPerSecond: number;
  /** Wall-clock seconds of the whole call (including the check-set pass). */
  seconds: number;
}

/** Trains one pass of a preset on the corpus, in this process, holding nothing out; nothing is written. */
export async function measureTraining(data: string, preset: PresetName): Promise<TrainingSpeed> {
  const corpus = await openCorpus(data);
  const started = performance.now();
  const result = await trainFromCorpus({ corpus, spec: { ...presetSpec(preset), epochs: 1 }, holdout: 0, seed: 1 });
  return {
    preset,
    documents: result.training.documents,
    docsPerSecond: Math.round(result.docsPerSecond),
    seconds: round((performance.now() - started) / 1000, 2),
  };
}

export interface PredictionSpeed {
  model: string;
  documents: number;
  /** Documents classified per second, counting the model's work only (as `npm run evaluate`). */
  docsPerSecond: number;
  accuracy: number;
  /** Wall-clock seconds including reading the corpus. */
  seconds: number;
}

/** Classifies every document of the corpus with a model file, in this process. */
export async function measurePrediction(data: string, modelFile: string): Promise<PredictionSpeed> {
  const { model } = readModelFile(modelFile);
  const corpus = await openCorpus(data);
  const scores = await evaluateModel(model, corpus.stream({ seed: 0, shuffle: false }));
  return {
    model: modelFile,
    documents: scores.n,
    docsPerSecond: Math.round(scores.docsPerSecond),
    accuracy: round(scores.accuracy, 4),
    seconds: round(scores.seconds, 2),
  };
}
