import { readFileSync } from 'node:fs';

import { BenchError } from './bench-server.js';
import { processTree } from './rss.js';

/**
 * Clock ticks per second of /proc/<pid>/stat's times: USER_HZ, which Linux fixes at 100 for that
 * interface whatever the kernel's own tick rate.
 */
const USER_HZ = 100;

/**
 * User plus system time, in clock ticks, from a /proc/<pid>/stat text. The process name (second
 * field) may hold spaces and parentheses, so fields are counted after its last ')'.
 *
 * @example
 *   cpuTicksOf('42 (node (worker)) S 1 42 42 0 -1 4194304 0 0 0 0 150 25 0 0 20 0 11 0 7 0 0') // 175
 */
export function cpuTicksOf(stat: string): number {
  const close = stat.lastIndexOf(')');
  if (close < 0) throw new BenchError(`unexpected /proc stat text '${stat.slice(0, 60)}': no ')' after the name`);
  // After the name: state (field 3), ... utime (field 14), stime (field 15).
  const fields = stat
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const [utime, stime] = [Number(fields[11]), Number(fields[12])];
  if (!Number.isSafeInteger(utime) || !Number.isSafeInteger(stime))
    throw new BenchError(`unexpected /proc stat text '${stat.slice(0, 60)}': no utime and stime`);
  return utime + stime;
}

/**
 * CPU time, in ms, used so far by a process and its live descendants (a cluster primary and its
 * workers): what a server spends, apart from the load generator that shares the machine with it.
 * Processes that end meanwhile are not counted.
 */
export function treeCpuMs(pid: number): number {
  let ticks = 0;
  for (const member of processTree(pid)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${member}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    ticks += cpuTicksOf(stat);
  }
  return (ticks * 1000) / USER_HZ;
}
