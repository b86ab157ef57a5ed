import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { requireOrSkip } from '../../../test-support/skip.js';
import { makeTempDir } from '../../../test-support/temp-dir.js';

/**
 * `npm run pack`'s tarballs, installed the way a user outside this repository installs them: into an
 * empty project, then loaded by child processes with `import` and with `require`.
 */

const root = fileURLToPath(new URL('../../../', import.meta.url));
const built = ['packages/sdk/dist/index.js', 'packages/sdk/dist/cjs/index.js', 'packages/server/dist/cli/main.js'].every((file) =>
  existsSync(join(root, file)),
);
const NOT_BUILT = 'the packages are not built (run npm run build)';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYo=';

/** A delivery signed by hand from the wire spec (§3), so the SDK under test is not its own witness. */
function signedDelivery(secret: string): { body: string; headers: Record<string, string> } {
  const body = '{"id":"0190b6a4-7c9e-7b3f-8a1d-2e4f6a8b0c1d","event":"user.follow","payload":{"organization_id":"o","follower_id":"a","followed_id":"b"}}';
  const t = Math.floor(Date.now() / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return { body, headers: { 'content-type': 'application/json', 'x-webhook-signature': `t=${t},v1=${v1}` } };
}

/** Run in the consumer project: verifies the good delivery, and reports why the forged one is refused. */
const CHECK = `
  const [good, forged] = JSON.parse(process.env.DELIVERIES);
  const event = sdk.verifyWebhook(good.body, good.headers, process.env.SECRET);
  let reason = 'accepted';
  try { sdk.verifyWebhook(forged.body, forged.headers, process.env.SECRET); } catch (error) {
    reason = error instanceof sdk.WebhookVerificationError ? error.reason : String(error);
  }
  console.log(JSON.stringify({ id: event.id, reason, entry: resolved }));
`;

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
  assert.equal(result.status, 0, `${command} ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

describe('npm run pack', () => {
  const dir = makeTempDir('herald-pack-');
  const out = join(dir.path, 'dist-pack');
  const project = join(dir.path, 'consumer');
  const env = { SECRET, DELIVERIES: JSON.stringify([signedDelivery(SECRET), signedDelivery('whsec_not_the_secret')]) };

  before(() => {
    if (!built) return;
    run(process.execPath, [join(root, 'scripts/pack.mjs'), out], root);
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), '{ "name": "consumer", "private": true }\n');
    // The SDK has no dependencies, so it installs without the network.
    run('npm', ['install', '--offline', '--no-audit', '--no-fund', join(out, 'herald-sdk-0.1.0.tgz')], project);
  });
  after(() => dir.remove());

  test('the SDK tarball installs into an empty project and verifies a delivery through import', (t) => {
    if (!requireOrSkip(t, built, NOT_BUILT)) return;
    const script = `import * as sdk from '@herald/sdk'; const resolved = import.meta.resolve('@herald/sdk'); ${CHECK}`;
    const result = JSON.parse(run(process.execPath, ['--input-type=module', '-e', script], project, env)) as Record<string, string>;
    assert.deepEqual(result, {
      id: '0190b6a4-7c9e-7b3f-8a1d-2e4f6a8b0c1d',
      reason: 'no_matching_signature',
      entry: `file://${project}/node_modules/@herald/sdk/dist/index.js`,
    });
  });

  test('…and through require, from its CommonJS build, even where Node cannot require ES modules', (t) => {
    if (!requireOrSkip(t, built, NOT_BUILT)) return;
    const script = `const sdk = require('@herald/sdk'); const resolved = require.resolve('@herald/sdk'); ${CHECK}`;
    // --no-experimental-require-module makes Node 20.19+ behave like Node 20.0–20.18: no require(esm).
    const result = JSON.parse(run(process.execPath, ['--no-experimental-require-module', '-e', script], project, env)) as Record<string, string>;
    assert.deepEqual(result, {
      id: '0190b6a4-7c9e-7b3f-8a1d-2e4f6a8b0c1d',
      reason: 'no_matching_signature',
      entry: `${project}/node_modules/@herald/sdk/dist/cjs/index.js`,
    });
  });

  test('the SDK tarball carries type declarations for both import and require', (t) => {
    if (!requireOrSkip(t, built, NOT_BUILT)) return;
    const use = `import { verifyWebhook, type HeraldEvent } from '@herald/sdk';\nexport const check = (body: string): HeraldEvent => verifyWebhook(body, {}, 'whsec_x');\n`;
    writeFileSync(join(project, 'esm.mts'), use);
    writeFileSync(join(project, 'cjs.cts'), use);
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const typeRoots = join(root, 'node_modules/@types');
    const flags = ['--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--typeRoots', typeRoots, '--types', 'node'];
    const trace = run(process.execPath, [tsc, ...flags, '--traceResolution', 'esm.mts', 'cjs.cts'], project);
    assert.match(trace, /'@herald\/sdk' was successfully resolved to '[^']*\/node_modules\/@herald\/sdk\/dist\/index\.d\.ts'/);
    assert.match(trace, /'@herald\/sdk' was successfully resolved to '[^']*\/node_modules\/@herald\/sdk\/dist\/cjs\/index\.d\.ts'/);
  });

  test('the server tarball carries the herald binary, its build and the SDK it imports', (t) => {
    if (!requireOrSkip(t, built, NOT_BUILT)) return;
    const tarball = join(out, 'herald-server-0.1.0.tgz');
    const files = run('tar', ['-tzf', tarball], dir.path).split('\n');
    for (const file of ['package/bin/herald.js', 'package/dist/cli/main.js', 'package/dist/catalog/default-catalog.json', 'package/node_modules/@herald/sdk/dist/index.js']) {
      assert.ok(files.includes(file), `${file} is in the server tarball`);
    }
    assert.ok(!files.some((file) => file.startsWith('package/src/') || file.startsWith('package/test/')), 'no sources or tests in the tarball');
    const manifest = JSON.parse(run('tar', ['-xzOf', tarball, 'package/package.json'], dir.path)) as Record<string, unknown>;
    assert.deepEqual(manifest.bin, { herald: 'bin/herald.js' });
    assert.deepEqual(manifest.bundleDependencies, ['@herald/sdk']);
  });
});
