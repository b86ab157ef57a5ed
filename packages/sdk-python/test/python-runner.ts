import { spawnSync } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Runs the Python SDK's own tests with Debian's Python: installs the package into a fresh venv the
 * way a user would (`pip install --no-build-isolation --no-index`, offline, with the setuptools
 * Debian ships), then runs `python -m unittest` there, against the installed copy.
 */

/** Debian's interpreter, which has the frameworks from apt (the `python3` on PATH may not). */
export const DEBIAN_PYTHON = '/usr/bin/python3';

export const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const PYTHON_TESTS = join(PACKAGE_DIR, 'test', 'python');

export interface Run {
  code: number | null;
  output: string;
}

export interface UnittestRun extends Run {
  ran: number;
  /** "test (module.Class) — reason" for every skipped test. */
  skipped: string[];
}

/** Why Debian's Python cannot run the tests here, or null when it can. */
export function debianPythonMissing(): string | null {
  if (!existsSync(DEBIAN_PYTHON)) return `${DEBIAN_PYTHON} does not exist (apt-get install python3)`;
  const probe = spawnSync(DEBIAN_PYTHON, ['-c', 'import sys; assert sys.version_info >= (3, 9), sys.version'], { encoding: 'utf8' });
  return probe.status === 0 ? null : `${DEBIAN_PYTHON} is not Python 3.9+: ${probe.stderr.trim()}`;
}

/** An environment without the caller's PYTHONPATH, so only the venv's copy of herald_sdk is importable. */
function pythonEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { PYTHONPATH: _ignored, ...env } = process.env;
  return { ...env, PYTHONDONTWRITEBYTECODE: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1', ...extra };
}

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Run {
  const result = spawnSync(command, args, { cwd: options.cwd, env: options.env ?? pythonEnv(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { code: result.status, output: `$ ${basename(command)} ${args.join(' ')}\n${result.stdout}${result.stderr}${result.error ? String(result.error) : ''}` };
}

/**
 * Copies the package's sources to `dir` (so the build leaves nothing in the work tree), makes a venv
 * there that sees Debian's site-packages (setuptools, the frameworks) and pip-installs the copy into it.
 * Returns the venv's python, or the failed step's output.
 */
export function installIntoVenv(dir: string): { python: string; log: string } | { python: null; log: string } {
  const source = join(dir, 'herald-sdk-source');
  for (const entry of ['pyproject.toml', 'README.md', 'src']) {
    cpSync(join(PACKAGE_DIR, entry), join(source, entry), { recursive: true, filter: (path) => !/(__pycache__|\.egg-info|\.mypy_cache)$/.test(path) });
  }
  const venv = join(dir, 'venv');
  const python = join(venv, 'bin', 'python');
  // --without-pip: Debian's pip, seen through --system-site-packages, installs into the venv, and
  // python3-venv (ensurepip) is not needed.
  const steps: Array<[string, string[]]> = [
    [DEBIAN_PYTHON, ['-m', 'venv', '--system-site-packages', '--without-pip', venv]],
    [python, ['-m', 'pip', 'install', '--no-build-isolation', '--no-index', '--no-deps', '--no-cache-dir', source]],
  ];
  let log = '';
  for (const [command, args] of steps) {
    const step = run(command, args, { cwd: dir });
    log += step.output;
    if (step.code !== 0) return { python: null, log };
  }
  return { python, log };
}

/**
 * Runs one test file of test/python (`test_flask.py`) with `python -m unittest discover`, in that
 * folder, with `env` added. Discovery, not a module name: it reports a module that skips itself on
 * import (a framework that is not installed) as a skip rather than a crash.
 */
export function runUnittest(python: string, file: string, env: Record<string, string> = {}): UnittestRun {
  const result = run(python, ['-m', 'unittest', 'discover', '-v', '-s', '.', '-p', file], { cwd: PYTHON_TESTS, env: pythonEnv(env) });
  const ran = Number(/^Ran (\d+) tests? in /m.exec(result.output)?.[1] ?? 0);
  const skipped = [...result.output.matchAll(/^(\S+ \(\S+\)) \.\.\. skipped '(.*)'$/gm)].map((m) => `${m[1]} — ${m[2]}`);
  return { ...result, ran, skipped };
}

/** Runs a Python snippet with `python -c` and returns its output. */
export function runPython(python: string, code: string): Run {
  return run(python, ['-c', code], { cwd: PYTHON_TESTS });
}
