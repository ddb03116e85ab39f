/**
 * Small seeded pseudo-random numbers, so that a shuffled training order can be reproduced
 * exactly from its seed (same seed, same order, on every machine and Node version).
 *
 * Not for anything secret: mulberry32 has a 32-bit state and is predictable by design.
 */

/** A source of numbers uniform in [0, 1). */
export type Rng = () => number;

/**
 * mulberry32: a tiny, fast 32-bit generator with good statistical quality for shuffling.
 *
 * @param seed any number; it is reduced to an unsigned 32-bit integer (`seed >>> 0`), so seeds
 *   that differ only above bit 31 or in their fraction give the same stream.
 * @returns a function returning the next number in [0, 1) on each call.
 * @example
 * const rng = mulberry32(42);
 * rng(); // always the same first value for seed 42
 */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A whole number uniform in [0, bound). `bound` must be a positive integer below 2**32.
 * (The bias of `floor(u * bound)` is below bound / 2**32: irrelevant for shuffling corpora.)
 */
export function randomInt(rng: Rng, bound: number): number {
  return Math.floor(rng() * bound);
}

/**
 * Shuffles `items` in place with Fisher–Yates, driven by `rng`, and returns it.
 *
 * @example
 * shuffleInPlace([1, 2, 3, 4], mulberry32(7)); // the same permutation for seed 7, every time
 */
export function shuffleInPlace<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(rng, i + 1);
    const tmp = items[i];
    items[i] = items[j];
    items[j] = tmp;
  }
  return items;
}
