"""Report rendering reads its course data from a read replica when one is configured."""

from __future__ import annotations

from typing import Any

from tracker import db
from tracker.models import Application, Report
from tracker.reports import data as report_data
from tracker.services import reports

ROUTER = db.ReplicaRouter()


def test_reads_stay_on_the_primary_without_a_replica() -> None:
    with db.replica_reads():
        assert ROUTER.db_for_read(Application) is None


def test_reads_of_a_replica_block_go_to_the_replica_and_writes_never_do(monkeypatch: Any) -> None:
    monkeypatch.setattr(db, "has_replica", lambda: True)
    assert ROUTER.db_for_read(Application) is None
    with db.replica_reads():
        assert ROUTER.db_for_read(Application) == db.REPLICA
        assert ROUTER.db_for_write(Application) is None
    assert ROUTER.db_for_read(Application) is None
    assert ROUTER.allow_migrate(db.REPLICA, "tracker") is False
    assert ROUTER.allow_migrate("default", "tracker") is None


def test_a_report_gathers_its_data_inside_a_replica_block(cast: Any, monkeypatch: Any) -> None:
    seen = []
    gather = report_data.gather

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(db._replica_reads.get())
        return gather(*args, **kwargs)

    monkeypatch.setattr(report_data, "gather", spy)
    report, _ = reports.report_request(course=cast.course, requested_by=cast.physician)
    assert reports.report_render(report_id=report.pk).status == "ready"
    assert seen == [True] and db._replica_reads.get() is False
    assert Report.objects.get(pk=report.pk).pdf_name
