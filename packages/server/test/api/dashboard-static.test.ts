import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { makeTempDir } from '../../../../test-support/temp-dir.js';
import { createTestApi, type TestApi } from '../helpers/fixtures.js';

/** A script large enough to be worth compressing, as the build leaves it: with .br and .gz copies. */
const BUNDLE = Buffer.from(Array.from({ length: 400 }, (_, i) => `export const value${i} = "dashboard ${i}";`).join('\n'));

/** A stand-in for the dashboard's build output, so these tests do not depend on a build having run. */
function fakeBuild(): { path: string; remove: () => void } {
  const dir = makeTempDir('herald-dashboard-dist-');
  mkdirSync(join(dir.path, 'assets'));
  writeFileSync(join(dir.path, 'index.html'), '<!doctype html><title>Herald</title><script type="module" src="/assets/index-abc123.js"></script>');
  writeFileSync(join(dir.path, 'assets', 'index-abc123.js'), 'console.log("dashboard")');
  writeFileSync(join(dir.path, 'assets', 'bundle-def456.js'), BUNDLE);
  writeFileSync(join(dir.path, 'assets', 'bundle-def456.js.br'), brotliCompressSync(BUNDLE));
  writeFileSync(join(dir.path, 'assets', 'bundle-def456.js.gz'), gzipSync(BUNDLE));
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

  const get = (url: string, headers: Record<string, string> = {}) => api.app.inject({ method: 'GET', url, headers });
  const BROWSER_NAVIGATION = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

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
    const metrics = await get('/metrics');
    assert.notEqual(metrics.statusCode, 404);
    assert.doesNotMatch(String(metrics.headers['content-type']), /^text\/html/);
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

  it('sends the Brotli copy to a browser that accepts it, decoding to the same bytes', async () => {
    const response = await get('/assets/bundle-def456.js', { 'accept-encoding': 'gzip, deflate, br, zstd' });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-encoding'], 'br');
    assert.equal(response.headers.vary, 'accept-encoding');
    assert.match(String(response.headers['content-type']), /^text\/javascript/);
    assert.equal(response.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.ok(response.rawPayload.length < BUNDLE.length / 4, `${response.rawPayload.length} bytes sent for ${BUNDLE.length}`);
    assert.deepEqual(brotliDecompressSync(response.rawPayload), BUNDLE);
  });

  it('sends the gzip copy to a browser that accepts gzip only, or ranks it higher', async () => {
    for (const accept of ['gzip', 'gzip;q=1, br;q=0.5', 'br;q=0, *']) {
      const response = await get('/assets/bundle-def456.js', { 'accept-encoding': accept });
      assert.equal(response.headers['content-encoding'], 'gzip', accept);
      assert.deepEqual(gunzipSync(response.rawPayload), BUNDLE, accept);
    }
  });

  it('sends the file as it is when no compression is accepted, still saying that it varies', async () => {
    const choices: Array<Record<string, string>> = [{}, { 'accept-encoding': 'identity' }, { 'accept-encoding': 'br;q=0, gzip;q=0' }];
    for (const headers of choices) {
      const response = await get('/assets/bundle-def456.js', headers);
      assert.equal(response.headers['content-encoding'], undefined, JSON.stringify(headers));
      assert.equal(response.headers.vary, 'accept-encoding');
      assert.deepEqual(response.rawPayload, BUNDLE);
    }
  });

  it('does not serve the compressed copies under their own names', async () => {
    assert.equal((await get('/assets/bundle-def456.js.br')).statusCode, 404);
    assert.equal((await get('/assets/bundle-def456.js.gz')).statusCode, 404);
  });

  it("answers a browser's navigation to an unknown page with the dashboard, which shows its not-found page", async () => {
    for (const path of ['/nope', '/webhooks-old/1', '/assets/missing.js', '/deliveries/%E0%A4%A']) {
      const response = await get(path, BROWSER_NAVIGATION);
      assert.equal(response.statusCode, 404, path);
      assert.match(String(response.headers['content-type']), /^text\/html/, path);
      assert.match(response.body, /<title>Herald<\/title>/, path);
      assert.match(String(response.headers['content-security-policy']), /default-src 'self'/, path);
    }
  });

  it('keeps the JSON errors for the API and for anything that is not a page navigation', async () => {
    const api404 = await get('/v1/no-such-thing', BROWSER_NAVIGATION);
    assert.equal(api404.statusCode, 404);
    assert.equal(api404.json().error.code, 'not_found');
    const post = await api.app.inject({ method: 'POST', url: '/nope', headers: BROWSER_NAVIGATION });
    assert.equal(post.json().error.code, 'not_found');
    const badPath = await get('/deliveries/%E0%A4%A', { accept: 'application/json' });
    assert.equal(badPath.statusCode, 400);
    assert.equal(badPath.json().error.field, 'path');
  });

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
