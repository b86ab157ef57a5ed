import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDateTime } from '../../src/api/date-time.js';

describe('parseDateTime', () => {
  it('reads what Date.parse reads to the same millisecond', () => {
    for (const text of [
      '2026-01-01T00:00:00Z',
      '2026-01-01T00:00:00.123Z',
      '2026-01-01T00:00:00.1239Z',
      '2024-02-29T12:34:56+05:30',
      '2026-06-30T23:59:59-14:00',
      '1969-12-31T23:59:59.999Z',
      '9999-12-31T23:59:59.999+14:00',
    ]) {
      assert.equal(parseDateTime(text), Date.parse(text), text);
    }
  });

  it('reads the years 0000 to 0099 as themselves, not as 1900 to 1999', () => {
    assert.equal(parseDateTime('0000-01-01T00:00:00Z'), Date.parse('0000-01-01T00:00:00Z'));
    assert.equal(parseDateTime('0099-12-31T23:59:59Z'), Date.parse('0099-12-31T23:59:59Z'));
  });

  it('reads a leap second as the first instant of the next minute, in any offset', () => {
    const next = Date.UTC(2017, 0, 1);
    assert.equal(parseDateTime('2016-12-31T23:59:60Z'), next);
    assert.equal(parseDateTime('2017-01-01T05:29:60+05:30'), next);
    assert.equal(parseDateTime('2016-12-31T23:59:60.250Z'), next + 250);
  });

  it('reads offsets without a colon or without minutes', () => {
    assert.equal(parseDateTime('2026-01-01T05:30:00+0530'), Date.UTC(2026, 0, 1));
    assert.equal(parseDateTime('2026-01-01T05:00:00+05'), Date.UTC(2026, 0, 1));
  });

  it('refuses what is not an RFC 3339 date-time', () => {
    for (const text of [
      '2016-12-31T23:58:60Z',
      '2016-12-31T23:59:61Z',
      '2025-02-29T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-01-01T00:60:00Z',
      '2026-01-01T00:00:00+24:00',
      '2026-01-01T00:00:00',
      '2026-01-01',
      '+002026-01-01T00:00:00Z',
      '2026-01-01T00:00:00Z ',
      '1767225600000',
    ]) {
      assert.equal(parseDateTime(text), null, text);
    }
  });
});
