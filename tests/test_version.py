"""One version: pyproject.toml's, everywhere the service states one."""

from __future__ import annotations

import tomllib

import pytest
from drf_spectacular.generators import SchemaGenerator

from config.version import CHANGELOG, PYPROJECT, changelog_release, service_version


def pyproject_version() -> str:
    return tomllib.loads(PYPROJECT.read_text())["project"]["version"]


@pytest.mark.django_db
def test_pyproject_schema_changelog_and_api_state_one_version(api_client):
    version = pyproject_version()
    schema = SchemaGenerator().get_schema(request=None, public=True)

    assert service_version() == version
    assert schema["info"]["version"] == version
    assert api_client.get("/api/v1/status/").json()["version"] == version
    assert api_client.get("/api/v1/").json()["version"] == version
    # Until the first release the changelog has only "## [Unreleased]"; from then on,
    # its latest release is this version (a release bumps both together).
    assert changelog_release(CHANGELOG.read_text()) in {None, version}


def test_changelog_starts_with_unreleased_or_this_release():
    first = next(
        line for line in CHANGELOG.read_text().splitlines() if line.startswith("## ")
    )

    assert first in {"## [Unreleased]"} or first.startswith(
        f"## [{pyproject_version()}]"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# Changelog\n\n## [Unreleased]\n\n### Added\n- x\n", None),
        ("## [Unreleased]\n- y\n\n## [1.2.0] - 2026-12-01\n- x\n## [1.1.0]\n", "1.2.0"),
        ("## [0.1.0] - 2026-12-01\n", "0.1.0"),
        ("## [2.0.0rc1]\n", "2.0.0rc1"),
        ("### [9.9.9]\n## Notes [1.0.0]\n", None),
    ],
)
def test_changelog_release_is_the_first_release_heading(text, expected):
    assert changelog_release(text) == expected
