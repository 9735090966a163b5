"""Headless Chromium (Debian's package, driven by Playwright) against the live server.

The tests skip, with the reason, when /usr/bin/chromium is missing (``.ci/run``
installs it). Screenshots of the key pages, and of the page a failing test was on,
go to ``artifacts/e2e/``.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.handlers.wsgi import get_path_info
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.testcases import LiveServerThread
from pytest_django.live_server_helper import LiveServer

CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI containers run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "e2e"
VIEWPORT = {"width": 1440, "height": 1000}
TIMEOUT_MS = 10_000  # any one step; a slow CI machine still answers well within it

# Data migrations that fill the Clinicians group: (app label, migration, function).
CLINICIAN_GROUP_MIGRATIONS = (
    ("exercises", "0003_clinicians_group", "create_group"),
    ("exercises", "0007_clinicians_review_revisions", "grant"),
    ("training_sessions", "0003_clinicians_care_permissions", "grant"),
    ("outcomes", "0005_clinicians_outcomes_permissions", "grant"),
)
MIGRATION_MODULES = {
    "exercises": "exercises",
    "training_sessions": "sessions",
    "outcomes": "outcomes",
}


def restore_clinicians_group() -> None:
    """Re-run the data migrations that create the Clinicians group and its permissions.

    pytest-django empties every table after a transactional test: content types and
    permissions come back through post_migrate, the group does not.
    """
    loader = MigrationExecutor(connection).loader
    for app_label, name, function in CLINICIAN_GROUP_MIGRATIONS:
        state = loader.project_state((app_label, name))
        module = import_module(f"{MIGRATION_MODULES[app_label]}.migrations.{name}")
        getattr(module, function)(state.apps, None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    # Lets the ``browser`` fixture know whether the test failed, to keep a screenshot.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


class OneViewAtATime(StaticFilesHandler):
    """Serves static files in parallel, and Django's views one at a time.

    With an in-memory SQLite test database, every request thread of the live server
    shares the test's one connection: a page and the requests it triggers (jsi18n,
    autocomplete) would interleave their transactions ("no such savepoint"). The
    server stays threaded, so a connection Chromium opens ahead and leaves idle never
    holds up another request.
    """

    lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self._should_handle(get_path_info(environ)):
            return super().__call__(environ, start_response)
        with self.lock:
            return super().__call__(environ, start_response)


@pytest.fixture(scope="module")
def live_server() -> Iterator[LiveServer]:
    """pytest-django's live server (same settings handling), one view at a time."""
    server = LiveServer("localhost", start=False)
    server.thread = LiveServerThread(
        server.thread.host,
        static_handler=OneViewAtATime,
        connections_override=server.thread.connections_override,
    )
    server.thread.daemon = True
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def chromium(django_db_setup: None, django_db_blocker: Any) -> Iterator[Any]:
    """One headless Chromium per test module.

    Playwright's sync API keeps an asyncio event loop in this thread while it runs,
    which Django takes for an async context and refuses ORM calls in: the test
    database is set up before it starts, and DJANGO_ALLOW_ASYNC_UNSAFE is set only
    while it runs (the live server answers from its own thread, unaffected).
    """
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                args=CHROMIUM_ARGS,
                # To watch on a machine with a display: E2E_HEADED=1 E2E_SLOW_MO=300
                headless=os.environ.get("E2E_HEADED") != "1",
                slow_mo=float(os.environ.get("E2E_SLOW_MO", "0")),
            )
            yield browser
            browser.close()
    # Leave the group for the tests that follow in this process (and for --reuse-db).
    with django_db_blocker.unblock():
        restore_clinicians_group()


@pytest.fixture(autouse=True)
def _e2e_setup(chromium: Any, live_server: Any) -> None:
    """A transactional database (live_server) holding the Clinicians group."""
    restore_clinicians_group()


class Browser:
    """Opens pages in fresh browser contexts (one per user) and keeps screenshots."""

    def __init__(self, chromium: Any, base_url: str, test_name: str) -> None:
        self.chromium = chromium
        self.base_url = base_url
        self.test_name = test_name
        self.contexts: list[Any] = []

    def new_page(self) -> Any:
        context = self.chromium.new_context(
            base_url=self.base_url, viewport=VIEWPORT, locale="en-US"
        )
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        return context.new_page()

    def screenshot(self, page: Any, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    def close(self, failed: bool) -> None:
        for index, context in enumerate(self.contexts):
            if failed:
                for page in context.pages:
                    name = re.sub(r"[^\w.-]+", "_", self.test_name)
                    self.screenshot(page, f"FAILED-{name}-{index}")
            context.close()


@pytest.fixture
def browser(
    chromium: Any, live_server: Any, request: pytest.FixtureRequest
) -> Iterator[Browser]:
    opened = Browser(chromium, live_server.url, request.node.name)
    yield opened
    report = getattr(request.node, "report_call", None)
    opened.close(failed=report is not None and report.failed)
