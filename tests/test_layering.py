"""The import graph of the domain layers (docs/architecture.md, issue 9).

- ``users`` (models, managers, services, selectors, admin) imports nothing from
  ``sessions``: what spans both (erasure, export) is composed in sessions.
- Domain modules import nothing from the HTTP layer (``config.api``) or the schema
  generator (``drf_spectacular``).

Read from the source (every import statement, at any depth, TYPE_CHECKING blocks
included), so a function-local import counts like a module-level one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def _modules(*patterns: str) -> list[Path]:
    found = sorted({path for pattern in patterns for path in ROOT.glob(pattern)})
    assert found, patterns
    return found


def _offending(paths: list[Path], forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    found = {}
    for path in paths:
        bad = sorted(
            name
            for name in _imports(path)
            if any(
                name == prefix or name.startswith(f"{prefix}.") for prefix in forbidden
            )
        )
        if bad:
            found[str(path.relative_to(ROOT))] = bad
    return found


USERS_DOMAIN = (
    "users/models.py",
    "users/managers.py",
    "users/services.py",
    "users/selectors.py",
    "users/admin.py",
    "users/admin/*.py",
)
EXERCISES_DOMAIN = (
    "exercises/models.py",
    "exercises/services.py",
    "exercises/selectors.py",
    "exercises/filters.py",
)


def test_users_domain_knows_nothing_of_sessions():
    assert _offending(_modules(*USERS_DOMAIN), ("sessions",)) == {}


@pytest.mark.parametrize("patterns", [USERS_DOMAIN, EXERCISES_DOMAIN, ("common/*.py",)])
def test_domain_imports_nothing_from_the_http_layer(patterns):
    forbidden = ("config.api", "drf_spectacular", "rest_framework")
    assert _offending(_modules(*patterns), forbidden) == {}


def test_the_checker_sees_function_local_imports(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from sessions.models import Plan\n")

    assert _imports(module) == {"sessions.models"}
