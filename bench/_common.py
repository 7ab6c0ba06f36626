"""What the benchmark scripts share: the throwaway PostgreSQL database of a run, the facts of the
machine and the versions a run records, nearest-rank percentiles, cProfile's table, the child
processes that report one JSON line to their parent, and the JSON a run writes.

Standard library only at import: psycopg and Django are imported inside the functions that need
them, so that bench/results.py (standard library only) can import this file too.
"""

from __future__ import annotations

import cProfile
import io
import json
import math
import os
import platform
import pstats
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432"
RESULT_MARK = "BENCH_JSON "  # a child's line of JSON for its parent, among whatever else it prints


# ---------------------------------------------------------------------------------------------
# The throwaway database
# ---------------------------------------------------------------------------------------------

def postgres_base() -> str:
    """The benchmarks' PostgreSQL server, without a database: TEND_BENCH_POSTGRES, else
    127.0.0.1:5432 as `postgres` (like the tests)."""
    return os.environ.get("TEND_BENCH_POSTGRES", DEFAULT_POSTGRES).rstrip("/")


def throwaway_name(prefix: str) -> str:
    """A database name nobody else uses: `prefix` and 8 random hex digits."""
    return f"{prefix}_{secrets.token_hex(4)}"


def _admin_sql(base: str, statement: str, name: str) -> None:
    """CREATE or DROP a database, from the server's `postgres` database."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL(statement).format(sql.Identifier(name)))


def create_database(base: str, name: str) -> None:
    _admin_sql(base, "CREATE DATABASE {}", name)


def drop_database(base: str, name: str) -> None:
    """Drop `name`, whoever is still connected; this process's Django connections are closed
    first when Django is loaded."""
    if "django" in sys.modules:
        from django.db import connections

        connections.close_all()
    _admin_sql(base, "DROP DATABASE IF EXISTS {} WITH (FORCE)", name)


def settings_test_env(database_url: str, data_dir: str | Path, database: str = "") -> dict[str, str]:
    """The environment of Django with `config.settings_test` on `database_url` and a private
    TEND_DATA_DIR; for a PostgreSQL `database`, a run id of its own (cache key prefix)."""
    env = {"DJANGO_SETTINGS_MODULE": "config.settings_test", "DATABASE_URL": database_url,
           "TEND_DATA_DIR": str(data_dir)}
    if database:
        env["TEND_TEST_RUN_ID"] = database.removeprefix("tend_")
    return env


def migrate() -> None:
    """Migrate the database of this process's Django (set up already), quietly."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


# ---------------------------------------------------------------------------------------------
# The machine and the versions
# ---------------------------------------------------------------------------------------------

def machine() -> dict[str, Any]:
    """CPUs, kernel and platform, and the CPU model and memory when /proc tells them (Linux)."""
    found: dict[str, Any] = {"cpus": os.cpu_count(), "kernel": platform.release(),
                             "platform": platform.platform()}
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
        meminfo = Path("/proc/meminfo").read_text().splitlines()
    except OSError:
        return found
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), None)
    if model is not None:
        found["cpu_model"] = model
    total = next((int(line.split()[1]) for line in meminfo if line.startswith("MemTotal:")), None)
    if total is not None:
        found["memory_gb"] = round(total / 2**20, 1)
    return found


def load_average() -> list[float]:
    """The load average over 1, 5 and 15 minutes."""
    return [round(x, 2) for x in os.getloadavg()]


def proc_status_mib(field: str) -> float | None:
    """A field of /proc/self/status in kB (VmRSS, VmHWM...), in MiB; None where there is none."""
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return None


def package_versions(packages: Iterable[str]) -> dict[str, str | None]:
    """The installed version of each distribution, None for one that is not installed."""
    from importlib import metadata

    found: dict[str, str | None] = {}
    for package in packages:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    return found


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------

def nearest_rank(samples: Iterable[float], fraction: float) -> float:
    """The nearest-rank percentile (with fewer than 100 samples, p99 is the slowest)."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def profiled(fn: Callable[[], Any], runs: int) -> cProfile.Profile:
    """`fn` run `runs` times under cProfile."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        fn()
    profiler.disable()
    return profiler


def own_time_table(profiler: cProfile.Profile, top: int = 14) -> str:
    """cProfile's table of the `top` functions by own time, file names without their folders."""
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(top)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# Child processes and what a run writes
# ---------------------------------------------------------------------------------------------

def send_result(data: Any) -> None:
    """In a child process: hand `data` to the parent (see run_child)."""
    print(RESULT_MARK + json.dumps(data), flush=True)


def run_child(script: str | Path, arguments: Iterable[str],
              env: Mapping[str, str] | None = None) -> tuple[Any, subprocess.CompletedProcess[str]]:
    """Run `script` with `arguments` in a fresh interpreter from the repository root; returns what
    it handed over with send_result (None if nothing) and the finished process, whose stdout is
    captured; its stderr is the parent's."""
    done = subprocess.run([sys.executable, str(script), *arguments], cwd=ROOT, env=env,
                          stdout=subprocess.PIPE, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_MARK)]
    return (json.loads(lines[-1].removeprefix(RESULT_MARK)) if lines else None), done


def command_argv(script: str | Path) -> list[str]:
    """The command line that ran, as a JSON records it: the script's path from the repository
    root, then its arguments."""
    return [str(Path(script).resolve().relative_to(ROOT)), *sys.argv[1:]]


def write_json(target: Path, data: Any) -> None:
    """Write a run's figures to `target`, creating its folder."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def shown(path: Path) -> str:
    """`path` from the repository root when it is inside it, else as given."""
    resolved = path.resolve()
    return str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else str(path)
