import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ModelFileError } from '../errors.js';
import { validateFeatureSettings } from '../text/feature-settings.js';
import { PRESET_NAMES, type ModelSpec } from './presets.js';
import type { NbCounts } from './nb-scaling.js';
import { onlineSgdSettings, SentimentModel } from './sentiment-model.js';
import type { Label } from './types.js';
import { ByteReader, ByteWriter } from './varint.js';

/** Format of the file this build writes and the only one it reads. */
export const MODEL_FORMAT_VERSION = 1;
const MAGIC = Buffer.from('MOVIECLF', 'latin1');
const PREFIX_BYTES = MAGIC.length + 8;

export interface TrainingFacts {
  /** What the model was trained on, e.g. `aclImdb folder .../train (25000 documents)`. */
  corpus: string;
  documents: number;
  epochs: number;
  heldOutDocuments: number;
  /** Accuracy on the held-out documents, or null when nothing was held out. */
  heldOutAccuracy: number | null;
  seed: number;
  /** ISO-8601 time training finished. */
  trainedAt: string;
}

/** A few labelled reviews kept with the model so `npm run update` can check it did no harm. */
export interface CheckExample {
  text: string;
  label: Label;
}

export interface ModelHeader {
  formatVersion: number;
  spec: ModelSpec;
  training: TrainingFacts;
  /** Highest review_db id already folded into these weights (0 for a freshly trained model). */
  feedbackWatermark: number;
  /**
   * Last verdict_changes id these weights reflect (absent in files written before verdicts: 0).
   * A later change to a row at or below the watermark means the weights must be rebuilt.
   */
  verdictChangesThrough?: number;
  /**
   * The database (its `database_identity.id`) whose log rows up to `feedbackWatermark` are folded
   * in. Absent in a freshly trained model and in files written before it existed: such a file is
   * taken by any database whose log reaches its watermark, and `npm run update` records the id.
   */
  databaseId?: string;
  /** Where the check set came from: held-out documents, or a sample of the training documents. */
  checkSetSource: 'held-out' | 'training-sample' | 'none';
  /**
   * The weights are stored as memory keeps them — raw weights v in the body, their common scale
   * here, the real weight being `scale * v` — so a saved and reloaded model computes exactly what
   * the in-memory one did, to the last bit.
   */
  classifier: { intercept: number; samplesSeen: number; scale: number };
  /** Documents counted into the NB ratios, by class (null without NB scaling). */
  nbDocuments: { positive: number; negative: number } | null;
  /** sha256 over the header (without this field) and the body. */
  checksum: string;
}

/** What reading a model file gives: its header, the model it holds, and its check set. */
export interface LoadedModelFile {
  model: SentimentModel;
  header: ModelHeader;
  checkSet: CheckExample[];
}

/** What a model file is written from; the rest of the header is derived from the model. */
export interface ModelFileInput {
  model: SentimentModel;
  training: TrainingFacts;
  feedbackWatermark: number;
  /** Last verdict change the weights reflect (written only when above 0). */
  verdictChangesThrough?: number;
  /** The database whose log the weights hold (written only when given). */
  databaseId?: string | undefined;
  checkSet: CheckExample[];
  checkSetSource: ModelHeader['checkSetSource'];
}

/**
 * Serialises a model: magic, format version, header length, JSON header, body. The body holds
 * only the features with a non-zero weight or count (delta-coded varint indices, float64
 * weights, varint NB counts) and the check set.
 */
export function encodeModel(input: ModelFileInput): Buffer {
  const { model } = input;
  // Averaging sums are not saved: a model is saved after training ends (`BatchTraining.finish`).
  const { classifier, nb } = model.state();
  const weights = classifier.rawWeights;
  const n = weights.length;
  const active: number[] = [];
  for (let j = 0; j < n; j++) {
    if (weights[j] !== 0 || (nb !== null && (nb.positive[j] !== 0 || nb.negative[j] !== 0))) active.push(j);
  }
  const body = new ByteWriter();
  body.varint(active.length);
  let previous = 0;
  for (const j of active) {
    body.varint(j - previous);
    previous = j;
  }
  body.bytes(new Uint8Array(Float64Array.from(active, (j) => weights[j]).buffer));
  if (nb !== null) {
    for (const j of active) body.varint(nb.positive[j]);
    for (const j of active) body.varint(nb.negative[j]);
  }
  const check = Buffer.from(JSON.stringify(input.checkSet), 'utf8');
  body.varint(check.length);
  body.bytes(check);
  // Stored uncompressed: inflating ~15 MB cost ~120 ms of the 300 ms load budget, and git
  // compresses the file anyway.
  const bodyBytes = body.result();

  const header: Omit<ModelHeader, 'checksum'> = {
    formatVersion: MODEL_FORMAT_VERSION,
    spec: model.spec,
    training: input.training,
    feedbackWatermark: input.feedbackWatermark,
    ...(input.verdictChangesThrough ? { verdictChangesThrough: input.verdictChangesThrough } : {}),
    // Left out when absent, so a file without it encodes (and checksums) as before the field existed.
    ...(input.databaseId === undefined ? {} : { databaseId: input.databaseId }),
    checkSetSource: input.checkSetSource,
    classifier: { intercept: classifier.intercept, samplesSeen: classifier.samplesSeen, scale: classifier.scale },
    nbDocuments: nb === null ? null : { positive: nb.positiveDocs, negative: nb.negativeDocs },
  };
  const checksum = checksumOf(JSON.stringify(header), bodyBytes);
  const headerBytes = Buffer.from(JSON.stringify({ ...header, checksum }), 'utf8');
  const prefix = Buffer.alloc(PREFIX_BYTES);
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(MODEL_FORMAT_VERSION, MAGIC.length);
  prefix.writeUInt32LE(headerBytes.length, MAGIC.length + 4);
  return Buffer.concat([prefix, headerBytes, bodyBytes]);
}

function checksumOf(headerJson: string, body: Uint8Array): string {
  return createHash('sha256').update(headerJson, 'utf8').update(body).digest('hex');
}

/**
 * Parses and verifies a model file's bytes. Anything wrong — truncated, corrupted, another
 * program's file, another format version — throws ModelFileError naming `path`; nothing is
 * half-loaded.
 */
export function decodeModel(data: Buffer, path: string): LoadedModelFile {
  const retrain =
    'Rebuild it with `npm run train -- --data PATH` or restore a good copy (for example the .prev file beside it).';
  if (data.length < PREFIX_BYTES || !data.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new ModelFileError(`${path} is not a movieclassifier model file (wrong signature). ${retrain}`, path);
  }
  const formatVersion = data.readUInt32LE(MAGIC.length);
  if (formatVersion !== MODEL_FORMAT_VERSION) {
    throw new ModelFileError(
      `model file ${path} has format ${formatVersion}; this build reads ${MODEL_FORMAT_VERSION}. ${retrain}`,
      path,
    );
  }
  const headerLength = data.readUInt32LE(MAGIC.length + 4);
  if (PREFIX_BYTES + headerLength > data.length) {
    throw new ModelFileError(`model file ${path} is truncated (header cut short). ${retrain}`, path);
  }
  let header: ModelHeader;
  try {
    header = JSON.parse(data.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength).toString('utf8')) as ModelHeader;
  } catch (cause) {
    throw new ModelFileError(`model file ${path} has a corrupted header. ${retrain}`, path, { cause });
  }
  const body = data.subarray(PREFIX_BYTES + headerLength);
  const { checksum, ...rest } = header;
  if (typeof checksum !== 'string' || checksumOf(JSON.stringify(rest), body) !== checksum) {
    throw new ModelFileError(`model file ${path} is truncated or corrupted (checksum mismatch). ${retrain}`, path);
  }
  try {
    return { header, ...decodeBody(header, body) };
  } catch (cause) {
    throw new ModelFileError(`model file ${path} could not be decoded: ${(cause as Error).message}. ${retrain}`, path, {
      cause,
    });
  }
}

function decodeBody(header: ModelHeader, body: Uint8Array): { model: SentimentModel; checkSet: CheckExample[] } {
  const spec = header.spec;
  if (!PRESET_NAMES.includes(spec.preset)) throw new Error(`unknown preset ${String(spec.preset)}`);
  validateFeatureSettings(spec.features);
  const n = spec.features.nFeatures;
  const reader = new ByteReader(body);
  const count = reader.varint();
  const indices = new Int32Array(count);
  let index = 0;
  for (let k = 0; k < count; k++) {
    index += reader.varint();
    if (index >= n) throw new Error(`feature index ${index} outside the hash space of ${n}`);
    indices[k] = index;
  }
  const values = reader.float64s(count);
  const weights = new Float64Array(n);
  for (let k = 0; k < count; k++) weights[indices[k]] = values[k];
  let nb: NbCounts | null = null;
  if (spec.nbAlpha !== null) {
    const positive = new Float32Array(n);
    const negative = new Float32Array(n);
    for (let k = 0; k < count; k++) positive[indices[k]] = reader.varint();
    for (let k = 0; k < count; k++) negative[indices[k]] = reader.varint();
    const documents = header.nbDocuments;
    if (documents === null || !(documents.positive >= 0 && documents.negative >= 0)) {
      throw new Error('the header lacks the NB document counts');
    }
    nb = { positive, negative, positiveDocs: documents.positive, negativeDocs: documents.negative, active: indices };
  }
  const checkLength = reader.varint();
  const checkSet = JSON.parse(Buffer.from(reader.bytes(checkLength)).toString('utf8')) as CheckExample[];
  if (reader.remaining !== 0) throw new Error(`${reader.remaining} unexpected bytes after the body`);
  const { intercept, samplesSeen, scale } = header.classifier;
  // A saved model has finished training: it learns from feedback with the online settings.
  const classifier = { settings: onlineSgdSettings(spec), rawWeights: weights, scale, intercept, samplesSeen };
  return { model: SentimentModel.restore(spec, { classifier, nb }), checkSet };
}

export function readModelFile(path: string): LoadedModelFile {
  return decodeModel(readModelFileBytes(path), path);
}

/** A model file's bytes, unchecked (decodeModel checks them); a missing or unreadable file throws ModelFileError. */
export function readModelFileBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(cause)})`;
    throw new ModelFileError(
      `model file ${path} ${what}. Train one with \`npm run train -- --data PATH\` or set MODEL_PATH.`,
      path,
      { cause },
    );
  }
}

/**
 * Writes `data` to `path` atomically: a temp file in the same folder, fsync, then rename over the
 * target, so readers see the old file or the new one, never a mix. The file being replaced is
 * kept as `<path>.prev`.
 */
export function writeFileAtomic(path: string, data: Uint8Array): void {
  const folder = dirname(path);
  const temp = join(folder, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(temp, 'w', 0o644);
  try {
    let written = 0;
    while (written < data.length) written += writeSync(fd, data, written, data.length - written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (existsSync(path)) {
    // Hard-link the current file to a temp name, then rename it over .prev: .prev is always a
    // complete file, old or new.
    const prevTemp = `${temp}.prev`;
    linkSync(path, prevTemp);
    renameSync(prevTemp, `${path}.prev`);
  }
  renameSync(temp, path);
  const dirFd = openSync(folder, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

export function writeModelFile(path: string, input: ModelFileInput): void {
  writeFileAtomic(path, encodeModel(input));
}
