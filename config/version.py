"""The service's one version, single-sourced from ``version`` in pyproject.toml.

The OpenAPI ``info.version`` (SPECTACULAR_SETTINGS) and ``GET /api/v1/status/`` read it
here; a release renames the CHANGELOG's ``## [Unreleased]`` to ``## [<version>]``
(tests/test_version.py checks that they agree). The project is not pip-installed (the
lock installs its dependencies only), so pyproject.toml is parsed rather than read
through importlib.metadata.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache

from config.env import BASE_DIR

PYPROJECT = BASE_DIR / "pyproject.toml"
CHANGELOG = BASE_DIR / "CHANGELOG.md"
# The major version of the REST API: the `/api/v1/` in every path.
API_VERSION = "v1"
# A Keep a Changelog release heading: "## [1.2.0] - 2026-12-01" (not "## [Unreleased]").
RELEASE_HEADING = re.compile(r"^## \[(?P<version>\d+\.\d+\.\d+[^\]]*)\]", re.MULTILINE)


@cache
def service_version() -> str:
    """``project.version`` of pyproject.toml (read once per process)."""
    with PYPROJECT.open("rb") as file:
        return str(tomllib.load(file)["project"]["version"])


def changelog_release(text: str) -> str | None:
    """The version of the first release heading of a changelog, None before any release."""
    match = RELEASE_HEADING.search(text)
    return match["version"] if match else None
