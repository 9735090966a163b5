"""Production settings plus what the benchmark measures with (docs/performance.md).

- ``bench.urls``: the API plus ``/bench/ceiling/<bytes>``, the bare Django view that
  sets the ceiling (a pre-built response of the same size, same server, same middleware).
- ``X-DB-Queries`` on every response that ran SQL: the statements it ran (none: no header).

Everything else (gunicorn.conf.py, middleware, PostgreSQL, Redis, throttles, logging)
is what production runs.
"""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
MIDDLEWARE = ["bench.middleware.QueryCountMiddleware", *MIDDLEWARE]  # noqa: F405
