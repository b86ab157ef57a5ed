import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

/**
 * Writes a Brotli (`.br`) and a gzip (`.gz`) copy next to each text file of the build, at the highest
 * levels: done once here, so `herald serve` sends whichever the browser accepts at no cost per
 * request. Files under 1 KiB are left alone (the saving is smaller than a packet), and so is any
 * copy that would come out no smaller than the file.
 */

const COMPRESSIBLE = /\.(?:js|mjs|css|html|svg|json|txt|map)$/;
const MIN_BYTES = 1024;

/** Compresses the files under `dir`; returns the copies written, relative to `dir`. */
export function precompress(dir: string): string[] {
  const written: string[] = [];
  for (const file of listFiles(dir)) {
    if (!COMPRESSIBLE.test(file)) continue;
    const body = readFileSync(join(dir, file));
    if (body.length < MIN_BYTES) continue;
    const copies: Array<[string, Buffer]> = [
      ['.br', brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } })],
      ['.gz', gzipSync(body, { level: constants.Z_BEST_COMPRESSION })],
    ];
    for (const [suffix, copy] of copies) {
      if (copy.length >= body.length) continue;
      writeFileSync(join(dir, file + suffix), copy);
      written.push(file + suffix);
    }
  }
  return written;
}

/** The Vite plugin: compresses the finished build (public files included) once it is on disk. */
export function precompressPlugin(): Plugin {
  let outDir = 'dist';
  return {
    name: 'herald-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    closeBundle() {
      precompress(outDir);
    },
  };
}

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix)).flatMap((name) => {
    const path = prefix === '' ? name : `${prefix}/${name}`;
    return statSync(join(dir, path)).isDirectory() ? listFiles(dir, path) : [path];
  });
}
