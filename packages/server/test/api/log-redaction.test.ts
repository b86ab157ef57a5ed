import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, redactUrl } from '../../src/logging.js';
import { createTestApi } from '../helpers/fixtures.js';

describe('request logs', () => {
  it('never carry a token, API key, key, secret, Authorization or Cookie that a session sent', async () => {
    const lines: string[] = [];
    const logger = createLogger('info', { service: 'herald' }, { write: (line: string) => void lines.push(line) });
    const api = await createTestApi({ dashboardDir: null, logger });
    try {
      const secrets = {
        token: 'TOKEN-0123456789abcdef',
        apiKey: 'APIKEY-0123456789abcdef',
        key: 'KEY-0123456789abcdef',
        secret: 'SECRET-0123456789abcdef',
        upper: 'UPPER-0123456789abcdef',
        authorization: api.org.apiKey,
        cookie: 'COOKIE-0123456789abcdef',
      };
      const link = (await api.request('POST', '/v1/portal-links', {})).json().url as string;
      const portalToken = new URL(link).searchParams.get('token')!;
      const requests = [
        `/portal?token=${secrets.token}`,
        `/portal?token=${portalToken}`,
        `/v1/endpoints?api_key=${secrets.apiKey}`,
        `/v1/endpoints?limit=5&key=${secrets.key}&secret=${secrets.secret}`,
        `/v1/endpoints?TOKEN=${secrets.upper}`,
      ];
      for (const url of requests) await api.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${secrets.authorization}`, cookie: `herald_session=${secrets.cookie}` } });
      // Whatever logs headers is covered too, not just the request line.
      logger.info({ headers: { authorization: `Bearer ${secrets.authorization}`, cookie: secrets.cookie } }, 'headers');

      const log = lines.join('');
      for (const [name, value] of Object.entries({ ...secrets, portalToken })) assert.ok(!log.includes(value), `the log carries the ${name}`);
      // The requests were logged, with the names kept and the values redacted.
      assert.ok(log.includes('/portal?token=[redacted]'), log);
      assert.ok(log.includes('/v1/endpoints?limit=5&key=[redacted]&secret=[redacted]'), log);
      assert.ok(log.includes('/v1/endpoints?api_key=[redacted]'), log);
      assert.ok(log.includes('"authorization":"[redacted]"'), log);
    } finally {
      await api.dispose();
    }
  });

  it('redacts by parameter name whatever its case or encoding, and keeps the rest of the URL', () => {
    assert.equal(redactUrl('/v1/events?Api_Key=x&since=2026'), '/v1/events?Api_Key=[redacted]&since=2026');
    assert.equal(redactUrl('/portal?%74oken=x'), '/portal?%74oken=[redacted]');
    assert.equal(redactUrl('/v1/endpoints'), '/v1/endpoints');
    assert.equal(redactUrl('/x?tokens=1&monkey=2'), '/x?tokens=1&monkey=2');
  });
});
