import type { Response } from 'express';

/**
 * Writes chunks of rows to a response as text, for as long as the client stays: after each chunk
 * it waits for the response to drain when it is full (backpressure), then for its turn of the
 * event loop ({@link takeTurn}). Both matter: a `for await` over a synchronous source (SQLite)
 * never leaves the microtask queue, and neither does a wait for 'drain' when the socket took the
 * write at once (fast readers on loopback: 'drain' comes on process.nextTick), so without the turn
 * a whole export runs as one task and every other request of the worker waits for it.
 *
 * @returns false when the client went away before the last chunk (the response is left to close).
 */
export async function streamChunks<T>(
  res: Response,
  chunks: Iterable<T[]> | AsyncIterable<T[]>,
  format: (rows: T[]) => string,
): Promise<boolean> {
  let gone = res.destroyed;
  const onClose = () => (gone = true);
  res.once('close', onClose);
  try {
    for await (const rows of chunks) {
      if (gone) return false;
      if (!res.write(format(rows))) await drainedOrClosed(res);
      await takeTurn();
    }
    return !gone;
  } finally {
    res.off('close', onClose);
  }
}

const waiting: (() => void)[] = [];
let turning = false;

/**
 * Resolves on a later turn of the event loop, one waiter per turn, in the order they asked. Five
 * exports each yielding with setImmediate would all run a chunk in the same check phase, and a
 * request arriving meanwhile would wait for all five; taking turns, it waits for one chunk.
 */
export function takeTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (!turning) {
      turning = true;
      setImmediate(nextTurn);
    }
  });
}

function nextTurn(): void {
  const resolve = waiting.shift();
  // Queued from inside a check phase, the next turn comes after the poll phase: I/O goes first.
  if (waiting.length > 0) setImmediate(nextTurn);
  else turning = false;
  resolve?.();
}

/** Resolves when the response can take more, or the client has gone; leaves no listener behind. */
function drainedOrClosed(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
