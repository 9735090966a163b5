"""Support for the live resilience tests: real gunicorn processes, real PostgreSQL and Redis.

The servers run the production configuration (gunicorn.conf.py, config.settings.production)
against pytest-django's test database, so a test seeds data with factories (committed:
the tests are transactional) and checks the outcome with the ORM. Clients use bounded
timeouts: a hung request is a failure, never a hung test.

These tests stop and restart the machine's PostgreSQL cluster and Redis server, so they
only run when asked to (``make resilience`` sets REHABIT_LIVE_TESTS=1), alone.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
REDIS_URL_BASE = os.environ.get("LIVE_REDIS_URL", "redis://127.0.0.1:6379")
REDIS_RESTART = [
    "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379",
    "--save", "", "--appendonly", "no",
]  # fmt: skip
CLIENT_TIMEOUT = 10.0  # seconds: no request of these tests may take longer
STATEMENT_TIMEOUT_MS = 3000  # the servers' DATABASE_STATEMENT_TIMEOUT_MS
ANON_LIMIT = 20  # the servers' API_THROTTLE_ANON, per minute

LIVE_ENABLED = os.environ.get("REHABIT_LIVE_TESTS") == "1"

live = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)"
    ),
    pytest.mark.skipif(
        not LIVE_ENABLED,
        reason="restarts PostgreSQL and Redis: run alone with `make resilience`",
    ),
    pytest.mark.django_db(transaction=True),
]


# ---------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------
@dataclass
class Answer:
    """One request's outcome: status 0 means no answer (refused, reset, timed out)."""

    status: int
    headers: dict[str, str]
    body: bytes
    elapsed: float
    error: str = ""

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def is_problem(self) -> bool:
        if self.headers.get("content-type") != "application/problem+json":
            return False
        data = self.json()
        return data.get("status") == self.status and bool(data.get("code"))


def call(
    port: int,
    method: str,
    path: str,
    *,
    body: Any = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = CLIENT_TIMEOUT,
) -> Answer:
    """One HTTP request on a fresh connection, with a bounded timeout."""
    all_headers = {"Host": "localhost", "Accept": "application/json"}
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    payload = None
    if body is not None:
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        all_headers["Content-Type"] = "application/json"
    all_headers.update(headers or {})
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=payload, headers=all_headers)
        response = conn.getresponse()
        data = response.read()
        return Answer(
            response.status,
            {k.lower(): v for k, v in response.getheaders()},
            data,
            time.monotonic() - started,
        )
    except (OSError, http.client.HTTPException) as exc:
        return Answer(0, {}, b"", time.monotonic() - started, error=repr(exc))
    finally:
        conn.close()


def upload_body(exercise_id: Any, session_id: str | None = None) -> dict[str, Any]:
    """A valid session upload with one exercise of three sets."""
    started = (timezone.now() - dt.timedelta(hours=1)).replace(microsecond=0)
    return {
        "id": session_id or str(uuid.uuid4()),
        "started_at": started.isoformat(),
        "ended_at": (started + dt.timedelta(minutes=20)).isoformat(),
        "pain_before": 4,
        "pain_after": 2,
        "exercises": [{"exercise": str(exercise_id), "sets": [{"reps": 10}] * 3}],
    }


def at_once(calls: list[Callable[[], Answer]]) -> list[Answer]:
    """Run each call in its own thread, released together by a barrier."""
    barrier = threading.Barrier(len(calls))
    answers: list[Answer | None] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait(timeout=10)
        answers[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=CLIENT_TIMEOUT + 10)
    assert all(answer is not None for answer in answers), "a client thread hung"
    return answers  # type: ignore[return-value]


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll until ``predicate`` holds; return the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout:.0f}s: {what}")


# ---------------------------------------------------------------------------
# Servers
# ---------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The test database (pytest-django's), as a URL for the server processes."""
    db = connection.settings_dict
    credentials = db["USER"] or ""
    if db["PASSWORD"]:
        credentials += f":{db['PASSWORD']}"
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{db['NAME']}"


@dataclass
class Server:
    """One production web process (gunicorn master and its workers) on loopback."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def call(self, method: str, path: str, **kwargs: Any) -> Answer:
        return call(self.port, method, path, **kwargs)

    def ready(self) -> bool:
        return self.call("GET", "/readyz", timeout=3).status == 200

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


@dataclass
class Cluster:
    """Two web processes sharing PostgreSQL and Redis, as behind a load balancer."""

    servers: list[Server]
    redis_db: int
    workdir: Path
    env: dict[str, str] = field(repr=False)

    @property
    def a(self) -> Server:
        return self.servers[0]

    @property
    def b(self) -> Server:
        return self.servers[1]

    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(
            f"{REDIS_URL_BASE}/{self.redis_db}", socket_timeout=2
        )


def free_redis_db() -> int:
    """An empty Redis database (14 downwards; .ci/smoke takes 15 first)."""
    for number in range(14, 0, -1):
        if redis.Redis.from_url(f"{REDIS_URL_BASE}/{number}").dbsize() == 0:
            return number
    raise RuntimeError("no empty Redis database between 1 and 14")


def start_server(name: str, env: dict[str, str], workdir: Path) -> Server:
    """One gunicorn as bin/serve runs it (migrations aside), on a free loopback port."""
    port = free_port()
    log_path = workdir / f"server-{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                VENV_BIN / "gunicorn",
                "config.wsgi:application",
                "-c",
                "gunicorn.conf.py",
            ],
            cwd=ROOT,
            env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(name, port, process, log_path)


def start_cluster(count: int = 2) -> Cluster:
    """Start ``count`` gunicorn instances with production settings; wait until ready."""
    workdir = Path(tempfile.mkdtemp(prefix="rehabit-live-"))
    (workdir / "static").mkdir()
    redis_db = free_redis_db()
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "API_", "DATABASE_", "GUNICORN_"))
        },
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        # The test settings' key: tokens minted in the test verify in the servers.
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_STATIC_ROOT": str(workdir / "static"),
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": database_url(),
        "DATABASE_STATEMENT_TIMEOUT_MS": str(STATEMENT_TIMEOUT_MS),
        "REDIS_URL": f"{REDIS_URL_BASE}/{redis_db}",
        "API_THROTTLE_ANON": f"{ANON_LIMIT}/min",
        "API_THROTTLE_USER": "100000/min",
        # One patient uploads hundreds of sessions under load: above the daily limits.
        "SESSION_UPLOAD_DAILY_MAX_SESSIONS": "1000000",
        "SESSION_UPLOAD_DAILY_MAX_SETS": "100000000",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "4",
    }
    servers = [
        start_server("ab"[index] if count <= 2 else str(index), env, workdir)
        for index in range(count)
    ]
    cluster = Cluster(servers, redis_db, workdir, env)
    try:
        for server in servers:
            wait_for(server.ready, 30, f"server {server.name} to be ready")
    except BaseException:
        stop_cluster(cluster)
        raise
    return cluster


def stop_cluster(cluster: Cluster) -> None:
    """SIGTERM each master (graceful), SIGKILL the group if it lingers; clean up."""
    for server in cluster.servers:
        if server.process.poll() is None:
            server.process.send_signal(signal.SIGTERM)
    for server in cluster.servers:
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()
    with suppress(redis.RedisError):
        cluster.redis().flushdb()
    shutil.rmtree(cluster.workdir, ignore_errors=True)


# ---------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------
def postgres_cluster() -> list[str]:
    """pg_ctlcluster's version and name arguments for this machine's cluster."""
    versions = sorted(os.listdir("/etc/postgresql"))
    assert len(versions) == 1, f"expected one PostgreSQL version, found {versions}"
    return [versions[0], "main"]


def pg_ctl(action: str) -> None:
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", *postgres_cluster(), action],
        check=True,
        timeout=60,
        capture_output=True,
    )


def postgres_accepts_connections() -> bool:
    return (
        subprocess.run(
            ["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-t", "1"],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )


@contextmanager
def postgres_stopped() -> Iterator[None]:
    """Stop the PostgreSQL cluster (fast: backends terminated); always start it again."""
    pg_ctl("stop")
    try:
        yield
    finally:
        if not postgres_accepts_connections():
            pg_ctl("start")
        wait_for(postgres_accepts_connections, 60, "PostgreSQL to accept connections")
        # This process's own connection died with the server: reconnect on next use.
        connection.close()


def redis_alive() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL_BASE, socket_timeout=1).ping())
    except redis.RedisError:
        return False


@contextmanager
def redis_down() -> Iterator[None]:
    """Shut the Redis server down (no save); always start it again as CI runs it."""
    subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave"],
        capture_output=True,
        check=False,
        timeout=10,
    )
    wait_for(lambda: not redis_alive(), 10, "Redis to stop")
    try:
        yield
    finally:
        if not redis_alive():
            subprocess.run(REDIS_RESTART, check=True, timeout=10, capture_output=True)
        wait_for(redis_alive, 10, "Redis to answer again")
