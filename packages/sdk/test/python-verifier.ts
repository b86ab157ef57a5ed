import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Runs `test/python/verify.py` (Python 3 standard library only) over the cases. */

export interface PythonCase {
  body: Uint8Array | string;
  signature: string;
  secrets: readonly string[];
  /** Unix seconds; default the real clock. */
  now?: number;
}

export type PythonResult = { ok: true; event: unknown } | { ok: false; reason: string };

const SCRIPT = fileURLToPath(new URL('./python/verify.py', import.meta.url));

/** The python3 to use, or null when there is none. */
export function findPython(): string | null {
  for (const candidate of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(candidate, ['-c', 'import sys; print(sys.version_info[0])'], { encoding: 'utf8' });
    if (probe.status === 0 && probe.stdout.trim() === '3') return candidate;
  }
  return null;
}

export function runPythonVerifier(python: string, cases: readonly PythonCase[]): PythonResult[] {
  const input = JSON.stringify(
    cases.map((c) => ({
      body_base64: Buffer.from(c.body).toString('base64'),
      signature: c.signature,
      secrets: c.secrets,
      ...(c.now !== undefined ? { now: c.now } : {}),
    })),
  );
  const run = spawnSync(python, [SCRIPT], { input, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`verify.py exited ${run.status}: ${run.stderr}`);
  return JSON.parse(run.stdout) as PythonResult[];
}
