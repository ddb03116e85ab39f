import { describe, expect, it } from 'vitest';

import { median, parentPid, sampleTreeRss, statusField, treeRss, vmRssKb } from '../../tools/bench/rss.js';

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
    expect(rss.totalMb).toBeCloseTo(
      rss.processes.reduce((sum, p) => sum + p.rssMb, 0),
      1,
    );
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones, whatever the order', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
  });
});

describe('sampleTreeRss', () => {
  it.runIf(process.platform === 'linux')(
    'gives this process the median of its samples, between their least and greatest',
    async () => {
      // Arrange
      const sampler = sampleTreeRss(process.pid, 5);
      const low = treeRss(process.pid).processes[0].rssMb;
      const ballast: Buffer[] = [];

      // Act: the RSS moves while it samples
      for (let k = 0; k < 8; k++) {
        ballast.push(Buffer.alloc(4 * 1024 * 1024, k + 1));
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const high = treeRss(process.pid).processes[0].rssMb;
      const result = sampler.stop();

      // Assert
      const own = result.processes.find((p) => p.pid === process.pid);
      expect(own).toBeDefined();
      expect(own!.rssMb).toBeGreaterThan(low - 1);
      expect(own!.rssMb).toBeLessThan(high + 1);
      expect(high - low).toBeGreaterThan(16); // the ballast was really there to sample
      expect(ballast.length).toBe(8);
    },
  );
});
