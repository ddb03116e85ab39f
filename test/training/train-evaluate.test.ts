import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCorpus } from '../../src/corpus/index.js';
import { encodeModel, readModelFile, writeModelFile } from '../../src/model/model-file.js';
import { trainFromCorpus, type TrainProgress, type TrainResult } from '../../src/training/train-from-corpus.js';
import { MINI_IMDB, miniImdbDocs, testSpec } from '../helpers/model.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MINI_CSV = fileURLToPath(new URL('../fixtures/mini-reviews.csv', import.meta.url));
const MINI_CSV_GZ = fileURLToPath(new URL('../fixtures/mini-reviews.csv.gz', import.meta.url));
// The issue's `accuracy=0.9123 n=25000 logloss=0.2345 docs_per_s=54321`; a perfect score prints 1.0000.
const EVALUATE_LAST_LINE = /^accuracy=(0\.\d{4}|1\.0000) n=40 logloss=\d+\.\d{4} docs_per_s=\d+$/;
// A stack frame line, as printed by an uncaught error.
const STACK_FRAME = /^\s+at .+\(?.+:\d+:\d+\)?$/m;

async function train(seed: number, holdout = 0.2): Promise<TrainResult> {
  return trainFromCorpus({ corpus: await openCorpus(MINI_IMDB), spec: testSpec(), holdout, seed });
}

/** The model file bytes of a result, with the training date fixed so runs can be compared. */
function fileBytes(result: TrainResult): Buffer {
  return encodeModel({ ...result, training: { ...result.training, trainedAt: 'fixed' }, feedbackWatermark: 0 });
}

function accuracyOn(result: TrainResult, docs: { text: string; label: 0 | 1 }[]): number {
  const correct = docs.filter((d) => (result.model.predict(d.text).label === 'positive' ? 1 : 0) === d.label).length;
  return correct / docs.length;
}

/** Runs a script under scripts/ as the user would (through tsx), from the repository root. */
function runScript(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join('scripts', script), ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function lastLine(text: string): string {
  const lines = text.trimEnd().split('\n');
  return lines[lines.length - 1];
}

describe('trainFromCorpus', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'movieclassifier-train-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains on the mini-imdb fixture with 20% held out to at least 0.8 held-out accuracy, and writes a model that loads', async () => {
    // Arrange
    const path = join(dir, 'model.bin');

    // Act
    const result = await train(1);
    writeModelFile(path, { ...result, feedbackWatermark: 0 });
    const loaded = readModelFile(path);

    // Assert
    expect(result.heldOutEvaluation?.accuracy).toBeGreaterThanOrEqual(0.8);
    expect(result.training).toMatchObject({ epochs: 5, seed: 1, heldOutAccuracy: result.heldOutEvaluation?.accuracy });
    expect(result.training.documents + result.training.heldOutDocuments).toBe(120);
    expect(result.training.heldOutDocuments).toBeGreaterThan(10);
    expect(result.training.heldOutDocuments).toBeLessThan(40);
    expect(result.checkSetSource).toBe('held-out');
    expect(result.checkSet).toHaveLength(result.training.heldOutDocuments);
    expect(loaded.header.training).toEqual(result.training);
    const texts = miniImdbDocs('test').map((d) => d.text);
    expect(texts.map((t) => loaded.model.predict(t).positiveProbability)).toEqual(
      texts.map((t) => result.model.predict(t).positiveProbability),
    );
    expect(accuracyOn(result, miniImdbDocs('test'))).toBeGreaterThanOrEqual(0.8);
  });

  it('gives the same weights, byte for byte, for the same seed twice', async () => {
    // Act
    const first = await train(7);
    const second = await train(7);

    // Assert
    expect(second.model.state().classifier.rawWeights).toEqual(first.model.state().classifier.rawWeights);
    expect(second.model.state().classifier.intercept).toBe(first.model.state().classifier.intercept);
    expect(fileBytes(second).equals(fileBytes(first))).toBe(true);
  });

  it('gives different weights for a different seed (another order and another held-out set)', async () => {
    // Act
    const first = await train(7);
    const other = await train(8);

    // Assert
    expect(other.model.state().classifier.rawWeights).not.toEqual(first.model.state().classifier.rawWeights);
    expect(other.checkSet.map((d) => d.text).sort()).not.toEqual(first.checkSet.map((d) => d.text).sort());
  });

  it('keeps a sample of training documents as the check set when nothing is held out', async () => {
    // Act
    const result = await trainFromCorpus({
      corpus: await openCorpus(MINI_IMDB),
      spec: testSpec(),
      holdout: 0,
      seed: 1,
      checkSetSize: 10,
    });

    // Assert
    expect(result.heldOutEvaluation).toBeNull();
    expect(result.training).toMatchObject({ documents: 120, heldOutDocuments: 0, heldOutAccuracy: null });
    expect(result.checkSetSource).toBe('training-sample');
    expect(result.checkSet).toHaveLength(10);
  });

  it('reports progress for the counting pass and for every epoch, in order, ending each pass at its full count', async () => {
    // Arrange
    const seen: TrainProgress[] = [];

    // Act
    await trainFromCorpus({
      corpus: await openCorpus(MINI_IMDB),
      spec: { ...testSpec(), epochs: 2 },
      holdout: 0.2,
      seed: 1,
      progressEvery: 50,
      onProgress: (p) => seen.push({ ...p }),
    });

    // Assert
    // (The held-out pass reports every 1,000 documents: none for 24 held-out reviews.)
    const phases = new Set(seen.map((p) => `${p.phase}:${p.epoch}`));
    expect([...phases]).toEqual(['counting:0', 'training:1', 'training:2']);
    expect(seen.filter((p) => p.phase === 'training' && p.docs === 120)).toHaveLength(2);
    expect(seen.filter((p) => p.phase === 'training').every((p) => p.total === 120 && p.epochs === 2)).toBe(true);
  });

  it('trains from the CSV fixture, plain and gzip-compressed, on the same documents and holds out the same ones', async () => {
    // Act (plain files are shuffled by a full permutation, gzip streams through a buffer, so
    // the orders — and the weights — differ; the documents and the hold-out do not)
    const plain = await trainFromCorpus({
      corpus: await openCorpus(MINI_CSV),
      spec: testSpec(),
      holdout: 0.2,
      seed: 3,
    });
    const gzipped = await trainFromCorpus({
      corpus: await openCorpus(MINI_CSV_GZ),
      spec: testSpec(),
      holdout: 0.2,
      seed: 3,
    });

    // Assert
    expect(plain.training.documents + plain.training.heldOutDocuments).toBe(40);
    expect(plain.training.heldOutDocuments).toBeGreaterThan(0);
    expect(gzipped.training.documents).toBe(plain.training.documents);
    expect(gzipped.model.state().nb?.positive).toEqual(plain.model.state().nb?.positive);
    expect(accuracyOn(plain, miniImdbDocs('test'))).toBeGreaterThanOrEqual(0.8);
    expect(accuracyOn(gzipped, miniImdbDocs('test'))).toBeGreaterThanOrEqual(0.8);
  });
});

describe('npm run train / npm run evaluate (as child processes)', () => {
  let dir: string;
  let modelPath: string;
  let trained: { code: number | null; stdout: string; stderr: string };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'movieclassifier-cli-'));
    modelPath = join(dir, 'm.bin');
    trained = await runScript('train.ts', [
      '--data',
      'test/fixtures/mini-imdb',
      '--preset',
      'classic',
      '--out',
      modelPath,
      '--holdout',
      '0.2',
    ]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('train exits 0, prints held-out accuracy, documents/s and the file written, and the file loads', () => {
    // Assert
    expect(trained.stderr).not.toMatch(STACK_FRAME);
    expect(trained.code).toBe(0);
    expect(trained.stdout).toMatch(/heldout_accuracy=(0|1)\.\d{4}/);
    expect(trained.stdout).toMatch(/train_docs_per_s=\d+/);
    expect(trained.stdout).toContain(modelPath);
    const { header } = readModelFile(modelPath);
    expect(header.spec.preset).toBe('classic');
    expect(header.spec.features.nFeatures).toBe(2 ** 21);
    expect(header.feedbackWatermark).toBe(0);
  });

  it('evaluate on the test split exits 0 and ends with the accuracy line, at least 0.8 accurate', async () => {
    // Act
    const { code, stdout, stderr } = await runScript('evaluate.ts', [
      '--data',
      'test/fixtures/mini-imdb',
      '--split',
      'test',
      '--model',
      modelPath,
    ]);

    // Assert
    expect(stderr).not.toMatch(STACK_FRAME);
    expect(code).toBe(0);
    const line = lastLine(stdout);
    expect(line).toMatch(EVALUATE_LAST_LINE);
    expect(Number(/accuracy=(\S+)/.exec(line)?.[1])).toBeGreaterThanOrEqual(0.8);
    expect(stdout).toMatch(/predicted_neg/); // the confusion matrix
  });

  it('train from the gzip-compressed CSV fixture exits 0 and writes a model that loads', async () => {
    // Arrange
    const out = join(dir, 'csv.bin');

    // Act
    const { code, stderr } = await runScript('train.ts', [
      '--data',
      MINI_CSV_GZ,
      '--preset',
      'classic',
      '--out',
      out,
      '--holdout',
      '0.2',
    ]);

    // Assert
    expect(stderr).not.toMatch(STACK_FRAME);
    expect(code).toBe(0);
    const { header } = readModelFile(out);
    expect(header.training.documents + header.training.heldOutDocuments).toBe(40);
  });

  describe('bad arguments exit non-zero with a clear message and no stack trace', () => {
    const cases: { title: string; script: string; args: () => string[]; message: RegExp }[] = [
      {
        title: 'train without --data',
        script: 'train.ts',
        args: () => ['--out', join(dir, 'x.bin')],
        message: /--data is required/,
      },
      {
        title: 'train with an unknown preset',
        script: 'train.ts',
        args: () => ['--data', 'test/fixtures/mini-imdb', '--preset', 'fancy', '--out', join(dir, 'x.bin')],
        message: /--preset must be one of classic, default.*fancy/,
      },
      {
        title: 'train with --holdout 1.5',
        script: 'train.ts',
        args: () => ['--data', 'test/fixtures/mini-imdb', '--holdout', '1.5', '--out', join(dir, 'x.bin')],
        message: /--holdout.*1\.5/,
      },
      {
        title: 'train with a corpus path that does not exist',
        script: 'train.ts',
        args: () => ['--data', join(dir, 'no-such-corpus'), '--out', join(dir, 'x.bin')],
        message: /no corpus at .*no-such-corpus/,
      },
      {
        title: 'evaluate with a model file that does not exist',
        script: 'evaluate.ts',
        args: () => ['--data', 'test/fixtures/mini-imdb', '--split', 'test', '--model', join(dir, 'missing.bin')],
        message: /model file .*missing\.bin does not exist/,
      },
      {
        title: 'evaluate with a file that is not a model',
        script: 'evaluate.ts',
        args: () => {
          writeFileSync(join(dir, 'fake.bin'), '{"not": "a model"}');
          return ['--data', 'test/fixtures/mini-imdb', '--split', 'test', '--model', join(dir, 'fake.bin')];
        },
        message: /fake\.bin is not a movieclassifier model file/,
      },
    ];

    for (const { title, script, args, message } of cases) {
      it(title, async () => {
        // Act
        const { code, stderr } = await runScript(script, args());

        // Assert
        expect(code).not.toBe(0);
        expect(code).not.toBeNull();
        expect(stderr).toMatch(message);
        expect(stderr).not.toMatch(STACK_FRAME);
      });
    }
  });
});
