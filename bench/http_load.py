"""HTTP benchmark of Tend at clinic scale (issue 6, points 2 and 3). Not a test: from the repository root,

    .venv/bin/python bench/http_load.py                       # 500 and 5,000 patients x 365 days
    .venv/bin/python bench/http_load.py --scales 500 --seconds 5
    .venv/bin/python bench/http_load.py --quick               # 40 patients x 60 days, 3 s: a smoke check

For each scale it creates a throwaway PostgreSQL database `tend_http_<random>`, migrates it, fills it
with `manage.py seed_scale` and starts gunicorn on it (2 sync workers, config.settings_bench, DEBUG
off); then wrk (2 threads, 8 connections, `--latency`) loads each endpoint for --seconds after a 2 s
warm-up, the scales interleaved endpoint by endpoint and the order reversed every other round.
Tend's endpoints run with their real authentication (bearer tokens from POST /api/v1/auth/token/),
care-team scoping and audit; the baselines mounted by the bench settings
under /bench/ (a bare JsonResponse, a naive DRF ModelSerializer list and create) run in the same
server in the same run, so each Tend figure is also a ratio. Then, in a fresh process against the
same database: each endpoint once more through Django's test client, its queries captured and each
SELECT's `EXPLAIN (ANALYZE, BUFFERS)` checked for sequential scans of the big tables; a split of its
time (SQL vs Python, and cProfile's own time by package); and the adherence of the one-year course
computed in-process (30 runs). The database is dropped and gunicorn stopped at the end, even on
failure.

Figures go to bench/results/http.json, tables to stdout. Goals (issue 6): every Tend endpoint at
least as fast as the naive DRF baseline for the same work (req/s ratio >= 1.0) with p99 < 50 ms;
each median at the largest scale within 1.5x its median at the smallest; one-year adherence
< 20 ms median; no sequential scan of a big table in the hot queries.

Without wrk the script installs Debian's `wrk` with apt-get (when root); if that cannot be done it
stops and names the command to install it. --python-client uses a bounded Python client instead
(threads, same connection count; weaker: it shares the 2 cores' GIL).

The JSON records the command line that ran (`argv`).
"""
# ruff: noqa: E402
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import platform
import pstats
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from bench import _common
from bench.goals import ADHERENCE_MS_MAX, BIG_TABLES, GROWTH_MAX, P99_MS_MAX, RATIO_MIN

RESULTS = ROOT / "bench" / "results" / "http.json"
QUICK_RESULTS = ROOT / "bench" / "results" / "http-quick.json"  # a smoke run never replaces the figures
WRK_DIR = ROOT / "bench" / "wrk"
BIN = Path(sys.executable).parent

NURSE = "bench.nurse"
DEFAULT_PASSWORD = "tend-bench-password"  # noqa: S105  (seed_scale's default, a throwaway database)
THREADS = 2
CONNECTIONS = 8
# The latency pass: one connection per gunicorn worker, so no request waits behind another in the
# server's queue; its p99 is what a user of a node that is not overloaded waits.
LATENCY_CONNECTIONS = 2
WARMUP_SECONDS = 2


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------------------------------------
# What is measured
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Endpoint:
    name: str
    label: str
    method: str
    path: str
    who: str = ""  # whose bearer token: "nurse", "patient" or "" (the baselines: no authentication)
    body: str = ""  # JSON; every "@ID@" becomes a fresh UUID in each request
    baseline: str = ""  # the name of the baseline doing the same work ("" for a baseline)
    expect: int = 200


def endpoints(subjects: dict[str, Any]) -> list[Endpoint]:
    read, write = subjects["read"], subjects["write"]
    start = (dt.date.fromisoformat(subjects["today_utc"]) - dt.timedelta(days=89)).isoformat()
    # A time a few minutes ago: inside the open course, never in the future.
    applied_at = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).replace(microsecond=0)
    at = applied_at.isoformat().replace("+00:00", "Z")
    tend_body = json.dumps({"id": "@ID@", "course": write["course"], "applied_at": at,
                            "status": "applied"})
    naive_body = json.dumps({"course": write["course"], "patient": write["patient"],
                             "recorded_by": write["user"], "local_date": applied_at.date().isoformat(),
                             "applied_at": at, "status": "applied"})
    return [
        Endpoint("bare", "bare Django JsonResponse", "GET", "/bench/bare/"),
        Endpoint("naive_list", "naive DRF list of 50", "GET",
                 f"/bench/naive/applications/?course={read['course']}"),
        Endpoint("naive_create", "naive DRF create", "POST", "/bench/naive/applications/create/",
                 body=naive_body, expect=201),
        Endpoint("application_create", "POST /api/v1/applications/", "POST", "/api/v1/applications/",
                 who="patient", body=tend_body, baseline="naive_create", expect=201),
        Endpoint("adherence_90d", "GET /api/v1/courses/{id}/adherence/ (90 d)", "GET",
                 f"/api/v1/courses/{read['course']}/adherence/?start={start}", who="nurse",
                 baseline="naive_list"),
        Endpoint("application_list", "GET /api/v1/applications/?course= (50)", "GET",
                 f"/api/v1/applications/?course={read['course']}", who="nurse",
                 baseline="naive_list"),
        Endpoint("review_queue", "GET /api/v1/review-queue/", "GET", "/api/v1/review-queue/",
                 who="nurse", baseline="naive_list"),
        Endpoint("patients", f"GET /api/v1/patients/ (nurse, {subjects['nurse_patients']})", "GET",
                 "/api/v1/patients/",
                 who="nurse", baseline="naive_list"),
    ]


# ---------------------------------------------------------------------------------------------
# Load generation: wrk, or a bounded Python client
# ---------------------------------------------------------------------------------------------

WRK_INSTALL = "sudo apt-get install wrk"


def find_wrk(allow_install: bool) -> str | None:
    found = shutil.which("wrk")
    if found or not allow_install:
        return found
    if shutil.which("apt-get") and os.geteuid() == 0:
        log("wrk is missing: installing Debian's package with apt-get...")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, check=False,
                       capture_output=True)
    return shutil.which("wrk")


def _headers(endpoint: Endpoint, tokens: dict[str, str]) -> dict[str, str]:
    # The TLS-terminating proxy's header (SECURE_PROXY_SSL_HEADER): the production redirect stays on.
    headers = {"X-Forwarded-Proto": "https"}
    if endpoint.who:
        headers["Authorization"] = f"Bearer {tokens[endpoint.who]}"
    if endpoint.method == "POST":
        headers["Content-Type"] = "application/json"
    return headers


def run_wrk(wrk: str, port: int, endpoint: Endpoint, tokens: dict[str, str], seconds: int,
            connections: int | None = None) -> dict[str, Any]:
    headers = _headers(endpoint, tokens)
    headers.pop("Content-Type", None)  # post.lua sets it
    script = WRK_DIR / ("post.lua" if endpoint.method == "POST" else "get.lua")
    connections = connections or CONNECTIONS
    command = [wrk, f"-t{min(THREADS, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency",
               "--timeout", "5s",
               "-s", str(script)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"http://127.0.0.1:{port}{endpoint.path}")
    if endpoint.method == "POST":
        command += ["--", endpoint.body, secrets.token_hex(4)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("WRK_JSON ")]
    if done.returncode or not lines:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout[-500:]} {done.stderr[-500:]}")
    raw = json.loads(lines[-1].removeprefix("WRK_JSON "))
    errors = {k: raw[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors",
                                  "timeouts")}
    return {"requests": raw["requests"], "seconds": raw["duration_us"] / 1e6,
            "quantiles_ms": [q / 1000 for q in raw["quantiles_us"]], "max_ms": raw["max_us"] / 1000,
            "errors": errors}


def run_python_client(port: int, endpoint: Endpoint, tokens: dict[str, str], seconds: int,
                      connections: int | None = None) -> dict[str, Any]:
    """The fallback generator: `connections` threads, each one request at a time, for `seconds`
    and at most 100,000 requests in all."""
    headers = _headers(endpoint, tokens)
    deadline = time.perf_counter() + seconds
    connections = connections or CONNECTIONS
    cap = 100_000 // connections
    latencies: list[list[float]] = [[] for _ in range(connections)]
    failures = [0] * connections

    def worker(index: int) -> None:
        while time.perf_counter() < deadline and len(latencies[index]) < cap:
            body = endpoint.body.replace("@ID@", str(uuid.uuid4())).encode() if endpoint.body else None
            started = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                conn.request(endpoint.method, endpoint.path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    failures[index] += 1
            except (OSError, http.client.HTTPException):
                failures[index] += 1
            finally:
                conn.close()
            latencies[index].append(time.perf_counter() - started)

    began = time.perf_counter()
    workers = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    elapsed = time.perf_counter() - began
    samples = sorted(s * 1000 for chunk in latencies for s in chunk)
    quantiles = [samples[min(len(samples) - 1, int(i / 1000 * len(samples)))] for i in range(1, 1001)]
    return {"requests": len(samples), "seconds": elapsed, "quantiles_ms": quantiles,
            "max_ms": samples[-1], "errors": {"status_errors": sum(failures)}}


def pooled(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of several runs of one endpoint as one: throughput over the total time, and
    percentiles of the pooled latencies (each run's 1,000 quantiles weighted by its requests)."""
    requests = sum(r["requests"] for r in runs)
    seconds = sum(r["seconds"] for r in runs)
    points = sorted((q, r["requests"] / 1000) for r in runs for q in r["quantiles_ms"])
    total = sum(weight for _, weight in points)

    def percentile(p: float) -> float:
        cumulative = 0.0
        for value, weight in points:
            cumulative += weight
            if cumulative >= p / 100 * total - 1e-9:
                return round(value, 2)
        return round(points[-1][0], 2)

    errors: dict[str, int] = {}
    for run in runs:
        for key, value in run["errors"].items():
            errors[key] = errors.get(key, 0) + value
    return {"requests": requests, "seconds": round(seconds, 2),
            "req_per_s": round(requests / seconds, 1) if seconds else 0.0,
            "p50_ms": percentile(50), "p90_ms": percentile(90), "p99_ms": percentile(99),
            "max_ms": round(max(r["max_ms"] for r in runs), 2), "errors": errors,
            "rounds_req_per_s": [round(r["requests"] / r["seconds"], 1) for r in runs],
            "rounds_p50_ms": [round(r["quantiles_ms"][499], 2) for r in runs]}


def settle(port: int, workers: int = 2, timeout: float = 60) -> float:
    """Wait until the server is idle: when wrk stops, the requests already accepted by gunicorn
    still run, and would slow down the start of the next measurement. Idle is when `workers`
    concurrent bare requests all answer within 100 ms. Returns the seconds waited."""
    started = time.perf_counter()

    def one() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            conn.request("GET", "/bench/bare/", headers={"X-Forwarded-Proto": "https"})
            conn.getresponse().read()
        finally:
            conn.close()

    while time.perf_counter() - started < timeout:
        began = time.perf_counter()
        threads = [threading.Thread(target=one) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if time.perf_counter() - began < 0.1:
            break
    return time.perf_counter() - started


def probe(port: int, endpoint: Endpoint, tokens: dict[str, str]) -> dict[str, Any]:
    """One request before the load: the endpoint answers what it should (no redirect, no 401)."""
    body = endpoint.body.replace("@ID@", str(uuid.uuid4())).encode() if endpoint.body else None
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(endpoint.method, endpoint.path, body=body, headers=_headers(endpoint, tokens))
        response = conn.getresponse()
        raw = response.read()
    finally:
        conn.close()
    if response.status != endpoint.expect:
        raise RuntimeError(f"{endpoint.method} {endpoint.path} answered {response.status}, "
                           f"not {endpoint.expect}: {raw[:300]!r}")
    data = json.loads(raw)
    shape: dict[str, Any] = {"status": response.status, "bytes": len(raw)}
    if isinstance(data, dict) and "results" in data:
        shape |= {"count": data.get("count"), "rows": len(data["results"])}
    if isinstance(data, dict) and "days" in data:
        shape |= {"days": len(data["days"])}
    return shape


# ---------------------------------------------------------------------------------------------
# The database, the seed, the server
# ---------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_redis_db(candidates: tuple[int, ...] = (14, 13, 15)) -> str:
    """A Redis database nobody uses (no keys), or "" for none (Tend then uses its file cache)."""
    try:
        import redis
    except ImportError:
        return ""
    for number in candidates:
        url = f"redis://127.0.0.1:6379/{number}"
        try:
            if redis.Redis.from_url(url, socket_connect_timeout=1).dbsize() == 0:
                return url
        except redis.RedisError:
            return ""
    return ""


def manage(env: dict[str, str], *arguments: str, logfile: Path) -> float:
    started = time.perf_counter()
    with logfile.open("a") as out:
        out.write(f"\n$ manage.py {' '.join(arguments)}\n")
        out.flush()
        done = subprocess.run([sys.executable, "manage.py", *arguments], cwd=ROOT, env=env,
                              stdout=out, stderr=subprocess.STDOUT, check=False)
    if done.returncode:
        tail = logfile.read_text()[-2000:]
        raise RuntimeError(f"manage.py {arguments[0]} failed ({done.returncode}):\n{tail}")
    return time.perf_counter() - started


def open_review_queue(url: str) -> int:
    """ANALYZE, for the planner, and count the photos waiting in bench.nurse's review queue
    (seed_scale leaves the photos of the last three days unreviewed: more than a page)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")
        return conn.execute(
            """
            SELECT count(*) FROM tracker_photo p
            JOIN tracker_careteammembership m ON m.patient_id = p.patient_id
            JOIN tracker_user s ON s.id = m.staff_id AND s.username = %s
            WHERE p.status = 'ready' AND p.reviewed_at IS NULL AND p.entered_in_error_at IS NULL
            """, (NURSE,)).fetchone()[0]


def find_subjects(url: str) -> dict[str, Any]:
    """Two patients of bench.nurse with an active course: one whose records are read, one who
    writes (so that the created applications never change what the reads return)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            """
            SELECT p.id::text, u.id::text, u.username, c.id::text, c.start_date, c.end_date,
                   (SELECT count(*) FROM tracker_application a WHERE a.course_id = c.id)
            FROM tracker_careteammembership m
            JOIN tracker_user s ON s.id = m.staff_id AND s.username = %s
            JOIN tracker_patient p ON p.id = m.patient_id
            JOIN tracker_user u ON u.id = p.user_id
            JOIN tracker_treatmentcourse c ON c.patient_id = p.id AND c.status = 'active'
            ORDER BY u.username LIMIT 2
            """, (NURSE,)).fetchall()
        if len(rows) < 2:
            raise RuntimeError(f"seed_scale left fewer than 2 patients with an active course for {NURSE}")
        nurse_patients = conn.execute(
            "SELECT count(*) FROM tracker_careteammembership m JOIN tracker_user s ON s.id = m.staff_id "
            "WHERE s.username = %s", (NURSE,)).fetchone()[0]
        sizes = {}
        for table in ("tracker_patient", "tracker_treatmentcourse", *BIG_TABLES):
            sizes[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
        db_bytes = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        today = conn.execute("SELECT (now() AT TIME ZONE 'UTC')::date").fetchone()[0]

    def subject(row: tuple[Any, ...]) -> dict[str, Any]:
        return {"patient": row[0], "user": row[1], "username": row[2], "course": row[3],
                "course_start": row[4].isoformat(), "course_end": row[5] and row[5].isoformat(),
                "course_applications": row[6]}

    return {"read": subject(rows[0]), "write": subject(rows[1]), "nurse_patients": nurse_patients,
            "rows": sizes, "database_mb": round(db_bytes / 2**20), "today_utc": today.isoformat()}


class Gunicorn:
    def __init__(self, env: dict[str, str], logfile: Path) -> None:
        self.port = free_port()
        self.logfile = logfile
        command = [str(BIN / "gunicorn"), "config.wsgi:application", "--workers", "2",
                   "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning",
                   "--error-logfile", str(logfile)]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.logfile.read_text()[-1500:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/bench/bare/", headers={"X-Forwarded-Proto": "https"})
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer in time")

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # the master stops its workers
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)  # the group this run started
            self.process.wait(timeout=10)


def get_token(port: int, username: str, password: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", "/api/v1/auth/token/",
                     body=json.dumps({"username": username, "password": password}),
                     headers={"Content-Type": "application/json", "X-Forwarded-Proto": "https"})
        response = conn.getresponse()
        raw = response.read()
    finally:
        conn.close()
    if response.status != 200:
        raise RuntimeError(f"signing in as {username} answered {response.status}: {raw[:200]!r}")
    return str(json.loads(raw)["token"])


# ---------------------------------------------------------------------------------------------
# The scales
# ---------------------------------------------------------------------------------------------

class Scale:
    """One clinic size: its throwaway database, its server, its figures."""

    def __init__(self, args: argparse.Namespace, patients: int) -> None:
        self.args = args
        self.base = _common.postgres_base()
        self.reuse = bool(args.reuse_database)
        self.name = args.reuse_database or _common.throwaway_name("tend_http")
        self.url = f"{self.base}/{self.name}"
        self.data_dir = Path(tempfile.mkdtemp(prefix="tend-http-"))
        (self.data_dir / "static").mkdir()
        self.logfile = self.data_dir / "log.txt"
        redis_url = free_redis_db()
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("DJANGO_", "TEND_", "DATABASE_URL", "REDIS_URL", "CELERY_"))}
        self.env.update(DJANGO_SETTINGS_MODULE="config.settings_bench", DATABASE_URL=self.url,
                        REDIS_URL=redis_url, DJANGO_DEBUG="0", DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
                        DJANGO_ALLOWED_HOSTS="127.0.0.1", TEND_DATA_DIR=str(self.data_dir),
                        TEND_BENCH_RUN_ID=self.name, PYTHONPATH=str(ROOT))
        self.result: dict[str, Any] = {"patients": patients, "days": args.days, "database": self.name,
                                       "redis": redis_url or "none (file cache)"}
        self.server: Gunicorn | None = None
        self.created = False
        self.plan: list[Endpoint] = []
        self.tokens: dict[str, str] = {}
        self.runs: dict[str, list[dict[str, Any]]] = {}

    @property
    def patients(self) -> int:
        return int(self.result["patients"])

    def prepare(self) -> None:
        """Create, migrate and seed the database; find whom the requests are about."""
        args, result = self.args, self.result
        log(f"--- {self.patients} patients x {args.days} days: database {self.name}, "
            f"Redis {self.env['REDIS_URL'] or 'none'}")
        if not self.reuse:
            _common.create_database(self.base, self.name)
            self.created = True
        result["migrate_s"] = round(manage(self.env, "migrate", "--noinput", "-v", "0",
                                           logfile=self.logfile), 1)
        log(f"migrated in {result['migrate_s']} s; seeding...")
        seed = ["seed_scale", "--patients", str(self.patients), "--days", str(args.days),
                "--password", args.password, "--force"]
        result["seed_s"] = 0.0 if self.reuse else round(manage(self.env, *seed, logfile=self.logfile), 1)
        started = time.perf_counter()
        result["unreviewed_photos"] = open_review_queue(self.url)
        result["analyze_s"] = round(time.perf_counter() - started, 1)
        subjects = result["subjects"] = find_subjects(self.url)
        log(f"seeded in {result['seed_s']} s ({result['unreviewed_photos']} photos in the nurse's "
            f"review queue, ANALYZE {result['analyze_s']} s): "
            + ", ".join(f"{t.removeprefix('tracker_')} {n:,}" for t, n in subjects["rows"].items())
            + f"; {subjects['database_mb']:,} MB")

    def start(self) -> None:
        """Start gunicorn on this database, sign in, and check each endpoint once."""
        subjects = self.result["subjects"]
        self.server = Gunicorn(self.env, self.data_dir / "gunicorn.log")
        self.server.wait_ready()
        self.tokens = {"nurse": get_token(self.server.port, NURSE, self.args.password),
                       "patient": get_token(self.server.port, subjects["write"]["username"],
                                            self.args.password)}
        self.plan = endpoints(subjects)
        self.result["endpoints"] = [asdict(e) for e in self.plan]
        self.result["probes"] = {e.name: probe(self.server.port, e, self.tokens) for e in self.plan}
        self.runs = {e.name: [] for e in self.plan}
        self.latency_runs: dict[str, dict[str, Any]] = {}

    def measure(self, generator: str | None, endpoint: Endpoint, seconds: int,
                connections: int | None = None) -> dict[str, Any]:
        assert self.server is not None
        if generator is None:
            return run_python_client(self.server.port, endpoint, self.tokens, seconds, connections)
        return run_wrk(generator, self.server.port, endpoint, self.tokens, seconds, connections)

    def finish_http(self) -> None:
        self.result["http"] = {e.name: {"label": e.label, **pooled(self.runs[e.name])} for e in self.plan}
        for name, run in self.latency_runs.items():
            figures = pooled([run])
            self.result["http"][name]["unqueued"] = {
                "connections": LATENCY_CONNECTIONS, **{k: figures[k] for k in (
                    "requests", "seconds", "req_per_s", "p50_ms", "p90_ms", "p99_ms", "max_ms", "errors")}}
            self.runs[name].append(run)  # its errors count too
        failed = {n: f["errors"] for n, f in self.result["http"].items() if sum(f["errors"].values())}
        if failed:
            raise RuntimeError(f"requests failed under load at {self.patients}: {failed}")
        self.stop()

    def inprocess(self) -> None:
        log(f"in-process at {self.patients}: queries, EXPLAIN, split, one-year adherence...")
        spec = {"endpoints": self.result["endpoints"], "tokens": self.tokens,
                "subjects": self.result["subjects"], "repeats": self.args.repeats}
        spec_file = self.data_dir / "spec.json"
        spec_file.write_text(json.dumps(spec))
        found, done = _common.run_child(__file__, ["--child", str(spec_file)], self.env)
        if done.returncode or found is None:
            raise RuntimeError(f"the in-process child failed ({done.returncode}): {done.stdout[-2000:]}")
        self.result["inprocess"] = found

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def show_logs(self) -> None:
        for path in (self.logfile, self.data_dir / "gunicorn.log"):
            if path.exists():
                print(path.read_text()[-3000:], file=sys.stderr)

    def cleanup(self) -> None:
        self.stop()
        if self.created:
            _common.drop_database(self.base, self.name)
            log(f"dropped {self.name}")
        shutil.rmtree(self.data_dir, ignore_errors=True)


def run_scales(args: argparse.Namespace, sizes: list[int], generator: str | None) -> list[dict[str, Any]]:
    """Seed every scale, then load them interleaved: each endpoint's time is split into rounds, in
    order then in reverse order (A B C ... C B A), and within a round each endpoint runs at every
    scale back to back, the first scale alternating. A machine that speeds up or slows down during
    the run weighs on every endpoint and every scale alike, so the ratios to the baselines and
    between the scales stay fair."""
    scales = [Scale(args, patients) for patients in sizes]
    try:
        for scale in scales:
            scale.prepare()
        for scale in scales:
            scale.start()
        rounds = max(1, min(args.rounds, args.seconds))
        per_round = max(1, round(args.seconds / rounds))
        load_before = _common.load_average()
        names = [e.name for e in scales[0].plan]
        for number in range(rounds):
            for index, name in enumerate(names if number % 2 == 0 else names[::-1]):
                order = scales if (number + index) % 2 == 0 else scales[::-1]
                for scale in order:
                    endpoint = next(e for e in scale.plan if e.name == name)
                    assert scale.server is not None
                    if number == 0:
                        scale.measure(generator, endpoint, WARMUP_SECONDS if not args.quick else 1)
                    settle(scale.server.port)
                    run = scale.measure(generator, endpoint, per_round)
                    scale.runs[name].append(run)
                    log(f"round {number + 1}/{rounds} {scale.patients:>6}  {endpoint.label:<44} "
                        f"{run['requests'] / run['seconds']:>8.1f} req/s  p50 "
                        f"{run['quantiles_ms'][499]:>7.2f} ms  p99 {run['quantiles_ms'][989]:>7.2f} ms"
                        f"  errors {sum(run['errors'].values())}")
        if args.latency_seconds > 0:
            for index, name in enumerate(names):
                for scale in (scales if index % 2 == 0 else scales[::-1]):
                    endpoint = next(e for e in scale.plan if e.name == name)
                    assert scale.server is not None
                    settle(scale.server.port)
                    run = scale.measure(generator, endpoint, args.latency_seconds, LATENCY_CONNECTIONS)
                    scale.latency_runs[name] = run
                    log(f"latency, {LATENCY_CONNECTIONS} connections {scale.patients:>6}  "
                        f"{endpoint.label:<44} {run['requests'] / run['seconds']:>8.1f} req/s  p50 "
                        f"{run['quantiles_ms'][499]:>7.2f} ms  p99 {run['quantiles_ms'][989]:>7.2f} ms")
        load_after = _common.load_average()
        for scale in scales:
            scale.result["load_before"], scale.result["load_after"] = load_before, load_after
            scale.finish_http()
        for scale in scales:
            scale.inprocess()
    except BaseException:
        for scale in scales:
            scale.show_logs()
        raise
    finally:
        for scale in scales:
            scale.cleanup()
    return [scale.result for scale in scales]


# ---------------------------------------------------------------------------------------------
# The in-process child: queries, plans, split of the time, adherence
# ---------------------------------------------------------------------------------------------

def _package(filename: str) -> str:
    path = filename.replace("\\", "/")
    for marker, label in (("/psycopg", "psycopg"), ("/django/db/", "django.db (ORM)"),
                          ("/rest_framework/", "rest_framework"), ("/django_filters/", "django_filters"),
                          ("/django/", "django (other)")):
        if marker in path:
            return label
    if str(ROOT / "api") in path:
        return "tend: api"
    if str(ROOT / "tracker") in path:
        return "tend: tracker"
    if path.startswith("~") or ("/python3." in path and "site-packages" not in path):
        return "python stdlib / builtins"
    return "other"


def _profile(fn: Any, runs: int) -> dict[str, Any]:
    profiler = _common.profiled(fn, runs)
    stats = pstats.Stats(profiler)
    by_package: dict[str, float] = {}
    total = 0.0
    ours: list[tuple[float, str]] = []
    for (filename, line, name), (_cc, _nc, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        by_package[_package(filename)] = by_package.get(_package(filename), 0.0) + tottime
        total += tottime
        if _package(filename).startswith("tend"):
            where = Path(filename).resolve().relative_to(ROOT)
            ours.append((cumtime, f"{where}:{line}({name})"))
    # Less the middleware and dispatch wrappers, which hold the whole request.
    ours = sorted((item for item in ours if item[0] < 0.9 * total), reverse=True)
    text = _common.own_time_table(profiler, 14)
    text = text[text.find("   ncalls"):] if "   ncalls" in text else text
    return {"runs": runs,
            "own_time_by_package_percent": {k: round(100 * v / total, 1) for k, v in
                                            sorted(by_package.items(), key=lambda kv: -kv[1])},
            "tend_functions_by_cumulative_percent": {name: round(100 * cum / total, 1)
                                                     for cum, name in ours[:12]},
            "top_by_own_time": text.rstrip()}


def _walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    found = [node]
    for child in node.get("Plans", []):
        found += _walk(child)
    return found


def _explain(connection: Any, sql: str) -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        text = "\n".join(row[0] for row in cursor.fetchall())
    nodes = _walk(plan[0]["Plan"])
    seq = sorted({n.get("Relation Name", "") for n in nodes if n["Node Type"] == "Seq Scan"})
    indexes = sorted({n["Index Name"] for n in nodes if "Index Name" in n})
    return {"sql": sql, "plan": text, "seq_scans": seq, "big_seq_scans": [t for t in seq if t in BIG_TABLES],
            "indexes": indexes, "execution_ms": round(plan[0].get("Execution Time", 0.0), 3)}


def child_main(spec_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text())
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tracker.models import TreatmentCourse
    from tracker.selectors.adherence import course_adherence

    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    repeats = int(spec["repeats"])
    out: dict[str, Any] = {"endpoints": {}, "plans": []}
    explained: set[str] = set()

    def check_plans(owner: str, queries: list[str]) -> list[int]:
        numbers = []
        for sql in queries:
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")) or sql in explained:
                continue
            explained.add(sql)
            out["plans"].append({"endpoint": owner, **_explain(connection, sql)})
            numbers.append(len(out["plans"]) - 1)
        return numbers

    sql_time = [0.0]

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_time[0] += time.perf_counter() - started

    def caller(endpoint: Endpoint) -> Any:
        extra = {"HTTP_AUTHORIZATION": f"Bearer {spec['tokens'][endpoint.who]}"} if endpoint.who else {}

        def call() -> None:
            if endpoint.method == "GET":
                response = client.get(endpoint.path, **extra)
            else:
                body = endpoint.body.replace("@ID@", str(uuid.uuid4()))
                response = client.post(endpoint.path, data=body, content_type="application/json", **extra)
            if response.status_code != endpoint.expect:
                raise RuntimeError(f"{endpoint.path}: {response.status_code} {response.content[:300]!r}")

        return call

    plan = [Endpoint(**raw) for raw in spec["endpoints"]]
    calls = {endpoint.name: caller(endpoint) for endpoint in plan}
    captured_sql: dict[str, list[str]] = {}
    for name, call in calls.items():
        call()  # warm
        with CaptureQueriesContext(connection) as captured:
            call()
        captured_sql[name] = [q["sql"] for q in captured.captured_queries]
    # Timed round-robin, every endpoint once per round, so that the machine's drift between
    # endpoints cancels out of the ratios.
    totals: dict[str, list[float]] = {name: [] for name in calls}
    sqls: dict[str, list[float]] = {name: [] for name in calls}
    with connection.execute_wrapper(timed):
        for _ in range(repeats):
            for name, call in calls.items():
                sql_time[0] = 0.0
                started = time.perf_counter()
                call()
                totals[name].append(time.perf_counter() - started)
                sqls[name].append(sql_time[0])
    for name, call in calls.items():
        median_total = statistics.median(totals[name]) * 1000
        median_sql = statistics.median(sqls[name]) * 1000
        out["endpoints"][name] = {
            "runs": len(totals[name]), "queries": len(captured_sql[name]),
            "median_ms": round(median_total, 2),
            "p99_ms": round(_common.nearest_rank(totals[name], 0.99) * 1000, 2),
            "min_ms": round(min(totals[name]) * 1000, 2), "max_ms": round(max(totals[name]) * 1000, 2),
            "sql_median_ms": round(median_sql, 2), "python_median_ms": round(median_total - median_sql, 2),
            "sql_statements": [q[:160] for q in captured_sql[name]],
            "plans": check_plans(name, captured_sql[name]),
            "profile": _profile(call, max(10, repeats // 2)),
        }

    # Adherence of the one-year course, as the view computes it (course fetched with its patient).
    course = TreatmentCourse.objects.select_related("patient").get(pk=spec["subjects"]["read"]["course"])
    with CaptureQueriesContext(connection) as captured:
        first = course_adherence(course=course)
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        course_adherence(course=course)
        samples.append(time.perf_counter() - started)
    out["adherence_one_year"] = {
        "runs": repeats, "period_days": len(first.days), "expected": first.expected,
        "applied": first.applied, "queries": len(captured.captured_queries),
        "median_ms": round(statistics.median(samples) * 1000, 2),
        "p99_ms": round(_common.nearest_rank(samples, 0.99) * 1000, 2),
        "min_ms": round(min(samples) * 1000, 2), "max_ms": round(max(samples) * 1000, 2),
        "plans": check_plans("adherence (one year, in-process)",
                             [q["sql"] for q in captured.captured_queries]),
        "profile": _profile(lambda: course_adherence(course=course), repeats),
    }
    _common.send_result(out)
    return 0


# ---------------------------------------------------------------------------------------------
# Summary and tables
# ---------------------------------------------------------------------------------------------

def summarise(result: dict[str, Any]) -> None:
    """Ratios and goal checks, added to `result` in place."""
    goals: list[dict[str, Any]] = []
    for scale in result["scales"]:
        http_ = scale["http"]
        for figures in http_.values():
            rates = figures["rounds_req_per_s"]
            if len(rates) > 1:  # how far apart the rounds of one endpoint were: the machine's drift
                spread = (max(rates) - min(rates)) / statistics.fmean(rates)
                figures["spread_percent"] = round(100 * spread, 1)
        for endpoint in scale["endpoints"]:
            figures = http_[endpoint["name"]]
            if not endpoint["baseline"]:
                continue
            figures["baseline"] = endpoint["baseline"]
            figures["ratio"] = round(figures["req_per_s"] / http_[endpoint["baseline"]]["req_per_s"], 2)
            # p99 without queueing when it was measured (with 8 connections on 2 workers a request
            # waits for about 3 others: that p99 is shown, but measures the queue, not the request).
            p99 = figures.get("unqueued", figures)["p99_ms"]
            ok_ratio, ok_p99 = figures["ratio"] >= RATIO_MIN, p99 < P99_MS_MAX
            goals.append({"goal": f"{endpoint['label']} at {scale['patients']}: ratio >= {RATIO_MIN}",
                          "value": figures["ratio"], "met": ok_ratio})
            where = f", {LATENCY_CONNECTIONS} connections" if "unqueued" in figures else ""
            goals.append({"goal": f"{endpoint['label']} at {scale['patients']}: p99 < {P99_MS_MAX:.0f} ms"
                                  f"{where}", "value": p99, "met": ok_p99})
            figures["goals_met"] = ok_ratio and ok_p99
        inprocess = scale["inprocess"]["endpoints"]
        for endpoint in scale["endpoints"]:
            if endpoint["baseline"]:  # the same sense as the req/s ratio: >= 1 when Tend is faster
                figures, base = inprocess[endpoint["name"]], inprocess[endpoint["baseline"]]
                figures["ratio"] = round(base["median_ms"] / figures["median_ms"], 2)
        adherence = scale["inprocess"]["adherence_one_year"]
        goals.append({"goal": f"one-year adherence at {scale['patients']}: "
                              f"median < {ADHERENCE_MS_MAX:.0f} ms",
                      "value": adherence["median_ms"], "met": adherence["median_ms"] < ADHERENCE_MS_MAX})
        big = [p for p in scale["inprocess"]["plans"] if p["big_seq_scans"]]
        goals.append({"goal": f"hot queries at {scale['patients']}: no Seq Scan on a big table",
                      "value": f"{len(big)} of {len(scale['inprocess']['plans'])} plans",
                      "met": not big})
    scales = result["scales"]
    if len(scales) > 1:
        small, large = scales[0], scales[-1]
        growth = {}
        for name, figures in large["http"].items():
            if name not in small["http"]:
                continue
            ratio = round(figures["p50_ms"] / small["http"][name]["p50_ms"], 2)
            growth[name] = {"label": figures["label"], "p50_small_ms": small["http"][name]["p50_ms"],
                            "p50_large_ms": figures["p50_ms"], "ratio": ratio}
            if any(e["name"] == name and e["baseline"] for e in large["endpoints"]):
                goals.append({"goal": f"{figures['label']}: median at {large['patients']} <= "
                                      f"{GROWTH_MAX}x at {small['patients']}",
                              "value": ratio, "met": ratio <= GROWTH_MAX})
        in_small = small["inprocess"]["endpoints"]
        for name, figures in large["inprocess"]["endpoints"].items():
            if name in in_small:
                growth[name]["inprocess_ratio"] = round(figures["median_ms"] / in_small[name]["median_ms"], 2)
        result["scale_growth"] = growth
    result["goals"] = goals


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


def print_tables(result: dict[str, Any]) -> None:
    print("\n## Plans checked (EXPLAIN (ANALYZE, BUFFERS) of each SELECT the endpoints ran)")
    for scale in result["scales"]:
        print(f"\n### {scale['patients']:,} patients")
        for plan in scale["inprocess"]["plans"]:
            verdict = ("SEQ SCAN on " + ", ".join(plan["big_seq_scans"])) if plan["big_seq_scans"] else (
                "indexes: " + (", ".join(plan["indexes"]) or "none needed") +
                (f"; seq scan of small {', '.join(small)}" if (small := [
                    t for t in plan["seq_scans"] if t not in BIG_TABLES]) else ""))
            print(f"\n[{plan['endpoint']}] {plan['execution_ms']} ms -- {verdict}")
            print(f"  SQL: {_cut(plan['sql'], 300)}")
            for line in plan["plan"].splitlines():
                print("  " + _cut(line, 200))
    print()
    print(f"Tend HTTP benchmark, {result['date']}: {result['machine']['cpus']} CPUs, "
          f"{result['machine']['memory_gb']} GB; generator {result['generator']}, "
          f"gunicorn 2 sync workers, {THREADS} threads x {CONNECTIONS} connections, "
          f"{result['seconds']} s per endpoint after a warm-up")
    for scale in result["scales"]:
        subjects = scale["subjects"]
        print(f"\n## {scale['patients']:,} patients x {scale['days']} days "
              f"(applications {subjects['rows']['tracker_application']:,}, symptoms "
              f"{subjects['rows']['tracker_symptomentry']:,}, photos {subjects['rows']['tracker_photo']:,}; "
              f"seeded in {scale['seed_s']} s; load {scale['load_before']} -> {scale['load_after']})")
        print(f"{'endpoint':<44} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}  {'ratio':>6}  {'vs':<13} "
              f"{'goals':>5}  {'rounds req/s':<16} {'2 conn. p50/p99 ms':>18}")
        for figures in scale["http"].values():
            ratio = f"{figures['ratio']:.2f}" if "ratio" in figures else ""
            met = "" if "goals_met" not in figures else ("yes" if figures["goals_met"] else "NO")
            rounds = " / ".join(f"{r:.0f}" for r in figures["rounds_req_per_s"])
            versus = figures.get("baseline", "")
            alone = figures.get("unqueued")
            unqueued = f"{alone['p50_ms']:.1f} / {alone['p99_ms']:.1f}" if alone else ""
            print(f"{figures['label']:<44} {figures['req_per_s']:>8.1f} {figures['p50_ms']:>8.2f} "
                  f"{figures['p99_ms']:>8.2f}  {ratio:>6}  {versus:<13} {met:>5}  {rounds:<16} "
                  f"{unqueued:>18}")
        print(f"\nin-process, one request at a time (Django test client, same database, "
              f"{result['repeats']} runs): queries, median time and its split (medians), p99 (nearest "
              "rank), min and max; ratio = the baseline's median / this one's")
        print(f"{'endpoint':<44} {'queries':>7} {'median ms':>9} {'p99 ms':>7} {'min ms':>7} {'max ms':>7} "
              f"{'SQL ms':>7} {'Python ms':>9} {'ratio':>6}")
        for name, figures in scale["inprocess"]["endpoints"].items():
            label = scale["http"][name]["label"]
            ratio = f"{figures['ratio']:.2f}" if "ratio" in figures else ""
            print(f"{label:<44} {figures['queries']:>7} {figures['median_ms']:>9.2f} "
                  f"{figures['p99_ms']:>7.2f} {figures['min_ms']:>7.2f} {figures['max_ms']:>7.2f} "
                  f"{figures['sql_median_ms']:>7.2f} {figures['python_median_ms']:>9.2f} {ratio:>6}")
        adherence = scale["inprocess"]["adherence_one_year"]
        print(f"\nadherence of the one-year course in-process ({adherence['period_days']} days, "
              f"{adherence['queries']} queries): median {adherence['median_ms']} ms "
              f"(min {adherence['min_ms']}, max {adherence['max_ms']}; goal < {ADHERENCE_MS_MAX:.0f} ms)")
    if "scale_growth" in result:
        small, large = result["scales"][0]["patients"], result["scales"][-1]["patients"]
        print(f"\n## Median at {large:,} patients / median at {small:,} (goal <= {GROWTH_MAX})")
        print(f"{'endpoint':<44} {'p50 ' + str(small):>10} {'p50 ' + str(large):>10} {'ratio':>6} "
              f"{'in-process':>10}")
        for figures in result["scale_growth"].values():
            inproc = figures.get("inprocess_ratio")
            print(f"{figures['label']:<44} {figures['p50_small_ms']:>10.2f} {figures['p50_large_ms']:>10.2f} "
                  f"{figures['ratio']:>6.2f} {inproc if inproc is not None else '':>10}")
    missed = [g for g in result["goals"] if not g["met"]]
    print("\n## Goals")
    for goal in result["goals"]:
        print(f"  {'met ' if goal['met'] else 'MISS'}  {goal['goal']}: {goal['value']}")
    if missed:
        print("\n## Where the time goes (cProfile in-process, own time) for endpoints that missed a goal")
        names = {e["name"] for s in result["scales"] for e in s["endpoints"]
                 if not s["http"][e["name"]].get("goals_met", True)}
        if "scale_growth" in result:
            names |= {n for n, g in result["scale_growth"].items() if g["ratio"] > GROWTH_MAX}
        scale = result["scales"][-1]
        for name in sorted(names):
            if name not in scale["inprocess"]["endpoints"]:
                continue
            profile = scale["inprocess"]["endpoints"][name]["profile"]
            print(f"\n### {scale['http'][name]['label']} at {scale['patients']:,}")
            print(f"own time by package, %: {profile['own_time_by_package_percent']}")
            print("Tend's functions by cumulative time, %:")
            for function, percent in profile["tend_functions_by_cumulative_percent"].items():
                print(f"  {percent:>5.1f}  {function}")
            print(profile["top_by_own_time"])


def versions(wrk: str | None) -> dict[str, str]:
    installed = _common.package_versions(("django", "djangorestframework", "gunicorn", "psycopg"))
    found = {"python": platform.python_version(), **{k: v for k, v in installed.items() if v is not None}}
    if wrk:
        done = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
        found["wrk"] = (done.stdout or done.stderr).splitlines()[0] if (done.stdout or done.stderr) else "?"
    with contextlib.suppress(Exception):
        import redis

        server = redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).info("server")
        found["redis"] = str(server["redis_version"])
    with contextlib.suppress(Exception):
        import psycopg

        with psycopg.connect(f"{_common.postgres_base()}/postgres") as conn:
            found["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]
    return found


def machine() -> dict[str, Any]:
    """The machine's facts, with a CPU model and memory even where /proc does not tell them: the
    tables print both."""
    found = _common.machine()
    found.setdefault("cpu_model", platform.processor() or "?")
    found.setdefault("memory_gb", 0.0)
    return found


def main() -> int:
    global CONNECTIONS, THREADS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="500,5000", help="patients per scale, comma-separated")
    parser.add_argument("--days", type=int, default=365, help="days of records per patient")
    parser.add_argument("--seconds", type=int, default=10, help="measured seconds per endpoint")
    parser.add_argument("--rounds", type=int, default=2,
                        help="split each endpoint's seconds into this many rounds, alternating the order")
    parser.add_argument("--repeats", type=int, default=30, help="in-process runs per measurement")
    parser.add_argument("--password", default=DEFAULT_PASSWORD, help="seed_scale's password")
    parser.add_argument("--quick", action="store_true", help="40 patients x 60 days, 3 s: a smoke check")
    parser.add_argument("--latency-seconds", type=int, default=5,
                        help=f"seconds per endpoint of the latency pass at {LATENCY_CONNECTIONS} connections "
                             "(0: none)")
    parser.add_argument("--connections", type=int, default=CONNECTIONS,
                        help="concurrent connections (1 shows the service time without queueing)")
    parser.add_argument("--python-client", action="store_true", help="use the Python client, not wrk")
    parser.add_argument("--reuse-database", metavar="NAME",
                        help="an existing, seeded database to load (one scale; not seeded, not dropped)")
    parser.add_argument("--output", type=Path, help="where to write the figures (default "
                        "bench/results/http.json; http-quick.json for --quick and --reuse-database)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    CONNECTIONS, THREADS = max(1, args.connections), min(THREADS, max(1, args.connections))
    if args.child:
        return child_main(args.child)
    if args.quick:
        if args.scales == parser.get_default("scales"):
            args.scales = "40"
        if args.days == parser.get_default("days"):
            args.days = 60
        if args.seconds == parser.get_default("seconds"):
            args.seconds = 3
        if args.latency_seconds == parser.get_default("latency_seconds"):
            args.latency_seconds = 1
        args.repeats = min(args.repeats, 10)
    scales = [int(s) for s in args.scales.split(",") if s.strip()]
    if args.reuse_database and len(scales) != 1:
        parser.error("--reuse-database takes one scale: --scales N, the patients it holds")
    wrk = None if args.python_client else find_wrk(allow_install=True)
    if wrk is None and not args.python_client:
        raise SystemExit(f"wrk is missing and could not be installed (apt-get runs only as root, on "
                         f"Debian): install it with `{WRK_INSTALL}` and run again, or pass --python-client "
                         "to load the server with the bounded Python client (weaker: its threads share "
                         "one GIL, on the server's cores).")
    log(f"generator: {wrk or 'the bounded Python client'}; scales {scales} x {args.days} days; "
        f"load average {_common.load_average()} on {os.cpu_count()} CPUs")
    started = time.perf_counter()
    result: dict[str, Any] = {
        "argv": _common.command_argv(__file__),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {**machine(), "load_average_start": _common.load_average()},
        "versions": versions(wrk), "generator": f"wrk ({wrk})" if wrk else "python client",
        "quick": bool(args.quick), "latency_seconds": args.latency_seconds,
        "latency_connections": LATENCY_CONNECTIONS,
        "seconds": args.seconds, "rounds": args.rounds, "warmup_seconds": WARMUP_SECONDS, "threads": THREADS,
        "connections": CONNECTIONS, "days": args.days, "repeats": args.repeats,
        "goals_set": {"ratio_min": RATIO_MIN, "p99_ms_max": P99_MS_MAX, "scale_ratio_max": GROWTH_MAX,
                      "adherence_ms_max": ADHERENCE_MS_MAX, "big_tables": BIG_TABLES},
        "scales": [],
    }
    result["scales"] = run_scales(args, scales, wrk)
    result["machine"]["load_average_end"] = _common.load_average()
    result["total_s"] = round(time.perf_counter() - started, 1)
    summarise(result)
    target = args.output or (QUICK_RESULTS if args.quick or args.reuse_database else RESULTS)
    _common.write_json(target, result)
    print_tables(result)
    print(f"\nWritten to {_common.shown(target)} in {result['total_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
