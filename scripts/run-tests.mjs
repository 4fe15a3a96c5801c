#!/usr/bin/env node
// Runs the compiled test files (dist/test/**/*.test.js) with node:test.
// Node 20's `node --test` takes no globs, so we list the files ourselves.
// Usage: node scripts/run-tests.mjs [unit|sim|integration ...]
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = 'dist/test';
const areas = process.argv.slice(2);
const dirs = areas.length > 0 ? areas.map((a) => join(root, a)) : [root];

function walk(dir, out) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const files = dirs.flatMap((d) => walk(d, []));
if (files.length === 0) {
  console.error(`no test files under ${dirs.join(', ')} (did the build run?)`);
  process.exit(1);
}
// Integration tests start real processes and bind ports: run files one at a time there
// so two suites never fight over the 2 cores of a CI machine.
const concurrency = process.env.SESSIONMESH_TEST_CONCURRENCY ?? (areas.length === 1 && areas[0] === 'unit' ? '2' : '1');
const result = spawnSync(
  process.execPath,
  ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
