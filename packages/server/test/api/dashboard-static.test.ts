import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTempDir } from '../../../../test-support/temp-dir.js';
import { createTestApi, type TestApi } from '../helpers/fixtures.js';

/** A stand-in for the dashboard's build output, so these tests do not depend on a build having run. */
function fakeBuild(): { path: string; remove: () => void } {
  const dir = makeTempDir('herald-dashboard-dist-');
  mkdirSync(join(dir.path, 'assets'));
  writeFileSync(join(dir.path, 'index.html'), '<!doctype html><title>Herald</title><script type="module" src="/assets/index-abc123.js"></script>');
  writeFileSync(join(dir.path, 'assets', 'index-abc123.js'), 'console.log("dashboard")');
  writeFileSync(join(dir.path, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  return dir;
}

describe('serving the dashboard', () => {
  let api: TestApi;
  let build: { path: string; remove: () => void };
  before(async () => {
    build = fakeBuild();
    api = await createTestApi({ dashboardDir: build.path });
  });
  after(async () => {
    await api.dispose();
    build.remove();
  });

  const get = (url: string) => api.app.inject({ method: 'GET', url });

  for (const path of ['/', '/sign-in', '/webhooks', '/webhooks/new', '/webhooks/0190/edit', '/deliveries', '/deliveries/0190', '/event-types']) {
    it(`answers ${path} with the page, uncached, under a same-origin content policy`, async () => {
      const response = await get(path);
      assert.equal(response.statusCode, 200);
      assert.match(String(response.headers['content-type']), /^text\/html/);
      assert.match(response.body, /<title>Herald<\/title>/);
      assert.equal(response.headers['cache-control'], 'no-cache');
      assert.match(String(response.headers['content-security-policy']), /default-src 'self'/);
    });
  }

  it('serves the hashed scripts with a year-long immutable cache', async () => {
    const response = await get('/assets/index-abc123.js');
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/javascript/);
    assert.equal(response.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(response.body, 'console.log("dashboard")');
  });

  it('serves the other files of the build, revalidated', async () => {
    const response = await get('/favicon.svg');
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'image/svg+xml');
    assert.equal(response.headers['cache-control'], 'no-cache');
  });

  it('leaves the API paths to the API', async () => {
    const unauthorized = await get('/v1/endpoints');
    assert.equal(unauthorized.statusCode, 401);
    assert.equal(unauthorized.json().error.code, 'unauthorized');
    assert.equal((await get('/healthz')).json().status, 'ok');
    assert.match((await get('/metrics')).body, /^# (HELP|TYPE)/m);
    assert.equal((await get('/openapi.json')).json().openapi, '3.1.0');
    const missing = await api.request('GET', '/v1/no-such-thing');
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error.code, 'not_found');
  });

  for (const path of ['/no-such-page', '/assets/missing.js', '/../package.json', '/assets/..%2F..%2Fpackage.json', '/assets']) {
    it(`answers ${path} with the JSON 404 and nothing from disk`, async () => {
      const response = await get(path);
      assert.equal(response.statusCode, 404);
      assert.equal(response.json().error.code, 'not_found');
    });
  }

  it('explains how to build the dashboard when the build is missing', async () => {
    const empty = makeTempDir('herald-no-dist-');
    const bare = await createTestApi({ dashboardDir: empty.path });
    try {
      const response = await bare.app.inject({ method: 'GET', url: '/webhooks' });
      assert.equal(response.statusCode, 503);
      assert.match(response.body, /npm run build/);
      assert.equal((await bare.request('GET', '/v1/endpoints')).statusCode, 200);
    } finally {
      await bare.dispose();
      empty.remove();
    }
  });
});
