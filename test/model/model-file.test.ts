import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mulberry32, randomInt } from '../../src/corpus/random.js';
import { ModelFileError } from '../../src/errors.js';
import {
  decodeModel,
  encodeModel,
  MODEL_FORMAT_VERSION,
  readModelFile,
  writeModelFile,
  type LoadedModelFile,
} from '../../src/model/model-file.js';
import { presetSpec, type ModelSpec } from '../../src/model/presets.js';
import { SentimentModel } from '../../src/model/sentiment-model.js';
import { makeTestModel, miniImdbDocs, testSpec } from '../helpers/model.js';

const TEST_TEXTS = miniImdbDocs('test').map((d) => d.text);

/** encodeModel's input for a loaded model file, optionally with another watermark. */
function inputOf(file: LoadedModelFile, feedbackWatermark = file.header.feedbackWatermark) {
  return {
    model: file.model,
    training: file.header.training,
    feedbackWatermark,
    checkSet: file.checkSet,
    checkSetSource: file.header.checkSetSource,
  };
}

/** A model trained in memory (never saved) on the mini-imdb train split, as training leaves it. */
function trainInMemory(spec: ModelSpec): SentimentModel {
  const model = SentimentModel.untrained(spec);
  const training = model.batchTraining();
  const docs = miniImdbDocs('train');
  for (const doc of docs) training.count(doc.text, doc.label);
  for (let epoch = 0; epoch < 2; epoch++) {
    for (let k = 0; k < docs.length; k++) {
      const doc = docs[(k * 7919) % docs.length];
      training.step(doc.text, doc.label);
    }
  }
  training.finish();
  return model;
}

function encodeFresh(model: SentimentModel): Buffer {
  return encodeModel({
    model,
    training: {
      corpus: 'mini',
      documents: 120,
      epochs: 2,
      heldOutDocuments: 0,
      heldOutAccuracy: null,
      seed: 1,
      trainedAt: '2026-01-01T00:00:00.000Z',
    },
    feedbackWatermark: 0,
    checkSet: [],
    checkSetSource: 'none',
  });
}

/** Runs `load` and returns the ModelFileError it throws; fails the test if it throws anything else or nothing. */
function refusal(load: () => unknown): ModelFileError {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ModelFileError);
    return error as ModelFileError;
  }
  throw new Error('expected the model file to be refused, but it loaded');
}

/** Offset of the body: 8-byte magic, 4-byte version, 4-byte header length, header. */
function bodyStart(bytes: Buffer): number {
  return 16 + bytes.readUInt32LE(12);
}

describe('model file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'movieclassifier-model-file-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('round trip', () => {
    it('decodes to a model with identical probabilities on the mini-imdb test texts and an identical header', () => {
      // Arrange
      const original = makeTestModel();

      // Act
      const bytes = encodeModel(inputOf(original));
      const decoded = decodeModel(bytes, 'round-trip.bin');

      // Assert
      expect(decoded.header).toEqual(original.header);
      expect(decoded.header.formatVersion).toBe(MODEL_FORMAT_VERSION);
      expect(decoded.checkSet).toEqual(original.checkSet);
      expect(TEST_TEXTS.map((t) => decoded.model.predict(t).positiveProbability)).toEqual(
        TEST_TEXTS.map((t) => original.model.predict(t).positiveProbability),
      );
    });

    it('re-encodes a decoded model to the very same bytes', () => {
      // Arrange
      const bytes = encodeModel(inputOf(makeTestModel()));

      // Act
      const again = encodeModel(inputOf(decodeModel(bytes, 'again.bin')));

      // Assert
      expect(again.equals(bytes)).toBe(true);
    });

    it('saves a model that has learned online (weight scale below 1) without changing any probability', () => {
      // Arrange
      const model = trainInMemory(testSpec());
      for (const doc of miniImdbDocs('test').slice(0, 6)) model.learn(doc.text, doc.label);

      // Act
      const decoded = decodeModel(encodeFresh(model), 'learned.bin');

      // Assert
      expect(model.state().classifier.scale).toBeLessThan(1);
      expect(TEST_TEXTS.map((t) => decoded.model.predict(t).positiveProbability)).toEqual(
        TEST_TEXTS.map((t) => model.predict(t).positiveProbability),
      );
    });

    it('lets a reloaded model learn exactly as the in-memory model it was saved from (default and classic presets)', () => {
      // Arrange: an online step size unlike the training one, so the two schedules can be told apart.
      const classic = presetSpec('classic');
      const specs: ModelSpec[] = [
        { ...testSpec(), onlineEta: 0.1 },
        { ...classic, features: { ...classic.features, nFeatures: 2 ** 16 } },
      ];
      for (const spec of specs) {
        const inMemory = trainInMemory(spec);
        const reloaded = decodeModel(encodeFresh(inMemory), 'reloaded.bin').model;
        const feedback = miniImdbDocs('test').slice(0, 8);

        // Act
        for (const doc of feedback) {
          inMemory.learn(doc.text, doc.label);
          reloaded.learn(doc.text, doc.label);
        }

        // Assert
        expect(reloaded.state().classifier.intercept).toBe(inMemory.state().classifier.intercept);
        expect(TEST_TEXTS.map((t) => reloaded.predict(t).positiveProbability)).toEqual(
          TEST_TEXTS.map((t) => inMemory.predict(t).positiveProbability),
        );
        expect(encodeFresh(reloaded).equals(encodeFresh(inMemory))).toBe(true);
      }
    });
  });

  describe('writeModelFile', () => {
    it('writes a file that readModelFile loads, and keeps the file it replaces as .prev', () => {
      // Arrange
      const path = join(dir, 'model.bin');
      const file = makeTestModel();

      // Act
      writeModelFile(path, inputOf(file, 1));
      writeModelFile(path, inputOf(file, 2));

      // Assert
      expect(readModelFile(path).header.feedbackWatermark).toBe(2);
      expect(readModelFile(`${path}.prev`).header.feedbackWatermark).toBe(1);
      expect(readdirSync(dir).sort()).toEqual(['model.bin', 'model.bin.prev']); // no temp files left
    });

    it('writes no .prev file when there was nothing to replace', () => {
      // Arrange
      const path = join(dir, 'first.bin');

      // Act
      writeModelFile(path, inputOf(makeTestModel()));

      // Assert
      expect(readdirSync(dir)).toEqual(['first.bin']);
    });
  });

  describe('refusals', () => {
    let path: string;
    let good: Buffer;
    beforeEach(async () => {
      path = join(dir, 'model.bin');
      good = encodeModel(inputOf(makeTestModel()));
    });

    it('refuses a missing file with a ModelFileError naming the path', () => {
      // Act
      const error = refusal(() => readModelFile(join(dir, 'missing.bin')));

      // Assert
      expect(error.path).toBe(join(dir, 'missing.bin'));
      expect(error.message).toContain(join(dir, 'missing.bin'));
      expect(error.message).toMatch(/does not exist/);
    });

    it('refuses a file truncated anywhere: in the signature, the header or the body', () => {
      // Arrange
      const body = bodyStart(good);
      const cuts = [
        0,
        1,
        7,
        8,
        12,
        15,
        16,
        17,
        body - 1,
        body,
        body + 1,
        Math.floor((body + good.length) / 2),
        good.length - 1,
      ];

      for (const cut of cuts) {
        writeFileSync(path, good.subarray(0, cut));

        // Act
        const error = refusal(() => readModelFile(path));

        // Assert
        expect(error.path).toBe(path);
        expect(error.message).toContain(path);
      }
    });

    it('refuses a file with any one byte flipped in the signature, version, length or header', () => {
      // Arrange
      const body = bodyStart(good);
      const positions = [...Array.from({ length: 16 }, (_, k) => k)];
      for (let k = 16; k < body; k += 3) positions.push(k);

      // Act + Assert
      for (const position of positions) {
        const corrupted = Buffer.from(good);
        corrupted[position] ^= 0x01;
        const error = refusal(() => decodeModel(corrupted, path));
        expect(error.path).toBe(path);
        expect(error.message).toContain(path);
      }
    });

    it('refuses a file with one byte flipped in the body, at any of 64 seeded positions', () => {
      // Arrange
      const body = bodyStart(good);
      const rng = mulberry32(99);
      const positions = [
        body,
        good.length - 1,
        ...Array.from({ length: 62 }, () => body + randomInt(rng, good.length - body)),
      ];

      // Act + Assert
      for (const position of positions) {
        const corrupted = Buffer.from(good);
        corrupted[position] ^= 0x20;
        const error = refusal(() => decodeModel(corrupted, path));
        expect(error.message).toMatch(/corrupted|checksum/);
      }
    });

    it('refuses a corrupted file on disk through readModelFile, naming it', () => {
      // Arrange
      const corrupted = Buffer.from(good);
      corrupted[good.length - 10] ^= 0xff;
      writeFileSync(path, corrupted);

      // Act
      const error = refusal(() => readModelFile(path));

      // Assert
      expect(error.path).toBe(path);
      expect(error.message).toContain(path);
      expect(error.message).toMatch(/checksum/);
    });

    it('refuses foreign files (a PNG, a JSON file, an empty file) as not being model files', () => {
      // Arrange
      const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 7)]);
      const json = Buffer.from(JSON.stringify({ formatVersion: 1, weights: [0.1, 0.2] }), 'utf8');

      for (const [name, bytes] of [
        ['image.png', png],
        ['model.json', json],
        ['empty.bin', Buffer.alloc(0)],
      ] as const) {
        const foreign = join(dir, name);
        writeFileSync(foreign, bytes);

        // Act
        const error = refusal(() => readModelFile(foreign));

        // Assert
        expect(error.path).toBe(foreign);
        expect(error.message).toContain(foreign);
        expect(error.message).toMatch(/not a movieclassifier model file/);
      }
    });

    it('refuses another format version, saying which version it found and which it reads', () => {
      // Arrange
      const future = Buffer.from(good);
      future.writeUInt32LE(MODEL_FORMAT_VERSION + 1, 8);
      writeFileSync(path, future);

      // Act
      const error = refusal(() => readModelFile(path));

      // Assert
      expect(error.path).toBe(path);
      expect(error.message).toContain(path);
      expect(error.message).toContain(`format ${MODEL_FORMAT_VERSION + 1}`);
      expect(error.message).toContain(`reads ${MODEL_FORMAT_VERSION}`);
    });

    it('refuses a folder given as the model path', () => {
      // Act
      const error = refusal(() => readModelFile(dir));

      // Assert
      expect(error.path).toBe(dir);
      expect(error.message).toContain(dir);
    });
  });
});
