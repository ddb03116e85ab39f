// Issue 19's flood: the cost of one feedback after many rejected repeats.
//   npx tsx tools/moderation/flood.ts [REPEATS]   (default 20,000; SQLite in a temporary folder)
// Writes REPEATS exact repeats of one review (each rejected), then 300 variants of it from
// different clients, and prints the variants' write time: median, p99, max (ms).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DEFAULT_MODERATION, moderationRule } from '../../src/moderation/index.js';
import { openStore } from '../../src/store/index.js';

const repeats = Number(process.argv[2] ?? 20_000);
const folder = mkdtempSync(join(tmpdir(), 'movieclassifier-flood-'));
const store = openStore(join(folder, 'reviews.sqlite'), { verdictRule: moderationRule(DEFAULT_MODERATION) });
const review = 'This movie was great, I really loved it. The cast is superb and the story moving from start to end.';
const words = ['apple', 'river', 'stone', 'cloud', 'maple', 'ocean', 'tiger', 'piano', 'lemon', 'candle'];
const client = (k: number) => k.toString(16).padStart(16, '0');
try {
  for (let k = 0; k < repeats; k++) await store.insertReview(review, 0, 'api', { client: client(k) });
  const times: number[] = [];
  for (let k = 0; k < 300; k++) {
    const variant = `${words[k % 10]} ${words[(k * 7) % 10]} ${review} ${words[(k * 3) % 10]} ${k}`;
    const started = performance.now();
    await store.insertReview(variant, 0, 'api', { client: client(repeats + k) });
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(2);
  process.stdout.write(
    `repeats=${repeats} variants=${times.length} median_ms=${at(0.5)} p99_ms=${at(0.99)} max_ms=${times.at(-1).toFixed(2)}\n`,
  );
} finally {
  await store.close();
  rmSync(folder, { recursive: true, force: true });
}
