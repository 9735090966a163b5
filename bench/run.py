"""`make bench`: the production server under load, endpoint by endpoint, against its ceiling.

For each data-set size (the full one, then a tenth of it):

1. The data set (bench.dataset) is built once into a template database, named after its
   size and a hash of what shapes it (bench/dataset.py, the migrations), and reused by
   later runs; each run starts from a fresh copy of the template, so uploads of one run
   do not grow the next one's data.
2. The production command (bin/serve: migrate, then gunicorn with gunicorn.conf.py)
   serves it with ``bench.settings`` (production plus the ceiling view and the
   X-DB-Queries header) on PostgreSQL, with Redis for throttles and caches.
3. Each endpoint gets a warm-up pass (every distinct URL once, so caches are as warm as
   on a server that has been up for a while; the first answer's size and SQL count are
   kept), then, after a second of unmeasured load, wrk drives it for BENCH_DURATION
   seconds with BENCH_CONNECTIONS connections; beside it, the ceiling view is driven
   the same way with a response of the same size (the mean size of the endpoint's
   answers), and then the **bare** ceiling: the same pre-built bytes from the same view
   served by Django's handler with no middleware at all (bench.wsgi), on the same server.
   The three are measured in interleaved rounds of ROUND_SECONDS (endpoint, ceiling,
   bare; the order rotates each round), so that a slow drift of the machine's speed
   (a neighbour's load on a virtual machine) touches the three alike; each one's
   latency histograms are merged across its rounds (exact p50/p99 of all its requests).
4. A table per size: requests/s, p50 and p99 latency, SQL queries per request (first
   request / average under load), both ceilings' requests/s and p99, and the ratios;
   then every goal of docs/performance.md with "met" or "NOT MET".

Results go to stdout and to artifacts/bench/ (results.md, results.json, server logs).
Settings (environment): BENCH_DURATION (seconds per run, default 5), BENCH_CONNECTIONS
(8), BENCH_THREADS (wrk threads, 2), BENCH_SCALES ("1,0.1"), BENCH_POSTGRES_URL
(default CI_POSTGRES_URL or postgres://postgres@127.0.0.1:5432), BENCH_REDIS_URL
(redis://127.0.0.1:6379; with a database index, e.g. /11, that one is used, else an
empty one from 15 down), BENCH_PORT (the server's port; a free one by default),
BENCH_REBUILD=1 to rebuild the templates, BENCH_KEEP_DATA=0 to drop them at the end
(CI), BENCH_ONLY (a comma-separated list of scenario keys).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import json
import math
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import redis

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
OUT = ROOT / "artifacts" / "bench"
LOAD_SCRIPT = ROOT / "bench" / "load.lua"

FULL_PATIENTS = 1_000
FULL_SESSIONS = 200_000
# Patients whose tokens drive the load (spread over the data). As many at both default
# sizes (a tenth has 100 patients): the first read of each un-warmed patient is a cache
# miss inside the measured seconds, so with more patients at one size (200 against 100
# until 2026-12-01) the cost ratio between the sizes compared their numbers of misses,
# not their data.
FIXTURE_PATIENTS = 100
STARTUP_TIMEOUT = 120
WARM_SECONDS = 1
# Each endpoint, its ceiling and its bare ceiling are measured in rounds of this many
# seconds, interleaved (Bench.measure); BENCH_DURATION seconds of each in all.
ROUND_SECONDS = 1
# Between two rounds: the requests the last one left in flight finish (an upload's
# takes a few ms) before the next one starts, so none of them runs in the next round.
ROUND_PAUSE = 0.1
API = "/api/v1"


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


DURATION = _env_int("BENCH_DURATION", 5)
CONNECTIONS = _env_int("BENCH_CONNECTIONS", 8)
THREADS = _env_int("BENCH_THREADS", 2)
SCALES = [float(s) for s in (os.environ.get("BENCH_SCALES") or "1,0.1").split(",")]
PG_URL = (
    os.environ.get("BENCH_POSTGRES_URL")
    or os.environ.get("CI_POSTGRES_URL")
    or "postgres://postgres@127.0.0.1:5432"
).rstrip("/")
REDIS_URL = (os.environ.get("BENCH_REDIS_URL") or "redis://127.0.0.1:6379").rstrip("/")
# A database index at the end of BENCH_REDIS_URL (redis://host:6379/11) is the one used.
_REDIS_DB = urllib.parse.urlsplit(REDIS_URL).path.strip("/")
if _REDIS_DB.isdigit():
    REDIS_URL = REDIS_URL.removesuffix(_REDIS_DB).rstrip("/")
PORT = _env_int("BENCH_PORT", 0)
REBUILD = os.environ.get("BENCH_REBUILD") == "1"
KEEP_DATA = os.environ.get("BENCH_KEEP_DATA", "1") != "0"
# CPU-bound work on a small machine shared with wrk: one process per core plus one and
# no threads measured best (docs/performance.md). Set these to compare others.
WORKERS = os.environ.get("WEB_CONCURRENCY") or str((os.cpu_count() or 1) + 1)
WORKER_THREADS = os.environ.get("GUNICORN_THREADS") or "1"
ONLY = {k for k in (os.environ.get("BENCH_ONLY") or "").split(",") if k}


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------
@dataclass
class Request:
    method: str
    path: str
    token: str = ""
    body: str = ""

    def line(self) -> str:
        return "\t".join([self.method, self.path, self.token, self.body])


@dataclass
class Scenario:
    key: str
    title: str
    requests: list[Request]
    expect: tuple[int, ...] = (200,)
    # How many distinct requests the warm-up sends (all of them by default).
    warm: int | None = None


def scenarios(fixtures: dict[str, Any]) -> list[Scenario]:
    patients = fixtures["patients"]
    clinicians = fixtures["clinicians"]
    muscles, equipment = fixtures["muscles"], fixtures["equipment"]
    filters = [""]
    filters += [f"muscle={m}&" for m in muscles]
    filters += [f"equipment={e}&" for e in equipment]
    filters += [f"muscle={m}&equipment={e}&" for m in muscles for e in equipment]

    def per_patient(key: str, title: str, path: str) -> Scenario:
        """A patient's own read ("{plan}" in the path: the patient's plan id)."""
        requests = [
            Request("GET", path.replace("{plan}", p["plan"]), p["token"])
            for p in patients
        ]
        return Scenario(key, title, requests, warm=20)

    def pages(limit: int) -> list[Request]:
        return [Request("GET", f"{API}/exercises/?{f}limit={limit}") for f in filters]

    def sync(changes: int) -> list[Request]:
        """Each patient's sync from ``changes`` changes back (the latest page)."""
        return [
            Request(
                "GET",
                f"{API}/sessions/?updated_since={max(p['sync_revision'] - changes, 0)}",
                p["token"],
            )
            for p in patients
        ]

    return [
        Scenario(
            "exercises-20",
            "Exercise list, 20 per page, filtered",
            pages(20),
        ),
        Scenario(
            "exercises-100",
            "Exercise list, 100 per page, filtered",
            pages(100),
        ),
        Scenario(
            "exercise",
            "Exercise detail",
            [Request("GET", f"{API}/exercises/{pk}/") for pk in fixtures["exercises"]],
        ),
        Scenario(
            "routine",
            "Routine detail",
            [Request("GET", f"{API}/routines/{pk}/") for pk in fixtures["routines"]],
        ),
        Scenario(
            "plan",
            "Patient's plan",
            [Request("GET", f"{API}/plans/{p['plan']}/", p["token"]) for p in patients],
            warm=20,
        ),
        Scenario("sync", "Session sync, 3 changes", sync(3), warm=20),
        Scenario(
            "sync-page", "Session sync, a full page (50 changes)", sync(50), warm=20
        ),
        Scenario(
            "progress",
            "Progress (8 weeks)",
            [Request("GET", f"{API}/progress/", p["token"]) for p in patients],
            warm=20,
        ),
        per_patient("today", "Patient's today", f"{API}/me/today/"),
        per_patient("due", "Due questionnaires", f"{API}/me/questionnaires/due/"),
        per_patient(
            "careplan", "FHIR CarePlan (the patient's plan)", "/fhir/r4/CarePlan/{plan}"
        ),
        Scenario(
            "alerts",
            "Alerts list (a clinician's)",
            [Request("GET", f"{API}/alerts/", token) for token in clinicians],
            warm=20,
        ),
        # Last: uploads add changes, which the sync scenarios' cursors do not expect.
        Scenario(
            "upload",
            "Session upload (new session)",
            [
                Request("POST", f"{API}/sessions/", p["token"], _upload(p))
                for p in patients
            ],
            expect=(201,),
            warm=20,
        ),
    ]


def _upload(patient: dict[str, Any]) -> str:
    """A session of the patient's plan, logged yesterday; "{{id}}" is filled per request."""
    started = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=1)
    exercises = []
    for item in patient["items"]:
        sides = ["left", "right"] if item["per_side"] else ["both"]
        amount = (
            {"reps": item["reps"]} if item["reps"] else {"seconds": item["seconds"]}
        )
        exercises.append(
            {
                "exercise": item["exercise"],
                "plan_item": item["id"],
                "status": "done",
                "pain_during": 2,
                "sets": [
                    {"side": side, **amount}
                    for _ in range(item["sets"])
                    for side in sides
                ],
            }
        )
    body = {
        "id": "{{id}}",
        "plan": patient["plan"],
        "started_at": started.isoformat().replace("+00:00", "Z"),
        "ended_at": (started + dt.timedelta(minutes=20))
        .isoformat()
        .replace("+00:00", "Z"),
        "pain_before": 4,
        "pain_after": 2,
        "effort": 5,
        "notes": "Felt good.",
        "exercises": exercises,
    }
    return json.dumps(body, separators=(",", ":"))


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------
@dataclass
class Run:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    failures: int  # socket errors plus unexpected statuses
    queries: float  # average X-DB-Queries under load
    rounds: int = 1
    # Latency in microseconds -> requests (wrk's histogram), to merge rounds exactly.
    histogram: dict[int, int] = field(default_factory=dict, repr=False)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @classmethod
    def merged(cls, runs: Sequence[Run]) -> Run:
        """The rounds of one load as one run: requests over the seconds of all rounds,
        percentiles of all their requests' latencies (their histograms added)."""
        histogram: Counter[int] = Counter()
        for run in runs:
            histogram.update(run.histogram)
        responses = sum(run.requests for run in runs)
        return cls(
            requests=responses,
            seconds=sum(run.seconds for run in runs),
            p50_ms=percentile(histogram, 50) / 1000,
            p99_ms=percentile(histogram, 99) / 1000,
            max_ms=max((run.max_ms for run in runs), default=0.0),
            failures=sum(run.failures for run in runs),
            queries=(
                sum(run.queries * run.requests for run in runs) / responses
                if responses
                else 0.0
            ),
            rounds=sum(run.rounds for run in runs),
            histogram=dict(histogram),
        )


def percentile(histogram: dict[int, int], p: float) -> int:
    """wrk's percentile of a histogram (stats_percentile: the value at rank
    round(p% of the count + 0.5), C's round, latencies in increasing order); 0 when
    empty."""
    rank = math.floor(
        p / 100 * sum(histogram.values()) + 1
    )  # C's round(x + 0.5), x >= 0
    total = 0
    for latency in sorted(histogram):
        total += histogram[latency]
        if total >= rank:
            return latency
    return 0


@dataclass
class Row:
    key: str
    title: str
    size: int
    cold_queries: float
    run: Run
    ceiling: Run  # the ceiling view through the project's middleware
    bare: Run  # the same view and bytes with no middleware (bench.wsgi)

    @property
    def ratio(self) -> float:
        """Against the middleware ceiling (the figure of earlier runs)."""
        return self.run.rps / self.ceiling.rps if self.ceiling.rps else 0.0

    @property
    def bare_ratio(self) -> float:
        """Against the bare ceiling: what the goals are stated in."""
        return self.run.rps / self.bare.rps if self.bare.rps else 0.0

    @property
    def ceiling_ratio(self) -> float:
        """Middleware ceiling / bare ceiling: the fixed cost of the middleware stack."""
        return self.ceiling.rps / self.bare.rps if self.bare.rps else 0.0


def table(rows: Sequence[Row]) -> str:
    lines = [
        "| Endpoint | Bytes | Req/s | p50 ms | p99 ms | SQL first / load "
        "| Ceiling req/s | Ceiling p99 ms | Bare req/s | Bare p99 ms "
        "| / ceiling | / bare | Ceiling / bare |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        failures = f" ({row.run.failures} failed)" if row.run.failures else ""
        lines.append(
            f"| {row.title}{failures} | {row.size:,} | {row.run.rps:,.0f} | "
            f"{row.run.p50_ms:.1f} | {row.run.p99_ms:.1f} | "
            f"{row.cold_queries:.0f} / {row.run.queries:.1f} | {row.ceiling.rps:,.0f} | "
            f"{row.ceiling.p99_ms:.1f} | {row.bare.rps:,.0f} | {row.bare.p99_ms:.1f} | "
            f"{row.ratio:.0%} | {row.bare_ratio:.0%} | {row.ceiling_ratio:.0%} |"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Goals (issue 14; docs/performance.md): each printed with met / NOT MET
# ---------------------------------------------------------------------------
CATALOG = {"exercises-20", "exercises-100", "exercise", "routine"}
PATIENT_READS = {"plan", "sync", "progress", "alerts", "today", "due", "careplan"}
HEAVY = {"sync-page", "upload"}
SHARE_GOALS = [  # (scenario keys, minimum share of the bare ceiling, what)
    (CATALOG, 0.50, "catalog reads"),
    (PATIENT_READS, 0.15, "patient reads (plan, sync, progress, ...)"),
    (HEAVY, 0.08, "a full sync page and an upload"),
]
CEILING_SHARE = 0.80
P99_MS = 100.0
UPLOAD_SQL = 10
GROWTH = 1.1


@dataclass
class Goal:
    text: str
    met: bool | None  # None: not measured in this run
    detail: str

    def line(self) -> str:
        verdict = {True: "met", False: "NOT MET", None: "not measured"}[self.met]
        return f"- {verdict}: {self.text} ({self.detail})"


def _worst(
    results: Sequence[tuple[str, Sequence[Row]]], value: Any, keys: set[str] | None
) -> tuple[float, str] | None:
    found = [
        (value(row), f"{row.key} at {label.split(':')[0]}")
        for label, rows in results
        for row in rows
        if keys is None or row.key in keys
    ]
    return min(found) if found else None


def goals(results: Sequence[tuple[str, Sequence[Row]]]) -> list[Goal]:
    out: list[Goal] = []

    def at_least(text: str, worst: tuple[float, str] | None, minimum: float) -> None:
        if worst is None:
            out.append(Goal(text, None, "no such endpoint in this run"))
        else:
            out.append(
                Goal(text, worst[0] >= minimum, f"lowest {worst[0]:.1%}, {worst[1]}")
            )

    at_least(
        f"middleware ceiling >= {CEILING_SHARE:.0%} of the bare ceiling",
        _worst(results, lambda r: r.ceiling_ratio, None),
        CEILING_SHARE,
    )
    for keys, share, what in SHARE_GOALS:
        at_least(
            f"{what} >= {share:.0%} of the bare ceiling",
            _worst(results, lambda r: r.bare_ratio, keys),
            share,
        )
    worst_p99 = _worst(results, lambda r: -r.run.p99_ms, None)
    if worst_p99:
        out.append(
            Goal(
                f"p99 < {P99_MS:.0f} ms on every endpoint at {CONNECTIONS} connections",
                -worst_p99[0] < P99_MS,
                f"highest {-worst_p99[0]:.1f} ms, {worst_p99[1]}",
            )
        )
    failures = sum(r.run.failures for _, rows in results for r in rows)
    out.append(
        Goal("no failed request", failures == 0, f"{failures} failed or unexpected")
    )
    uploads = [r for _, rows in results for r in rows if r.key == "upload"]
    most = max((max(r.cold_queries, r.run.queries) for r in uploads), default=None)
    out.append(
        Goal(
            f"an upload in at most {UPLOAD_SQL} SQL statements",
            None if most is None else most <= UPLOAD_SQL,
            "no upload in this run" if most is None else f"{most:.1f} statements",
        )
    )
    out += _growth_goals(results)
    return out


def _growth_goals(results: Sequence[tuple[str, Sequence[Row]]]) -> list[Goal]:
    """Full data against a tenth: the same SQL, and a cost within GROWTH.

    A request's cost is taken relative to the bare ceiling of the same moment (bare
    req/s / endpoint req/s), so a busier machine during one size's runs cancels out.
    """
    flat = (
        f"query counts flat as rows grow (full data <= a tenth, {len(results)} sizes)"
    )
    cost = f"cost ratio full data / a tenth <= {GROWTH} on every endpoint"
    if len(results) < 2:
        return [Goal(flat, None, "one data size"), Goal(cost, None, "one data size")]
    (_, large), (_, small) = results[0], results[-1]
    pairs = [(a, b) for a in large for b in small if a.key == b.key and a.bare_ratio]
    grew = [
        f"{a.key} {b.run.queries:.1f} -> {a.run.queries:.1f}"
        for a, b in pairs
        if max(a.cold_queries, a.run.queries) > max(b.cold_queries, b.run.queries) + 0.5
    ]
    ratios = sorted(
        ((b.bare_ratio / a.bare_ratio, a.key) for a, b in pairs), reverse=True
    )
    return [
        Goal(flat, not grew, ", ".join(grew) or f"{len(pairs)} endpoints compared"),
        Goal(
            cost,
            bool(ratios) and ratios[0][0] <= GROWTH,
            f"highest {ratios[0][0]:.2f}, {ratios[0][1]}" if ratios else "none",
        ),
    ]


# ---------------------------------------------------------------------------
# PostgreSQL and Redis
# ---------------------------------------------------------------------------
def psql(sql: str, database: str = "postgres") -> str:
    result = subprocess.run(
        ["psql", f"{PG_URL}/{database}", "-Atqc", sql],
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip()


def database_exists(name: str) -> bool:
    return psql(f"select 1 from pg_database where datname = '{name}'") == "1"


def dataset_fingerprint() -> str:
    digest = hashlib.sha256((ROOT / "bench" / "dataset.py").read_bytes())
    for path in sorted(ROOT.glob("*/migrations/0*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def free_redis_db() -> int:
    """BENCH_REDIS_URL's database index if it names one, else one nobody uses (checked
    empty), from the top down."""
    if _REDIS_DB.isdigit():
        return int(_REDIS_DB)
    for index in range(15, 0, -1):
        if redis.Redis.from_url(f"{REDIS_URL}/{index}").dbsize() == 0:
            return index
    sys.exit("bench: no empty Redis database (0-15) to use")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------------------
# One size of data set
# ---------------------------------------------------------------------------
class Bench:
    def __init__(self, scale: float, secret_key: str, redis_db: int) -> None:
        self.patients = max(round(FULL_PATIENTS * scale), 1)
        self.sessions = max(round(FULL_SESSIONS * scale), self.patients)
        self.template = (
            f"rehabit_bench_tpl_{self.patients}_{self.sessions}_{dataset_fingerprint()}"
        )
        self.database = f"rehabit_bench_{self.patients}_{self.sessions}"
        self.port = PORT or free_port()
        self.redis_url = f"{REDIS_URL}/{redis_db}"
        self.env = {
            **os.environ,
            "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DJANGO_SECRET_KEY": secret_key,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": f"{PG_URL}/{self.database}",
            "REDIS_URL": self.redis_url,
            # One proxy in front (the load balancer): X-Forwarded-For names the client.
            "TRUSTED_PROXY_COUNT": "1",
            # The load comes from few accounts (five patients at CI's tiny scale), each
            # sending far more than a person does, scenario after scenario: the
            # per-account limits are raised so that none answers 429. Every request
            # still pays for its throttle checks (same Redis round trips).
            "API_THROTTLE_USER": "10000000/min",
            "API_THROTTLE_FHIR": "10000000/min",
            # Likewise the per-account upload limits (read in the upload's lock statement
            # whatever their value): a few patients upload hundreds of sessions here.
            "SESSION_UPLOAD_DAILY_MAX_SESSIONS": "10000000",
            "SESSION_UPLOAD_DAILY_MAX_SETS": "1000000000",
            # Tokens are made once per size and must outlive the size's runs.
            "JWT_ACCESS_MINUTES": "60",
            "WEB_CONCURRENCY": WORKERS,
            "GUNICORN_THREADS": WORKER_THREADS,
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            # The project's application, plus the bare ceiling in front of it.
            "GUNICORN_APP": "bench.wsgi:application",
        }
        self.server: subprocess.Popen[bytes] | None = None
        self.sent = 0

    @property
    def label(self) -> str:
        return f"{self.patients:,} patients, {self.sessions:,} sessions"

    # -- data --------------------------------------------------------------
    def prepare_database(self) -> None:
        if REBUILD and database_exists(self.template):
            psql(f'drop database "{self.template}"')
        if not database_exists(self.template):
            self._build_template()
        else:
            log(f"reusing data set {self.template}")
        psql(f'drop database if exists "{self.database}"')
        psql(f'create database "{self.database}" template "{self.template}"')

    def _build_template(self) -> None:
        prefix = f"rehabit_bench_tpl_{self.patients}_{self.sessions}_"
        for stale in psql(
            f"select datname from pg_database where datname like '{prefix}%'"
        ).split():
            psql(f'drop database "{stale}"')
        log(f"building data set {self.template} ({self.label}), once")
        psql(f'create database "{self.template}"')
        # No statement_timeout: one COPY of a million rows may rightly take longer than
        # a request may (as the start script migrates with 0).
        env = {
            **self.env,
            "DATABASE_URL": f"{PG_URL}/{self.template}",
            "DATABASE_STATEMENT_TIMEOUT_MS": "0",
        }
        with (OUT / f"dataset-{self.patients}.log").open("wb") as output:
            result = subprocess.run(
                [VENV / "bin" / "python", "-m", "bench.dataset", "build",
                 "--patients", str(self.patients), "--sessions", str(self.sessions)],
                cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
            )  # fmt: skip
        if result.returncode:
            psql(f'drop database if exists "{self.template}"')
            sys.exit(f"bench: building the data set failed; see {output.name}")

    def fixtures(self) -> dict[str, Any]:
        result = subprocess.run(
            [VENV / "bin" / "python", "-m", "bench.dataset", "fixtures",
             "--patients", str(min(FIXTURE_PATIENTS, self.patients))],
            cwd=ROOT, env=self.env, check=True, capture_output=True,
        )  # fmt: skip
        return json.loads(result.stdout)

    # -- server ------------------------------------------------------------
    def start(self) -> None:
        redis.Redis.from_url(self.redis_url).flushdb()
        log_file = (OUT / f"server-{self.patients}.log").open("wb")
        self.server = subprocess.Popen(
            [ROOT / "bin" / "serve"],
            cwd=ROOT,
            env=self.env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                sys.exit(f"bench: the server stopped; see {log_file.name}")
            try:
                if self.get("/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        sys.exit("bench: the server did not become ready")

    def stop(self) -> None:
        if self.server and self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGTERM)
            try:
                self.server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)
        psql(f'drop database if exists "{self.database}"')
        if not KEEP_DATA:
            psql(f'drop database if exists "{self.template}"')
        redis.Redis.from_url(self.redis_url).flushdb()

    def get(
        self, path: str, method: str = "GET", token: str = "", body: str = ""
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        # A client address per request, as in the load: the warm-up is not throttled.
        self.sent += 1
        client = f"10.255.{self.sent // 250 % 250}.{self.sent % 250 + 1}"
        headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": client}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if body:
            headers["Content-Type"] = "application/json"
        try:
            connection.request(method, path, body=body or None, headers=headers)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    # -- load --------------------------------------------------------------
    def warm(self, scenario: Scenario) -> tuple[int, float]:
        """Send each distinct request once; return the mean size and SQL count of the answers."""
        sizes, counts = [], []
        for request in scenario.requests[: scenario.warm]:
            body = request.body.replace("{{id}}", str(uuid.uuid4()))
            status, headers, content = self.get(
                request.path, request.method, request.token, body
            )
            if status not in scenario.expect:
                sys.exit(
                    f"bench: {scenario.key} {request.method} {request.path} answered "
                    f"{status}: {content[:500]!r}"
                )
            sizes.append(len(content))
            counts.append(int(headers.get("X-DB-Queries", "0")))
        return round(statistics.mean(sizes)), statistics.mean(counts)

    def load(
        self,
        scenario_key: str,
        requests: Sequence[Request],
        expect: Sequence[int],
        seconds: int,
    ) -> Run:
        request_file = OUT / f"requests-{scenario_key}.tsv"
        request_file.write_text("\n".join(r.line() for r in requests) + "\n")
        result = subprocess.run(
            ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s",
             "-s", str(LOAD_SCRIPT), f"http://127.0.0.1:{self.port}"],
            env={**os.environ, "BENCH_REQUESTS": str(request_file),
                 "BENCH_EXPECT": ",".join(map(str, expect))},
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        line = next(
            (x for x in result.stdout.splitlines() if x.startswith("BENCH_RESULT ")),
            None,
        )
        if line is None:
            sys.exit(f"bench: wrk gave no result:\n{result.stdout}\n{result.stderr}")
        data = json.loads(line.removeprefix("BENCH_RESULT "))
        pairs = next(
            (
                x.split()[1:]
                for x in result.stdout.splitlines()
                if x.startswith("BENCH_LATENCY ")
            ),
            [],
        )
        histogram = {int(us): int(n) for us, n in (p.split(":") for p in pairs)}
        return Run(
            requests=data["requests"],
            seconds=data["duration_us"] / 1e6,
            p50_ms=data["p50_us"] / 1000,
            p99_ms=data["p99_us"] / 1000,
            max_ms=data["max_us"] / 1000,
            failures=data["socket_errors"] + data["unexpected"],
            queries=data["queries"] / data["responses"] if data["responses"] else 0.0,
            histogram=histogram,
        )

    def measure(self, scenario: Scenario) -> Row:
        size, cold_queries = self.warm(scenario)
        loads = {
            scenario.key: (scenario.requests, scenario.expect),
            f"{scenario.key}-ceiling": (
                [Request("GET", f"{API}/bench/ceiling/{size}")],
                (200,),
            ),
            f"{scenario.key}-bare": ([Request("GET", f"/bench/bare/{size}")], (200,)),
        }
        # Every worker and thread through each code path once, not measured.
        for key, (requests, expect) in loads.items():
            self.load(key, requests, expect, seconds=WARM_SECONDS)
        rounds: dict[str, list[Run]] = {key: [] for key in loads}
        for number in range(rounds_of(DURATION)):
            for key in rotated(list(loads), number):
                time.sleep(ROUND_PAUSE)
                requests, expect = loads[key]
                rounds[key].append(self.load(key, requests, expect, ROUND_SECONDS))
        run, ceiling, bare = (Run.merged(rounds[key]) for key in loads)
        row = Row(scenario.key, scenario.title, size, cold_queries, run, ceiling, bare)
        log(
            f"{scenario.title}: {run.rps:,.0f} req/s, p99 {run.p99_ms:.1f} ms, "
            f"{run.queries:.1f} queries; ceiling {ceiling.rps:,.0f} req/s, "
            f"p99 {ceiling.p99_ms:.1f} ms ({row.ratio:.0%}); bare {bare.rps:,.0f} "
            f"req/s, p99 {bare.p99_ms:.1f} ms ({row.bare_ratio:.0%} of bare, ceiling "
            f"{row.ceiling_ratio:.0%} of bare)"
        )
        return row


def rounds_of(seconds: int) -> int:
    """How many interleaved rounds make ``seconds`` of load per run (at least one)."""
    return max(1, round(seconds / ROUND_SECONDS))


def rotated(keys: list[str], number: int) -> list[str]:
    """Round ``number``'s order: each key first in turn, so that none always follows
    the same one (an upload's leftover work, a cache warmed by the previous round)."""
    shift = number % len(keys)
    return keys[shift:] + keys[:shift]


def bench_one(scale: float, secret_key: str, redis_db: int) -> tuple[str, list[Row]]:
    bench = Bench(scale, secret_key, redis_db)
    started = time.monotonic()
    bench.prepare_database()
    log(f"{bench.label}: data ready in {time.monotonic() - started:.0f} s")
    try:
        bench.start()
        fixtures = bench.fixtures()
        rows = [
            bench.measure(scenario)
            for scenario in scenarios(fixtures)
            if not ONLY or scenario.key in ONLY
        ]
    finally:
        bench.stop()
    return bench.label, rows


def cpu_times() -> list[int] | None:
    """The machine's CPU time counters (the ``cpu`` line of /proc/stat), or None off
    Linux."""
    try:
        with open("/proc/stat") as stat:
            return [int(x) for x in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None


def steal_share(before: list[int] | None, after: list[int] | None) -> str:
    """The share of the CPU time between two ``cpu_times`` that the hypervisor gave to
    other machines (steal, the 8th counter): a run with much of it is noisy, and its
    ratios are worth less (docs/performance.md)."""
    if not before or not after or len(before) < 8 or len(after) < 8:
        return "not measured"
    spent = [b - a for a, b in zip(before, after, strict=False)]
    total = sum(spent[:8])  # guest time is already counted in user and nice
    return f"{spent[7] / total:.1%}" if total > 0 else "not measured"


def main() -> None:
    if Path(sys.prefix).resolve() != VENV.resolve():
        sys.exit("bench: run it with the project's virtualenv: make bench")
    if shutil.which("wrk") is None:
        sys.exit("bench: wrk is missing; install it (Debian: apt-get install wrk)")
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    cpu_before = cpu_times()
    secret_key = secrets.token_urlsafe(48)
    redis_db = free_redis_db()
    results: list[tuple[str, list[Row]]] = []
    for scale in SCALES:
        results.append(bench_one(scale, secret_key, redis_db))

    header = (
        f"`make bench` on {dt.datetime.now(dt.UTC).date().isoformat()}: "
        f"{os.cpu_count()} CPUs, gunicorn {WORKERS} workers x {WORKER_THREADS} threads, "
        f"wrk {THREADS} threads x {CONNECTIONS} connections, {DURATION} s per run, "
        f"in {time.monotonic() - started:.0f} s; CPU time stolen by other machines "
        f"(steal) during the run: {steal_share(cpu_before, cpu_times())}."
    )
    report = [header, ""]
    for label, rows in results:
        report += [f"### {label}", "", table(rows), ""]
    report += ["### Goals", "", *(goal.line() for goal in goals(results)), ""]
    text = "\n".join(report)
    print(text)
    (OUT / "results.md").write_text(text)
    (OUT / "results.json").write_text(
        json.dumps(
            {
                label: [
                    _without_histograms(asdict(r))
                    | {
                        "ratio": r.ratio,
                        "bare_ratio": r.bare_ratio,
                        "ceiling_ratio": r.ceiling_ratio,
                    }
                    for r in rows
                ]
                for label, rows in results
            },
            indent=2,
        )
    )


def _without_histograms(row: dict[str, Any]) -> dict[str, Any]:
    """A row for results.json: each run's histogram left out (the merged figures stay)."""
    return {
        key: (
            {k: v for k, v in value.items() if k != "histogram"}
            if isinstance(value, dict)
            else value
        )
        for key, value in row.items()
    }


if __name__ == "__main__":
    main()
