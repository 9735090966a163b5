"""Gunicorn settings for production (bin/serve, the Docker image, .ci/smoke).

Every value comes from the environment so one image fits every machine; .env.example
documents them. Sizing: each worker is a process with its own memory (~80 MB), each
thread holds one PostgreSQL connection while CONN_MAX_AGE keeps it, so a machine opens
up to WEB_CONCURRENCY x GUNICORN_THREADS connections.
"""

from __future__ import annotations

import gc
import multiprocessing
import os

from config.logs import formatter


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


port = _int("PORT", 8000)
bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{port}"
# Processes: the usual 2 x cores + 1, capped so a large machine does not exhaust
# PostgreSQL's max_connections by default.
workers = _int("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8))
# Threads per process: requests mostly wait on PostgreSQL, so a few threads per
# process serve more requests per MB than more processes would.
threads = _int("GUNICORN_THREADS", 4)
worker_class = "gthread" if threads > 1 else "sync"
# A worker silent for this long is killed and replaced. Requests are bounded earlier by
# PostgreSQL's statement_timeout (DATABASE_STATEMENT_TIMEOUT_MS) and the load balancer.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Longer than the load balancer's idle timeout, or it reuses connections we closed.
keepalive = _int("GUNICORN_KEEPALIVE", 75)
# Load the app once in the master, then fork: a worker (re)starts in milliseconds instead
# of re-importing Django for a second while its requests wait (docs/performance.md), and
# the workers share the code's memory. No connection is opened at import time.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() != "false"
# Recycle workers now and then (memory growth); the jitter avoids restarting all at once.
# Not too often: a new worker's first seconds are slower (docs/performance.md).
max_requests = _int("GUNICORN_MAX_REQUESTS", 20000)
max_requests_jitter = max_requests // 10
# Heartbeat files in memory: a container's disk may be slow or read-only.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Trust X-Forwarded-* only from these (the load balancer's addresses, or * when the
# network guarantees that only it can reach the process).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# No control socket: one per user home would collide between instances on a machine.
control_socket_disable = True

# Logs: Django writes one JSON line per request (request_finished, with the request id),
# so gunicorn's own access log is off; its error log uses the same JSON formatter.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structured": formatter(os.environ.get("DJANGO_LOG_FORMAT", "json"))
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "structured",
            "stream": "ext://sys.stderr",
        },
    },
    "root": {"level": "INFO", "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {
            "level": loglevel.upper(),
            "handlers": ["stderr"],
            "propagate": False,
        },
        # ".env not found" once per worker: expected in containers (real env vars).
        "environ": {"level": "WARNING"},
        # Off: Django's request_finished line is the access log (with the request id).
        "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
    },
}


# Garbage collection (docs/performance.md): with the app preloaded, the master holds
# hundreds of thousands of objects (modules, URL patterns, serializers) that never
# change; each full collection in a worker walked them all again. Frozen before the
# fork, the collector leaves them alone (and their memory pages stay shared with the
# master). A worker then collects after 10,000 net allocations instead of 700: a full
# sync page allocates some 100,000 objects, which no longer triggers dozens of
# collections. Measured: 15% of a full sync page's CPU.
GC_GEN0_THRESHOLD = 10_000


def pre_fork(server: object, worker: object) -> None:
    gc.freeze()


def post_fork(server: object, worker: object) -> None:
    gc.set_threshold(GC_GEN0_THRESHOLD, *gc.get_threshold()[1:])
