import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeModel, encodeModel, type LoadedModelFile } from '../../src/model/model-file.js';
import { presetSpec, type ModelSpec } from '../../src/model/presets.js';
import { SentimentModel } from '../../src/model/sentiment-model.js';
import type { Label } from '../../src/model/types.js';

export const MINI_IMDB = join(import.meta.dirname, '..', 'fixtures', 'mini-imdb');

/** The `default` recipe in a small hash space, so tests build models in milliseconds. */
export function testSpec(): ModelSpec {
  const spec = presetSpec('default');
  return { ...spec, features: { ...spec.features, nFeatures: 2 ** 16 }, epochs: 5 };
}

export function miniImdbDocs(split: 'train' | 'test'): { text: string; label: Label }[] {
  const docs: { text: string; label: Label }[] = [];
  for (const [folder, label] of [
    ['pos', 1],
    ['neg', 0],
  ] as const) {
    const dir = join(MINI_IMDB, split, folder);
    for (const file of readdirSync(dir).sort()) docs.push({ text: readFileSync(join(dir, file), 'utf8'), label });
  }
  return docs;
}

let encoded: Buffer | undefined;

/**
 * A real model trained on the committed mini-imdb fixture (train split), as a freshly loaded,
 * independent model file on every call: trained once per test process, then decoded from its bytes.
 */
export function makeTestModel(): LoadedModelFile {
  return decodeModel(testModelBytes(), 'test-model.bin');
}

/** The test model's file bytes (what a checkpoint of it holds). */
export function testModelBytes(): Buffer {
  encoded ??= trainTestModel(testSpec());
  return encoded;
}

/**
 * A model trained as the test model is, on `spec` (e.g. a smaller online step, for a test that
 * needs many answers to move a prediction only a little, as the shipped model's confidence does).
 */
export function trainTestModel(spec: ModelSpec): Buffer {
  const model = SentimentModel.untrained(spec);
  const training = model.batchTraining();
  const docs = miniImdbDocs('train');
  for (const doc of docs) training.count(doc.text, doc.label);
  for (let epoch = 0; epoch < spec.epochs; epoch++) {
    // A fixed interleaving instead of a shuffle: deterministic and mixes the two labels.
    for (let k = 0; k < docs.length; k++) {
      const doc = docs[(k * 7919) % docs.length];
      training.step(doc.text, doc.label);
    }
  }
  training.finish();
  return encodeModel({
    model,
    training: {
      corpus: 'test/fixtures/mini-imdb/train',
      documents: docs.length,
      epochs: spec.epochs,
      heldOutDocuments: 0,
      heldOutAccuracy: null,
      seed: 0,
      trainedAt: '2026-01-01T00:00:00.000Z',
    },
    feedbackWatermark: 0,
    checkSet: miniImdbDocs('test'),
    checkSetSource: 'held-out',
  });
}
