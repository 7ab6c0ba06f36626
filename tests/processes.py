"""Real processes that tests start beside themselves, joined to this test run: its database, its
Redis, its data folder and its Celery queue."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent
CELERY = Path(sys.executable).parent / "celery"


def test_database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


test_database_url.__test__ = False  # type: ignore[attr-defined]  # not a test, despite its name


def run_env(**extra: str) -> dict[str, str]:
    """The environment of a process that joins this run."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "TEND_TEST_RUN_ID": settings.TEST_RUN_ID,
        "TEND_DATA_DIR": str(settings.DATA_DIR),
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        **extra,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


class Process:
    """A subprocess in its own session, logging to a file; stopped, or killed, as a whole group."""

    stop_timeout = 20.0  # seconds between SIGTERM and SIGKILL

    def __init__(self, argv: list[str], log: Path, *, env: dict[str, str] | None = None) -> None:
        self.log = log
        with log.open("ab") as out:
            self.popen = subprocess.Popen(argv, cwd=BASE_DIR, env=env or run_env(), stdout=out,
                                          stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        """SIGTERM, then SIGKILL for the whole group (children included)."""
        if self.alive():
            self.popen.terminate()
            try:
                self.popen.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill_group()

    def kill_group(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.popen.wait(timeout=10)


class CeleryWorker(Process):
    """`celery -A config worker`, solo pool, on this run's queue (or `queue`)."""

    def __init__(self, log: Path, *, env: dict[str, str] | None = None,
                 queue: str | None = None) -> None:
        argv = [str(CELERY), "-A", "config", "worker", "--pool=solo", "--concurrency=1",
                "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"]
        queue = settings.CELERY_TASK_DEFAULT_QUEUE if queue is None else queue
        if queue:
            argv += ["-Q", queue]
        super().__init__(argv, log, env=env)

    def stop(self) -> None:
        super().stop()
        # The worker's connections must be gone before the test database is emptied or dropped.
        connection.close()

    def wait_ready(self) -> CeleryWorker:
        """Wait until the worker says it is ready (or has died: then fail with its log)."""
        wait_until(lambda: " ready." in self.log.read_text(errors="replace") or not self.alive(),
                   timeout=30, what="the worker", log=self.log)
        assert self.alive(), tail(self.log)
        return self


def tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


def wait_until(predicate: Callable[[], Any], *, timeout: float = 30.0, what: str,
               log: Path | None = None, logs: tuple[Path, ...] = (), every: float = 0.2) -> Any:
    """Poll until `predicate` gives something true, and return it; on timeout fail the test with
    the end of each log."""
    logs = (log, *logs) if log is not None else logs
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {each.name} ---\n{tail(each)}" for each in logs)
            pytest.fail(f"Timed out after {timeout:.0f} s waiting for {what}.\n{tails}")
        time.sleep(every)
