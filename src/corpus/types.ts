import type { Label } from '../model/types.js';

export interface LabelledDoc {
  text: string;
  label: Label;
  /**
   * Stable identity of the document inside its corpus, independent of reading order
   * (relative file path such as `pos/123_8.txt`, or `line:42` for CSV). Hold-out membership is
   * decided by hashing this key with the seed, so it does not depend on shuffling.
   */
  key: string;
  /**
   * What the document is about, when the corpus says (a CSV's `group` or `movie` column): documents
   * of one group are kept in one fold by cross-validation.
   */
  group?: string;
}

export interface StreamOptions {
  /** Seed of the order; the same seed gives the same order. */
  seed: number;
  /** When false, documents come in corpus order. */
  shuffle: boolean;
}

export interface Corpus {
  /** Human-readable description, e.g. `aclImdb folder data/train (25000 documents)`. */
  readonly description: string;
  /** Number of documents, when known before reading (folders); undefined for CSV files. */
  readonly size?: number;
  /**
   * Streams every labelled document once. Folders: the file list (paths only) is permuted with
   * the seed and files are read in small concurrent batches. CSV (optionally .gz): rows are read
   * in file order through a bounded shuffle buffer. Memory stays bounded by batch/buffer size,
   * not by corpus size (the folder file list aside).
   */
  stream(options: StreamOptions): AsyncIterable<LabelledDoc>;
}
