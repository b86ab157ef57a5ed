import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { requireOrSkip } from '../../../test-support/skip.js';
import { makeTempDir } from '../../../test-support/temp-dir.js';
import { bigIntCases, nodeVerdicts, stringifiedEnvelopes } from './node-verdicts.js';
import { DEBIAN_PYTHON, debianPythonMissing, installIntoVenv, PACKAGE_DIR, runPython, runUnittest } from './python-runner.js';
import { captureRealDeliveries, heraldIsBuilt } from './real-deliveries.js';

/**
 * The Python SDK (packages/sdk-python), tested with Debian's /usr/bin/python3 and the frameworks
 * from apt: installed into a fresh venv with pip, offline, then its unittest suites run against that
 * installed copy, fed with real deliveries from a running Herald and with the Node SDK's verdicts on
 * shared edge cases. A Python test that skips (a framework or mypy not installed) is reported as a
 * skip here, which fails the run under CI=true.
 */

const pythonMissing = debianPythonMissing();
const dir = makeTempDir('herald-sdk-python-test-');
const fixtures: Record<string, string> = {};
let installed: ReturnType<typeof installIntoVenv> = { python: null, log: 'not installed yet' };

function venvPython(t: TestContext): string | null {
  if (!requireOrSkip(t, pythonMissing === null, pythonMissing ?? '')) return null;
  assert.ok(installed.python !== null, `pip install into a venv failed:\n${installed.log}`);
  return installed.python;
}

/** A node:test test that runs one Python test file and fails, with its output, when any Python test fails. */
function pythonSuite(name: string, file: string): void {
  test(name, (t) => {
    const python = venvPython(t);
    if (python === null) return;
    const run = runUnittest(python, file, fixtures);
    if (run.code !== 0) console.log(run.output);
    assert.equal(run.code, 0, `${file} failed:\n${run.output}`);
    assert.ok(run.ran > 0, `${file} ran no test:\n${run.output}`);
    t.diagnostic(`${file}: ${run.ran} Python tests passed${run.skipped.length > 0 ? `, ${run.skipped.length} skipped` : ''}`);
    if (run.skipped.length > 0) requireOrSkip(t, false, `${file} skipped ${run.skipped.length}: ${run.skipped.join('; ')}`);
  });
}

describe("the Python SDK (herald-sdk) on Debian's /usr/bin/python3", () => {
  before(async () => {
    const verdicts = join(dir.path, 'node-verdicts.json');
    writeFileSync(verdicts, JSON.stringify({ cases: nodeVerdicts(), stringified: stringifiedEnvelopes(), big_ints: bigIntCases() }));
    fixtures.HERALD_SDK_NODE_VERDICTS = verdicts;
    if (heraldIsBuilt()) {
      const deliveries = join(dir.path, 'deliveries.json');
      writeFileSync(deliveries, JSON.stringify(await captureRealDeliveries()));
      fixtures.HERALD_SDK_DELIVERIES = deliveries;
    }
    if (pythonMissing === null) installed = installIntoVenv(dir.path);
  });

  after(() => dir.remove());

  test('installs offline with pip install --no-build-isolation --no-index into a fresh venv, typed, without runtime dependencies', (t) => {
    const python = venvPython(t);
    if (python === null) return;
    const probe = runPython(
      python,
      [
        'import importlib.metadata as metadata, json, pathlib, sys',
        'import herald_sdk',
        'folder = pathlib.Path(herald_sdk.__file__).parent',
        'print(json.dumps({"file": herald_sdk.__file__, "typed": (folder / "py.typed").is_file(), "version": metadata.version("herald-sdk"),',
        '  "requires": metadata.requires("herald-sdk") or [], "modules": sorted(p.name for p in folder.glob("*.py")),',
        '  "frameworks_loaded": [m for m in ("flask", "django", "fastapi", "starlette") if m in sys.modules]}))',
      ].join('\n'),
    );
    assert.equal(probe.code, 0, probe.output);
    const info = JSON.parse(probe.output.trim().split('\n').at(-1)!) as {
      file: string;
      typed: boolean;
      version: string;
      requires: string[];
      modules: string[];
      frameworks_loaded: string[];
    };
    assert.ok(info.file.startsWith(join(dir.path, 'venv')), `imported ${info.file}, not the venv's copy`);
    assert.equal(info.typed, true, 'py.typed is installed');
    const source = readFileSync(join(PACKAGE_DIR, 'src', 'herald_sdk', '__init__.py'), 'utf8');
    assert.equal(`__version__ = "${info.version}"`, /^__version__ = "[^"]+"$/m.exec(source)?.[0]);
    assert.deepEqual(info.requires.filter((requirement) => !/extra == /.test(requirement)), [], 'no runtime dependency');
    for (const module of ['verify.py', 'events.py', 'flask.py', 'django.py', 'fastapi.py', 'starlette.py']) assert.ok(info.modules.includes(module), module);
    assert.deepEqual(info.frameworks_loaded, [], 'importing herald_sdk imports no framework');
    t.diagnostic(`installed with ${DEBIAN_PYTHON} into a venv: ${info.file}`);
  });

  pythonSuite('verifies like the Node SDK: the wire spec test vector, every refusal reason, several secrets', 'test_verify.py');
  pythonSuite("verifies Standard Webhooks headers, the specification's own example included", 'test_standard_webhooks.py');
  pythonSuite("decides every shared edge case exactly as the Node SDK's verifyWebhook does", 'test_node_parity.py');
  pythonSuite('verifies real deliveries from a running Herald: non-ASCII and emoji, both schemes, a rotation sending two signatures', 'test_real_deliveries.py');
  pythonSuite('rebuilds the signed bytes from a parsed envelope with wire_body, numbers written as JavaScript writes them', 'test_wire_body.py');
  pythonSuite("keeps the typed events in step with the server's catalog", 'test_events.py');
  pythonSuite('verifies in a real Flask app and answers a refusal 400 with its reason as JSON', 'test_flask.py');
  pythonSuite('verifies in a real Django project and answers a refusal 400 with its reason as JSON', 'test_django.py');
  pythonSuite('verifies in real FastAPI and Starlette apps and answers a refusal 400 with its reason as JSON', 'test_fastapi.py');
  pythonSuite('type-checks under mypy --strict, which catches each marked misuse', 'test_typing.py');
});
