#!/usr/bin/env node
// Runs every *.test.ts under packages/*/test with Node's test runner (through tsx), then the API and
// delivery suites a second time on PostgreSQL, and says loudly which tests were skipped and why.
// Under CI=true a skipped test, or a skipped PostgreSQL pass, fails the run.
//
//   node scripts/test.mjs [path-fragment …]   only the matching files
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tsImport } from 'tsx/esm/api';

const root = new URL('..', import.meta.url).pathname;
const only = process.argv.slice(2);
const POSTGRES_URL = process.env.HERALD_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const POSTGRES_SUITES = ['packages/server/test/api/', 'packages/server/test/dispatch/'];

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

const allFiles = readdirSync(join(root, 'packages'))
  .flatMap((pkg) => {
    try {
      return findTests(join(root, 'packages', pkg, 'test'));
    } catch {
      return [];
    }
  })
  .map((file) => relative(root, file))
  .sort();
const selected = allFiles.filter((file) => only.length === 0 || only.some((part) => file.includes(part)));

/** Runs one pass of the test runner; resolves with its exit code, pass/fail counts and skipped tests. */
function runPass(label, files, env) {
  console.log(`\n=== ${label}: ${files.length} test files ===\n`);
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } },
    );
    const result = { code: 1, passed: 0, failed: 0, skipped: [] };
    let tail = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      const lines = (tail + chunk.toString()).split('\n');
      tail = lines.pop() ?? '';
      for (const line of lines) {
        // The spec reporter marks a skipped test "﹣ <name> (<duration>) # <reason>".
        const skip = /^\s*﹣\s*(.*?)\s*\([\d.]+m?s\)\s*#\s*(.*)$/.exec(line);
        if (skip) result.skipped.push(`${label}: ${skip[1]} — ${skip[2] || 'no reason given'}`);
        const count = /^ℹ (pass|fail) (\d+)$/.exec(line);
        if (count) result[count[1] === 'pass' ? 'passed' : 'failed'] = Number(count[2]);
      }
    });
    child.on('close', (code) => resolve({ ...result, code: code ?? 1 }));
  });
}

/** The same patient probe the tests use (`test-support/postgres-probe.ts`): a busy machine is not a missing server. */
async function postgresUnavailable() {
  const { probePostgres } = await tsImport('../test-support/postgres-probe.ts', import.meta.url);
  const why = await probePostgres(POSTGRES_URL);
  return why === null ? null : `PostgreSQL unreachable at ${POSTGRES_URL} (${why})`;
}

const passes = [await runPass('all suites (API and delivery on SQLite)', selected, {})];
const skipped = [...passes[0].skipped];

const postgresFiles = selected.filter((file) => POSTGRES_SUITES.some((suite) => file.startsWith(suite)));
if (postgresFiles.length > 0) {
  const missing = await postgresUnavailable();
  if (missing === null) {
    passes.push(await runPass('API and delivery suites on PostgreSQL', postgresFiles, { HERALD_TEST_STORE: 'postgres' }));
    skipped.push(...passes[1].skipped);
  } else {
    skipped.push(`the API and delivery suites on PostgreSQL (${postgresFiles.length} files) — ${missing}`);
  }
}

const passed = passes.reduce((n, p) => n + p.passed, 0);
const failed = passes.reduce((n, p) => n + p.failed, 0);
let exitCode = passes.some((p) => p.code !== 0) ? 1 : 0;
if (skipped.length > 0) {
  const banner = '!'.repeat(72);
  console.log(`\n${banner}\nSKIPPED ${skipped.length}:`);
  for (const line of skipped) console.log(`  - ${line}`);
  console.log(banner);
  if (process.env.CI === 'true') {
    console.log('CI=true: a skip is a failure.');
    exitCode = 1;
  }
}
console.log(`\n${passed} passed, ${failed} failed, ${skipped.length} skipped`);
process.exit(exitCode);
