import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHeraldProcess } from '../../../test-support/herald-process.js';
import { makeTempDir } from '../../../test-support/temp-dir.js';

/**
 * A real Herald — `herald serve`, API and dispatcher on a temp SQLite file — for the compatibility
 * tests. It runs the built server (`npm run build`), exactly what users run.
 */

const BUILT = fileURLToPath(new URL('../../server/dist/cli/main.js', import.meta.url));

export interface RunningHerald {
  url: string;
  apiKey: string;
  stop(): Promise<void>;
}

/** True when the server has been built, so `herald serve` can start. */
export function heraldIsBuilt(): boolean {
  return existsSync(BUILT);
}

export async function startHerald(): Promise<RunningHerald> {
  const dir = makeTempDir('herald-sdk-compat-');
  const apiKey = `hk_sdk_${randomBytes(24).toString('hex')}`;
  try {
    const herald = await startHeraldProcess(['--db', join(dir.path, 'herald.db'), '--allow-private-networks', '--log-level', 'error'], {
      HERALD_API_KEY: apiKey,
    });
    return {
      url: herald.url,
      apiKey,
      async stop() {
        await herald.stop();
        dir.remove();
      },
    };
  } catch (error) {
    dir.remove();
    throw error;
  }
}
