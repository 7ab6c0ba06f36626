"""Adherence in the patient's own calendar days (tracker/selectors/adherence.py and its endpoint).

Every test freezes the clock: "today" is the patient's local day at that frozen instant.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from tracker.models import Application, CoursePause, Patient, TreatmentCourse
from tracker.selectors.adherence import MAX_PERIOD_DAYS, AdherenceDay, course_adherence
from tracker.selectors.overview import patients_overview
from tracker.services import courses, people, records

UTC = dt.UTC
D = dt.date(2026, 6, 10)  # an ordinary summer day, no DST change anywhere near it


def local(tz: str, day: dt.date, hour: int, minute: int = 0, *, fold: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(tz), fold=fold)


def days_after(day: dt.date, n: int) -> dt.date:
    return day + dt.timedelta(days=n)


@pytest.fixture
def new_course(cast: Any) -> Any:
    """new_course(tz, start, per_day=1, end=None): a fresh patient in `tz` with an active course.

    Call it inside the frozen clock: the course service checks the start against the patient's today.
    """

    def make(tz: str, start: dt.date, *, per_day: int = 1, end: dt.date | None = None
             ) -> TreatmentCourse:
        patient, _ = people.patient_create(created_by=cast.physician, display_name="Test Patient",
                                           birth_year=1950, timezone_name=tz, language="en")
        course, _ = courses.course_create(patient=patient, prescribed_by=cast.physician, data={
            "medication": "Sodium thiosulfate", "concentration_percent": 10,
            "vehicle": "Oil-in-water emulsion", "body_site": "Left lateral thigh",
            "applications_per_day": per_day, "start_date": start, "end_date": end,
            "instructions": "",
        })
        return course

    return make


@pytest.fixture
def log(cast: Any) -> Any:
    """log(course, when, status="applied", reason="") stores one application by the nurse."""

    def make(course: TreatmentCourse, when: dt.datetime, status: str = "applied",
             reason: str = "") -> Application:
        record, created = records.record_create(
            kind=records.APPLICATION, recorded_by=cast.nurse, course=course,
            data={"applied_at": when, "status": status, "skip_reason": reason},
        )
        assert created
        return record  # type: ignore[return-value]

    return make


def by_day(course: TreatmentCourse, **kwargs: Any) -> dict[dt.date, tuple[int, int, int]]:
    result = course_adherence(course=course, **kwargs)
    return {d.date: (d.expected, d.applied, d.skipped) for d in result.days}


# --- The patient's calendar day, east and west of UTC ---------------------------------------------
@pytest.mark.parametrize(("tz", "hour", "minute"), [
    ("America/Denver", 23, 30),   # 05:30 UTC the next day
    ("America/Denver", 18, 30),   # 00:30 UTC the next day
    ("Asia/Tokyo", 0, 30),        # 15:30 UTC the day before
    ("Asia/Tokyo", 8, 30),        # 23:30 UTC the day before
    ("Pacific/Auckland", 0, 30),  # 12:30 UTC the day before
    ("Pacific/Auckland", 11, 30),  # 23:30 UTC the day before
])
def test_an_application_counts_for_the_patients_local_day_not_the_utc_day(
        new_course, log, tz, hour, minute):
    when = local(tz, D, hour, minute)
    assert when.astimezone(UTC).date() != D  # the case only means something if the UTC day differs
    with time_machine.travel(local(tz, days_after(D, 1), 12), tick=False):
        course = new_course(tz, days_after(D, -2))
        record = log(course, when)
        days = by_day(course, start=days_after(D, -1), end=days_after(D, 1))

    assert record.local_date == D
    assert days[D] == (1, 1, 0)
    assert days[days_after(D, -1)] == (1, 0, 0)
    assert days[days_after(D, 1)] == (1, 0, 0)


@pytest.mark.parametrize(("tz", "now_local", "today"), [
    # 23:00 in Denver is already tomorrow in UTC: tomorrow is not expected yet.
    ("America/Denver", local("America/Denver", D, 23), D),
    # 01:00 in Tokyo is still yesterday in UTC: the Tokyo day has begun and is expected.
    ("Asia/Tokyo", local("Asia/Tokyo", days_after(D, 1), 1), days_after(D, 1)),
])
def test_today_is_the_patients_local_day(new_course, tz, now_local, today):
    with time_machine.travel(now_local, tick=False):
        course = new_course(tz, days_after(D, -3))
        days = by_day(course, start=days_after(D, -1), end=days_after(D, 2))

    assert {day for day, (expected, _, _) in days.items() if expected} == {
        d for d in (days_after(D, -1), D, days_after(D, 1)) if d <= today
    }
    assert days[today][0] == 1
    assert days[days_after(today, 1)][0] == 0


def test_an_east_of_utc_patient_logging_just_after_midnight_keeps_todays_streak(new_course, log):
    tz = "Asia/Tokyo"
    with time_machine.travel(local(tz, D, 0, 45), tick=False):  # 15:45 UTC on the day before
        course = new_course(tz, days_after(D, -2))
        for offset in (-2, -1):
            log(course, local(tz, days_after(D, offset), 21))
        log(course, local(tz, D, 0, 30))
        result = course_adherence(course=course)

    assert result.end == D
    assert result.days[-1].date == D
    assert result.days[-1].applied == 1
    assert result.current_streak_days == 3


# --- Daylight saving time -------------------------------------------------------------------------
DST_DAYS = [
    pytest.param("America/Denver", dt.date(2026, 3, 8), id="us-spring-forward-23h"),
    pytest.param("America/Denver", dt.date(2026, 11, 1), id="us-fall-back-25h"),
    pytest.param("Europe/Madrid", dt.date(2026, 3, 29), id="eu-spring-forward-23h"),
    pytest.param("Europe/Madrid", dt.date(2026, 10, 25), id="eu-fall-back-25h"),
]


@pytest.mark.parametrize(("tz", "dst_day"), DST_DAYS)
def test_a_dst_day_is_expected_once_and_every_day_around_it_counts_once(new_course, log, tz, dst_day):
    length = local(tz, days_after(dst_day, 1), 0).astimezone(UTC) - local(tz, dst_day, 0).astimezone(UTC)
    hours = length / dt.timedelta(hours=1)
    assert hours in (23, 25)  # the parameters really are DST days
    with time_machine.travel(local(tz, days_after(dst_day, 2), 12), tick=False):
        course = new_course(tz, days_after(dst_day, -3))
        for offset in range(-3, 2):
            log(course, local(tz, days_after(dst_day, offset), 23, 30))
        result = course_adherence(course=course)

    assert [d.date for d in result.days] == [days_after(dst_day, n) for n in range(-3, 3)]
    assert [(d.expected, d.applied) for d in result.days] == [(1, 1)] * 5 + [(1, 0)]
    assert (result.expected, result.applied) == (5, 5)  # today, not logged yet, is pending
    assert result.current_streak_days == 5


@pytest.mark.parametrize(("tz", "dst_day"), DST_DAYS)
def test_applications_at_half_past_midnight_and_half_past_eleven_fall_on_the_dst_day(
        new_course, log, tz, dst_day):
    with time_machine.travel(local(tz, days_after(dst_day, 1), 12), tick=False):
        course = new_course(tz, days_after(dst_day, -1), per_day=2)
        first = log(course, local(tz, dst_day, 0, 30))
        last = log(course, local(tz, dst_day, 23, 30))
        days = by_day(course)

    assert first.local_date == last.local_date == dst_day
    assert days[dst_day] == (2, 2, 0)
    assert days[days_after(dst_day, -1)] == (2, 0, 0)
    assert days[days_after(dst_day, 1)] == (2, 0, 0)


def test_the_repeated_hour_of_a_fall_back_day_belongs_to_that_day(new_course, log):
    tz, day = "America/Denver", dt.date(2026, 11, 1)
    first = local(tz, day, 1, 30, fold=0)  # 01:30 MDT
    second = local(tz, day, 1, 30, fold=1)  # 01:30 MST, an hour later
    assert second.astimezone(UTC) - first.astimezone(UTC) == dt.timedelta(hours=1)
    with time_machine.travel(local(tz, day, 12), tick=False):
        course = new_course(tz, days_after(day, -1), per_day=2)
        log(course, first)
        log(course, second)
        days = by_day(course)

    assert days[day] == (2, 2, 0)
    assert days[days_after(day, -1)] == (2, 0, 0)


# --- What counts ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("per_day", "logged", "applied"), [
    (1, 1, 1),
    (1, 2, 1),  # two on a once-daily day count once
    (2, 1, 1),
    (2, 2, 2),
    (2, 3, 2),
])
def test_applied_counts_at_most_the_expected_applications_of_a_day(new_course, log, per_day, logged,
                                                                   applied):
    tz = "America/Denver"
    with time_machine.travel(local(tz, D, 22), tick=False) as clock:
        course = new_course(tz, days_after(D, -1), per_day=per_day)
        for n in range(logged):
            log(course, local(tz, D, 8 + n))
        clock.move_to(local(tz, days_after(D, 1), 8))  # the day is over: nothing is pending
        result = course_adherence(course=course, start=D, end=D)

    assert result.days[0].expected == per_day
    assert result.days[0].applied == applied
    assert result.applied == applied
    assert result.adherence_percent == round(100 * applied / per_day, 1)


def test_days_before_the_start_and_after_today_are_not_expected(new_course, log):
    tz = "Europe/Madrid"
    with time_machine.travel(local(tz, D, 12), tick=False):
        course = new_course(tz, days_after(D, -2))
        log(course, local(tz, days_after(D, -1), 9))
        result = course_adherence(course=course, start=days_after(D, -5), end=days_after(D, 3))

    expected = {d.date: d.expected for d in result.days}
    assert [d for d, n in expected.items() if n] == [days_after(D, n) for n in (-2, -1, 0)]
    # Today, not logged yet, is pending: counted once she logs it.
    assert result.expected == 2
    assert result.applied == 1
    assert result.adherence_percent == 50.0
    assert len(result.days) == 9


def test_a_period_with_nothing_expected_has_no_percentage(new_course):
    tz = "America/Denver"
    with time_machine.travel(local(tz, D, 12), tick=False):
        course = new_course(tz, days_after(D, 5))
        result = course_adherence(course=course)

    assert result.expected == 0
    assert result.adherence_percent is None
    assert result.current_streak_days == 0


def test_entered_in_error_applications_do_not_count(cast, new_course, log):
    tz = "America/Denver"
    with time_machine.travel(local(tz, D, 22), tick=False):
        course = new_course(tz, days_after(D, -1))
        kept = log(course, local(tz, days_after(D, -1), 20))
        wrong = log(course, local(tz, D, 20))
        before = by_day(course)
        records.record_void(kind=records.APPLICATION, record=wrong, voided_by=cast.nurse,
                            reason="Logged on the wrong day")
        after = course_adherence(course=course)

    assert before[D] == (1, 1, 0)
    assert {d.date: d.applied for d in after.days} == {days_after(D, -1): 1, D: 0}
    assert after.applied == 1
    assert after.current_streak_days == 1  # today is not logged any more: the streak ends yesterday
    assert Application.objects.filter(pk=wrong.pk).exists()
    assert kept.local_date == days_after(D, -1)


def test_a_skipped_day_is_expected_and_not_applied(new_course, log):
    tz = "America/Denver"
    with time_machine.travel(local(tz, D, 22), tick=False):
        course = new_course(tz, days_after(D, -2))
        log(course, local(tz, days_after(D, -2), 20))
        log(course, local(tz, days_after(D, -1), 20), "skipped", "Skin too sore")
        log(course, local(tz, D, 20))
        days = by_day(course)

    assert days[days_after(D, -1)] == (1, 0, 1)
    assert days[D] == (1, 1, 0)


def test_paused_days_are_not_expected(cast, new_course, log):
    tz = "America/Denver"
    with time_machine.travel(local(tz, days_after(D, -6), 9), tick=False) as clock:
        course = new_course(tz, days_after(D, -8))
        clock.move_to(local(tz, days_after(D, -4), 9))
        courses.course_update(course=course, changed_by=cast.physician, changes={"status": "paused"})
        clock.move_to(local(tz, days_after(D, -1), 9))
        courses.course_update(course=course, changed_by=cast.physician, changes={"status": "active"})
        clock.move_to(local(tz, D, 22))
        for offset in (-8, -7, -6, -5, -1, 0):
            log(course, local(tz, days_after(D, offset), 20))
        result = course_adherence(course=course)

    pause = CoursePause.objects.get(course=course)
    assert (pause.starts_on, pause.ends_on) == (days_after(D, -4), days_after(D, -2))
    expected = {d.date: d.expected for d in result.days}
    assert [d for d, n in expected.items() if not n] == [days_after(D, n) for n in (-4, -3, -2)]
    assert (result.expected, result.applied) == (6, 6)
    assert result.adherence_percent == 100.0
    # Pause days neither break the streak nor lengthen it.
    assert result.current_streak_days == 6


def test_a_course_paused_now_expects_nothing_from_the_pause_on(cast, new_course, log):
    tz = "America/Denver"
    with time_machine.travel(local(tz, days_after(D, -1), 9), tick=False) as clock:
        course = new_course(tz, days_after(D, -3))
        for offset in (-3, -2):
            log(course, local(tz, days_after(D, offset), 8))
        courses.course_update(course=course, changed_by=cast.physician, changes={"status": "paused"})
        clock.move_to(local(tz, days_after(D, 1), 12))
        result = course_adherence(course=course)

    assert [(d.date, d.expected) for d in result.days] == [
        (days_after(D, -3), 1), (days_after(D, -2), 1), (days_after(D, -1), 0), (D, 0),
        (days_after(D, 1), 0),
    ]
    assert result.current_streak_days == 2


@pytest.mark.parametrize(("tz", "day", "applied", "paused"), [
    pytest.param("America/Denver", D, (20, 0, 0), (21, 0, 0), id="an-ordinary-day"),
    # 01:30 MST, then paused at 03:30 MDT: the clock jumped from 02:00 to 03:00 between them.
    pytest.param("America/Denver", dt.date(2026, 3, 8), (1, 30, 0), (3, 30, 0),
                 id="us-spring-forward"),
    # 01:30 MDT, then paused at 01:10 MST, which is 40 minutes later though it reads earlier.
    pytest.param("America/Denver", dt.date(2026, 11, 1), (1, 30, 0), (1, 10, 1),
                 id="us-fall-back"),
    pytest.param("Europe/Madrid", dt.date(2026, 3, 29), (1, 45, 0), (3, 15, 0),
                 id="eu-spring-forward"),
])
def test_an_application_on_the_day_the_course_is_paused_counts_on_that_day(
        cast, new_course, log, tz, day, applied, paused):
    applied_at = local(tz, day, applied[0], applied[1], fold=applied[2])
    paused_at = local(tz, day, paused[0], paused[1], fold=paused[2])
    assert applied_at.astimezone(UTC) < paused_at.astimezone(UTC)
    with time_machine.travel(paused_at, tick=False) as clock:
        course = new_course(tz, days_after(day, -2))
        for offset in (-2, -1):
            log(course, local(tz, days_after(day, offset), 20))
        log(course, applied_at)
        courses.course_update(course=course, changed_by=cast.physician, changes={"status": "paused"})
        clock.move_to(local(tz, days_after(day, 2), 12))
        result = course_adherence(course=course)

    assert [(d.date, d.expected, d.applied) for d in result.days] == [
        (days_after(day, -2), 1, 1), (days_after(day, -1), 1, 1), (day, 1, 1),
        (days_after(day, 1), 0, 0), (days_after(day, 2), 0, 0)]
    assert (result.expected, result.applied, result.adherence_percent) == (3, 3, 100.0)
    assert result.current_streak_days == 3


def test_the_day_a_course_is_paused_expects_nothing_not_applied(cast, new_course, log):
    tz = "America/Denver"
    with time_machine.travel(local(tz, D, 9), tick=False) as clock:
        course = new_course(tz, days_after(D, -1))
        log(course, local(tz, days_after(D, -1), 20))
        courses.course_update(course=course, changed_by=cast.physician, changes={"status": "paused"})
        clock.move_to(local(tz, days_after(D, 1), 12))
        result = course_adherence(course=course)

    assert [(d.expected, d.applied) for d in result.days] == [(1, 1), (0, 0), (0, 0)]
    assert (result.expected, result.applied) == (1, 1)


@pytest.mark.parametrize("final", ["completed", "stopped"])
def test_an_ended_course_expects_nothing_after_its_end(cast, new_course, log, final):
    tz = "Europe/Madrid"
    with time_machine.travel(local(tz, days_after(D, -2), 21), tick=False) as clock:
        course = new_course(tz, days_after(D, -4))
        for offset in (-4, -3, -2):
            log(course, local(tz, days_after(D, offset), 20))
        course = courses.course_update(course=course, changed_by=cast.physician,
                                       changes={"status": final})
        clock.move_to(local(tz, days_after(D, 3), 12))
        result = course_adherence(course=course)

    course.refresh_from_db()
    assert course.end_date == days_after(D, -2)
    expected = {d.date: d.expected for d in result.days}
    assert [d for d, n in expected.items() if n] == [days_after(D, n) for n in (-4, -3, -2)]
    assert result.days[-1].date == days_after(D, 3)
    assert (result.expected, result.applied, result.adherence_percent) == (3, 3, 100.0)


def test_a_course_with_an_end_date_in_the_future_expects_nothing_after_today(new_course):
    tz = "America/Denver"
    with time_machine.travel(local(tz, D, 12), tick=False):
        course = new_course(tz, days_after(D, -1), end=days_after(D, 10))
        result = course_adherence(course=course, start=days_after(D, -1), end=days_after(D, 10))

    assert sum(1 for d in result.days if d.expected) == 2
    assert result.expected == 1  # yesterday; today is pending until logged


# --- Streak ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("per_day", "logged", "streak"), [
    # logged: offset from today -> applications ("s" a skip), oldest first
    pytest.param(1, {-3: "a", -2: "a", -1: "a", 0: "a"}, 4, id="every-day-including-today"),
    pytest.param(1, {-3: "a", -2: "a", -1: "a"}, 3, id="today-not-yet-logged-ends-yesterday"),
    pytest.param(1, {-3: "a", -2: "a", -1: "a", 0: "s"}, 0, id="skip-today-gives-zero"),
    pytest.param(1, {-3: "a", -1: "a", 0: "a"}, 2, id="a-gap-breaks-it"),
    pytest.param(1, {-3: "a", -2: "a", -1: "s", 0: "a"}, 1, id="a-skip-yesterday-breaks-it"),
    pytest.param(1, {-3: "a", -2: "a"}, 0, id="nothing-yesterday-nor-today"),
    pytest.param(2, {-2: "aa", -1: "aa", 0: "a"}, 2, id="today-half-done-ends-yesterday"),
    pytest.param(2, {-2: "aa", -1: "a", 0: "aa"}, 1, id="a-half-done-day-breaks-it"),
    pytest.param(2, {-2: "aa", -1: "aa", 0: "as"}, 0, id="a-skip-today-gives-zero"),
])
def test_the_streak_counts_fully_applied_days_ending_today_or_yesterday(new_course, log, per_day,
                                                                        logged, streak):
    tz = "Pacific/Auckland"
    with time_machine.travel(local(tz, D, 23), tick=False):
        course = new_course(tz, days_after(D, -3), per_day=per_day)
        for offset, kinds in logged.items():
            for n, kind in enumerate(kinds):
                when = local(tz, days_after(D, offset), 9 + n)
                if kind == "a":
                    log(course, when)
                else:
                    log(course, when, "skipped", "Ran out of cream")
        result = course_adherence(course=course)

    assert result.current_streak_days == streak


def test_the_streak_does_not_depend_on_the_period_asked_for(new_course, log):
    tz = "America/Denver"
    with time_machine.travel(local(tz, D, 22), tick=False):
        course = new_course(tz, days_after(D, -5))
        for offset in range(-5, 1):
            log(course, local(tz, days_after(D, offset), 20))
        narrow = course_adherence(course=course, start=days_after(D, -5), end=days_after(D, -4))

    assert narrow.current_streak_days == 6
    assert (narrow.expected, narrow.applied) == (2, 2)


# --- The period -----------------------------------------------------------------------------------
def test_a_period_ending_before_it_starts_is_refused_naming_end(cast):
    with pytest.raises(ValidationError) as caught:
        course_adherence(course=cast.course, start=dt.date(2026, 5, 2), end=dt.date(2026, 5, 1))
    assert "end" in caught.value.message_dict


def test_a_period_spans_at_most_731_days(cast):
    start = dt.date(2025, 1, 1)
    longest = course_adherence(course=cast.course, start=start,
                               end=start + dt.timedelta(days=MAX_PERIOD_DAYS - 1))
    assert len(longest.days) == 731
    with pytest.raises(ValidationError) as caught:
        course_adherence(course=cast.course, start=start,
                         end=start + dt.timedelta(days=MAX_PERIOD_DAYS))
    assert "end" in caught.value.message_dict


def test_the_default_period_runs_from_the_course_start_to_the_patients_today(new_course):
    tz = "Asia/Tokyo"
    with time_machine.travel(local(tz, D, 1), tick=False):
        course = new_course(tz, days_after(D, -4))
        result = course_adherence(course=course)

    assert (result.start, result.end) == (days_after(D, -4), D)
    assert len(result.days) == 5


# --- The endpoint ---------------------------------------------------------------------------------
def test_the_adherence_endpoint_answers_the_contracts_shape(cast, api, new_course, log):
    tz = "America/Denver"
    with time_machine.travel(local(tz, D, 22), tick=False):
        course = new_course(tz, days_after(D, -2))
        log(course, local(tz, days_after(D, -1), 20))
        log(course, local(tz, D, 20))
        response = api(cast.physician).get(
            f"/api/v1/courses/{course.pk}/adherence/",
            {"start": str(days_after(D, -3)), "end": str(days_after(D, 1))},
        )

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) >= {"start", "end", "expected", "applied", "adherence_percent",
                         "current_streak_days", "days"}
    assert body["start"] == str(days_after(D, -3))
    assert body["end"] == str(days_after(D, 1))
    assert (body["expected"], body["applied"], body["current_streak_days"]) == (3, 2, 2)
    assert body["adherence_percent"] == pytest.approx(66.7)
    assert len(body["days"]) == 5
    assert set(body["days"][0]) >= {"date", "expected", "applied", "skipped"}
    assert body["days"][3] == {"date": str(D), "expected": 1, "applied": 1, "skipped": 0}


@pytest.mark.parametrize(("query", "field"), [
    ({"start": "2026-13-01"}, "start"),
    ({"end": "yesterday"}, "end"),
    ({"start": "2026-06-10", "end": "2026-06-01"}, "end"),
    ({"start": "2023-01-01", "end": "2026-06-01"}, "end"),
    ({"start": "1900-01-01"}, "start"),  # the end is a default: the bound sent is named
    ({"days": "7"}, "days"),  # not a parameter of this endpoint
])
def test_the_adherence_endpoint_refuses_a_bad_period_naming_the_field(cast, api, query, field):
    response = api(cast.patient_user).get(f"/api/v1/courses/{cast.course.pk}/adherence/", query)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 400
    assert field in body["errors"]


def test_the_adherence_endpoint_takes_the_keys_every_get_may_carry(cast, api):
    response = api(cast.patient_user).get(f"/api/v1/courses/{cast.course.pk}/adherence/",
                                          {"format": "json", "page": "1"})
    assert response.status_code == 200, response.content
    assert response.json()["start"] == str(cast.course.start_date)


# --- Today is pending until it is logged ----------------------------------------------------------
def test_today_counts_only_once_logged_applied_or_skipped(new_course, log):
    tz = "America/Denver"
    with time_machine.travel(local(tz, D, 9), tick=False) as clock:
        course = new_course(tz, days_after(D, -3))
        for offset in (-3, -2, -1):
            log(course, local(tz, days_after(D, offset), 20))
        morning = course_adherence(course=course)
        clock.move_to(local(tz, D, 20, 30))
        log(course, local(tz, D, 20), "skipped", "Skin felt too sore")
        skipped = course_adherence(course=course)

    # Before she applies, today is neither expected nor missed: 3 of 3, not 3 of 4.
    assert (morning.expected, morning.applied, morning.adherence_percent) == (3, 3, 100.0)
    assert morning.days[-1] == AdherenceDay(D, expected=1, applied=0, skipped=0, pending=1)
    assert morning.current_streak_days == 3
    # Logged as skipped, today counts: expected and not applied.
    assert (skipped.expected, skipped.applied, skipped.adherence_percent) == (4, 3, 75.0)
    assert skipped.days[-1].pending == 0


def test_of_two_applications_today_the_one_not_logged_yet_is_pending(new_course, log):
    tz = "Europe/Madrid"
    with time_machine.travel(local(tz, D, 13), tick=False):
        course = new_course(tz, days_after(D, -1), per_day=2)
        log(course, local(tz, days_after(D, -1), 9))
        log(course, local(tz, D, 9))
        result = course_adherence(course=course)

    assert [(d.expected, d.applied, d.pending) for d in result.days] == [(2, 1, 0), (2, 1, 1)]
    assert (result.expected, result.applied) == (3, 2)


def test_the_adherence_endpoint_keeps_todays_day_and_leaves_it_out_of_the_totals(
        cast, api, new_course, log):
    tz = "America/Denver"
    with time_machine.travel(local(tz, D, 9), tick=False):
        course = new_course(tz, days_after(D, -2))
        log(course, local(tz, days_after(D, -2), 20))
        body = api(cast.physician).get(f"/api/v1/courses/{course.pk}/adherence/").json()

    # The days keep their shape: today says what it expects, so an app can show it open.
    assert body["days"][-1] == {"date": str(D), "expected": 1, "applied": 0, "skipped": 0}
    assert (body["expected"], body["applied"], body["adherence_percent"]) == (2, 1, 50.0)
    assert body["expected"] == sum(d["expected"] for d in body["days"]) - 1


def test_the_care_teams_seven_days_count_today_only_once_logged(cast, new_course, log):
    tz = "America/Denver"
    with time_machine.travel(local(tz, D, 9), tick=False) as clock:
        course = new_course(tz, days_after(D, -10))
        for offset in range(-6, 0):
            log(course, local(tz, days_after(D, offset), 20))
        patients = Patient.objects.filter(pk=course.patient_id)
        [morning] = patients_overview(patients)
        clock.move_to(local(tz, D, 21))
        log(course, local(tz, D, 20, 30), "skipped", "Ran out of the emulsion")
        [evening] = patients_overview(patients)

    assert (morning.expected_7d, morning.applied_7d, morning.adherence_7d_percent) == (6, 6, 100.0)
    assert (evening.expected_7d, evening.applied_7d, evening.adherence_7d_percent) == (7, 6, 85.7)
