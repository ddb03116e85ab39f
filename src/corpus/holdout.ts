import { InvalidInputError } from '../errors.js';

/**
 * 32-bit FNV-1a over the UTF-16 code units of `text`, finished with MurmurHash3's fmix32 so that
 * every output bit depends on every input bit (plain FNV-1a mixes its high bits poorly, and the
 * high bits are the ones that decide hold-out membership below).
 */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Whether the document with this key belongs to the held-out (validation) part of its corpus.
 *
 * Decided from the key and the seed alone, so the same documents are held out whatever order
 * they are read in (shuffled or not, folder or re-run). About `fraction` of all keys are held out.
 *
 * @param key the document's stable key (`LabelledDoc.key`, e.g. `pos/123_8.txt` or `line:42`).
 * @param seed the run's seed; another seed holds out another subset.
 * @param fraction share to hold out, in [0, 1]; 0 holds out nothing, 1 everything.
 * @example
 * const validation = docs.filter((d) => isHeldOut(d.key, 42, 0.1));
 */
export function isHeldOut(key: string, seed: number, fraction: number): boolean {
  if (!(fraction >= 0 && fraction <= 1)) {
    throw new InvalidInputError(
      `hold-out fraction must be a number from 0 to 1, got ${String(fraction)}; use for example 0.1 to hold out 10% of the documents`,
    );
  }
  if (fraction === 0) return false;
  return hash32(`${seed}:${key}`) / 4294967296 < fraction;
}
