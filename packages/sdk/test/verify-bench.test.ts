import assert from 'node:assert/strict';
import { test } from 'node:test';
import { benchVerify, oneKibBody } from '../bench/verify-bench.js';

test('the SDK bench measures a 1 KiB body and reports every rate and ratio', async () => {
  assert.equal(Buffer.byteLength(oneKibBody()), 1024);
  const result = await benchVerify({ seconds: 0.05 });
  for (const [name, value] of Object.entries(result)) assert.ok(Number.isFinite(value) && value > 0, `${name} = ${value}`);
  assert.ok(Math.abs(result.ratio - result.verifyPerSec / result.hmacPerSec) < 1e-9);
});
