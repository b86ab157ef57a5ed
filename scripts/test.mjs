#!/usr/bin/env node
// Runs every *.test.ts under packages/*/test with Node's test runner (through tsx), then says loudly
// which tests were skipped and why. Under CI=true a skipped test fails the run.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const only = process.argv.slice(2);

function findTests(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

const files = readdirSync(join(root, 'packages'))
  .flatMap((pkg) => {
    try {
      return findTests(join(root, 'packages', pkg, 'test'));
    } catch {
      return [];
    }
  })
  .map((file) => relative(root, file))
  .filter((file) => only.length === 0 || only.some((part) => file.includes(part)))
  .sort();

const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files],
  { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
);

const skipped = [];
let tail = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  const text = tail + chunk.toString();
  const lines = text.split('\n');
  tail = lines.pop() ?? '';
  for (const line of lines) {
    const match = /^\s*(?:﹣|-)\s*(.*)# SKIP(?:\s+(.*))?$/.exec(line);
    if (match) skipped.push(`${match[1].trim()} — ${match[2] ?? 'no reason given'}`);
  }
});

child.on('close', (code) => {
  if (skipped.length > 0) {
    const banner = '!'.repeat(72);
    console.log(`\n${banner}\nSKIPPED ${skipped.length} test(s):`);
    for (const line of skipped) console.log(`  - ${line}`);
    console.log(banner);
    if (process.env.CI === 'true') {
      console.log('CI=true: a skipped test is a failure.');
      process.exit(1);
    }
  }
  process.exit(code ?? 1);
});
