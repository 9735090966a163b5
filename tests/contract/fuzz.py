"""Contract fuzzing of the live service: schemathesis against a real server on PostgreSQL.

``python -m tests.contract.fuzz`` (or ``.ci/fuzz``, ``make fuzz``):

1. creates a fresh PostgreSQL database ``rehabit_fuzz_<pid>`` (``CI_POSTGRES_URL``,
   default ``postgres://postgres@127.0.0.1:5432``), migrates it and seeds it
   (tests/contract/seed.py: demo content and logins, a patient with a plan and sessions);
2. starts gunicorn with the production settings on a free port of 127.0.0.1, with rate
   limits and the login lockout raised so the fuzzer does not lock itself out;
3. runs schemathesis over every operation of ``/api/schema/`` once per caller, in
   parallel processes: anonymous, the patient, the clinician, and (``DELETE me/`` only)
   a patient whose account it erases; every check, positive and negative data,
   stateful links;
4. prints the number of generated test cases and of operations covered, fails on any
   failure of any run or any server error in the server's log, and drops the database.

Reports (each run's output, JSON, JUnit) and the server log go to ``artifacts/fuzz/``.
docs/testing.md explains what is generated and checked, and what to do on a failure.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from tests.contract.seed import CLINICIAN, ERASABLE, PATIENT, Login

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
CONFIG = Path(__file__).with_name("schemathesis.toml")
ARTIFACTS = ROOT / "artifacts" / "fuzz"

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432"
DEFAULT_SEED = 20260105
# Per operation and phase. With the coverage phase's deterministic cases on top, this
# keeps the whole step within a few minutes on two cores.
DEFAULT_MAX_EXAMPLES = 25
ERASE_ME = "DELETE /api/v1/me/"
# Plain-text signs of a server error, for log lines that are not JSON.
SERVER_ERROR_MARKERS = ("Internal Server Error", "Traceback (most recent call last)")
HIGH_RATE = "1000000/min"
LOG_LINE_CHARS = 800  # of each error line printed (the log keeps the tracebacks)
# django-structlog's per-request log events (config.access_log): the server's access log.
REQUEST_EVENTS = {"request_finished", "request_failed"}


@dataclass(frozen=True)
class Run:
    """One schemathesis run: who is calling, and which operations it covers."""

    name: str
    login: Login | None
    include_names: tuple[str, ...] = ()
    exclude_names: tuple[str, ...] = ()
    phases: str = "examples,coverage,fuzzing,stateful"


RUNS = (
    Run("anonymous", None),
    # Erasing the patient would log every later request of the run out.
    Run("patient", PATIENT, exclude_names=(ERASE_ME,)),
    Run("clinician", CLINICIAN),
    # One operation: no links to follow.
    Run(
        "erasure",
        ERASABLE,
        include_names=(ERASE_ME,),
        phases="examples,coverage,fuzzing",
    ),
)


@dataclass
class Outcome:
    run: Run
    exit_code: int
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def generated(self) -> int:
        return int((self.report.get("test_cases") or {}).get("generated") or 0)

    @property
    def operations(self) -> dict[str, int]:
        return self.report.get("operations") or {}

    tested_labels: set[str] = field(default_factory=set)


# ---------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------
def step(title: str) -> None:
    print(f"\n----- fuzz: {title} -----", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def psql(base_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{base_url}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def server_env(database_url: str, port: int) -> dict[str, str]:
    """The production settings, on the fuzzing database, with limits the fuzzer cannot trip."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(48),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="false",  # plain HTTP on the loopback
        DATABASE_URL=database_url,
        DATABASE_CONN_MAX_AGE="0",
        # One JSON line per request (request_finished, with its status code): the
        # summary counts statuses and finds any server error the fuzzer did not see.
        DJANGO_LOG_LEVEL="INFO",
        DJANGO_LOG_FORMAT="json",
        API_THROTTLE_ANON=HIGH_RATE,
        API_THROTTLE_USER=HIGH_RATE,
        API_THROTTLE_AUTH=HIGH_RATE,
        API_THROTTLE_REGISTER=HIGH_RATE,
        AXES_FAILURE_LIMIT="1000000",
        # The login policy's other two rules (users/lockout.py): the four runs share
        # one address, 127.0.0.1, and the anonymous run's failed logins (some with the
        # seeded accounts' emails) locked the address, or delayed an account, before
        # another run fetched its token (429, "Authentication Error" in schemathesis).
        LOGIN_ADDRESS_FAILURE_LIMIT="1000000",
        LOGIN_ACCOUNT_FREE_FAILURES="1000000",
        # The per-account upload limits (429 upload_quota_exceeded) would stop the
        # patient's run after 50 uploads: raised like the throttles.
        SESSION_UPLOAD_DAILY_MAX_SESSIONS="1000000",
        SESSION_UPLOAD_DAILY_MAX_SETS="100000000",
        PORT=str(port),
        PYTHONUNBUFFERED="1",
    )
    env.pop("REDIS_URL", None)  # per-process memory: nothing shared with anything else
    return env


def run_checked(args: list[str], env: dict[str, str]) -> None:
    subprocess.run(args, cwd=ROOT, env=env, check=True)


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    log_file = log.open("wb")
    return subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--timeout",
            "60",
            "--error-logfile",
            "-",
            "--capture-output",
        ],
        cwd=ROOT,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_ready(base: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        with (
            contextlib.suppress(OSError, urllib.error.URLError),
            urllib.request.urlopen(f"{base}/readyz", timeout=2) as response,
        ):
            if response.status == 200:
                return
        time.sleep(0.3)
    raise SystemExit("the server did not become ready")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        # Our own process group (start_new_session): gunicorn's master and workers.
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


# ---------------------------------------------------------------------------
# Schemathesis
# ---------------------------------------------------------------------------
AUTH_SECTION = """
# Added by tests/contract/fuzz.py for the run "{name}": log in as {email}; a new access
# token is fetched when the cached one expires or is refused (401).
[auth.dynamic.openapi.jwtAuth]
path = "/api/v1/auth/token/"
payload = {{ email = "${{FUZZ_EMAIL}}", password = "${{FUZZ_PASSWORD}}" }}
extract_selector = "/access"
"""


def run_config(run: Run) -> Path:
    """The shared configuration plus this run's login."""
    text = CONFIG.read_text(encoding="utf-8")
    if run.login is not None:
        text += AUTH_SECTION.format(name=run.name, email=run.login.email)
    path = ARTIFACTS / f"{run.name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def start_fuzz(
    run: Run, *, base: str, seed: int, max_examples: int
) -> subprocess.Popen[bytes]:
    """Start schemathesis for one run; its output goes to artifacts/fuzz/<run>.log."""
    (ARTIFACTS / f"{run.name}.json").unlink(missing_ok=True)
    args = [
        str(VENV_BIN / "schemathesis"),
        "--config-file",
        str(run_config(run)),
        "run",
        f"{base}/api/schema/",
        "--seed",
        str(seed),
        "--max-examples",
        str(max_examples),
        "--phases",
        run.phases,
        # One worker: hypothesis parses lambdas' source with ast, which CPython 3.11
        # before 3.11.8 can crash on when threads do it at once ("AST constructor
        # recursion depth mismatch"). The runs go in parallel processes instead.
        "--workers",
        "1",
        "--report-dir",
        str(ARTIFACTS),
        "--report-json-path",
        str(ARTIFACTS / f"{run.name}.json"),
        "--report-junit-path",
        str(ARTIFACTS / f"{run.name}.junit.xml"),
        "--no-color",
    ]
    for name in run.include_names:
        args += ["--include-name", name]
    for name in run.exclude_names:
        args += ["--exclude-name", name]
    # The hooks module (tests.contract.hooks) is imported from the project root.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if run.login is not None:
        env.update(FUZZ_EMAIL=run.login.email, FUZZ_PASSWORD=run.login.password)
    output = (ARTIFACTS / f"{run.name}.log").open("wb")
    return subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
    )


def finish_fuzz(run: Run, process: subprocess.Popen[bytes]) -> Outcome:
    """Wait for the run, print its output, read its reports."""
    exit_code = process.wait()
    step(f"schemathesis as {run.name} (exit {exit_code})")
    log = ARTIFACTS / f"{run.name}.log"
    print(log.read_text(encoding="utf-8", errors="replace"), flush=True)
    report = ARTIFACTS / f"{run.name}.json"
    data: dict[str, Any] = {}
    if report.exists():
        data = json.loads(report.read_text(encoding="utf-8"))
    junit = ARTIFACTS / f"{run.name}.junit.xml"
    return Outcome(run, exit_code, data, tested_operations(junit))


def tested_operations(junit: Path) -> set[str]:
    """Operation labels ("GET /api/v1/me/") the run tested, from its JUnit report."""
    if not junit.exists():
        return set()
    tree = ElementTree.parse(junit)
    return {
        case.get("name", "")
        for case in tree.iter("testcase")
        if case.find("skipped") is None and " /" in case.get("name", "")
    }


def read_server_log(log: Path) -> tuple[Counter[int], list[str]]:
    """Responses per status (from the request log lines) and the lines showing errors."""
    statuses: Counter[int] = Counter()
    errors: list[str] = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            entry = None
        if not isinstance(entry, dict):
            if any(marker in line for marker in SERVER_ERROR_MARKERS):
                errors.append(line)
            continue
        code = entry.get("code")
        if entry.get("event") in REQUEST_EVENTS and isinstance(code, int):
            statuses[code] += 1
        if (isinstance(code, int) and code >= 500) or entry.get("level") in {
            "error",
            "critical",
        }:
            errors.append(line)
    return statuses, errors


def summarize(
    outcomes: list[Outcome], schema_labels: set[str], statuses: Counter[int]
) -> bool:
    """Print per run and in total; False if a run failed or an operation went untested."""
    step("summary")
    ok = True
    covered: set[str] = set()
    for outcome in outcomes:
        ops = outcome.operations
        covered |= outcome.tested_labels
        verdict = (
            "ok" if outcome.exit_code == 0 else f"FAILED (exit {outcome.exit_code})"
        )
        print(
            f"{outcome.run.name:<10} {outcome.generated:>6} test cases, "
            f"{ops.get('tested', 0)}/{ops.get('selected', 0)} operations: {verdict}"
        )
        for failure in outcome.report.get("failures") or []:
            print(
                f"    {failure['title']} x{failure['count']}: {failure['operations']}"
            )
        for error in outcome.report.get("errors") or []:
            print(f"    error: {error['title']} x{error['count']}")
        ok = ok and outcome.exit_code == 0
    total = sum(outcome.generated for outcome in outcomes)
    print(
        f"TOTAL      {total:>6} test cases generated; "
        f"{len(covered & schema_labels)}/{len(schema_labels)} operations of "
        "/api/schema/ covered"
    )
    missing = sorted(schema_labels - covered)
    if missing:
        print("NOT COVERED: " + ", ".join(missing))
        ok = False
    if statuses:
        print(
            f"responses:  {sum(statuses.values())} "
            f"({', '.join(f'{code}: {n}' for code, n in sorted(statuses.items()))})"
        )
    return ok


def schema_operations(base: str) -> set[str]:
    with urllib.request.urlopen(f"{base}/api/schema/?format=json", timeout=30) as resp:
        schema = json.load(resp)
    methods = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}
    return {
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method in item
        if method in methods
    }


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seed", type=int, default=int(os.environ.get("FUZZ_SEED", DEFAULT_SEED))
    )
    parser.add_argument(
        "--max-examples",
        type=int,
        default=int(os.environ.get("FUZZ_MAX_EXAMPLES", DEFAULT_MAX_EXAMPLES)),
        help="test cases per operation and phase (default %(default)s)",
    )
    parser.add_argument(
        "--runs",
        default=",".join(run.name for run in RUNS),
        help="comma-separated subset of: %(default)s",
    )
    parser.add_argument(
        "--keep-db", action="store_true", help="leave the database (for debugging)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wanted = set(args.runs.split(","))
    runs = [run for run in RUNS if run.name in wanted]
    if not runs or wanted - {run.name for run in RUNS}:
        raise SystemExit(f"--runs: choose among {', '.join(r.name for r in RUNS)}")
    # A TERM (CI timeout) must still stop the server and drop the database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg_url = os.environ.get("CI_POSTGRES_URL", DEFAULT_PG_URL).rstrip("/")
    db_name = f"rehabit_fuzz_{os.getpid()}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = server_env(f"{pg_url}/{db_name}", port)
    log = ARTIFACTS / "server.log"
    server: subprocess.Popen[bytes] | None = None
    processes: list[tuple[Run, subprocess.Popen[bytes]]] = []
    started = time.monotonic()
    psql(pg_url, f'CREATE DATABASE "{db_name}"')
    try:
        step(f"migrate and seed {db_name}")
        python = str(VENV_BIN / "python")
        run_checked([python, "manage.py", "migrate", "--noinput", "-v", "0"], env)
        seed_env = {
            **env,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DJANGO_DEBUG": "true",
        }
        run_checked([python, "-m", "tests.contract.seed"], seed_env)

        step(f"gunicorn on {base} (config.settings.production)")
        server = start_server(env, port, log)
        wait_ready(base, server)
        labels = schema_operations(base)
        print(f"{len(labels)} operations in /api/schema/")

        step(f"schemathesis: {', '.join(run.name for run in runs)} (in parallel)")
        for run in runs:
            process = start_fuzz(
                run, base=base, seed=args.seed, max_examples=args.max_examples
            )
            processes.append((run, process))
        outcomes = [finish_fuzz(run, process) for run, process in processes]
    finally:
        for _, process in processes:
            if process.poll() is None:  # interrupted: stop what we started
                process.terminate()
                process.wait()
        if server is not None:
            stop_server(server)
        if args.keep_db:
            print(f"kept database {db_name}")
        else:
            psql(pg_url, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')

    if wanted != {run.name for run in RUNS}:  # a subset covers only its operations
        labels = set().union(*(outcome.tested_labels for outcome in outcomes))
    statuses, errors = read_server_log(log)
    ok = summarize(outcomes, labels, statuses)
    if errors:
        ok = False
        print(f"the server logged {len(errors)} errors, e.g.:")
        for line in errors[:10]:
            print("    " + line[:LOG_LINE_CHARS])
        print(f"full log: {log.relative_to(ROOT)}")
    print(f"fuzzing took {time.monotonic() - started:.0f}s (seed {args.seed})")
    print("fuzz: PASSED" if ok else "fuzz: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
