import { spawn } from 'node:child_process';
import { once } from 'node:events';

import { describe, expect, it } from 'vitest';

import { cpuTicksOf, treeCpuMs } from '../../tools/bench/cpu.js';

describe('cpuTicksOf', () => {
  it('adds utime and stime, counting fields after the name even when it holds spaces and parentheses', () => {
    expect(cpuTicksOf('42 (node (worker) 2) S 1 42 42 0 -1 4194304 0 0 0 0 150 25 0 0 20 0 11 0 7 0 0')).toBe(175);
  });

  it('refuses a text that is not a stat line, saying what it read', () => {
    expect(() => cpuTicksOf('not a stat line')).toThrow(/no '\)' after the name/);
    expect(() => cpuTicksOf('42 (node) S 1 2')).toThrow(/no utime and stime/);
  });
});

describe('treeCpuMs', () => {
  it("counts a child's CPU time in its parent's tree, and grows while the child works", async () => {
    // A shell whose child node process spins for 600 ms of CPU, then idles until it is killed
    // with its group (or ends by itself after 10 s).
    const script = 'const end = Date.now() + 600; while (Date.now() < end); setTimeout(() => {}, 10000);';
    const shell = spawn('sh', ['-c', `node -e '${script}'; true`], { stdio: 'ignore', detached: true });
    try {
      await once(shell, 'spawn');
      const before = treeCpuMs(shell.pid!);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const after = treeCpuMs(shell.pid!);
      expect(after - before).toBeGreaterThanOrEqual(300);
    } finally {
      process.kill(-shell.pid!, 'SIGKILL');
    }
  });
});
