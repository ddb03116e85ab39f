import { pino, type Logger } from 'pino';

import type { Config } from '../config.js';

export type { Logger };

/**
 * The process logger: JSON lines on stdout through an asynchronous destination (sonic-boom with
 * `sync: false`), so a slow terminal or pipe never blocks a request. pino flushes it on exit.
 */
export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({ level: config.logLevel }, pino.destination({ dest: 1, sync: false }));
}
