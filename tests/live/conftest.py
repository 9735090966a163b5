"""Live tests: a real Celery worker process, real Redis, a real HTTP receiver on loopback.

They need PostgreSQL (the worker is another process reading the test database) and run
only when asked (``make live`` sets REHABIT_LIVE_TESTS=1). The worker uses Redis DB 4
(LIVE_CELERY_REDIS_URL: another database on a shared machine), flushed before each
test; it is started with embedded beat (the outbox sweep every second) and short
webhook timings, in its own process group so that a test can kill it (and its beat) at
once with SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import kombu.pools
import pytest
import redis

from config.celery import app as celery_app
from tests.e2e.conftest import restore_clinicians_group
from tests.integrations.receiver import Receiver, running_receiver
from tests.resilience.live import database_url

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("LIVE_CELERY_REDIS_URL", "redis://127.0.0.1:6379/4")
LIVE_ENABLED = os.environ.get("REHABIT_LIVE_TESTS") == "1"
# Short timings so retries, leases and the sweep play out in seconds.
WORKER_ENV = {
    "WEBHOOK_RETRY_BASE_SECONDS": "0.3",
    "WEBHOOK_RETRY_MAX_SECONDS": "1",
    # Longer than the read timeout (a hung receiver is cut off before the lease ends).
    "WEBHOOK_LEASE_SECONDS": "12",
    "WEBHOOK_SWEEP_SECONDS": "1",
    "WEBHOOK_CONNECT_TIMEOUT": "2",
    # Long enough that the killed worker's request is still waiting when it dies.
    "WEBHOOK_READ_TIMEOUT": "10",
}
READY_TIMEOUT = 45.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.postgres)
            item.add_marker(pytest.mark.django_db(transaction=True))
            if not LIVE_ENABLED:
                item.add_marker(pytest.mark.skip(reason="live: run with `make live`"))


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@dataclass
class Worker:
    """A `celery worker --beat` process group; ``log`` collects its output."""

    workdir: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    logs: list[Path] = field(default_factory=list)

    def start(self) -> None:
        assert self.process is None, "already running"
        self.starts += 1
        log = self.workdir / f"worker-{self.starts}.log"
        self.logs.append(log)
        env = {
            **os.environ,
            **WORKER_ENV,
            "DJANGO_SETTINGS_MODULE": "tests.live.worker_settings",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": REDIS_URL,
            "PYTHONUNBUFFERED": "1",
        }
        command = [
            sys.executable, "-m", "celery", "--app=config", "worker", "--beat",
            "--pool=solo", "--loglevel=INFO", "--without-gossip", "--without-mingle",
            f"--schedule={self.workdir / f'beat-{self.starts}'}",
            f"--hostname=live-{os.getpid()}-{self.starts}@%h",
        ]  # fmt: skip
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(self._ready, READY_TIMEOUT, "the worker to be ready")

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"the worker exited:\n{self.log_tail()}")
        return b" ready." in self.logs[-1].read_bytes()

    def kill(self) -> None:
        """SIGKILL the worker and its beat: no shutdown, no acknowledgement."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def log_tail(self, lines: int = 40) -> str:
        text = self.logs[-1].read_text(errors="replace") if self.logs else ""
        return "\n".join(text.splitlines()[-lines:])


@pytest.fixture(scope="module", autouse=True)
def _clinicians_group_after(
    django_db_setup: None, django_db_blocker: Any
) -> Iterator[None]:
    """Transactional tests empty every table: leave the Clinicians group for later ones."""
    yield
    with django_db_blocker.unblock():
        restore_clinicians_group()


@pytest.fixture(autouse=True)
def _clinicians_group(transactional_db: None) -> None:
    restore_clinicians_group()


def publish_to(url: str) -> None:
    """This process's tasks go to ``url`` from now on, on new connections.

    Every connection is closed and every pool forgotten (kombu's global ones too): a
    producer from an earlier pool would publish to the old broker, or fail with
    "Acquire on closed pool" (an enqueue failing quietly, left to the sweep).
    """
    kombu.pools.reset()
    celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker() -> Iterator[str]:
    """This process publishes to Redis DB 4 (not eagerly) for the test's duration."""
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    previous = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
    celery_app.conf.task_always_eager = False
    publish_to(REDIS_URL)
    yield REDIS_URL
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = previous
    publish_to(celery_app.conf.broker_url)
    client.flushdb()
    client.close()


@pytest.fixture
def worker(transactional_db, broker, tmp_path) -> Iterator[Worker]:
    """A running worker; stopped (or already killed) before the database is emptied."""
    running = Worker(workdir=tmp_path)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running
