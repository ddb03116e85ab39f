import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

import { SERVER_ENTRY } from '../server-process.js';
import { BenchError } from './bench-server.js';

/**
 * True when every src/**.ts has a compiled dist/src/**.js at least as new (tsc rewrites every
 * output on each build, so one stale file means a build is due).
 */
export function isDistFresh(root: string): boolean {
  const srcDir = path.join(root, 'src');
  const walk = (dir: string): boolean => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!walk(full)) return false;
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        const out = path.join(root, 'dist', path.relative(root, full)).replace(/\.ts$/, '.js');
        if (!existsSync(out) || statSync(out).mtimeMs < statSync(full).mtimeMs) return false;
      }
    }
    return true;
  };
  return walk(srcDir);
}

/** Runs `npm run build` when asked to or when dist/ is stale; returns what it did and how long it took. */
export function ensureBuild(root: string, mode: 'auto' | 'always' | 'never'): { built: boolean; ms: number } {
  const entry = path.join(root, SERVER_ENTRY.compiled);
  if (mode === 'never' || (mode === 'auto' && isDistFresh(root))) {
    if (!existsSync(entry)) {
      throw new BenchError(`${SERVER_ENTRY.compiled} does not exist; run \`npm run build\` or drop --build never`);
    }
    return { built: false, ms: 0 };
  }
  const started = performance.now();
  try {
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new BenchError(
      `npm run build failed, so there is no compiled server to measure (use --build never to measure the ` +
        `existing dist/):\n${(e.stdout ?? '') + (e.stderr ?? '') || e.message}`,
    );
  }
  return { built: true, ms: Math.round(performance.now() - started) };
}
