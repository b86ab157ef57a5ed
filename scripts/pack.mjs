#!/usr/bin/env node
// Writes installable tarballs of @herald/sdk and @herald/server (with its `herald` binary) until they
// are published: `npm install ./dist-pack/herald-sdk-<version>.tgz`. Packs what `npm run build` built.
//
// The server imports @herald/sdk, which no registry has yet, so its tarball carries the SDK inside it
// (bundleDependencies): one file installs the server, and the SDK tarball is for receivers.
//
//   node scripts/pack.mjs [output directory]   default: dist-pack/
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const out = resolve(process.argv[2] ?? join(root, 'dist-pack'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

for (const built of ['packages/sdk/dist/index.js', 'packages/sdk/dist/cjs/package.json', 'packages/server/dist/cli/main.js']) {
  if (!existsSync(join(root, built))) {
    console.error(`pack: ${built} is missing; run \`npm run build\` first (or \`npm run pack\`, which does).`);
    process.exit(1);
  }
}

/** `npm pack <args>` run in `cwd`, into `destination`; returns the tarball's path. */
function pack(args, cwd, destination) {
  const output = execFileSync(npm, ['pack', '--json', '--pack-destination', destination, ...args], { cwd, encoding: 'utf8' });
  const [packed] = JSON.parse(output);
  return join(destination, packed.filename);
}

function untar(tarball, into) {
  mkdirSync(into, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', into, '--strip-components=1']);
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const staging = mkdtempSync(join(tmpdir(), 'herald-pack-'));
try {
  const sdk = pack(['-w', 'packages/sdk'], root, out);
  const sdkVersion = JSON.parse(readFileSync(join(root, 'packages/sdk/package.json'), 'utf8')).version;

  // The server as npm packs it, plus the SDK tarball's contents in its node_modules, repacked.
  const server = join(staging, 'server');
  untar(pack(['-w', 'packages/server'], root, staging), server);
  untar(sdk, join(server, 'node_modules/@herald/sdk'));
  const manifestPath = join(server, 'package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  manifest.dependencies['@herald/sdk'] = sdkVersion;
  manifest.bundleDependencies = ['@herald/sdk'];
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  const serverTarball = pack([], server, out);

  console.log(`Wrote to ${out}:`);
  console.log(`  ${basename(sdk)}      the SDK, for receivers and API clients`);
  console.log(`  ${basename(serverTarball)}   the server and its \`herald\` binary, with the SDK inside`);
} finally {
  rmSync(staging, { recursive: true, force: true });
}
