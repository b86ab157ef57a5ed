import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { requireOrSkip } from '../../../test-support/skip.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const built = existsSync(new URL('../dist/index.js', import.meta.url)) && existsSync(new URL('../dist/cjs/index.js', import.meta.url));

test('has no runtime dependencies', () => {
  assert.equal(manifest.dependencies, undefined);
  assert.equal(manifest.peerDependencies, undefined);
});

test('loads from the built package with import, and with require (its CommonJS build)', (t) => {
  if (!requireOrSkip(t, built, 'packages/sdk/dist is not built (run npm run build)')) return;
  const script = `
    const viaImport = await import('@herald/sdk');
    const { createRequire } = await import('node:module');
    const require = createRequire(process.cwd() + '/');
    const viaRequire = require('@herald/sdk');
    console.log(JSON.stringify([typeof viaImport.verifyWebhook, typeof viaRequire.verifyWebhook, typeof viaImport.HeraldClient, require.resolve('@herald/sdk').endsWith('/dist/cjs/index.js')]));
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), ['function', 'function', 'function', true]);
});
