import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { makeTempDir } from '../../../../test-support/temp-dir.js';
import { createTestApi, endpointBody, type TestApi } from '../helpers/fixtures.js';

describe('response headers', () => {
  let api: TestApi | undefined;
  const dir = makeTempDir('herald-headers-');
  mkdirSync(join(dir.path, 'assets'), { recursive: true });
  writeFileSync(join(dir.path, 'index.html'), '<!doctype html><title>Herald</title>');
  afterEach(async () => {
    await api?.dispose();
    api = undefined;
  });

  it('forbids framing everything by default: the API, the dashboard and the portal', async () => {
    api = await createTestApi({ dashboardDir: dir.path });
    const link = (await api.request('POST', '/v1/portal-links', {})).json().url as string;
    for (const url of ['/v1/endpoints', '/webhooks', new URL(link).pathname + new URL(link).search, '/portal']) {
      const response: { headers: Record<string, unknown> } = await api.app.inject({ method: 'GET', url, headers: url.startsWith('/v1') ? api.org.headers : {} });
      assert.equal(response.headers['x-frame-options'], 'DENY', url);
      assert.match(String(response.headers['content-security-policy']), /frame-ancestors 'none'$/, url);
    }
  });

  it('lets the configured origins frame the dashboard pages and the portal, and still not the API', async () => {
    api = await createTestApi({ dashboardDir: dir.path, portalFrameAncestors: ['https://app.example.com', 'https://*.example.org'] });
    const page = await api.app.inject({ method: 'GET', url: '/webhooks' });
    assert.equal(page.headers['x-frame-options'], undefined);
    assert.match(String(page.headers['content-security-policy']), /^default-src 'self'.*; frame-ancestors https:\/\/app\.example\.com https:\/\/\*\.example\.org$/);
    const apiAnswer = await api.request('GET', '/v1/endpoints');
    assert.equal(apiAnswer.headers['x-frame-options'], 'DENY');
  });

  it('marks portal cookies SameSite=None; Secure; Partitioned when embedding is on and the browser came over HTTPS', async () => {
    api = await createTestApi({ dashboardDir: null, portalFrameAncestors: ['https://app.example.com'] });
    const open = async (headers: Record<string, string>) => {
      const link = (await api!.request('POST', '/v1/portal-links', {})).json().url as string;
      return api!.app.inject({ method: 'GET', url: new URL(link).pathname + new URL(link).search, headers });
    };
    const https = await open({ 'x-forwarded-proto': 'https', host: 'webhooks.example.com' });
    assert.match(String(https.headers['set-cookie']), /SameSite=None; Secure; Partitioned/);
    // Over plain HTTP to a public host the browser would drop a Secure cookie, so it stays Lax.
    const http = await open({ host: 'webhooks.example.com' });
    assert.match(String(http.headers['set-cookie']), /SameSite=Lax/);
    // An API-key session never needs to be framed.
    const signIn = await api.request('POST', '/v1/session', undefined, { ...api.org.headers, 'x-forwarded-proto': 'https' });
    assert.match(String(signIn.headers['set-cookie']), /SameSite=Lax; Secure/);
  });

  it('sends Cache-Control: no-store with every answer that carries a secret or a key', async () => {
    api = await createTestApi({ dashboardDir: null });
    const endpoint = await api.request('POST', '/v1/endpoints', endpointBody());
    const id = endpoint.json().id;
    const answers = [
      endpoint,
      await api.request('GET', `/v1/endpoints/${id}/secret`),
      await api.request('POST', `/v1/endpoints/${id}/secret/rotate`, {}),
      await api.request('POST', '/v1/api-keys', { scope: 'read' }),
      await api.request('POST', '/v1/portal-links', {}),
      await api.request('POST', '/v1/session'),
    ];
    for (const answer of answers) {
      assert.ok(answer.statusCode < 300, answer.body);
      assert.equal(answer.headers['cache-control'], 'no-store', answer.body);
    }
  });
});
