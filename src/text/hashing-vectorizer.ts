import { validateFeatureSettings, type FeatureSettings } from './feature-settings.js';
import { murmur3 } from './murmur3.js';
import { drainInto, SparseAccumulator, type FeatureSums } from './sparse-accumulator.js';
import { emptyRow, type SparseRow } from './sparse-row.js';
import type { TextKernel } from './text-kernel.js';
import { scanTextTokens, scanTokens, TokenBuffer, type TokenSpans } from './token-scanner.js';

/** The terms of one text as an explanation needs them: its tokens, where they are, its n-grams' features. */
export interface TextTerms {
  /** Where each token is in the text (`TokenBuffer.textSpans`), worked out when asked. */
  spans(): TokenSpans;
  /** How many tokens were kept; token k is at [starts[k], ends[k]) of the text, or -1 (`TokenBuffer.textSpans`). */
  tokenCount: number;
  /**
   * The n-gram of `n` tokens from token `first`, its tokens joined by one space (for n = 1, the
   * token). Decoded when asked: an explanation names only its few strongest terms.
   */
  term(first: number, n: number): string;
  /**
   * For every n-gram occurrence — all unigrams in token order, then all bigrams, ... — the
   * accumulator entry (position in `order`/`sums`) of its column.
   */
  entries: Int32Array;
}

/**
 * Column and sign of a hashed term, exactly as scikit-learn's FeatureHasher: column is
 * |h| mod n_features — |−2^31| is 2^31 here as there, because JS numbers do not overflow — and
 * the sign is + for h >= 0, which "improves inner product preservation in the hashed space".
 */
export function columnOf(hash: number, nFeatures: number): number {
  // Written out so the compiler keeps to 32-bit integer arithmetic: Math.abs of an int32 may be
  // 2^31, which made it compute the remainder in floating point (a library call per n-gram).
  if (hash >= 0) return hash % nFeatures;
  if (hash === -0x80000000) return 0x80000000 % nFeatures;
  return -hash % nFeatures;
}

/**
 * `columnOf(hash, mask + 1)` for a power-of-two hash space, with a mask instead of an integer
 * division (a measurable share of vectorizing: one per n-gram). |h| is taken in 32-bit
 * arithmetic, so |−2^31| wraps to −2^31, whose low bits are 0, as 2^31 mod n is.
 */
export function maskedColumnOf(hash: number, mask: number): number {
  const sign = hash >> 31;
  return ((hash ^ sign) - sign) & mask;
}

/**
 * Turns texts into sparse rows: classic tokenizer, word n-grams joined by one space, MurmurHash3
 * x86 32-bit (seed 0) of the UTF-8 bytes, counts or presence, optional alternate sign and L2 norm.
 * With the settings of scikit-learn's HashingVectorizer it gives the same vectors.
 *
 * Stateless apart from reusable scratch buffers; the row returned by `transform` is overwritten
 * by the next call.
 *
 * @example
 * const v = new HashingVectorizer({ nFeatures: 2 ** 21, ngramMin: 1, ngramMax: 1,
 *   removeStopWords: true, binary: false, alternateSign: true, l2Normalize: true });
 * v.transform('A great film :)').length // 3
 */
export class HashingVectorizer {
  readonly settings: Readonly<FeatureSettings>;
  /** Tokens of the last text accumulated (bytes, ranges, hashes). */
  private readonly tokens = new TokenBuffer();
  /**
   * Accumulator entry of every n-gram occurrence of the last text, n-gram size by size: all
   * unigrams in token order, then all bigrams, ... (`gramCount` of them), for `lastTextTerms`.
   */
  private gramEntries: Int32Array = new Int32Array(4096);
  private gramCount = 0;
  /** The kernel that summed the last text, which then holds its n-grams' entries; or null. */
  private kernelSummed: TextKernel | null = null;
  private readonly accumulator = new SparseAccumulator();
  private readonly row = emptyRow();

  constructor(settings: FeatureSettings) {
    this.settings = Object.freeze({ ...validateFeatureSettings(settings) });
  }

  /** The sparse row of `text`, normalized as the settings say. Overwritten by the next call. */
  transform(text: string): SparseRow {
    const { binary, l2Normalize } = this.settings;
    const row = drainInto(this.accumulate(text), this.row);
    const values = row.values;
    const length = row.length;
    if (binary) {
      for (let k = 0; k < length; k++) values[k] = Math.sign(values[k]);
    }
    if (l2Normalize) normalizeL2(row);
    return row;
  }

  /**
   * The summed (signed) term values of `text` by column, left in the vectorizer's accumulator
   * (or the WebAssembly kernel's memory, for a text the kernel scanned) for a fused loop to read
   * (`order`, `sums`, `size`) and `clear()`. Binary and normalization are not applied. For the
   * hot path: no row is materialized.
   */
  accumulate(text: string): FeatureSums {
    const { nFeatures, ngramMin, ngramMax, alternateSign } = this.settings;
    const tokens = this.tokens;
    // Without stop-word removal the kernel can scan the text and sum its n-grams itself; the
    // tokens are copied out of it only if `lastTextTerms` asks for them.
    const kernel =
      !this.settings.removeStopWords && tokens.scanWithKernel(text, false) ? tokens.kernelOfLastScan() : null;
    this.kernelSummed = kernel;
    if (kernel !== null) return kernel.accumulate(ngramMin, ngramMax, nFeatures, alternateSign);
    scanTextTokens(text, this.settings.removeStopWords, tokens);
    const acc = this.accumulator;
    acc.clear();
    const grams = Math.max(0, (ngramMax - ngramMin + 1) * tokens.count);
    if (this.gramEntries.length < grams) this.gramEntries = new Int32Array(grams * 2);
    const entries = this.gramEntries;
    let g = 0;
    const count = tokens.count;
    const { bytes, starts, ends, hashes } = tokens;
    const mask = (nFeatures & (nFeatures - 1)) === 0 ? nFeatures - 1 : -1;
    for (let n = ngramMin; n <= ngramMax; n++) {
      for (let i = 0; i + n <= count; i++) {
        const h = n === 1 ? hashes[i] : murmur3(bytes, starts[i], ends[i + n - 1]);
        const value = alternateSign && h < 0 ? -1 : 1;
        const column = mask >= 0 ? maskedColumnOf(h, mask) : columnOf(h, nFeatures);
        entries[g++] = acc.add(column, value);
      }
    }
    this.gramCount = g;
    return acc;
  }

  /**
   * The terms of the text `accumulate` last summed, read while its accumulator still holds them
   * (before `clear()`): what explanations name features with and lay weights back onto the text.
   * Views of the vectorizer's buffers, not copies: valid until the next text.
   */
  lastTextTerms(): TextTerms {
    return {
      tokenCount: this.tokens.count,
      term: this.tokens.termReader(),
      spans: () => this.tokens.textSpans(),
      entries:
        this.kernelSummed !== null ? this.kernelSummed.gramEntries() : this.gramEntries.subarray(0, this.gramCount),
    };
  }

  /**
   * The WebAssembly kernel this vectorizer scans with: a model scores the sums `accumulate`
   * leaves with it (`TextKernel.score`), its serving table held in the kernel's memory.
   */
  kernel(): TextKernel {
    return this.tokens.ownKernel();
  }

  /** The kept tokens of `text` (same tokens the vectors are built from). */
  tokenize(text: string): string[] {
    scanTokens(text, this.settings.removeStopWords, this.tokens);
    return Array.from({ length: this.tokens.count }, (_, k) => this.tokens.token(k));
  }
}

/** Scales the row to unit Euclidean length in place; an all-zero row stays zero. */
export function normalizeL2(row: SparseRow): void {
  const values = row.values;
  let sumSquares = 0;
  for (let k = 0; k < row.length; k++) sumSquares += values[k] * values[k];
  if (sumSquares === 0) return;
  const inverse = 1 / Math.sqrt(sumSquares);
  for (let k = 0; k < row.length; k++) values[k] *= inverse;
}
