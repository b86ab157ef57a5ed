import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ERROR_CLASSES } from '../../src/errors.js';

const doc = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');

/** `| \`code\` | status | when |` rows of docs/errors.md. */
const documented = new Map(
  [...doc.matchAll(/^\|\s*`([a-z_]+)`\s*\|\s*(\d{3})\s*\|/gm)].map((m) => [m[1]!, Number(m[2])]),
);

describe('error catalogue', () => {
  const classes = ERROR_CLASSES.map((ErrorClass) => new ErrorClass('probe'));

  it('lists every error class of errors.ts in docs/errors.md with its status', () => {
    for (const error of classes) {
      assert.equal(documented.get(error.code), error.status, `${error.name} (${error.code}) in docs/errors.md`);
    }
  });

  it('documents no code that errors.ts does not have', () => {
    const codes = new Set<string>(classes.map((e) => e.code));
    for (const code of documented.keys()) assert.ok(codes.has(code), `${code} is documented but has no class`);
  });

  it('gives every class its own code', () => {
    assert.equal(new Set(classes.map((e) => e.code)).size, classes.length);
  });
});
