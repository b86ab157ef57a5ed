import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { requireOrSkip } from '../../../test-support/skip.js';
import { signatureHeader } from '../src/index.js';
import { envelope, OTHER_SECRET, SECRET, VECTOR } from './fixtures.js';
import { findPython, runPythonVerifier } from './python-verifier.js';

const python = findPython();

describe('Python 3 standard-library verifier (test/python/verify.py)', () => {
  test('accepts the wire spec test vector', (t) => {
    if (!requireOrSkip(t, python !== null, 'python3 is not installed')) return;
    const [result] = runPythonVerifier(python!, [
      { body: VECTOR.body, signature: `t=${VECTOR.timestamp},v1=${VECTOR.v1}`, secrets: [VECTOR.secret], now: VECTOR.timestamp },
    ]);
    assert.deepEqual(result, { ok: true, event: JSON.parse(VECTOR.body) });
  });

  test('verifies raw bytes with non-ASCII text and emoji, and decodes them intact', (t) => {
    if (!requireOrSkip(t, python !== null, 'python3 is not installed')) return;
    const body = Buffer.from(envelope({ payload: { organization_id: 'o', user_id: 'u', email: null, phone: null, full_name: 'Zoë Ñúñez 😀 日本' } }));
    const [result] = runPythonVerifier(python!, [{ body, signature: signatureHeader([SECRET], 1700000000, body), secrets: [SECRET], now: 1700000000 }]);
    assert.ok(result?.ok);
    assert.deepEqual(result.event, JSON.parse(body.toString('utf8')));
  });

  test('accepts either secret of a rotation header and refuses tampering, stale timestamps and non-ASCII header text', (t) => {
    if (!requireOrSkip(t, python !== null, 'python3 is not installed')) return;
    const body = envelope();
    const rotation = signatureHeader([OTHER_SECRET, SECRET], 1700000000, body);
    const results = runPythonVerifier(python!, [
      { body, signature: rotation, secrets: [SECRET], now: 1700000000 },
      { body, signature: rotation, secrets: [OTHER_SECRET], now: 1700000000 },
      { body: body.replace('John', 'Jane'), signature: rotation, secrets: [SECRET], now: 1700000000 },
      { body, signature: rotation, secrets: [SECRET], now: 1700000901 },
      { body, signature: 'v1=abc', secrets: [SECRET], now: 1700000000 },
      // Characters a latin-1 header can carry: a refusal, not a crash.
      { body, signature: `t=\u00b2,${rotation.split(',')[1]}`, secrets: [SECRET], now: 1700000000 },
      { body, signature: `t=1700000000,v1=\u00e9${'a'.repeat(63)}`, secrets: [SECRET], now: 1700000000 },
    ]);
    assert.deepEqual(
      results.map((r) => (r.ok ? 'ok' : r.reason)),
      ['ok', 'ok', 'no_matching_signature', 'timestamp_too_old', 'malformed_header', 'malformed_header', 'no_matching_signature'],
    );
  });
});
