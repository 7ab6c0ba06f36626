"""The rules that open alerts (issue 4, point 5), each with a fixed clock: nothing logged for two whole
local days, warning signs in a symptom entry, a rise in pain, a worrying review, and the healing
checkpoint. Each opens one alert per episode: none while one of its kind is open."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.conftest import retire_courses
from tracker import clock, tasks
from tracker.models import (
    Alert,
    AlertKind,
    AlertStatus,
    Patient,
    Photo,
    PhotoStatus,
    TreatmentCourse,
    User,
)
from tracker.services import alert_rules, courses, people, records, reviews
from tracker.services.alerts import alert_acknowledge

AUCKLAND, DENVER = "Pacific/Auckland", "America/Denver"
# Thursday 12 March 2026, 12:00 UTC: already Friday 13 March (01:00) in Auckland, still Thursday
# 12 March (06:00) in Denver.
NOW = dt.datetime(2026, 3, 12, 12, tzinfo=dt.UTC)
COURSE_START = dt.date(2026, 3, 1)
LAST_LOG = dt.date(2026, 3, 10)


def local(day: dt.date, tz: str, hour: int = 20) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), ZoneInfo(tz))


def new_patient(cast: Any, tz: str, name: str = "Ana") -> Patient:
    with time_machine.travel(local(COURSE_START, tz, 8), tick=False):
        patient, _ = people.patient_create(created_by=cast.physician, display_name=name,
                                           birth_year=1945, timezone_name=tz, language="en")
    return patient


def new_course(cast: Any, patient: Patient, start: dt.date = COURSE_START,
               end: dt.date | None = None) -> TreatmentCourse:
    retire_courses(patient)
    with time_machine.travel(local(start, patient.timezone, 9), tick=False):
        course, _ = courses.course_create(patient=patient, prescribed_by=cast.physician, data={
            "medication": "Sodium thiosulfate", "concentration_percent": 10,
            "vehicle": "Oil-in-water emulsion", "body_site": "Left lateral thigh",
            "applications_per_day": 1, "start_date": start, "end_date": end, "instructions": "",
        })
    return course


def log(course: TreatmentCourse, by: User, day: dt.date, status: str = "applied") -> Any:
    when = local(day, course.patient.timezone)
    with time_machine.travel(when + dt.timedelta(minutes=5), tick=False):
        record, _ = records.record_create(
            kind=records.APPLICATION, recorded_by=by, course=course,
            data={"applied_at": when, "status": status,
                  "skip_reason": "Skin sore." if status == "skipped" else ""})
    return record


def set_status(course: TreatmentCourse, by: User, status: str, day: dt.date) -> None:
    with time_machine.travel(local(day, course.patient.timezone, 10), tick=False):
        courses.course_update(course=course, changed_by=by, changes={"status": status})


def check(at: dt.datetime) -> set[tuple[Any, str]]:
    """Run the rule at `at`; the (course, kind) of every no_log alert open afterwards."""
    alert_rules.missed_days_check(now=at)
    return set(Alert.objects.filter(kind=AlertKind.NO_LOG, status=AlertStatus.OPEN)
               .values_list("course_id", "severity"))


# --- Nothing logged for two whole local days ------------------------------------------------------
def test_two_whole_local_days_are_counted_in_each_patients_time_zone(cast: Any) -> None:
    auckland = new_course(cast, new_patient(cast, AUCKLAND))
    denver = new_course(cast, new_patient(cast, DENVER))
    log(auckland, cast.nurse, LAST_LOG)
    log(denver, cast.nurse, LAST_LOG)
    assert clock.today_in(AUCKLAND, now=NOW) == dt.date(2026, 3, 13)
    assert clock.today_in(DENVER, now=NOW) == dt.date(2026, 3, 12)

    # Auckland has lived through 11 and 12 March with nothing logged; Denver only through 11 March.
    assert check(NOW) == {(auckland.pk, "medium")}
    alert = Alert.objects.get(course=auckland)
    assert alert.patient_id == auckland.patient_id and alert.kind == "no_log"
    assert "2 whole days" in alert.detail and "2026-03-10" in alert.detail
    # A day later Denver has too.
    assert check(NOW + dt.timedelta(days=1)) == {(auckland.pk, "medium"), (denver.pk, "medium")}


@pytest.mark.parametrize(("at", "raised"), [
    (dt.datetime(2026, 3, 12, 10, 59, tzinfo=dt.UTC), False),  # 23:59 on 12 March in Auckland
    (dt.datetime(2026, 3, 12, 11, 0, tzinfo=dt.UTC), True),  # midnight: 12 March is whole
    (dt.datetime(2026, 3, 11, 23, 0, tzinfo=dt.UTC), False),  # noon on the first missed day
])
def test_not_before_the_second_day_is_over(cast: Any, at: dt.datetime, raised: bool) -> None:
    course = new_course(cast, new_patient(cast, AUCKLAND))
    log(course, cast.nurse, LAST_LOG)
    assert check(at) == ({(course.pk, "medium")} if raised else set())


def test_a_skipped_application_is_something_logged_but_a_voided_one_is_not(cast: Any) -> None:
    skipped = new_course(cast, new_patient(cast, AUCKLAND, "Bea"))
    voided = new_course(cast, new_patient(cast, AUCKLAND, "Cleo"))
    log(skipped, cast.nurse, LAST_LOG)
    log(skipped, cast.patient_user, LAST_LOG + dt.timedelta(days=1), status="skipped")
    log(voided, cast.nurse, LAST_LOG)
    mistake = log(voided, cast.nurse, LAST_LOG + dt.timedelta(days=1))
    with time_machine.travel(NOW - dt.timedelta(hours=1), tick=False):
        records.record_void(kind=records.APPLICATION, record=mistake, voided_by=cast.nurse,
                            reason="Logged on the wrong patient.")
    assert check(NOW) == {(voided.pk, "medium")}


def test_a_course_that_has_not_run_for_two_whole_days_gets_none(cast: Any) -> None:
    patient = new_patient(cast, AUCKLAND)
    yesterday = new_course(cast, patient, start=dt.date(2026, 3, 12))
    two_days = new_course(cast, new_patient(cast, AUCKLAND, "Dora"), start=dt.date(2026, 3, 11))
    ended = new_course(cast, new_patient(cast, AUCKLAND, "Eva"), end=dt.date(2026, 3, 11))
    ended_yesterday = new_course(cast, new_patient(cast, AUCKLAND, "Fay"),
                                 end=dt.date(2026, 3, 12))
    for course in (ended, ended_yesterday):
        log(course, cast.nurse, LAST_LOG)
    assert {c for c, _ in check(NOW)} == {two_days.pk, ended_yesterday.pk}
    assert "last log: never" in Alert.objects.get(course=two_days).detail
    assert not Alert.objects.filter(course__in=[yesterday, ended]).exists()


def test_a_paused_course_gets_none_nor_one_whose_pause_covered_those_days(cast: Any) -> None:
    paused = new_course(cast, new_patient(cast, AUCKLAND, "Gala"))
    resumed = new_course(cast, new_patient(cast, AUCKLAND, "Hana"))
    for course in (paused, resumed):
        log(course, cast.nurse, LAST_LOG)
        set_status(course, cast.physician, "paused", dt.date(2026, 3, 11))
    set_status(resumed, cast.physician, "active", dt.date(2026, 3, 12))
    assert check(NOW) == set()
    # Two whole days after the pause ended, nothing logged: an alert.
    assert check(NOW + dt.timedelta(days=2)) == {(resumed.pk, "medium")}


def test_no_second_alert_while_one_is_open_and_a_new_one_after_acknowledgement(
        cast: Any, settings: Any) -> None:
    settings.TEND_MISSED_APPLICATIONS_DAYS = 30  # nothing logged alone, not missed applications
    course = new_course(cast, new_patient(cast, AUCKLAND))
    log(course, cast.nurse, LAST_LOG)
    first = alert_rules.missed_days_check(now=NOW)
    assert [a.course_id for a in first] == [course.pk]
    assert alert_rules.missed_days_check(now=NOW) == []
    assert alert_rules.missed_days_check(now=NOW + dt.timedelta(days=1)) == []
    assert Alert.objects.filter(course=course).count() == 1

    with time_machine.travel(NOW + dt.timedelta(days=1, hours=1), tick=False):
        alert_acknowledge(alert=first[0], by=cast.nurse)
    second = alert_rules.missed_days_check(now=NOW + dt.timedelta(days=1, hours=2))
    assert len(second) == 1 and second[0].pk != first[0].pk
    assert Alert.objects.filter(course=course).count() == 2
    assert Alert.objects.get(course=course, status=AlertStatus.OPEN).pk == second[0].pk


def test_the_beat_task_runs_the_rule(cast: Any) -> None:
    course = new_course(cast, new_patient(cast, AUCKLAND))
    log(course, cast.nurse, LAST_LOG)
    with time_machine.travel(NOW, tick=False):
        assert tasks.check_missed_days.apply().get() == 1
        assert tasks.check_missed_days.apply().get() == 0
    assert Alert.objects.get().course_id == course.pk


# --- Consecutive expected days with no application ------------------------------------------------
def missed(at: dt.datetime) -> list[Alert]:
    """Run the hourly check at `at`; every missed-applications alert since the start."""
    with time_machine.travel(at, tick=False):
        alert_rules.missed_days_check()
    return list(Alert.objects.filter(kind=AlertKind.MISSED_APPLICATIONS).order_by("created_at"))


def denver_course(cast: Any) -> TreatmentCourse:
    return new_course(cast, new_patient(cast, DENVER))


def test_three_skipped_days_in_a_row_open_an_alert_as_soon_as_the_third_is_logged(
        cast: Any) -> None:
    course = denver_course(cast)
    log(course, cast.nurse, dt.date(2026, 3, 9))
    for day in (10, 11):
        log(course, cast.patient_user, dt.date(2026, 3, day), "skipped")
    assert missed(local(dt.date(2026, 3, 12), DENVER, 18)) == []  # two, and today pending
    log(course, cast.patient_user, dt.date(2026, 3, 12), "skipped")
    [alert] = missed(local(dt.date(2026, 3, 12), DENVER, 21))
    assert (alert.course_id, alert.severity, alert.status) == (course.pk, "medium", "open")
    assert alert.facts == {"days": 3, "threshold_days": 3, "first_day": "2026-03-10",
                           "last_day": "2026-03-12", "skipped": 3, "nothing_logged": 0}
    assert "3 consecutive expected days, 2026-03-10 to 2026-03-12" in alert.detail
    # Nothing logged is no application either: "nothing logged" alerts apart, this one once.
    assert not Alert.objects.filter(kind=AlertKind.NO_LOG).exists()


def test_skipped_and_unlogged_days_make_one_run_and_an_application_breaks_it(cast: Any) -> None:
    course = denver_course(cast)
    log(course, cast.nurse, dt.date(2026, 3, 7))
    log(course, cast.patient_user, dt.date(2026, 3, 8), "skipped")
    log(course, cast.patient_user, dt.date(2026, 3, 10), "applied")
    log(course, cast.patient_user, dt.date(2026, 3, 11), "skipped")
    # 8 skipped, 9 nothing, 10 applied, 11 skipped, 12 nothing: never three in a row.
    assert missed(local(dt.date(2026, 3, 13), DENVER, 9)) == []
    # 13 is over with nothing logged: 11, 12 and 13.
    [alert] = missed(local(dt.date(2026, 3, 14), DENVER, 9))
    assert (alert.facts["first_day"], alert.facts["last_day"], alert.facts["skipped"],
            alert.facts["nothing_logged"]) == ("2026-03-11", "2026-03-13", 1, 2)


def test_a_run_alerts_once_even_after_acknowledgement_and_a_new_run_alerts_again(
        cast: Any) -> None:
    course = denver_course(cast)
    log(course, cast.nurse, dt.date(2026, 3, 9))
    for day in (10, 11, 12):
        log(course, cast.patient_user, dt.date(2026, 3, day), "skipped")
    [first] = missed(local(dt.date(2026, 3, 12), DENVER, 21))
    assert len(missed(local(dt.date(2026, 3, 13), DENVER, 9))) == 1  # open: none more
    with time_machine.travel(local(dt.date(2026, 3, 13), DENVER, 10), tick=False):
        alert_acknowledge(alert=first, by=cast.nurse, note="Sore skin; resumes tomorrow.")
    assert len(missed(local(dt.date(2026, 3, 14), DENVER, 9))) == 1  # the same run goes on
    log(course, cast.patient_user, dt.date(2026, 3, 15))
    for day in (16, 17, 18):
        log(course, cast.patient_user, dt.date(2026, 3, day), "skipped")
    alerts = missed(local(dt.date(2026, 3, 18), DENVER, 21))
    assert [a.facts["first_day"] for a in alerts] == ["2026-03-10", "2026-03-16"]


def test_paused_days_neither_break_nor_lengthen_a_run(cast: Any) -> None:
    course = denver_course(cast)
    log(course, cast.nurse, dt.date(2026, 3, 8))
    log(course, cast.patient_user, dt.date(2026, 3, 9), "skipped")
    set_status(course, cast.physician, "paused", dt.date(2026, 3, 10))
    set_status(course, cast.physician, "active", dt.date(2026, 3, 13))
    log(course, cast.patient_user, dt.date(2026, 3, 13), "skipped")
    assert missed(local(dt.date(2026, 3, 13), DENVER, 21)) == []  # 9 and 13: two
    log(course, cast.patient_user, dt.date(2026, 3, 14), "skipped")
    [alert] = missed(local(dt.date(2026, 3, 14), DENVER, 21))
    assert (alert.facts["first_day"], alert.facts["days"]) == ("2026-03-09", 3)


def test_the_number_of_days_follows_the_setting(cast: Any, settings: Any) -> None:
    settings.TEND_MISSED_APPLICATIONS_DAYS = 2
    course = denver_course(cast)
    log(course, cast.nurse, dt.date(2026, 3, 9))
    for day in (10, 11):
        log(course, cast.patient_user, dt.date(2026, 3, day), "skipped")
    [alert] = missed(local(dt.date(2026, 3, 11), DENVER, 21))
    assert (alert.facts["days"], alert.facts["threshold_days"]) == (2, 2)


# --- Symptoms --------------------------------------------------------------------------------------
SYMPTOM_NOW = local(dt.date(2026, 3, 20), DENVER, 21)


@pytest.fixture
def course(cast: Any) -> TreatmentCourse:
    return new_course(cast, cast.patient)


def symptom(course: TreatmentCourse, by: User, days_ago: int = 0, **values: Any) -> Any:
    when = SYMPTOM_NOW - dt.timedelta(days=days_ago, minutes=30)
    with time_machine.travel(when + dt.timedelta(minutes=1), tick=False):
        record, _ = records.record_create(kind=records.SYMPTOM, recorded_by=by, course=course,
                                          data={"recorded_at": when, "pain": 2, "itch": 2,
                                                **values})
    return record


@pytest.mark.parametrize(("signs", "words"), [
    ({"fever": True}, "fever"),
    ({"drainage": "pus"}, "pus"),
    ({"redness_spreading": True}, "spreading redness"),
    ({"fever": True, "drainage": "pus", "redness_spreading": True},
     "fever, pus, spreading redness"),
    ({"drainage": "cloudy"}, None),
    ({"drainage": "clear"}, None),
    ({}, None),
])
def test_warning_signs_open_a_high_alert(cast: Any, course: TreatmentCourse,
                                         signs: dict[str, Any], words: str | None) -> None:
    entry = symptom(course, cast.patient_user, **signs)
    alerts = list(Alert.objects.filter(course=course))
    if words is None:
        assert alerts == []
        return
    assert [(a.kind, a.severity, a.source_type, a.source_id) for a in alerts] == [
        ("symptom_red_flag", "high", "symptom", entry.pk)]
    assert f"{entry.local_date}: {words}." in alerts[0].detail


def test_warning_signs_open_one_alert_per_episode(cast: Any, course: TreatmentCourse) -> None:
    symptom(course, cast.patient_user, days_ago=2, fever=True)
    symptom(course, cast.patient_user, days_ago=1, drainage="pus")
    assert Alert.objects.filter(course=course).count() == 1
    with time_machine.travel(SYMPTOM_NOW - dt.timedelta(hours=2), tick=False):
        alert_acknowledge(alert=Alert.objects.get(course=course), by=cast.nurse)
    symptom(course, cast.nurse, redness_spreading=True)
    assert Alert.objects.filter(course=course).count() == 2
    assert Alert.objects.filter(course=course, status="open").count() == 1


@pytest.mark.parametrize(("history", "pain", "raised"), [
    ([2] * 7, 5, True),  # mean 2: +3
    ([2] * 7, 4, False),  # +2
    ([2, 3] * 3 + [2], 5, False),  # mean 2.43: +2.57
    ([2, 3] * 3 + [2], 6, True),
    ([2] * 3, 5, True),  # a shorter history counts too
    ([], 7, False),  # nothing to compare with, and below 8
])
def test_pain_three_points_above_the_mean_of_the_previous_seven_days_opens_an_alert(
        cast: Any, course: TreatmentCourse, history: list[int], pain: int, raised: bool) -> None:
    for days_ago, value in zip(range(len(history), 0, -1), history, strict=True):
        symptom(course, cast.patient_user, days_ago=days_ago, pain=value)
    entry = symptom(course, cast.patient_user, pain=pain)
    alerts = list(Alert.objects.filter(course=course))
    assert [(a.kind, a.severity, a.source_id) for a in alerts] == (
        [("pain_rise", "medium", entry.pk)] if raised else [])
    if raised:
        assert f"Pain {pain}/10" in alerts[0].detail and "previous 7 days" in alerts[0].detail


@pytest.mark.parametrize(("history", "pain", "rose"), [
    ([8] * 7, 8, False),  # a mean of 8 leaves no room for a rise of 3
    ([9] * 7, 10, False),
    ([], 9, False),  # nothing to compare with
    ([2] * 7, 8, True),  # both: one alert, both said
])
def test_pain_of_eight_or_more_opens_an_alert_whatever_the_days_before(
        cast: Any, course: TreatmentCourse, history: list[int], pain: int, rose: bool) -> None:
    for days_ago, value in zip(range(len(history), 0, -1), history, strict=True):
        symptom(course, cast.patient_user, days_ago=days_ago, pain=value)
    Alert.objects.filter(course=course).update(status=AlertStatus.ACKNOWLEDGED)
    entry = symptom(course, cast.patient_user, pain=pain)
    alert = Alert.objects.get(course=course, status=AlertStatus.OPEN)
    assert (alert.kind, alert.severity, alert.source_id) == ("pain_rise", "medium", entry.pk)
    assert f"Pain {pain}/10" in alert.detail and "at or above 8/10" in alert.detail
    assert ("points above the mean" in alert.detail) == rose
    assert (alert.facts["high"], alert.facts["rose"], alert.facts["high_score"]) == (True, rose, 8)


def test_the_high_pain_score_follows_the_setting(cast: Any, course: TreatmentCourse,
                                                 settings: Any) -> None:
    settings.TEND_PAIN_HIGH_SCORE = 10
    symptom(course, cast.patient_user, days_ago=1, pain=9)
    symptom(course, cast.patient_user, pain=9)
    assert not Alert.objects.filter(course=course).exists()
    symptom(course, cast.patient_user, pain=10)
    assert Alert.objects.get(course=course).facts["high_score"] == 10


def test_pain_older_than_seven_days_is_not_in_the_mean(cast: Any, course: TreatmentCourse) -> None:
    symptom(course, cast.patient_user, days_ago=8, pain=10)
    for days_ago in range(7, 0, -1):
        symptom(course, cast.patient_user, days_ago=days_ago, pain=2)
    symptom(course, cast.patient_user, pain=5)  # with the 10 the mean would be 3, and +2
    assert list(Alert.objects.filter(course=course).values_list("kind", flat=True)) == ["pain_rise"]


def test_pain_rise_opens_one_alert_per_episode(cast: Any, course: TreatmentCourse) -> None:
    for days_ago in range(7, 0, -1):
        symptom(course, cast.patient_user, days_ago=days_ago, pain=1)
    symptom(course, cast.patient_user, pain=8)
    symptom(course, cast.patient_user, pain=9)
    assert Alert.objects.filter(course=course, kind="pain_rise").count() == 1


# --- Reviews ----------------------------------------------------------------------------------------
def photo_on(course: TreatmentCourse, by: User, day: dt.date) -> Photo:
    taken_at = local(day, course.patient.timezone, 11)
    return Photo.objects.create(
        course=course, patient_id=course.patient_id, recorded_by=by, taken_at=taken_at,
        local_date=clock.local_date(taken_at, course.patient.timezone), status=PhotoStatus.READY,
        upload_format="JPEG", upload_bytes=1000, width=1200, height=900, sha256="a" * 64,
        image_name="x/full.jpg", thumbnail_name="x/thumbnail.jpg",
    )


def measure(course: TreatmentCourse, by: User, week_day: int, length: str, width: str,
            **flags: Any) -> Any:
    """A photo on day `week_day` of the course, reviewed that afternoon."""
    day = course.start_date + dt.timedelta(days=week_day)
    with time_machine.travel(local(day, course.patient.timezone, 15), tick=False):
        photo = photo_on(course, course.patient.user or by, day)
        review, _ = reviews.review_create(photo=photo, reviewer=by, data={
            "length_cm": Decimal(length), "width_cm": Decimal(width), "exudate": "light",
            "tissue_type": "granulation", "signs_of_infection": False,
            "flag_for_physician": False, "comment": "", **flags})
    return review


def test_a_worrying_review_opens_its_alerts(cast: Any, course: TreatmentCourse) -> None:
    review = measure(course, cast.nurse, 3, "2.0", "2.0", signs_of_infection=True,
                     flag_for_physician=True)
    assert set(Alert.objects.filter(course=course).values_list(
        "kind", "severity", "source_id")) == {("review_infection", "high", review.pk),
                                              ("review_flagged", "medium", review.pk)}


# --- The healing checkpoint -------------------------------------------------------------------------
def checkpoint_alerts(course: TreatmentCourse) -> list[Alert]:
    return list(Alert.objects.filter(course=course, kind=AlertKind.HEALING_CHECKPOINT))


def test_too_little_reduction_at_week_four_opens_one_low_alert_that_asks_for_a_review(
        cast: Any, course: TreatmentCourse) -> None:
    measure(course, cast.nurse, 0, "2.0", "2.0")  # 4.00 cm²
    measure(course, cast.nurse, 14, "2.0", "1.8")
    latest = measure(course, cast.nurse, 28, "2.0", "1.5")  # 3.00 cm²: 25 % smaller
    [alert] = checkpoint_alerts(course)
    assert (alert.severity, alert.source_type, alert.source_id) == ("low", "review", latest.pk)
    detail = alert.detail
    start = course.start_date
    day = lambda n: (start + dt.timedelta(days=n)).isoformat()  # noqa: E731
    assert detail.startswith(f"Week 4 checkpoint ({day(28)}): L \u00d7 W changed by -25 %, from 4.00 "
                             f"cm² on {day(0)} to 3.00 cm² on {day(28)} (the measurement nearest "
                             "the checkpoint, within 7 days), less than the 40 % reduction")
    # Each figure for what it is, and that the configured 40 % at week 4 is none of them.
    for words in ("the first 4 weeks predicted healing by week 24 (Kantor & Margolis 2000)",
                  "at least 40 % by week 3 predicted most outcomes at week 12 (Phillips 2000)",
                  "about 53 % at week 4 (Sheehan 2003)", "50 % at week 4 (Coerper 2009)",
                  "This checkpoint (40 % at week 4) is configured: it is none of these figures",
                  "none is validated for calcinosis cutis", "review the plan"):
        assert words in detail, words
    assert "predicts healing" not in detail
    assert alert.facts == {
        "week": 4, "change_percent": -25, "first_area_cm2": 4.0, "last_area_cm2": 3.0,
        "threshold_percent": 40.0, "checkpoint_date": day(28), "first_date": day(0),
        "last_date": day(28), "days_from_checkpoint": 0, "window_days": 7, "source": None}
    # No claim of how long sodium thiosulfate takes: no source in the case literature says it.
    assert "months" not in detail
    # It never tells anyone to stop: the one "stop" says this is not a reason to.
    assert detail.lower().count("stop") == 1
    assert "this is not a reason to stop treatment on its own" in detail

    measure(course, cast.nurse, 35, "2.0", "1.6")
    with time_machine.travel(local(course.start_date + dt.timedelta(days=36), DENVER), tick=False):
        alert_acknowledge(alert=alert, by=cast.physician)
    measure(course, cast.nurse, 42, "2.0", "1.7")
    assert len(checkpoint_alerts(course)) == 1  # one checkpoint per course


@pytest.mark.parametrize(("length", "width", "raised"), [
    ("2.0", "1.2", False),  # 2.40 cm²: exactly 40 % smaller
    ("1.0", "1.0", False),  # 75 % smaller
    ("2.0", "1.3", True),  # 35 % smaller
    ("2.5", "2.0", True),  # larger
])
def test_the_checkpoint_threshold_is_forty_percent(cast: Any, course: TreatmentCourse,
                                                   length: str, width: str, raised: bool) -> None:
    measure(course, cast.nurse, 0, "2.0", "2.0")
    measure(course, cast.nurse, 30, length, width)
    assert len(checkpoint_alerts(course)) == (1 if raised else 0)


def test_no_checkpoint_before_week_four(cast: Any, course: TreatmentCourse) -> None:
    measure(course, cast.nurse, 0, "2.0", "2.0")
    measure(course, cast.nurse, 20, "2.0", "2.0")
    measure(course, cast.nurse, 27, "2.0", "2.0")  # the day before week 4: no reduction at all
    assert checkpoint_alerts(course) == []
    measure(course, cast.nurse, 28, "2.0", "2.0")
    assert len(checkpoint_alerts(course)) == 1


def test_no_checkpoint_without_a_first_measurement_to_compare_with(
        cast: Any, course: TreatmentCourse) -> None:
    measure(course, cast.nurse, 29, "2.0", "2.0")
    assert checkpoint_alerts(course) == []


def test_the_checkpoint_follows_the_settings(cast: Any, course: TreatmentCourse,
                                             settings: Any) -> None:
    settings.TEND_HEALING_CHECKPOINT_WEEK = 3
    settings.TEND_HEALING_CHECKPOINT_PERCENT = 50
    measure(course, cast.nurse, 0, "2.0", "2.0")
    measure(course, cast.nurse, 20, "2.0", "1.1")  # before week 3: not yet, however it looks
    assert checkpoint_alerts(course) == []
    measure(course, cast.nurse, 22, "2.0", "1.1")  # 45 % smaller: below 50 %, a day after
    [alert] = checkpoint_alerts(course)
    checkpoint = (course.start_date + dt.timedelta(weeks=3)).isoformat()
    assert alert.detail.startswith(f"Week 3 checkpoint ({checkpoint}): L \u00d7 W changed by -45 %")
    assert "less than the 50 % reduction of this checkpoint" in alert.detail
    # The citations stay what they are; the configured 50 % at week 3 is said to be none of them.
    assert "This checkpoint (50 % at week 3) is configured: it is none of these" in alert.detail
    assert "50 % at week 4 (Coerper 2009)" in alert.detail


@pytest.mark.parametrize(("week", "percent", "source"), [
    (3, 40, "Phillips 2000"), (4, 53, "Sheehan 2003"), (4, 50, "Coerper 2009"), (4, 40, None)])
def test_the_checkpoint_says_whether_it_is_a_cited_figure(
        cast: Any, course: TreatmentCourse, settings: Any, week: int, percent: int,
        source: str | None) -> None:
    settings.TEND_HEALING_CHECKPOINT_WEEK, settings.TEND_HEALING_CHECKPOINT_PERCENT = week, percent
    measure(course, cast.nurse, 0, "2.0", "2.0")
    measure(course, cast.nurse, 7 * week, "2.0", "1.9")
    [alert] = checkpoint_alerts(course)
    assert alert.facts["source"] == source
    if source:
        assert f"This checkpoint ({percent} % at week {week}) is {source}'s figure" in alert.detail


def test_the_checkpoint_reads_the_measurement_nearest_its_day_not_the_latest(
        cast: Any, course: TreatmentCourse) -> None:
    measure(course, cast.nurse, 0, "2.0", "2.0")
    measure(course, cast.nurse, 23, "2.0", "1.9")  # 5 days before: farther
    near = measure(course, cast.nurse, 30, "1.0", "1.0")  # 2 days after, 75 % smaller: on track
    measure(course, cast.nurse, 34, "2.0", "2.0")  # a regression, farther: not the checkpoint's
    assert checkpoint_alerts(course) == []
    assert near.photo.local_date == course.start_date + dt.timedelta(days=30)


def test_a_regression_long_after_the_checkpoint_is_not_called_week_four(
        cast: Any, course: TreatmentCourse) -> None:
    measure(course, cast.nurse, 0, "2.0", "2.0")
    measure(course, cast.nurse, 14, "1.5", "1.5")
    measure(course, cast.nurse, 84, "2.0", "2.0")  # week 12: nothing measured near week 4
    assert checkpoint_alerts(course) == []


def test_the_window_follows_the_setting(cast: Any, course: TreatmentCourse,
                                        settings: Any) -> None:
    settings.TEND_HEALING_CHECKPOINT_WINDOW_DAYS = 2
    measure(course, cast.nurse, 0, "2.0", "2.0")
    measure(course, cast.nurse, 25, "2.0", "1.9")  # 3 days before: outside
    measure(course, cast.nurse, 31, "2.0", "1.9")  # 3 days after: outside
    assert checkpoint_alerts(course) == []
    measure(course, cast.nurse, 30, "2.0", "1.9")
    [alert] = checkpoint_alerts(course)
    assert (alert.facts["window_days"], alert.facts["days_from_checkpoint"]) == (2, 2)
