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
  scanAscii(
    n: number,
    src: number,
    out: number,
    starts: number,
    ends: number,
    hashes: number,
    scanStarts: number,
    scanEnds: number,
    emoticons: number,
  ): number;
  hashGrams(count: number, n: number, out: number, starts: number, ends: number, dest: number): void;
}

let compiled: object | null = null;
const encoder = new TextEncoder();
const PAGE = 65536;

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
  grams: number;
  end: number;
}

function layoutFor(base: number, capacity: number): Layout {
  const align = (at: number): number => (at + 15) & ~15;
  const tokenBytes = (capacity + 4) * 4;
  const src = align(base);
  const out = align(src + capacity + 8);
  const emoticons = align(out + 2 * capacity + 16);
  const starts = align(emoticons + capacity + 8);
  const ends = starts + tokenBytes;
  const hashes = ends + tokenBytes;
  const scanStarts = hashes + tokenBytes;
  const scanEnds = scanStarts + tokenBytes;
  const grams = scanEnds + tokenBytes;
  return { capacity, src, out, emoticons, starts, ends, hashes, scanStarts, scanEnds, grams, end: grams + tokenBytes };
}

/**
 * The WebAssembly tokenizer and hasher for ASCII texts (assembly/text-kernel.ts): the same tokens,
 * byte layout and MurmurHash3 values as `scanTextTokens` without stop-word removal, from one pass
 * over the text's bytes in compiled code (where V8 spends ~7 ns a character on the TypeScript
 * loop's bounds checks and branches). One instance per token buffer, with its own memory: what
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
  private grams!: Int32Array;
  /** Tokens of the last scan, and how many bytes of `out` they take (a space after each). */
  count = 0;
  length = 0;

  constructor() {
    compiled ??= new Module(Buffer.from(TEXT_KERNEL_WASM_BASE64, 'base64'));
    this.exports = new Instance(compiled, {}).exports as KernelExports;
    this.layout = layoutFor(this.exports.dataEnd(), 0);
    this.reserve(1 << 14);
  }

  /**
   * Tokenizes `text` if it is all ASCII, leaving the tokens in the views; returns false, with
   * nothing to read, for a text the kernel leaves to the TypeScript scanner (non-ASCII, or one
   * of the rare emoticon-before-"<" cases).
   */
  scan(text: string): boolean {
    const n = text.length;
    if (n > this.layout.capacity) this.reserve(Math.max(n, this.layout.capacity * 2));
    // One byte per character read, in a region of capacity + 8 bytes: the text is ASCII exactly
    // when as many bytes came out as characters went in (any other character takes two or more).
    const { read, written } = encoder.encodeInto(text, this.src);
    if (read !== n || written !== n) return false;
    const l = this.layout;
    const count = this.exports.scanAscii(n, l.src, l.out, l.starts, l.ends, l.hashes, l.scanStarts, l.scanEnds, l.emoticons);
    if (count < 0) return false;
    this.count = count;
    this.length = this.exports.outLength.value;
    return true;
  }

  /**
   * The MurmurHash3 of every n-gram of the last scan's tokens (n-gram i starts at token i), valid
   * until the next call; empty with fewer than n tokens.
   */
  gramHashes(n: number): Int32Array {
    const l = this.layout;
    const grams = Math.max(0, this.count - n + 1);
    if (grams > 0) this.exports.hashGrams(this.count, n, l.out, l.starts, l.ends, l.grams);
    return this.grams.subarray(0, grams);
  }

  /** MurmurHash3 of `bytes` computed by the kernel (for tests). */
  hash(bytes: Uint8Array): number {
    if (bytes.length > this.layout.capacity) this.reserve(bytes.length);
    this.out.set(bytes);
    return this.exports.hash(this.layout.out, bytes.length);
  }

  private reserve(capacity: number): void {
    const layout = layoutFor(this.exports.dataEnd(), capacity);
    const memory = this.exports.memory;
    const needed = Math.ceil((layout.end + 16) / PAGE);
    const pages = memory.buffer.byteLength / PAGE;
    if (needed > pages) memory.grow(needed - pages);
    const buffer = memory.buffer;
    const tokens = capacity + 4;
    this.layout = layout;
    this.src = new Uint8Array(buffer, layout.src, capacity + 8);
    this.out = new Uint8Array(buffer, layout.out, 2 * capacity + 16);
    this.starts = new Int32Array(buffer, layout.starts, tokens);
    this.ends = new Int32Array(buffer, layout.ends, tokens);
    this.hashes = new Int32Array(buffer, layout.hashes, tokens);
    this.scanStarts = new Int32Array(buffer, layout.scanStarts, tokens);
    this.scanEnds = new Int32Array(buffer, layout.scanEnds, tokens);
    this.grams = new Int32Array(buffer, layout.grams, tokens);
  }
}
