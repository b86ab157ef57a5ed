import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { it } from 'node:test';
import { requireOrSkip } from '../../../test-support/skip.js';

const repoCopy = new URL('../../../docs/wire-spec.md', import.meta.url);
const shared = new URL('../../../../shared/wire-spec.md', import.meta.url);

it('keeps docs/wire-spec.md the same as the shared contract, apart from its note', (t) => {
  if (!requireOrSkip(t, existsSync(shared), `no shared contract at ${shared.pathname}`)) return;
  const withoutNote = readFileSync(repoCopy, 'utf8').replace(/^\n> The contract, kept in step[^\n]*\n/m, '');
  assert.equal(withoutNote, readFileSync(shared, 'utf8'));
});
