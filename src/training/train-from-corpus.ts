import { isHeldOut, mulberry32, randomInt, type Corpus, type LabelledDoc } from '../corpus/index.js';
import type { CheckExample, ModelHeader, TrainingFacts } from '../model/model-file.js';
import type { ModelSpec } from '../model/presets.js';
import { SentimentModel } from '../model/sentiment-model.js';
import { evaluateModel, type Evaluation } from './evaluation.js';

export interface TrainProgress {
  phase: 'counting' | 'training' | 'holdout';
  /** 1-based epoch during 'training'; 0 otherwise. */
  epoch: number;
  epochs: number;
  /** Documents read so far in this pass. */
  docs: number;
  /** Documents per pass when the corpus knows it (folders), else null. */
  total: number | null;
}

export interface TrainOptions {
  corpus: Corpus;
  spec: ModelSpec;
  /** Fraction of documents held out for measuring accuracy, by hash of their key. @default 0.1 */
  holdout: number;
  seed: number;
  /** Labelled reviews kept with the model for `npm run update`'s check. @default 1000 */
  checkSetSize?: number;
  onProgress?: (progress: TrainProgress) => void;
  /** Documents between two progress reports. @default spec.batchSize */
  progressEvery?: number;
}

export interface TrainResult {
  model: SentimentModel;
  training: TrainingFacts;
  checkSet: CheckExample[];
  checkSetSource: ModelHeader['checkSetSource'];
  /** The trained model evaluated on the held-out documents; null when none were held out. */
  heldOutEvaluation: Evaluation | null;
  /** Training documents per second over all passes (reading, tokenizing, hashing, learning). */
  docsPerSecond: number;
}

/**
 * Trains a model out of core: the corpus is streamed, never loaded, once per pass — a first
 * pass counting naive-Bayes ratios when the preset uses them, then `epochs` passes of SGD in the
 * seeded shuffled order, then one pass scoring the held-out documents. Same corpus, spec and
 * seed give the same weights, bit for bit.
 */
export async function trainFromCorpus(options: TrainOptions): Promise<TrainResult> {
  const { corpus, spec, holdout, seed } = options;
  const checkSetSize = options.checkSetSize ?? 1000;
  const every = options.progressEvery ?? spec.batchSize;
  const total = 'size' in corpus && typeof corpus.size === 'number' ? corpus.size : null;
  const model = SentimentModel.untrained(spec);
  const report = (phase: TrainProgress['phase'], epoch: number, docs: number): void =>
    options.onProgress?.({ phase, epoch, epochs: spec.epochs, docs, total });
  const heldOut = (doc: LabelledDoc): boolean => isHeldOut(doc.key, seed, holdout);

  const started = performance.now();
  let trainingDocs = 0;
  let heldOutDocs = 0;
  let stepped = 0;
  // Reservoir sample of the check set, taken during the first epoch: from the held-out documents,
  // or, when nothing is held out, from the training documents (their accuracy is optimistic, but
  // a fall in it is still a fall, which is what `update` checks for).
  const sampleRng = mulberry32(seed ^ 0x5bd1e995);
  const checkSet: CheckExample[] = [];
  let candidates = 0;
  const offerCheck = (doc: LabelledDoc): void => {
    candidates++;
    if (checkSet.length < checkSetSize) checkSet.push({ text: doc.text, label: doc.label });
    else {
      const slot = randomInt(sampleRng, candidates);
      if (slot < checkSetSize) checkSet[slot] = { text: doc.text, label: doc.label };
    }
  };

  const training = model.batchTraining();
  if (spec.nbAlpha !== null) {
    let docs = 0;
    for await (const doc of corpus.stream({ seed, shuffle: false })) {
      if (!heldOut(doc)) training.count(doc.text, doc.label);
      if (++docs % every === 0) report('counting', 0, docs);
    }
    report('counting', 0, docs);
  }
  for (let epoch = 1; epoch <= spec.epochs; epoch++) {
    let docs = 0;
    for await (const doc of corpus.stream({ seed: seed + epoch, shuffle: true })) {
      docs++;
      if (heldOut(doc)) {
        if (epoch === 1) {
          heldOutDocs++;
          offerCheck(doc);
        }
      } else {
        if (epoch === 1) {
          trainingDocs++;
          if (holdout === 0) offerCheck(doc);
        }
        training.step(doc.text, doc.label);
        stepped++;
      }
      if (docs % every === 0) report('training', epoch, docs);
    }
    report('training', epoch, docs);
  }
  const trainSeconds = (performance.now() - started) / 1000;
  training.finish();

  let heldOutEvaluation: Evaluation | null = null;
  if (heldOutDocs > 0) {
    async function* heldOutOnly(): AsyncGenerator<LabelledDoc> {
      for await (const doc of corpus.stream({ seed, shuffle: false })) if (heldOut(doc)) yield doc;
    }
    heldOutEvaluation = await evaluateModel(model, heldOutOnly(), (docs) => report('holdout', 0, docs));
  }

  return {
    model,
    training: {
      corpus: corpus.description,
      documents: trainingDocs,
      epochs: spec.epochs,
      heldOutDocuments: heldOutDocs,
      heldOutAccuracy: heldOutEvaluation?.accuracy ?? null,
      seed,
      trainedAt: new Date().toISOString(),
    },
    checkSet,
    checkSetSource: heldOutDocs > 0 ? 'held-out' : checkSet.length > 0 ? 'training-sample' : 'none',
    heldOutEvaluation,
    docsPerSecond: stepped / trainSeconds,
  };
}
