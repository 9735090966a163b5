"""What each middleware layer costs a request, measured in one process.

``python -m bench.layers [--size BYTES] [--rounds N] [--batch N]`` (with the environment
`make bench` gives its server: ``DJANGO_SETTINGS_MODULE=bench.settings`` and the
production settings' variables) prints, for the ceiling view (``/api/v1/bench/ceiling/``,
a pre-built body of ``--size`` bytes), the time per request of the whole middleware
stack, of the stack without each of its layers in turn, and of no middleware at all,
with each one's difference to the whole stack.

Each configuration is a Django request handler of its own built in the same process,
and the configurations take turns in random order, a batch of requests each, over many
rounds; the medians are printed. A layer's cost is a few microseconds, far below the
drift of a shared virtual machine's speed between two runs, which the turns cancel
(docs/performance.md, "Seventh session"). The requests are the load's: over HTTPS at
the proxy, from a random client address, accepting JSON.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

WHOLE = "the whole stack"
NONE = "no middleware"


def _environ(size: int) -> dict[str, Any]:
    client = ".".join(str(random.randint(1, 254)) for _ in range(3))
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": f"/api/v1/bench/ceiling/{size}",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_X_FORWARDED_FOR": f"10.{client}",
        "HTTP_ACCEPT": "application/json",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def handlers(middleware: Sequence[str]) -> dict[str, Callable[..., Iterable[bytes]]]:
    """A WSGI handler per configuration: the whole ``middleware``, without each layer,
    and none."""
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler

    configurations = {WHOLE: list(middleware)}
    for layer in middleware:
        configurations[f"without {layer}"] = [m for m in middleware if m != layer]
    configurations[NONE] = []
    built: dict[str, Callable[..., Iterable[bytes]]] = {}
    saved = settings.MIDDLEWARE
    try:
        for name, layers in configurations.items():
            settings.MIDDLEWARE = layers  # read once, by the handler's constructor
            built[name] = WSGIHandler()
    finally:
        settings.MIDDLEWARE = saved
    return built


def measure(
    *, size: int = 6616, rounds: int = 30, batch: int = 200
) -> dict[str, float]:
    """Median microseconds per request of each configuration (``handlers``)."""
    from django.conf import settings

    built = handlers(settings.MIDDLEWARE)
    statuses: list[str] = []

    def start_response(status: str, headers: Any, *args: Any) -> None:
        statuses.append(status)

    def run(handler: Callable[..., Iterable[bytes]], count: int) -> float:
        environs = [_environ(size) for _ in range(count)]
        began = time.perf_counter()
        for environ in environs:
            body = b"".join(handler(environ, start_response))
        elapsed = time.perf_counter() - began
        if len(body) != size or any(not s.startswith("200") for s in statuses):
            raise RuntimeError(
                f"the ceiling answered {statuses[-1]}, {len(body)} bytes"
            )
        statuses.clear()
        return elapsed / count * 1e6

    for handler in built.values():  # every path once, not measured
        run(handler, min(batch, 50))
    times: dict[str, list[float]] = {name: [] for name in built}
    names = list(built)
    for _ in range(rounds):
        random.shuffle(names)
        for name in names:
            times[name].append(run(built[name], batch))
    return {name: statistics.median(values) for name, values in times.items()}


def report(medians: dict[str, float]) -> str:
    whole = medians[WHOLE]
    lines = [f"{'configuration':60s} {'us/request':>10s} {'vs whole':>9s}"]
    for name, value in sorted(medians.items(), key=lambda item: item[1]):
        lines.append(f"{name:60s} {value:10.1f} {value - whole:+9.1f}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.layers")
    parser.add_argument("--size", type=int, default=6616)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args(argv)

    import logging
    import os

    import django

    django.setup()
    # The access log's line is written as in production, to nowhere.
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 - for the process
    print(report(measure(size=args.size, rounds=args.rounds, batch=args.batch)))


if __name__ == "__main__":
    main()
