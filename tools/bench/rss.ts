import { readdirSync, readFileSync } from 'node:fs';

/** Resident memory of a process tree, from /proc (Linux). */
export interface TreeRss {
  /** Sum over the processes, in MB (2^20 bytes). */
  totalMb: number;
  processes: { pid: number; rssMb: number }[];
}

/**
 * A `Key: value` field of a /proc/<pid>/status text, or undefined when absent (a zombie has
 * no VmRSS line).
 *
 * @example
 *   statusField('Name:\tnode\nVmRSS:\t  123456 kB\n', 'VmRSS') // '123456 kB'
 */
export function statusField(status: string, key: string): string | undefined {
  for (const line of status.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon) === key) return line.slice(colon + 1).trim();
  }
  return undefined;
}

/** VmRSS in kB from a /proc/<pid>/status text; 0 when it has none. */
export function vmRssKb(status: string): number {
  const field = statusField(status, 'VmRSS');
  if (field === undefined) return 0;
  const match = /^(\d+)\s*kB$/i.exec(field);
  if (match === null) throw new Error(`unexpected VmRSS field '${field}'`);
  return Number(match[1]);
}

/** The parent pid from a /proc/<pid>/status text, or undefined. */
export function parentPid(status: string): number | undefined {
  const field = statusField(status, 'PPid');
  return field === undefined || !/^\d+$/.test(field) ? undefined : Number(field);
}

function readStatus(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined; // gone meanwhile
  }
}

/**
 * Direct children of a process: from /proc/<pid>/task/<tid>/children where the kernel offers it,
 * else by reading every process's PPid.
 */
export function childPids(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const children = new Set<number>();
  let supported = false;
  for (const tid of tasks) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8');
    } catch {
      continue;
    }
    supported = true;
    for (const item of text.trim().split(/\s+/)) if (item !== '') children.add(Number(item));
  }
  if (supported) return [...children];

  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const status = readStatus(Number(entry));
    if (status !== undefined && parentPid(status) === pid) children.add(Number(entry));
  }
  return [...children];
}

/** A process and all its descendants, parents first. */
export function processTree(pid: number): number[] {
  const tree: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift()!;
    tree.push(next);
    queue.push(...childPids(next));
  }
  return tree;
}

/** RSS of a process and its descendants (a cluster primary and its workers). */
export function treeRss(pid: number): TreeRss {
  const processes: TreeRss['processes'] = [];
  for (const member of processTree(pid)) {
    const status = readStatus(member);
    if (status === undefined) continue;
    processes.push({ pid: member, rssMb: vmRssKb(status) / 1024 });
  }
  return treeOf(processes);
}

/** The processes' figures rounded to 0.1 MB, with their total. */
function treeOf(processes: TreeRss['processes']): TreeRss {
  const rounded = processes.map(({ pid, rssMb }) => ({ pid, rssMb: Math.round(rssMb * 10) / 10 }));
  return { totalMb: Math.round(rounded.reduce((sum, p) => sum + p.rssMb, 0) * 10) / 10, processes: rounded };
}

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** RSS of a process tree sampled while a phase runs; `stop` gives each process's median. */
export interface RssSampler {
  stop(): TreeRss;
}

/**
 * Samples `treeRss(pid)` every `everyMs` until `stop()`, which returns each process's median
 * sample. A single sample lands anywhere on a worker's GC sawtooth: under POST /results load its
 * V8 heap's pages swing ~25 MB between full collections (140-166 MB of anonymous memory, sampled
 * each second), so two single samples differ by that much with nothing retained. A median over a
 * phase does not.
 */
export function sampleTreeRss(pid: number, everyMs = 250): RssSampler {
  const samples = new Map<number, number[]>();
  const take = (): void => {
    for (const { pid: member, rssMb } of treeRss(pid).processes) {
      const list = samples.get(member) ?? [];
      list.push(rssMb);
      samples.set(member, list);
    }
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return treeOf([...samples].map(([member, list]) => ({ pid: member, rssMb: median(list) })));
    },
  };
}
