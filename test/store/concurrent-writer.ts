// Run as a separate process by store.test.ts: records feedback on the given predictions
// through its own Store, starting at a shared moment so two processes really contend.
// argv: <db file> <start at, ms since epoch> <prediction id>...
import { openStore } from '../../src/store/index.js';

const [file, startAt, ...predictionIds] = process.argv.slice(2);
const store = openStore(file, { busyTimeoutMs: 10_000 });
while (Date.now() < Number(startAt)) {
  // Busy-wait: a timer would add jitter that could separate the two writers.
}
const statuses: string[] = [];
for (const [i, id] of predictionIds.entries()) {
  // A short pause between writes, like request handling, so the other process gets the lock
  // in between: without it one process finishes its burst within the other's first busy wait.
  const until = performance.now() + 1;
  while (performance.now() < until);
  statuses.push((await store.recordFeedback(id, (i % 2) as 0 | 1, 'feedback')).status);
}
await store.close();
process.stdout.write(JSON.stringify(statuses));
