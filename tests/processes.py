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


test_database_url.__test__ = False  # type: ignore[attr-defined]  (not a test, despite its name)


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


class CeleryWorker:
    """`celery -A config worker`, solo pool, in its own process group (stopped whole)."""

    def __init__(self, log: Path, *, env: dict[str, str] | None = None,
                 queue: str | None = None) -> None:
        argv = [str(CELERY), "-A", "config", "worker", "--pool=solo", "--concurrency=1",
                "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"]
        queue = settings.CELERY_TASK_DEFAULT_QUEUE if queue is None else queue
        if queue:
            argv += ["-Q", queue]
        self.log = log
        with log.open("ab") as out:
            self.popen = subprocess.Popen(argv, cwd=BASE_DIR, env=env or run_env(), stdout=out,
                                          stderr=subprocess.STDOUT, start_new_session=True)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.popen.terminate()
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.popen.wait(timeout=10)
        # The worker's connections must be gone before the test database is emptied or dropped.
        connection.close()


def wait_until(predicate: Callable[[], Any], *, timeout: float = 30.0, what: str,
               log: Path | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-4000:] if log is not None and log.exists() else ""
            pytest.fail(f"Timed out after {timeout:.0f} s waiting for {what}.\n{tail}")
        time.sleep(0.2)
