import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveConfig } from '../../src/config.js';
import { shortRetentionWarning } from '../../src/retention/retention-warning.js';

describe('--retention', () => {
  it('keeps 30 days by default', () => {
    assert.equal(resolveConfig({}, {}).retentionMs, 30 * 86_400_000);
  });

  it('takes any duration, days and seconds included, from the flag or HERALD_RETENTION', () => {
    assert.equal(resolveConfig({ retentionMs: '90d' }, {}).retentionMs, 90 * 86_400_000);
    assert.equal(resolveConfig({ retentionMs: '900h' }, {}).retentionMs, 900 * 3_600_000);
    assert.equal(resolveConfig({}, { HERALD_RETENTION: '60s' }).retentionMs, 60_000);
    assert.equal(resolveConfig({ retentionMs: '2s' }, { HERALD_RETENTION: '60s' }).retentionMs, 2000);
  });

  it('refuses what is not a duration, naming the setting', () => {
    assert.throws(() => resolveConfig({ retentionMs: 'forever' }, {}), /--retention must be a duration such as 30d/);
    assert.throws(() => resolveConfig({}, { HERALD_RETENTION: '0s' }), /HERALD_RETENTION must be a duration from 1 ms/);
  });

  it('warns below an hour, and not from an hour up', () => {
    assert.match(shortRetentionWarning(60_000) ?? '', /WARNING: --retention is 60000 ms \(under 1 h\)/);
    assert.equal(shortRetentionWarning(3_600_000), null);
  });
});
