"""Treatment courses (tracker/services/courses.py) and a course's timeline (tracker/selectors/timeline.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import retire_courses
from tracker.errors import Conflict
from tracker.models import CoursePause, RecordVersion, TreatmentCourse
from tracker.selectors.adherence import course_adherence
from tracker.selectors.timeline import CourseTimeline
from tracker.services import courses, records

DENVER = ZoneInfo("America/Denver")
TODAY = dt.date(2026, 6, 10)
NOW = dt.datetime(2026, 6, 10, 18, 0, tzinfo=DENVER)


def on(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=DENVER)


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def regimen(**overrides: Any) -> dict[str, Any]:
    return {
        "medication": "Sodium thiosulfate", "concentration_percent": Decimal("10.00"),
        "vehicle": "Oil-in-water emulsion", "body_site": "Left lateral thigh",
        "applications_per_day": 1, "start_date": TODAY - days(10), "end_date": None,
        "instructions": "Once daily in the evening.", **overrides,
    }


@pytest.fixture(autouse=True)
def _helen_has_no_course_in_force(cast: Any) -> None:
    """These tests prescribe Helen courses of their own."""
    retire_courses(cast.patient)


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def course(cast: Any, frozen: Any) -> TreatmentCourse:
    """Helen's course (America/Denver), started ten days before the frozen today."""
    course, _ = courses.course_create(patient=cast.patient, prescribed_by=cast.physician,
                                      data=regimen())
    return course


def update(course: TreatmentCourse, by: Any, **changes: Any) -> TreatmentCourse:
    return courses.course_update(course=course, changed_by=by, changes=changes)


# --- Prescribing ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("start", "end", "field"), [
    (TODAY, TODAY - days(1), "end_date"),
    (TODAY - days(367), None, "start_date"),
    (TODAY + days(367), None, "start_date"),
])
def test_a_course_with_impossible_dates_is_refused_naming_the_field(cast, frozen, start, end, field):
    before = TreatmentCourse.objects.count()
    with pytest.raises(ValidationError) as caught:
        courses.course_create(patient=cast.patient, prescribed_by=cast.physician,
                              data=regimen(start_date=start, end_date=end))
    assert set(caught.value.message_dict) == {field}
    assert TreatmentCourse.objects.count() == before


@pytest.mark.parametrize(("start", "end"), [
    (TODAY - days(365), None),
    (TODAY + days(365), None),
    (TODAY, TODAY),  # a one-day course
])
def test_a_course_within_a_year_either_side_is_accepted(cast, frozen, start, end):
    course, created = courses.course_create(patient=cast.patient, prescribed_by=cast.physician,
                                            data=regimen(start_date=start, end_date=end))
    assert created
    stored = TreatmentCourse.objects.get(pk=course.pk)
    assert (stored.start_date, stored.end_date, stored.status, stored.version) == (
        start, end, "active", 1)
    assert stored.prescribed_by_id == cast.physician.pk


def test_the_year_is_counted_in_the_patients_days(cast):
    # 2026-06-10 20:00 in Denver is already 06-11 in UTC; a year ago is counted from 06-10.
    with time_machine.travel(dt.datetime(2026, 6, 10, 20, 0, tzinfo=DENVER), tick=False):
        course, created = courses.course_create(
            patient=cast.patient, prescribed_by=cast.physician,
            data=regimen(start_date=TODAY + days(366)))
    assert created and course.start_date == dt.date(2027, 6, 11)


def test_the_same_course_id_and_content_returns_the_stored_course(cast, frozen):
    course_id = uuid.uuid4()
    first, created = courses.course_create(patient=cast.patient, prescribed_by=cast.physician,
                                           course_id=course_id, data=regimen())
    count = TreatmentCourse.objects.count()
    again, created_again = courses.course_create(patient=cast.patient, prescribed_by=cast.physician,
                                                 course_id=course_id, data=regimen())
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk == course_id
    assert TreatmentCourse.objects.count() == count


@pytest.mark.parametrize("same", [10, 10.0, Decimal("10"), Decimal("10.0")])
def test_a_concentration_written_another_way_is_the_same_content(cast, frozen, same):
    course_id = uuid.uuid4()
    courses.course_create(patient=cast.patient, prescribed_by=cast.physician, course_id=course_id,
                          data=regimen(concentration_percent=Decimal("10.00")))
    again, created = courses.course_create(patient=cast.patient, prescribed_by=cast.physician,
                                           course_id=course_id,
                                           data=regimen(concentration_percent=same))
    assert (again.pk, created) == (course_id, False)


@pytest.mark.parametrize("other", [
    {"data": regimen(applications_per_day=2)},
    {"data": regimen(concentration_percent=Decimal("5.00"))},
    {"data": regimen(instructions="Twice")},
    {"data": regimen(), "other_patient": True},
])
def test_the_same_course_id_with_other_content_is_a_conflict(cast, frozen, other):
    course_id = uuid.uuid4()
    courses.course_create(patient=cast.patient, prescribed_by=cast.physician, course_id=course_id,
                          data=regimen())
    count = TreatmentCourse.objects.count()
    patient = cast.other_patient if other.get("other_patient") else cast.patient
    with pytest.raises(Conflict) as caught:
        courses.course_create(patient=patient, prescribed_by=cast.physician, course_id=course_id,
                              data=other["data"])
    assert caught.value.field == "id"
    assert TreatmentCourse.objects.count() == count
    stored = TreatmentCourse.objects.get(pk=course_id)
    assert (stored.patient_id, stored.applications_per_day, stored.instructions) == (
        cast.patient.pk, 1, "Once daily in the evening.")


# --- Changing a course ----------------------------------------------------------------------------
@pytest.mark.parametrize("path", [
    ["paused", "active"],
    ["paused", "active", "paused", "active", "completed"],
    ["paused", "completed"],
    ["paused", "stopped"],
    ["completed"],
    ["stopped"],
])
def test_a_course_moves_through_the_allowed_statuses(cast, course, path):
    for status in path:
        course = update(course, cast.physician, status=status)
        assert TreatmentCourse.objects.get(pk=course.pk).status == status
    assert course.version == 1 + len(path)
    assert RecordVersion.objects.filter(object_type="course", object_id=course.pk).count() == len(path)


@pytest.mark.parametrize("final", ["completed", "stopped"])
@pytest.mark.parametrize("then", ["active", "paused", "completed", "stopped"])
def test_a_completed_or_stopped_course_is_final(cast, course, final, then):
    ended = update(course, cast.physician, status=final)
    if then == final:
        assert update(ended, cast.physician, status=then).version == ended.version  # nothing to do
        return
    with pytest.raises(ValidationError) as caught:
        update(ended, cast.physician, status=then)
    assert set(caught.value.message_dict) == {"status"}
    stored = TreatmentCourse.objects.get(pk=course.pk)
    assert (stored.status, stored.version) == (final, 2)


@pytest.mark.parametrize("final", ["completed", "stopped"])
def test_an_ended_course_keeps_its_end_date_but_takes_new_instructions(cast, course, final):
    ended = update(course, cast.physician, status=final)
    with pytest.raises(ValidationError) as caught:
        update(ended, cast.physician, end_date=ended.end_date + dt.timedelta(days=30))
    assert set(caught.value.message_dict) == {"end_date"}
    assert TreatmentCourse.objects.get(pk=course.pk).end_date == ended.end_date
    assert update(ended, cast.physician, instructions="Keep the skin moist.").instructions == (
        "Keep the skin moist.")


def test_an_unknown_status_is_refused_naming_status(cast, course):
    with pytest.raises((ValidationError, KeyError)) as caught:
        update(course, cast.physician, status="cured")
    assert isinstance(caught.value, ValidationError)
    assert "status" in caught.value.message_dict
    assert TreatmentCourse.objects.get(pk=course.pk).status == "active"


@pytest.mark.parametrize(("changes", "field"), [
    ({"medication": "Something else"}, "medication"),
    ({"start_date": TODAY}, "start_date"),
    ({"applications_per_day": 3}, "applications_per_day"),
    ({"patient": "x", "instructions": "ok"}, "patient"),
    ({"end_date": TODAY - days(11)}, "end_date"),
])
def test_a_bad_change_is_refused_naming_the_field_and_changes_nothing(cast, course, changes, field):
    with pytest.raises(ValidationError) as caught:
        update(course, cast.physician, **changes)
    assert field in caught.value.message_dict
    stored = TreatmentCourse.objects.get(pk=course.pk)
    assert (stored.version, stored.instructions, stored.end_date) == (
        1, "Once daily in the evening.", None)
    assert not RecordVersion.objects.filter(object_type="course").exists()


def test_a_change_keeps_the_earlier_values_as_a_version(cast, course, frozen):
    update(course, cast.physician, instructions="Twice daily", end_date=TODAY + days(30))
    frozen.shift(days(1))
    update(course, cast.other_physician, end_date=TODAY + days(40))

    stored = TreatmentCourse.objects.get(pk=course.pk)
    assert (stored.version, stored.instructions, stored.end_date) == (
        3, "Twice daily", TODAY + days(40))
    versions = list(RecordVersion.objects.filter(object_type="course", object_id=course.pk)
                    .order_by("version"))
    assert [(v.version, v.changed_by_id, v.action) for v in versions] == [
        (2, cast.physician.pk, "update"), (3, cast.other_physician.pk, "update")]
    assert versions[0].changes == {
        "instructions": {"from": "Once daily in the evening.", "to": "Twice daily"},
        "end_date": {"from": None, "to": str(TODAY + days(30))},
    }
    assert versions[1].changes == {
        "end_date": {"from": str(TODAY + days(30)), "to": str(TODAY + days(40))}}
    assert versions[1].changed_at - versions[0].changed_at == days(1)


def test_a_change_to_the_same_values_stores_no_version(cast, course):
    same = update(course, cast.physician, status="active", instructions="Once daily in the evening.",
                  end_date=None)
    assert same.version == 1
    assert TreatmentCourse.objects.get(pk=course.pk).version == 1
    assert not RecordVersion.objects.exists()


def test_a_pause_covers_the_days_from_pausing_to_the_day_before_resuming(cast, course, frozen):
    update(course, cast.physician, status="paused")
    pause = CoursePause.objects.get(course=course)
    assert (pause.starts_on, pause.ends_on) == (TODAY, None)

    frozen.move_to(on(TODAY + days(3), 9))
    update(course, cast.physician, status="active")
    pause.refresh_from_db()
    assert (pause.starts_on, pause.ends_on) == (TODAY, TODAY + days(2))

    frozen.move_to(on(TODAY + days(5), 9))
    update(course, cast.physician, status="paused")
    frozen.move_to(on(TODAY + days(6), 9))
    update(course, cast.physician, status="active")
    assert list(CoursePause.objects.filter(course=course).values_list("starts_on", "ends_on")) == [
        (TODAY, TODAY + days(2)), (TODAY + days(5), TODAY + days(5))]


def test_pausing_after_she_applied_today_keeps_todays_application_in_adherence(
        cast, course, frozen):
    records.record_create(kind=records.APPLICATION, recorded_by=cast.patient_user, course=course,
                          data={"applied_at": on(TODAY, 8), "status": "applied"})
    update(course, cast.physician, status="paused")
    frozen.move_to(on(TODAY + days(3), 9))
    update(course, cast.physician, status="active")
    result = course_adherence(course=course, start=TODAY, end=TODAY + days(3))
    assert [(d.expected, d.applied) for d in result.days] == [(1, 1), (0, 0), (0, 0), (1, 0)]
    assert (result.expected, result.applied) == (1, 1)  # today (+3) is pending


def test_paused_and_resumed_the_same_day_leaves_no_pause(cast, course, frozen):
    update(course, cast.physician, status="paused")
    frozen.shift(dt.timedelta(hours=3))  # 21:00 in Denver, already the next day in UTC
    resumed = update(course, cast.physician, status="active")
    assert resumed.status == "active"
    assert not CoursePause.objects.filter(course=course).exists()
    assert resumed.version == 3


@pytest.mark.parametrize("final", ["completed", "stopped"])
def test_ending_a_paused_course_closes_the_pause_on_the_end_day(cast, course, frozen, final):
    update(course, cast.physician, status="paused")
    frozen.move_to(on(TODAY + days(4)))
    ended = update(course, cast.physician, status=final)
    pause = CoursePause.objects.get(course=course)
    assert (pause.starts_on, pause.ends_on) == (TODAY, TODAY + days(4))
    assert ended.end_date == TODAY + days(4)


@pytest.mark.parametrize("final", ["completed", "stopped"])
@pytest.mark.parametrize(("end_date", "expected_end"), [
    (None, TODAY),
    (TODAY + days(20), TODAY),
    (TODAY - days(2), TODAY - days(2)),
    (TODAY, TODAY),
])
def test_ending_a_course_sets_its_end_date_to_today_unless_it_ended_earlier(cast, course, final,
                                                                            end_date, expected_end):
    if end_date is not None:
        course = update(course, cast.physician, end_date=end_date)
    ended = update(course, cast.physician, status=final)
    stored = TreatmentCourse.objects.get(pk=course.pk)
    assert (stored.status, stored.end_date) == (final, expected_end)
    assert ended.end_date == expected_end


def test_the_api_refuses_to_reopen_a_completed_course_naming_status(cast, api, course):
    client = api(cast.physician)
    url = f"/api/v1/courses/{course.pk}/"
    assert client.patch(url, {"status": "completed"}, format="json").status_code == 200

    response = client.patch(url, {"status": "active"}, format="json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "status" in response.json()["errors"]
    stored = TreatmentCourse.objects.get(pk=course.pk)
    assert (stored.status, stored.version) == ("completed", 2)
    history = client.get(f"{url}history/").json()["results"]
    assert [v["changes"]["status"] for v in history] == [{"from": "active", "to": "completed"}]


# --- Timeline -------------------------------------------------------------------------------------
@pytest.fixture
def timeline_records(cast: Any, course: TreatmentCourse) -> dict[str, Any]:
    """One record of each kind, oldest first: debridement, application, symptom; then a voided one."""
    debridement, _ = records.record_create(
        kind=records.DEBRIDEMENT, recorded_by=cast.physician, course=course,
        data={"performed_at": on(TODAY - days(11), 10), "method": "excisional",
              "nodules_removed": 3, "specimen_sent": True})
    application, _ = records.record_create(
        kind=records.APPLICATION, recorded_by=cast.patient_user, course=course,
        data={"applied_at": on(TODAY - days(2), 20), "status": "applied"})
    symptom, _ = records.record_create(
        kind=records.SYMPTOM, recorded_by=cast.patient_user, course=course,
        data={"recorded_at": on(TODAY - days(1), 9), "pain": 3, "itch": 5, "fever": True})
    voided, _ = records.record_create(
        kind=records.APPLICATION, recorded_by=cast.patient_user, course=course,
        data={"applied_at": on(TODAY, 8), "status": "skipped", "skip_reason": "Sore"})
    records.record_void(kind=records.APPLICATION, record=voided, voided_by=cast.nurse,
                        reason="Not skipped after all")
    return {"debridement": debridement, "application": application, "symptom": symptom,
            "voided": voided}


def test_the_timeline_lists_every_kind_newest_first_with_voided_ones_flagged(cast, course,
                                                                            timeline_records):
    timeline = CourseTimeline(course)
    entries = timeline[0:50]
    recs = timeline_records

    assert len(timeline) == 4
    assert [(e.type, e.id) for e in entries] == [
        ("application", recs["voided"].pk), ("symptom", recs["symptom"].pk),
        ("application", recs["application"].pk), ("debridement", recs["debridement"].pk)]
    assert [e.at for e in entries] == [on(TODAY, 8), on(TODAY - days(1), 9), on(TODAY - days(2), 20),
                                       on(TODAY - days(11), 10)]
    assert [e.entered_in_error for e in entries] == [True, False, False, False]
    assert "entered in error" in entries[0].summary
    assert "Pain 3/10" in entries[1].summary and "fever" in entries[1].summary
    assert entries[2].summary == "Applied"
    assert "Excisional" in entries[3].summary and "3 nodules" in entries[3].summary


def test_the_timeline_holds_only_the_courses_own_records(cast, course, timeline_records):
    other, _ = courses.course_create(patient=cast.patient, prescribed_by=cast.physician,
                                     data=regimen(body_site="Right calf"), previous=course,
                                     previous_status="paused")
    records.record_create(kind=records.APPLICATION, recorded_by=cast.patient_user, course=other,
                          data={"applied_at": on(TODAY, 7), "status": "applied"})
    assert len(CourseTimeline(course)) == 4
    assert {e.id for e in CourseTimeline(course)[0:50]} == {r.pk for r in timeline_records.values()}


def test_the_timeline_endpoint_pages_newest_first(cast, api, course, timeline_records):
    client = api(cast.nurse)
    url = f"/api/v1/courses/{course.pk}/timeline/"

    first = client.get(url, {"page_size": 3})
    assert first.status_code == 200, first.content
    body = first.json()
    assert body["count"] == 4
    assert body["previous"] is None
    assert "page=2" in body["next"] and "page_size=3" in body["next"]
    assert [r["id"] for r in body["results"]] == [
        str(timeline_records[k].pk) for k in ("voided", "symptom", "application")]
    assert set(body["results"][0]) >= {"type", "id", "at", "summary"}
    assert body["results"][0]["at"] == "2026-06-10T14:00:00Z"
    assert body["results"][0]["entered_in_error"] is True

    second = client.get(body["next"]).json()
    assert second["next"] is None
    assert [(r["type"], r["id"]) for r in second["results"]] == [
        ("debridement", str(timeline_records["debridement"].pk))]


def _timeline_queries(client: Any, url: str, page_size: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"page_size": page_size})
    assert response.status_code == 200
    assert len(response.json()["results"]) == min(page_size, response.json()["count"])
    return len(queries)


def test_a_timeline_page_costs_the_same_few_queries_whatever_its_size(
        cast, api, course, timeline_records, django_assert_num_queries,
        django_assert_max_num_queries):
    client = api(cast.nurse)
    url = f"/api/v1/courses/{course.pk}/timeline/"
    small = _timeline_queries(client, url, 50)

    for n in range(60):
        kind = (records.APPLICATION, records.SYMPTOM, records.DEBRIDEMENT)[n % 3]
        data = {kind.time_field: on(TODAY - days(9), 0) + dt.timedelta(minutes=n),
                **{"application": {"status": "applied"}, "symptom": {"pain": 1, "itch": 1},
                   "debridement": {"method": "sharp"}}[kind.object_type]}
        records.record_create(kind=kind, recorded_by=cast.nurse, course=course, data=data)

    with django_assert_num_queries(small):
        response = client.get(url, {"page_size": 50})
    assert len(response.json()["results"]) == 50
    with django_assert_max_num_queries(small):
        response = client.get(url, {"page_size": 1})
    assert len(response.json()["results"]) == 1
    # The page of 50 loads each kind in one query: the keys, three counts, three kinds, and the
    # request's own bookkeeping (audit), never one query per row.
    assert small <= 15


def test_the_timeline_selector_loads_a_page_in_one_query_per_kind(cast, course, timeline_records,
                                                                  django_assert_max_num_queries):
    with django_assert_max_num_queries(4):  # the keys, then one per kind on the page
        entries = CourseTimeline(course)[0:50]
    assert len(entries) == 4
    with django_assert_max_num_queries(2):
        assert len(CourseTimeline(course)[0:1]) == 1


def test_the_api_answers_a_retried_prescription_with_200_and_a_changed_one_with_409(cast, api, frozen):
    client = api(cast.physician)
    course_id = str(uuid.uuid4())
    body = {"id": course_id, "patient": str(cast.patient.pk), "medication": "Sodium thiosulfate",
            "concentration_percent": 10, "vehicle": "Oil-in-water emulsion",
            "body_site": "Left lateral thigh", "applications_per_day": 1,
            "start_date": str(TODAY - days(3))}
    created = client.post("/api/v1/courses/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "active"
    count = TreatmentCourse.objects.count()

    again = client.post("/api/v1/courses/", {**body, "concentration_percent": "10.00"}, format="json")
    changed = client.post("/api/v1/courses/", {**body, "applications_per_day": 2}, format="json")

    assert again.status_code == 200
    assert again.json()["id"] == course_id
    assert changed.status_code == 409
    assert "id" in changed.json()["errors"]
    assert TreatmentCourse.objects.count() == count
    assert TreatmentCourse.objects.get(pk=course_id).applications_per_day == 1
