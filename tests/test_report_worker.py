"""Reports end to end with a real Celery worker through Redis (issue 4, points 1, 2 and 6): a report
asked for over the API is enqueued on commit, rendered by the worker process, and its PDF served; the
weekly task, sent through the broker, makes and renders a report per active course.

The worker joins this run's test database, data folder and queue through the environment, and is
always stopped (its whole process group) when the module is done.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from tracker import tasks
from tracker.models import Report, ReportKind, ReportStatus

pytestmark = pytest.mark.django_db(transaction=True)

BIN = Path(sys.executable).parent


def _tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


def _wait_until(predicate: Callable[[], Any], *, timeout: float, what: str, log: Path) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {timeout:.0f} s waiting for {what}.\n{_tail(log)}")
        time.sleep(0.2)


class Worker:
    def __init__(self, log: Path) -> None:
        db = connection.settings_dict
        password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
        env = {**os.environ,
               "DJANGO_SETTINGS_MODULE": "config.settings_test",
               "DATABASE_URL": (f"postgres://{quote(db['USER'] or '', safe='')}{password}@"
                                f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"),
               "REDIS_URL": settings.REDIS_URL,
               "TEND_DATA_DIR": str(settings.DATA_DIR),
               "TEND_TEST_RUN_ID": settings.TEST_RUN_ID,
               "PYTHONUNBUFFERED": "1"}
        argv = [str(BIN / "celery"), "-A", "config", "worker", "--pool=solo", "--loglevel=INFO",
                "-Q", settings.CELERY_TASK_DEFAULT_QUEUE, "--without-mingle", "--without-gossip",
                "--without-heartbeat"]
        self.log = log
        with log.open("ab") as out:
            self.popen = subprocess.Popen(argv, cwd=settings.BASE_DIR, env=env, stdout=out,
                                          stderr=subprocess.STDOUT, start_new_session=True)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.popen.wait(timeout=10)


@pytest.fixture(scope="module")
def worker(django_db_setup: None, django_db_blocker: Any,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    with django_db_blocker.unblock():
        running = Worker(tmp_path_factory.mktemp("report-worker") / "worker.log")
    try:
        _wait_until(lambda: " ready." in running.log.read_text(errors="replace")
                    or not running.alive(), timeout=30, what="the worker", log=running.log)
        assert running.alive(), _tail(running.log)
        yield running
    finally:
        running.stop()


def test_a_requested_report_is_rendered_by_a_real_worker_and_served(
        cast: Any, api: Any, worker: Worker) -> None:
    client = api(cast.physician)
    response = client.post(f"/api/v1/courses/{cast.course.pk}/reports/", {}, format="json")
    assert response.status_code == 202, response.content
    report_id = response.json()["id"]

    def finished() -> dict[str, Any] | None:
        body = client.get(f"/api/v1/reports/{report_id}/").json()
        return body if body["status"] in ("ready", "failed") else None

    body = _wait_until(finished, timeout=25, what="the report", log=worker.log)
    assert body["status"] == "ready", (body, _tail(worker.log))
    assert body["summary"]["applications_expected"] == 31
    report = Report.objects.get(pk=report_id)
    assert report.attempts == 1 and report.enqueued_at is not None

    for user in (cast.physician, cast.patient_user):
        pdf = api(user).get(body["pdf_url"])
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert api(cast.other_nurse).get(body["pdf_url"]).status_code == 404
    assert worker.alive()


def test_the_weekly_task_sent_through_the_broker_makes_and_renders_a_report_per_course(
        cast: Any, worker: Worker) -> None:
    tasks.create_weekly_reports.delay()
    _wait_until(lambda: Report.objects.filter(kind=ReportKind.WEEKLY,
                                              status=ReportStatus.READY).count() == 2,
                timeout=25, what="two ready weekly reports", log=worker.log)
    weekly = Report.objects.filter(kind=ReportKind.WEEKLY)
    assert {r.course_id for r in weekly} == {cast.course.pk, cast.other_course.pk}
    assert all((r.period_end - r.period_start).days == 6 for r in weekly)
    assert all(r.pdf_bytes and r.summary["applications_expected"] == 7 for r in weekly)
