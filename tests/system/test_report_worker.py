"""Reports end to end with a real Celery worker through Redis (issue 4, points 1, 2 and 6): a report
asked for over the API is enqueued on commit, rendered by the worker process, and its PDF served; the
weekly task, sent through the broker, makes and renders a report per active course.

The worker joins this run's test database, data folder and queue through the environment, and is
always stopped (its whole process group) when the module is done.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.processes import CeleryWorker, tail, wait_until
from tracker import tasks
from tracker.models import Report, ReportKind, ReportStatus

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def worker(django_db_setup: None, django_db_blocker: Any,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[CeleryWorker]:
    with django_db_blocker.unblock():
        running = CeleryWorker(tmp_path_factory.mktemp("report-worker") / "worker.log")
    try:
        yield running.wait_ready()
    finally:
        running.stop()


def test_a_requested_report_is_rendered_by_a_real_worker_and_served(
        cast: Any, api: Any, worker: CeleryWorker) -> None:
    client = api(cast.physician)
    response = client.post(f"/api/v1/courses/{cast.course.pk}/reports/", {}, format="json")
    assert response.status_code == 202, response.content
    report_id = response.json()["id"]

    def finished() -> dict[str, Any] | None:
        body = client.get(f"/api/v1/reports/{report_id}/").json()
        return body if body["status"] in ("ready", "failed") else None

    body = wait_until(finished, timeout=25, what="the report", log=worker.log)
    assert body["status"] == "ready", (body, tail(worker.log))
    # A course of 30 days and today: today is pending until she logs it, so 30 are expected.
    assert body["summary"]["applications_expected"] == 30
    report = Report.objects.get(pk=report_id)
    assert report.attempts == 1 and report.enqueued_at is not None

    for user in (cast.physician, cast.patient_user):
        pdf = api(user).get(body["pdf_url"])
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert api(cast.other_nurse).get(body["pdf_url"]).status_code == 404
    assert worker.alive()


def test_the_weekly_task_sent_through_the_broker_makes_and_renders_a_report_per_course(
        cast: Any, worker: CeleryWorker) -> None:
    tasks.create_weekly_reports.delay()
    wait_until(lambda: Report.objects.filter(kind=ReportKind.WEEKLY,
                                              status=ReportStatus.READY).count() == 2,
                timeout=25, what="two ready weekly reports", log=worker.log)
    weekly = Report.objects.filter(kind=ReportKind.WEEKLY)
    assert {r.course_id for r in weekly} == {cast.course.pk, cast.other_course.pk}
    assert all((r.period_end - r.period_start).days == 6 for r in weekly)
    assert all(r.pdf_bytes and r.summary["applications_expected"] == 7 for r in weekly)
