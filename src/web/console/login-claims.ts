import type { ConsoleStore, LoginTry } from '../../store/index.js';

/** Clients whose lock-out is remembered in memory at most; past it the memory starts again (it is only a shortcut). */
const MAX_REMEMBERED = 10_000;

/**
 * The store's claimLoginTry, with one client's tries taken one at a time in this process and a
 * lock-out remembered until it ends. The store's claim is atomic by itself (across workers too);
 * this keeps a burst of tries from one client (400 released together) from taking every database
 * connection at once, where they waited past the write timeout and were answered 503: only the
 * first ADMIN_LOGIN_FAILURES reach the database, the rest are answered 429 from memory. A
 * lock-out only ends with time (a right password is refused meanwhile), so remembering it is exact.
 */
export function serialLoginClaims(
  store: Pick<ConsoleStore, 'claimLoginTry'>,
  windowMs: number,
): (client: string, at: Date, since: string, max: number) => Promise<LoginTry> {
  const queues = new Map<string, Promise<LoginTry>>();
  const lockedOut = new Map<string, { oldest: string; freeAt: number }>();
  const remembered = (client: string, at: Date): LoginTry | undefined => {
    const known = lockedOut.get(client);
    if (known === undefined) return undefined;
    if (known.freeAt > at.getTime()) return { allowed: false, oldest: known.oldest };
    lockedOut.delete(client);
    return undefined;
  };
  return async (client, at, since, max) => {
    const known = remembered(client, at);
    if (known !== undefined) return known;
    const previous = queues.get(client);
    const claim = (async (): Promise<LoginTry> => {
      await previous?.catch(() => undefined);
      const settled = remembered(client, at);
      if (settled !== undefined) return settled;
      const result = await store.claimLoginTry(client, at.toISOString(), since, max);
      if (!result.allowed) {
        if (lockedOut.size >= MAX_REMEMBERED) lockedOut.clear();
        lockedOut.set(client, { oldest: result.oldest, freeAt: Date.parse(result.oldest) + windowMs });
      }
      return result;
    })();
    queues.set(client, claim);
    try {
      return await claim;
    } finally {
      if (queues.get(client) === claim) queues.delete(client);
    }
  };
}
