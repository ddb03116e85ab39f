/** Clients remembered before the schedule starts over (each then trimmed on its next batch). */
const REMEMBERED_CLIENTS = 10_000;

export interface TrimSchedule {
  /** The clients among a batch's whose unanswered predictions this batch should trim. */
  due(clients: Iterable<string | null>): string[];
}

/**
 * When a store trims a client's unanswered predictions down to `bound`. The trim walks the
 * client's newest `bound` rows in an index (~0.1 ms at 500 on SQLite, more on PostgreSQL while
 * deleted rows wait for vacuum). Done with every batch, a client at its bound paid it on every
 * prediction — and one address loading the server (a benchmark, a proxy without TRUST_PROXY) is
 * always at its bound. So a client is trimmed on its first batch in this process, then once it has
 * sent `every` = ceil(bound / 20) predictions since its last trim: it holds at most bound + every - 1
 * unanswered predictions per process (5% over the bound), and pays the walk once per `every`.
 *
 * @example
 *   const schedule = createTrimSchedule(500); // every 25
 *   schedule.due(['a']); // ['a']: first seen
 *   schedule.due(['a']); // []: 1 of 25 since
 */
export function createTrimSchedule(bound: number): TrimSchedule {
  const every = Math.max(1, Math.ceil(bound / 20));
  const sinceTrim = new Map<string, number>();
  return {
    due(clients) {
      const arrived = new Map<string, number>();
      for (const client of clients) if (client !== null) arrived.set(client, (arrived.get(client) ?? 0) + 1);
      if (sinceTrim.size + arrived.size > REMEMBERED_CLIENTS) sinceTrim.clear();
      const due: string[] = [];
      for (const [client, count] of arrived) {
        const before = sinceTrim.get(client);
        const sent = (before ?? 0) + count;
        if (before === undefined || sent >= every) {
          due.push(client);
          sinceTrim.set(client, 0);
        } else {
          sinceTrim.set(client, sent);
        }
      }
      return due;
    },
  };
}
