"""The developer tooling answers: `make` explains itself, runserver logs each request once."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from tests.resilience.live import ROOT, VENV_BIN, call, free_port, wait_for

MAKEFILE = ROOT / "Makefile"
TARGET = re.compile(r"^([A-Za-z][\w-]*):(?!=)", re.MULTILINE)

needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="no make")


def make(*args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    result = subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


@needs_make
def test_make_alone_lists_every_target_with_a_description():
    targets = TARGET.findall(MAKEFILE.read_text())
    output = make()

    assert output == make("help")
    assert {"run", "test", "install", "lint", "bench", "help"} <= set(targets)
    described = dict(re.findall(r"^  (\S+)\s+(\S.*)$", output, re.MULTILINE))
    assert set(described) == set(targets)
    assert all(len(text) > 10 for text in described.values()), described


@needs_make
def test_first_install_says_what_it_is_doing(tmp_path):
    # -n: print the recipe for a virtualenv that does not exist yet, run nothing.
    output = make("-n", "install", f"VENV={tmp_path / 'venv'}")

    assert "Installing the locked dependencies" in output


@pytest.mark.django_db
def test_development_server_logs_each_request_once(tmp_path):
    port = free_port()
    env = {
        **{
            k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "API_"))
        },
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    env.pop("REDIS_URL", None)
    log_path = tmp_path / "runserver.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [VENV_BIN / "python", "manage.py", "runserver", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    paths = ["/api/v1/", "/api/v1/no-such-thing/", "/api/v1/status/"]
    try:
        wait_for(
            lambda: call(port, "GET", "/healthz", timeout=2).status == 200,
            60,
            "runserver",
        )
        statuses = [call(port, "GET", path).status for path in paths]
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)
    output = log_path.read_text()

    assert statuses == [200, 404, 200]
    for path in paths:
        lines = [
            line
            for line in output.splitlines()
            if path + "'" in line or f"{path} " in line
        ]
        assert len(lines) == 1, (path, output)
    assert output.count("request_finished") == len(paths)
    # Django's own startup lines are not doubled either (its default handlers are gone).
    assert output.count("Watching for file changes") == 1
