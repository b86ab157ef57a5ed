import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { makeTempDir } from '../../../test-support/temp-dir.js';
import { precompress } from '../build/precompress.js';

describe('precompressing the build', () => {
  it('writes .br and .gz copies of the larger text files that decode to the same bytes', () => {
    const dir = makeTempDir('herald-precompress-');
    try {
      const script = Buffer.from(Array.from({ length: 300 }, (_, i) => `console.log("line ${i}");`).join('\n'));
      mkdirSync(join(dir.path, 'assets'));
      writeFileSync(join(dir.path, 'assets', 'index-abc.js'), script);
      writeFileSync(join(dir.path, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
      writeFileSync(join(dir.path, 'assets', 'logo.png'), Buffer.alloc(4096, 7));

      assert.deepEqual(precompress(dir.path).sort(), ['assets/index-abc.js.br', 'assets/index-abc.js.gz']);
      assert.deepEqual(brotliDecompressSync(readFileSync(join(dir.path, 'assets', 'index-abc.js.br'))), script);
      assert.deepEqual(gunzipSync(readFileSync(join(dir.path, 'assets', 'index-abc.js.gz'))), script);
      assert.equal(existsSync(join(dir.path, 'favicon.svg.br')), false, 'under 1 KiB: not worth it');
      assert.equal(existsSync(join(dir.path, 'assets', 'logo.png.gz')), false, 'images are compressed already');
    } finally {
      dir.remove();
    }
  });
});
