import type { FeatureSums } from './sparse-accumulator.js';
import { stripTags } from './strip-tags.js';
import { TEXT_KERNEL_WASM_BASE64 } from './text-kernel.wasm.js';

// The few WebAssembly types used here: the project's TypeScript library settings (ES2022, Node)
// do not declare them.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}
const { Module, Instance } = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface KernelExports {
  memory: WasmMemory;
  outLength: { readonly value: number };
  dataEnd(): number;
  hash(pointer: number, length: number): number;
  classify(cp: number, word: boolean): void;
  scan(
    n: number,
    tags: boolean,
    src: number,
    out: number,
    starts: number,
    ends: number,
    hashes: number,
    scanStarts: number,
    scanEnds: number,
    emoticons: number,
  ): number;
  accumulate(
    count: number,
    ngramMin: number,
    ngramMax: number,
    nFeatures: number,
    alternateSign: boolean,
    out: number,
    starts: number,
    ends: number,
    hashes: number,
    keys: number,
    stamps: number,
    slots: number,
    tableMask: number,
    round: number,
    order: number,
    sums: number,
    entries: number,
  ): number;
  score(
    order: number,
    sums: number,
    size: number,
    table: number,
    offset: number,
    binary: boolean,
    shares: number,
  ): number;
  scoreSumSquares: { readonly value: number };
}

let compiled: object | null = null;
const encoder = new TextEncoder();
const PAGE = 65536;
// Python's \w on str patterns, as the tokenizer's: Unicode letters, numbers and "_".
const WORD_CHAR = /[\p{L}\p{N}_]/u;

/** Whether the BMP code point `cp` is a word character (the kernel asks for each new one). */
function isWordCharacter(cp: number): boolean {
  return WORD_CHAR.test(String.fromCharCode(cp));
}

/** Where each region of the kernel's memory starts, for texts of up to `capacity` characters. */
interface Layout {
  capacity: number;
  src: number;
  out: number;
  emoticons: number;
  starts: number;
  ends: number;
  hashes: number;
  scanStarts: number;
  scanEnds: number;
  /** The distinct-column table: tableSlots slots (a power of two) of key, stamp, entry. */
  tableSlots: number;
  keys: number;
  stamps: number;
  slots: number;
  order: number;
  sums: number;
  entries: number;
  /** One f64 per distinct column: `score`'s shares. */
  shares: number;
  end: number;
}

/**
 * Regions for texts of up to `capacity` UTF-16 units, each up to 3 bytes of UTF-8. A token, or
 * an emoticon, takes at least one unit and a separator (or two units): capacity + 4 tokens.
 */
function layoutFor(base: number, capacity: number): Layout {
  const align = (at: number): number => (at + 15) & ~15;
  const srcBytes = 3 * capacity + 8;
  const tokenBytes = (capacity + 4) * 4;
  const src = align(base);
  const out = align(src + srcBytes);
  const emoticons = align(out + 2 * srcBytes + 16);
  const starts = align(emoticons + srcBytes);
  const ends = starts + tokenBytes;
  const hashes = ends + tokenBytes;
  const scanStarts = hashes + tokenBytes;
  const scanEnds = scanStarts + tokenBytes;
  // Up to three n-gram sizes per token, and a table at most half full.
  const maxGrams = 3 * (capacity + 4);
  const tableSlots = 2 ** Math.ceil(Math.log2(2 * maxGrams));
  const keys = scanEnds + tokenBytes;
  const stamps = keys + tableSlots * 4;
  const slots = stamps + tableSlots * 4;
  const order = slots + tableSlots * 4;
  const sums = align(order + maxGrams * 4);
  const entries = sums + maxGrams * 8;
  const shares = align(entries + maxGrams * 4);
  return {
    capacity,
    src,
    out,
    emoticons,
    starts,
    ends,
    hashes,
    scanStarts,
    scanEnds,
    tableSlots,
    keys,
    stamps,
    slots,
    order,
    sums,
    entries,
    shares,
    end: shares + maxGrams * 8,
  };
}

/** The kernel's sums for the last text, read in place from its memory (see `FeatureSums`). */
class KernelSums implements FeatureSums {
  order: Int32Array = new Int32Array(0);
  sums: Float64Array = new Float64Array(0);
  size = 0;
  clear(): void {
    this.size = 0;
  }
}

/**
 * The WebAssembly tokenizer, hasher and scorer (assembly/text-kernel.ts). For ASCII texts: the
 * same tokens, byte layout and MurmurHash3 values as `scanTextTokens` without stop-word removal,
 * from one pass over the text's bytes in compiled code (where V8 spends ~7 ns a character on the
 * TypeScript loop's bounds checks and branches). For a model that holds its serving table here,
 * the decision's dot product (`score`). One instance per token buffer, with its own memory: what
 * one scan leaves there is not overwritten by another vectorizer's.
 *
 * The views (`out`, `starts`, ...) hold the last scan's results until the next `scan`; they are
 * replaced when a longer text makes the memory grow.
 */
export class TextKernel {
  private readonly exports: KernelExports;
  private layout: Layout;
  private src!: Uint8Array;
  out!: Uint8Array;
  starts!: Int32Array;
  ends!: Int32Array;
  hashes!: Int32Array;
  scanStarts!: Int32Array;
  scanEnds!: Int32Array;
  private stamps!: Int32Array;
  private entries!: Int32Array;
  /** Stamp of the texts' table slots in use; a new one per text (see `accumulate`). */
  private round = 0;
  private readonly featureSums = new KernelSums();
  /**
   * A model's serving table, when one was placed here (`holdTable`): it has to be in this memory
   * for `score` to read it. It sits first, below the text regions, so a longer text grows the
   * memory without moving it; `table` is a view, replaced when the memory grows.
   */
  private tableAt = 0;
  private tableFloats = 0;
  table = new Float32Array(0);
  /** The scaled values' sum of squares in the last `score`. */
  sumSquares = 0;
  private shareView = new Float64Array(0);
  /** How many n-grams the last `accumulate` counted: `gramEntries` has one entry each. */
  gramCount = 0;
  /** Tokens of the last scan, and how many bytes of `out` they take (a space after each). */
  count = 0;
  length = 0;

  constructor() {
    compiled ??= new Module(Buffer.from(TEXT_KERNEL_WASM_BASE64, 'base64'));
    this.exports = new Instance(compiled, {}).exports as KernelExports;
    this.layout = layoutFor(this.exports.dataEnd(), 0);
    // Room for 4,096 characters (~0.7 MB): most reviews; a longer text grows it.
    this.reserve(1 << 12);
  }

  /**
   * For a text that is not ASCII, the text with its tags removed and that lower-cased, as the
   * last scan made them (explanations map token spans back through them); null for ASCII text,
   * where the kernel removed the tags itself and lower-casing kept every offset.
   */
  stripped: string | null = null;
  lowerCased: string | null = null;

  /**
   * Tokenizes `text`, leaving the tokens in the views; returns false, with nothing to read, for a
   * text the kernel leaves to the TypeScript scanner (a character outside the BMP, or one of the
   * rare emoticon-before-"<" cases).
   *
   * An ASCII text goes to the kernel as it is. Any other is stripped of its tags and lower-cased
   * here first (JavaScript has the Unicode case rules, context included: "Σ" at the end of a
   * word), and the kernel learns which of its characters are letters or numbers from
   * `isWordCharacter` the first time each one appears.
   */
  scan(text: string): boolean {
    const n = text.length;
    if (n > this.layout.capacity) this.reserve(Math.max(n, this.layout.capacity * 2));
    // The text is ASCII exactly when as many bytes came out as characters went in (any other
    // character takes two or more); the region has room for all of them.
    const { read, written } = encoder.encodeInto(text, this.src);
    if (read === n && written === n) {
      this.stripped = null;
      this.lowerCased = null;
      return this.scanBytes(n, true);
    }
    const stripped = stripTags(text);
    const lowerCased = stripped.toLowerCase();
    // Lower-casing may lengthen a text ("İ" becomes two units).
    if (lowerCased.length > this.layout.capacity) this.reserve(Math.max(lowerCased.length, this.layout.capacity * 2));
    this.stripped = stripped;
    this.lowerCased = lowerCased;
    return this.scanBytes(encoder.encodeInto(lowerCased, this.src).written, false);
  }

  private scanBytes(bytes: number, tags: boolean): boolean {
    const l = this.layout;
    const e = this.exports;
    for (;;) {
      const count = e.scan(
        bytes,
        tags,
        l.src,
        l.out,
        l.starts,
        l.ends,
        l.hashes,
        l.scanStarts,
        l.scanEnds,
        l.emoticons,
      );
      if (count === -1) return false;
      if (count < -1) {
        const cp = -2 - count;
        e.classify(cp, isWordCharacter(cp));
        continue;
      }
      this.count = count;
      this.length = e.outLength.value;
      return true;
    }
  }

  /**
   * The hashing vectorizer's sums for the last scan's tokens (`FeatureSums`, as
   * `SparseAccumulator` gives them for the same tokens, to the last bit), valid until the next
   * scan. `gramEntries()` then says which entry each n-gram went to.
   */
  accumulate(ngramMin: number, ngramMax: number, nFeatures: number, alternateSign: boolean): FeatureSums {
    const l = this.layout;
    const count = this.count;
    const grams = Math.max(0, (ngramMax - ngramMin + 1) * count);
    const tableSlots = Math.max(1024, Math.min(l.tableSlots, 2 ** Math.ceil(Math.log2(2 * grams + 1))));
    if (this.round === 0x7fffffff) {
      this.stamps.fill(0);
      this.round = 0;
    }
    this.round++;
    const e = this.exports;
    const size = e.accumulate(
      count,
      ngramMin,
      ngramMax,
      nFeatures,
      alternateSign,
      l.out,
      l.starts,
      l.ends,
      l.hashes,
      l.keys,
      l.stamps,
      l.slots,
      tableSlots - 1,
      this.round,
      l.order,
      l.sums,
      l.entries,
    );
    let g = 0;
    for (let n = ngramMin; n <= ngramMax; n++) g += Math.max(0, count - n + 1);
    this.gramCount = g;
    this.featureSums.size = size;
    return this.featureSums;
  }

  /**
   * For each n-gram the last `accumulate` counted, in its order, the entry of its column: a view
   * of the kernel's memory, valid until the next text.
   */
  gramEntries(): Int32Array {
    return this.entries.subarray(0, this.gramCount);
  }

  /**
   * Places a serving table of `floats` float32s in this memory (zeros), for `score`, and returns
   * it (the `table` view). Once per kernel, before it scans anything: it moves the text regions.
   */
  holdTable(floats: number): Float32Array {
    if (this.tableFloats !== 0)
      throw new Error(
        `this kernel already holds a serving table (${this.tableFloats} floats); make one kernel per model`,
      );
    this.tableAt = (this.exports.dataEnd() + 15) & ~15;
    this.tableFloats = floats;
    this.reserve(this.layout.capacity);
    return this.table;
  }

  /**
   * The dot product of `sums` with the serving table (see the kernel's `score`), the scaled
   * values' sum of squares left in `sumSquares`. `sums` is this kernel's own (from
   * `accumulate`) or the TypeScript accumulator's, which is copied in first. With
   * `withShares`, each column's term of the dot is left in `shares()`.
   */
  score(sums: FeatureSums, offset: number, binary: boolean, withShares: boolean): number {
    if (this.tableFloats === 0) throw new Error('this kernel holds no serving table; call holdTable first');
    const size = sums.size;
    if (sums !== this.featureSums) {
      // Room for `size` columns: the regions hold 3 per character of capacity, and 12 more.
      if (3 * (this.layout.capacity + 4) < size) this.reserve(Math.ceil(size / 3));
      this.featureSums.order.set(sums.order.subarray(0, size));
      this.featureSums.sums.set(sums.sums.subarray(0, size));
    }
    const l = this.layout;
    const dot = this.exports.score(l.order, l.sums, size, this.tableAt, offset, binary, withShares ? l.shares : 0);
    this.sumSquares = this.exports.scoreSumSquares.value;
    return dot;
  }

  /** The shares the last `score` with shares wrote, one per column: a view, valid until the next text. */
  shares(size: number): Float64Array {
    return this.shareView.subarray(0, size);
  }

  /** MurmurHash3 of `bytes` computed by the kernel (for tests). */
  hash(bytes: Uint8Array): number {
    if (bytes.length > this.layout.capacity) this.reserve(bytes.length);
    this.out.set(bytes);
    return this.exports.hash(this.layout.out, bytes.length);
  }

  private reserve(capacity: number): void {
    const layout = layoutFor(
      this.tableFloats === 0 ? this.exports.dataEnd() : this.tableAt + 4 * this.tableFloats,
      capacity,
    );
    const memory = this.exports.memory;
    const needed = Math.ceil((layout.end + 16) / PAGE);
    const pages = memory.buffer.byteLength / PAGE;
    if (needed > pages) memory.grow(needed - pages);
    const buffer = memory.buffer;
    const tokens = capacity + 4;
    this.layout = layout;
    if (this.tableFloats !== 0) this.table = new Float32Array(buffer, this.tableAt, this.tableFloats);
    this.src = new Uint8Array(buffer, layout.src, 3 * capacity + 8);
    this.out = new Uint8Array(buffer, layout.out, 2 * (3 * capacity + 8) + 16);
    this.starts = new Int32Array(buffer, layout.starts, tokens);
    this.ends = new Int32Array(buffer, layout.ends, tokens);
    this.hashes = new Int32Array(buffer, layout.hashes, tokens);
    this.scanStarts = new Int32Array(buffer, layout.scanStarts, tokens);
    this.scanEnds = new Int32Array(buffer, layout.scanEnds, tokens);
    // The table's new place in memory may hold anything: no slot is in use.
    this.stamps = new Int32Array(buffer, layout.stamps, layout.tableSlots).fill(0);
    this.round = 0;
    const maxGrams = 3 * tokens;
    this.entries = new Int32Array(buffer, layout.entries, maxGrams);
    this.featureSums.order = new Int32Array(buffer, layout.order, maxGrams);
    this.featureSums.sums = new Float64Array(buffer, layout.sums, maxGrams);
    this.shareView = new Float64Array(buffer, layout.shares, maxGrams);
  }
}
