#!/usr/bin/env node
// `npm start`, `npm run train|evaluate|update` run the compiled files in dist/; this runs before
// each (their pre-scripts) and compiles only when dist/ is missing or older than the sources, so a
// built tree starts at once and a production install (dev dependencies pruned, no TypeScript)
// needs no compiler. Plain JavaScript: it must run where nothing can be compiled.
//
// What is compiled is what tsconfig.build.json includes (folders) less what it excludes (files);
// dist/ mirrors the tree (rootDir '.'). A tree without the sources (an image that ships only
// dist/) is taken as built.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILD_CONFIG = 'tsconfig.build.json';
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** The .ts files the build compiles, relative to the root, found on disk. */
function sources() {
  const config = JSON.parse(readFileSync(path.join(ROOT, BUILD_CONFIG), 'utf8'));
  const excluded = new Set((config.exclude ?? []).map((file) => path.normalize(file)));
  const found = [];
  const walk = (dir) => {
    for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && !excluded.has(file)) found.push(file);
    }
  };
  for (const dir of config.include ?? []) if (existsSync(path.join(ROOT, dir))) walk(path.normalize(dir));
  return found;
}

/** Why a build is due (the first reason found), or null when dist/ holds every source, newer. */
function staleness() {
  const configs = [BUILD_CONFIG, 'tsconfig.json'].map((file) => statSync(path.join(ROOT, file)).mtimeMs);
  const configChanged = Math.max(...configs);
  for (const source of sources()) {
    const output = path.join('dist', source.replace(/\.ts$/, '.js'));
    if (!existsSync(path.join(ROOT, output))) return { missing: true, why: `${output} does not exist` };
    const built = statSync(path.join(ROOT, output)).mtimeMs;
    if (built < statSync(path.join(ROOT, source)).mtimeMs)
      return { missing: false, why: `${source} is newer than ${output}` };
    if (built < configChanged) return { missing: false, why: `a tsconfig file is newer than ${output}` };
  }
  return null;
}

function main() {
  // No sources beside dist/ (a runtime image): nothing to compare, nothing to compile.
  if (!existsSync(path.join(ROOT, BUILD_CONFIG))) return 0;
  const stale = staleness();
  if (stale === null) return 0;
  if (!existsSync(TSC)) {
    process.stderr.write(
      `movieclassifier: ${stale.why}, and TypeScript (a dev dependency) is not installed here to compile it. ` +
        `Build where it is: npm ci && npm run build (then npm prune --omit=dev if you want).\n`,
    );
    return 1;
  }
  process.stderr.write(`movieclassifier: building dist/ (${stale.why})\n`);
  const result = spawnSync(process.execPath, [TSC, '-p', BUILD_CONFIG], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) process.stderr.write('movieclassifier: the build failed (above); dist/ was not updated.\n');
  return result.status ?? 1;
}

process.exitCode = main();
