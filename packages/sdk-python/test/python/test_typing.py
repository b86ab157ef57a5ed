"""mypy --strict (pyproject.toml's [tool.mypy], Python 3.9) over the package and typing_examples.py."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import unittest

from support import HERE, PACKAGE_DIR, require_module


class TypingTest(unittest.TestCase):
    def test_the_package_and_a_receivers_code_type_check_and_mypy_catches_each_marked_mistake(self) -> None:
        require_module("mypy", "python3-mypy")
        require_module("flask", "python3-flask")
        require_module("fastapi", "python3-fastapi")
        require_module("django", "python3-django")
        # The cache is only a speed-up; it lives outside the work tree.
        cache = os.path.join(tempfile.gettempdir(), "herald-sdk-python-mypy-cache")
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "mypy",
                "--config-file",
                str(PACKAGE_DIR / "pyproject.toml"),
                "--cache-dir",
                cache,
                str(PACKAGE_DIR / "src" / "herald_sdk"),
                str(HERE / "typing_examples.py"),
            ],
            cwd=PACKAGE_DIR,
            capture_output=True,
            text=True,
        )
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertIn("Success: no issues found", run.stdout)


if __name__ == "__main__":
    unittest.main()
