"""The progress-report API (issue 4, point 1 and the bad input): requesting a report, reading its
state and its PDF, who may do which, idempotency by client id, and the audit of every PDF read."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import assert_problem
from tracker import clock
from tracker.models import AuditEvent, Report, ReportStatus, TreatmentCourse
from tracker.services import reports


@pytest.fixture
def request_report(api: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """request_report(user, course=None, **body) -> the response; on-commit callbacks run."""

    def post(user: Any, course: TreatmentCourse, **body: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return api(user).post(f"/api/v1/courses/{course.pk}/reports/", body, format="json")

    return post


def today(course: TreatmentCourse) -> dt.date:
    return clock.today_in(course.patient.timezone)


def ready_report(cast: Any) -> Report:
    report, _ = reports.report_request(course=cast.course, requested_by=cast.physician)
    rendered = reports.report_render(report_id=report.pk)
    assert rendered is not None and rendered.status == ReportStatus.READY
    return rendered



# --- Requesting a report --------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["nurse", "physician"])
def test_staff_on_the_team_request_a_report_that_is_enqueued_on_commit(
        cast: Any, api: Any, renders_sent: list[list[str]], django_capture_on_commit_callbacks: Any,
        who: str) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api(cast.user(who)).post(f"/api/v1/courses/{cast.course.pk}/reports/", {},
                                            format="json")
        assert renders_sent == []  # nothing reaches the broker before the row is committed
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and body["pdf_url"] is None and body["summary"] is None
    report = Report.objects.get()
    assert body["id"] == str(report.pk)
    assert (report.course_id, report.requested_by_id, report.kind) == (
        cast.course.pk, cast.user(who).pk, "requested")
    # The default period: the course's first day to today, in the patient's days.
    assert (body["period_start"], body["period_end"]) == (
        cast.course.start_date.isoformat(), today(cast.course).isoformat())
    assert report.enqueued_at is None
    for callback in callbacks:
        callback()
    assert renders_sent == [[str(report.pk)]]
    report.refresh_from_db()
    assert report.enqueued_at is not None
    event = AuditEvent.objects.get(action="report_request")
    assert (event.actor_id, event.outcome, event.patient_id) == (
        cast.user(who).pk, "allowed", cast.patient.pk)


def test_a_request_with_a_period_keeps_it(cast: Any, request_report: Any,
                                          renders_sent: list[list[str]]) -> None:
    start = cast.course.start_date + dt.timedelta(days=3)
    end = today(cast.course) - dt.timedelta(days=2)
    response = request_report(cast.nurse, cast.course, period_start=start.isoformat(),
                              period_end=end.isoformat())
    assert response.status_code == 202, response.content
    report = Report.objects.get()
    assert (report.period_start, report.period_end) == (start, end)
    assert renders_sent == [[str(report.pk)]]


@pytest.mark.parametrize(("who", "status"), [
    ("patient_user", 403),  # she sees her course, but does not order reports
    ("other_patient_user", 404),
    ("other_nurse", 404),
    ("other_physician", 404),
    ("admin", 404),  # an administrator sees no patient
])
def test_others_cannot_request_a_report(cast: Any, request_report: Any, renders_sent: list[list[str]],
                                        who: str, status: int) -> None:
    response = request_report(cast.user(who), cast.course)
    assert_problem(response, status)
    assert Report.objects.count() == 0 and renders_sent == []
    event = AuditEvent.objects.get(action="report_request")
    assert (event.actor_id, event.outcome, event.status_code) == (
        cast.user(who).pk, "denied", status)


def test_a_request_for_a_course_that_does_not_exist_is_not_found(
        cast: Any, request_report: Any, renders_sent: list[list[str]]) -> None:
    missing = TreatmentCourse(pk=uuid.uuid4())
    assert_problem(request_report(cast.nurse, missing), 404)
    assert Report.objects.count() == 0 and renders_sent == []


def test_a_request_is_idempotent_by_its_client_id(cast: Any, request_report: Any,
                                                  renders_sent: list[list[str]]) -> None:
    report_id = str(uuid.uuid4())
    period = {"period_start": cast.course.start_date.isoformat(),
              "period_end": today(cast.course).isoformat()}
    first = request_report(cast.nurse, cast.course, id=report_id, **period)
    assert first.status_code == 202, first.content
    assert first.json()["id"] == report_id

    again = request_report(cast.physician, cast.course, id=report_id, **period)
    assert again.status_code == 200, again.content
    assert again.json()["id"] == report_id and again.json()["created_at"] == first.json()["created_at"]
    # The default period is the same period: the same report.
    default = request_report(cast.nurse, cast.course, id=report_id)
    assert default.status_code == 200 and default.json()["id"] == report_id

    other = request_report(cast.nurse, cast.course, id=report_id,
                           period_start=(cast.course.start_date + dt.timedelta(days=1)).isoformat(),
                           period_end=period["period_end"])
    body = assert_problem(other, 409)
    assert list(body["errors"]) == ["id"] and "different period" in body["detail"]
    assert Report.objects.count() == 1 and renders_sent == [[report_id]]
    report = Report.objects.get()
    assert (report.period_start, report.requested_by_id) == (cast.course.start_date, cast.nurse.pk)


def test_a_report_id_of_another_course_is_a_conflict(cast: Any, request_report: Any,
                                                     renders_sent: list[list[str]]) -> None:
    report_id = str(uuid.uuid4())
    assert request_report(cast.nurse, cast.course, id=report_id).status_code == 202
    response = request_report(cast.other_nurse, cast.other_course, id=report_id)
    assert_problem(response, 409)
    assert Report.objects.get().course_id == cast.course.pk and len(renders_sent) == 1


def _bad_periods() -> list[Any]:
    """(id, period as a function of (course start, today), field named, words in the message)"""
    day = dt.timedelta(days=1)
    return [
        pytest.param(lambda s, t: (t - 2 * day, t - 5 * day), "period_end", "before it starts",
                     id="ends-before-it-starts"),
        pytest.param(lambda s, t: (s - day, t), "period_start", "before the course",
                     id="starts-before-the-course"),
        pytest.param(lambda s, t: (s, t + day), "period_end", "last day so far",
                     id="ends-after-today"),
        pytest.param(lambda s, t: (s, s + 731 * day), "period_end", "two years",
                     id="spans-more-than-two-years"),
        pytest.param(lambda s, t: ("2026-02-30", t), "period_start", "",
                     id="not-a-date"),
        pytest.param(lambda s, t: (s, "yesterday"), "period_end", "", id="not-a-date-either"),
    ]


@pytest.mark.parametrize(("period", "field", "words"), _bad_periods())
def test_a_bad_period_is_refused_naming_the_field(cast: Any, request_report: Any,
                                                  renders_sent: list[list[str]], period: Any, field: str,
                                                  words: str) -> None:
    start, end = period(cast.course.start_date, today(cast.course))
    response = request_report(cast.physician, cast.course, period_start=str(start),
                              period_end=str(end))
    body = assert_problem(response, 400)
    assert list(body["errors"]) == [field]
    assert words in " ".join(body["errors"][field])
    assert Report.objects.count() == 0 and renders_sent == []
    assert AuditEvent.objects.get(action="report_request").outcome == "rejected"


def test_a_course_longer_than_two_years_cannot_be_reported_whole(
        cast: Any, request_report: Any, renders_sent: list[list[str]]) -> None:
    start = today(cast.course) - dt.timedelta(days=800)
    TreatmentCourse.objects.filter(pk=cast.course.pk).update(start_date=start)
    cast.course.refresh_from_db()
    body = assert_problem(request_report(cast.physician, cast.course), 400)
    assert "period_end" in body["errors"]
    ok = request_report(cast.physician, cast.course,
                        period_start=(today(cast.course) - dt.timedelta(days=730)).isoformat())
    assert ok.status_code == 202, ok.content
    assert Report.objects.count() == 1 and len(renders_sent) == 1


def test_a_course_that_has_not_started_has_nothing_to_report_yet(
        cast: Any, request_report: Any, renders_sent: list[list[str]]) -> None:
    starts = today(cast.course) + dt.timedelta(days=3)
    TreatmentCourse.objects.filter(pk=cast.course.pk).update(start_date=starts)
    cast.course.refresh_from_db()
    body = assert_problem(request_report(cast.physician, cast.course), 400)
    assert list(body["errors"]) == ["course"] and str(starts) in body["errors"]["course"][0]
    assert Report.objects.count() == 0 and renders_sent == []


@pytest.mark.parametrize(("extra", "field"), [({"id": "x"}, "id"), ({"kind": "weekly"}, "kind"),
                                              ({"period_start": 20260101}, "period_start")])
def test_a_request_with_a_bad_or_unknown_key_is_refused_naming_it(
        cast: Any, request_report: Any, renders_sent: list[list[str]], extra: dict[str, Any],
        field: str) -> None:
    body = assert_problem(request_report(cast.physician, cast.course, **extra), 400)
    assert field in body["errors"]
    assert Report.objects.count() == 0 and renders_sent == []


def test_a_period_of_a_completed_course_ends_on_its_last_day(
        cast: Any, request_report: Any, renders_sent: list[list[str]]) -> None:
    last = cast.course.start_date + dt.timedelta(days=10)
    TreatmentCourse.objects.filter(pk=cast.course.pk).update(end_date=last, status="completed")
    response = request_report(cast.physician, cast.course)
    assert response.status_code == 202, response.content
    assert response.json()["period_end"] == last.isoformat()
    too_late = request_report(cast.physician, cast.course,
                              period_end=(last + dt.timedelta(days=1)).isoformat())
    assert "period_end" in assert_problem(too_late, 400)["errors"]


# --- Reading a report ------------------------------------------------------------------------------
def test_a_report_shows_its_state_from_queued_to_ready(cast: Any, api: Any) -> None:
    report, _ = reports.report_request(course=cast.course, requested_by=cast.nurse)
    client = api(cast.physician)
    url = f"/api/v1/reports/{report.pk}/"
    body = client.get(url).json()
    assert (body["status"], body["failure_reason"], body["pdf_url"]) == ("queued", "", None)
    assert body["course"] == str(cast.course.pk) and body["finished_at"] is None

    Report.objects.filter(pk=report.pk).update(status=ReportStatus.RUNNING,
                                               started_at=timezone.now())
    assert client.get(url).json()["status"] == "running"
    assert_problem(client.get(url + "pdf/"), 409)

    Report.objects.filter(pk=report.pk).update(status=ReportStatus.QUEUED)
    reports.report_render(report_id=report.pk)
    body = client.get(url).json()
    assert body["status"] == "ready" and body["finished_at"] is not None
    assert body["pdf_url"] == f"http://testserver/api/v1/reports/{report.pk}/pdf/"
    assert body["summary"]["applications_expected"] == 30  # today, not logged, is pending


def test_a_failed_report_says_why(cast: Any, api: Any) -> None:
    report, _ = reports.report_request(course=cast.course, requested_by=cast.nurse)
    reports.report_fail(report_id=report.pk, reason="Rendering failed after 4 attempts (OSError).")
    response = api(cast.nurse).get(f"/api/v1/reports/{report.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["failure_reason"], body["pdf_url"]) == (
        "failed", "Rendering failed after 4 attempts (OSError).", None)
    assert_problem(api(cast.nurse).get(f"/api/v1/reports/{report.pk}/pdf/"), 409)


def test_a_patient_is_told_what_to_do_about_a_failed_report_not_the_workers_error(
        cast: Any, api: Any) -> None:
    queued, _ = reports.report_request(course=cast.course, requested_by=cast.nurse,
                                       period_start=cast.course.start_date,
                                       period_end=cast.course.start_date + dt.timedelta(days=6))
    failed, _ = reports.report_request(course=cast.course, requested_by=cast.nurse)
    reports.report_fail(report_id=failed.pk, reason="Rendering failed after 4 attempts (OSError).")
    mine = {r["id"]: r for r in api(cast.patient_user).get("/api/v1/reports/").json()["results"]}
    assert mine[str(failed.pk)]["failure_reason"] == (
        "This report could not be made. Your care team can ask for it again.")
    assert mine[str(queued.pk)]["failure_reason"] == ""
    staff = api(cast.physician).get(f"/api/v1/reports/{failed.pk}/").json()
    assert staff["failure_reason"] == "Rendering failed after 4 attempts (OSError)."


def test_the_pdf_of_a_queued_report_is_a_conflict(cast: Any, api: Any) -> None:
    report, _ = reports.report_request(course=cast.course, requested_by=cast.nurse)
    body = assert_problem(api(cast.physician).get(f"/api/v1/reports/{report.pk}/pdf/"), 409)
    assert "queued" in body["detail"]


@pytest.mark.parametrize("who", ["nurse", "physician", "patient_user"])
def test_the_pdf_is_served_privately_to_whoever_may_see_the_course_and_audited(
        cast: Any, api: Any, who: str) -> None:
    report = ready_report(cast)
    response = api(cast.user(who)).get(f"/api/v1/reports/{report.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF") and len(body) == report.pdf_bytes
    assert int(response["Content-Length"]) == report.pdf_bytes
    event = AuditEvent.objects.get(action="read_pdf")
    assert (event.actor_id, event.outcome, event.object_type, event.object_id, event.patient_id) == (
        cast.user(who).pk, "allowed", "report", str(report.pk), cast.patient.pk)

    api(cast.user(who)).get(f"/api/v1/reports/{report.pk}/pdf/")
    assert AuditEvent.objects.filter(action="read_pdf").count() == 2  # one per read


@pytest.mark.parametrize("who", ["other_patient_user", "other_nurse", "other_physician", "admin"])
def test_a_report_of_someone_else_does_not_exist_for_them(cast: Any, api: Any, who: str) -> None:
    report = ready_report(cast)
    client = api(cast.user(who))
    for path in (f"/api/v1/reports/{report.pk}/", f"/api/v1/reports/{report.pk}/pdf/"):
        body = assert_problem(client.get(path), 404)
        assert "summary" not in body and str(report.pk) not in body["detail"]
    listing = client.get("/api/v1/reports/")
    assert listing.status_code == 200 and listing.json()["results"] == []
    denied = AuditEvent.objects.get(action="read_pdf")
    assert (denied.actor_id, denied.outcome, denied.patient_id) == (
        cast.user(who).pk, "denied", cast.patient.pk)


@pytest.mark.parametrize("path", ["/api/v1/reports/{id}/", "/api/v1/reports/{id}/pdf/"])
@pytest.mark.parametrize("report_id", ["5f0c7a4e-0000-4000-8000-000000000000", "not-a-uuid"])
def test_a_report_that_does_not_exist_is_not_found(cast: Any, api: Any, path: str,
                                                   report_id: str) -> None:
    assert_problem(api(cast.physician).get(path.format(id=report_id)), 404)


def test_the_patient_reads_her_own_reports(cast: Any, api: Any) -> None:
    mine = ready_report(cast)
    theirs, _ = reports.report_request(course=cast.other_course, requested_by=cast.other_nurse)
    listing = api(cast.patient_user).get("/api/v1/reports/")
    assert listing.status_code == 200
    assert [r["id"] for r in listing.json()["results"]] == [str(mine.pk)]
    detail = api(cast.patient_user).get(f"/api/v1/reports/{mine.pk}/")
    assert detail.status_code == 200 and detail.json()["summary"] == mine.summary
    assert [r["id"] for r in api(cast.other_patient_user).get("/api/v1/reports/").json()[
        "results"]] == [str(theirs.pk)]


def test_staff_list_the_reports_of_a_course(cast: Any, api: Any) -> None:
    first = ready_report(cast)
    second, _ = reports.report_request(course=cast.course, requested_by=cast.nurse,
                                       period_start=cast.course.start_date,
                                       period_end=cast.course.start_date + dt.timedelta(days=6))
    other, _ = reports.report_request(course=cast.other_course, requested_by=cast.other_nurse)
    listing = api(cast.nurse).get(f"/api/v1/reports/?course={cast.course.pk}")
    assert listing.status_code == 200
    assert {r["id"] for r in listing.json()["results"]} == {str(first.pk), str(second.pk)}
    ready = api(cast.nurse).get(f"/api/v1/reports/?course={cast.course.pk}&status=ready")
    assert [r["id"] for r in ready.json()["results"]] == [str(first.pk)]
    # Another team's course filters to nothing, not to their reports.
    foreign = api(cast.nurse).get(f"/api/v1/reports/?course={cast.other_course.pk}")
    assert foreign.json()["results"] == [] and str(other.pk) not in foreign.content.decode()


def test_reports_cannot_be_written_through_the_report_endpoints(cast: Any, api: Any) -> None:
    report = ready_report(cast)
    client = api(cast.physician)
    for method in ("post", "patch", "put", "delete"):
        path = "/api/v1/reports/" if method == "post" else f"/api/v1/reports/{report.pk}/"
        response = getattr(client, method)(path, {"status": "queued"}, format="json")
        assert_problem(response, 405)
    report.refresh_from_db()
    assert report.status == ReportStatus.READY

