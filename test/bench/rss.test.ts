import { describe, expect, it } from 'vitest';

import { parentPid, statusField, treeRss, vmRssKb } from '../../tools/bench/rss.js';

const STATUS = [
  'Name:\tnode',
  'State:\tS (sleeping)',
  'Pid:\t4242',
  'PPid:\t4200',
  'VmPeak:\t 1234567 kB',
  'VmRSS:\t  204800 kB',
  'Threads:\t11',
  '',
].join('\n');

describe('/proc status parsing', () => {
  it('reads VmRSS in kB and the parent pid', () => {
    expect(vmRssKb(STATUS)).toBe(204_800);
    expect(parentPid(STATUS)).toBe(4200);
    expect(statusField(STATUS, 'Name')).toBe('node');
  });

  it('counts a process without VmRSS (a zombie) as 0 kB', () => {
    expect(vmRssKb('Name:\tnode\nState:\tZ (zombie)\nPPid:\t1\n')).toBe(0);
  });

  it('does not take a field whose name only starts like the one asked for', () => {
    expect(statusField('VmRSSx:\t1 kB\n', 'VmRSS')).toBeUndefined();
  });
});

describe('treeRss', () => {
  it.runIf(process.platform === 'linux')('measures this process from /proc, in MB', () => {
    // Act
    const rss = treeRss(process.pid);

    // Assert: vitest's worker is a real process of some tens of MB
    expect(rss.processes[0]?.pid).toBe(process.pid);
    expect(rss.totalMb).toBeGreaterThan(10);
    expect(rss.totalMb).toBeCloseTo(rss.processes.reduce((sum, p) => sum + p.rssMb, 0), 1);
  });
});
