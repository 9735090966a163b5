"""The architecture holds (docs/architecture.md): import contracts and module size.

The import contracts are import-linter's, declared in pyproject.toml (`lint-imports`
runs them in CI too); running them here makes `make test` fail on a forbidden import,
direct or indirect, as soon as it is written.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_MODULE_LINES = 500
# Not application modules: tests, migrations, the benchmark harness (not deployed) and
# mutants/ (the copy `make mutation` writes, git-ignored).
NOT_APPLICATION = {"tests", "migrations", "bench", ".venv", "mutants"}


def test_the_import_contracts_are_kept():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout, result.stdout[-4000:]


def test_no_application_module_is_over_500_lines():
    too_long = {
        str(path.relative_to(ROOT)): lines
        for path in ROOT.rglob("*.py")
        if not NOT_APPLICATION & set(path.relative_to(ROOT).parts)
        and (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert too_long == {}
