import cliProgress from 'cli-progress';
import type { TrainProgress } from './train-from-corpus.js';

/**
 * Progress for long passes: a bar on a terminal, a plain line every few seconds otherwise (logs,
 * CI). Returns the callback and a `stop` to call at the end.
 */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr): {
  onProgress: (progress: TrainProgress) => void;
  stop: () => void;
} {
  const label = (p: TrainProgress): string =>
    p.phase === 'training' ? `epoch ${p.epoch}/${p.epochs}` : p.phase === 'counting' ? 'counting' : 'held-out';
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: '{phase} [{bar}] {value}/{total} docs', stream, hideCursor: true, clearOnComplete: false },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    let current = '';
    return {
      onProgress(p) {
        const phase = label(p);
        const total = p.total ?? Math.max(p.docs, 1);
        if (!started || phase !== current) {
          if (started) bar.stop();
          bar.start(total, p.docs, { phase });
          started = true;
          current = phase;
        } else {
          bar.setTotal(total);
          bar.update(p.docs, { phase });
        }
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let last = 0;
  let lastLine = '';
  return {
    onProgress(p) {
      const now = Date.now();
      const done = p.total !== null && p.docs >= p.total;
      if (now - last < 2000 && !done) return;
      const key = `${p.phase}:${p.epoch}:${p.docs}`;
      if (key === lastLine) return;
      lastLine = key;
      last = now;
      const of = p.total === null ? '' : `/${p.total}`;
      stream.write(`progress phase=${p.phase} ${label(p)} docs=${p.docs}${of}\n`);
    },
    stop() {},
  };
}
