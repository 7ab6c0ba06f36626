"""Reminders at the patient's wall-clock times (tracker/services/reminders.py): the settings, the
instant of each occurrence across daylight-saving changes, and the scan that decides, claims and
hands each occurrence to the workers once a local day. The clock is frozen at each scan."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import threading
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import PASSWORD
from tracker import queue
from tracker.errors import ValidationError
from tracker.models import (
    Caregiver,
    CaregiverStatus,
    CoursePause,
    CourseStatus,
    DeliveryOutcome,
    Patient,
    PushDelivery,
    PushKind,
    PushSubscription,
    ReminderOccurrence,
    ReminderOutcome,
    ReminderTime,
    Role,
    TreatmentCourse,
    User,
)
from tracker.selectors import notifications as notification_selectors
from tracker.services import courses, notifications, people, records, reminders

pytestmark = pytest.mark.django_db

DENVER, AUCKLAND = "America/Denver", "Pacific/Auckland"
START = dt.date(2026, 2, 1)
T = dt.time


def local(day: dt.date, at: dt.time, tz: str, fold: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, at, ZoneInfo(tz)).replace(fold=fold)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def new_patient(cast: Any, tz: str, *, language: str = "en", name: str = "Ana Ruiz",
                start: dt.date = START) -> tuple[Patient, User]:
    with time_machine.travel(local(start, T(8), tz), tick=False):
        patient, code = people.patient_create(created_by=cast.physician, display_name=name,
                                              birth_year=1944, timezone_name=tz, language=language)
        user = people.patient_activate(activation_code=code, username=f"p{uuid.uuid4().hex[:8]}",
                                       password=PASSWORD)
    patient.refresh_from_db()
    return patient, user


def new_course(cast: Any, patient: Patient, *, start: dt.date = START, per_day: int = 1,
               prescribed_on: dt.date | None = None) -> TreatmentCourse:
    with time_machine.travel(local(prescribed_on or start, T(9), patient.timezone), tick=False):
        course, _ = courses.course_create(patient=patient, prescribed_by=cast.physician, data={
            "medication": "Sodium thiosulfate", "concentration_percent": 25,
            "vehicle": "Zinc oxide paste", "body_site": "Left lateral thigh",
            "applications_per_day": per_day, "start_date": start, "end_date": None,
            "instructions": "Dystrophic calcinosis cutis after radiotherapy.",
        })
    return course


def subscription_keys() -> dict[str, str]:
    point = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    b64 = lambda data: base64.urlsafe_b64encode(data).rstrip(b"=").decode()  # noqa: E731
    return {"p256dh": b64(point), "auth": b64(secrets.token_bytes(16))}


def subscribe(user: User) -> PushSubscription:
    subscription, created = notifications.subscription_save(
        user=user, endpoint=f"https://fcm.googleapis.com/fcm/send/{secrets.token_urlsafe(16)}",
        **subscription_keys())
    assert created
    return subscription


def caregiver_of(patient: Patient, *, status: str = CaregiverStatus.ACTIVE) -> User:
    assert patient.user is not None
    user = User.objects.create_user(f"c{uuid.uuid4().hex[:8]}", password=PASSWORD,
                                    role=Role.CAREGIVER, display_name="Clara",
                                    is_active=status == CaregiverStatus.ACTIVE)
    Caregiver.objects.create(patient=patient, user=user, display_name="Clara", status=status,
                             invited_by=patient.user)
    return user


def set_times(course: TreatmentCourse, *times: dt.time, when: dt.datetime, enabled: bool = True
              ) -> reminders.ReminderSettings:
    assert course.patient.user is not None
    with time_machine.travel(when, tick=False):
        return reminders.reminders_set(course=course, enabled=enabled, times=list(times),
                                       by=course.patient.user)


def scan(when: dt.datetime) -> int:
    with time_machine.travel(when, tick=False):
        return reminders.reminders_due_scan()


def log(course: TreatmentCourse, when: dt.datetime, status: str = "applied") -> Any:
    assert course.patient.user is not None
    with time_machine.travel(when, tick=False):
        record, _ = records.record_create(
            kind=records.APPLICATION, recorded_by=course.patient.user, course=course,
            data={"applied_at": when, "status": status,
                  "skip_reason": "The skin was sore." if status == "skipped" else ""})
    return record


def occurrences(course: TreatmentCourse) -> list[tuple[dt.time, dt.date, dt.datetime, str]]:
    return [(o.reminder_time, o.local_date, o.due_at, o.outcome)
            for o in ReminderOccurrence.objects.filter(course=course).order_by("due_at")]


def sent(course: TreatmentCourse) -> list[PushDelivery]:
    return list(PushDelivery.objects.filter(course=course, kind=PushKind.REMINDER,
                                            outcome=DeliveryOutcome.PENDING).order_by("created_at"))


def row(course: TreatmentCourse, at: dt.time) -> ReminderTime:
    return ReminderTime.objects.get(course=course, at=at)


@pytest.fixture(autouse=True, params=["set-based", "row-by-row"])
def statements(request: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test twice: with PostgreSQL's set-based statements, and with the ORM's row-by-row
    twins that the embedded default (SQLite, `make run`) takes."""
    if request.param == "row-by-row":
        monkeypatch.setattr(notification_selectors, "set_based", lambda: False)
    return str(request.param)


@pytest.fixture
def helen(cast: Any) -> TreatmentCourse:
    """A Denver patient with a once-daily course since 1 February 2026 and a phone subscribed."""
    patient, user = new_patient(cast, DENVER)
    course = new_course(cast, patient)
    subscribe(user)
    return course


# --- Settings -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("times", "enabled"), [
    ([T(8), T(12), T(16), T(20), T(22)], True),
    ([T(8), T(12), T(16), T(20), T(22)], False),
    ([T(8), T(8)], True),
    ([T(8, 0, 30)], True),
    ([T(8, 0, 0, 5)], True),
    ([T(8, tzinfo=dt.UTC)], True),
    ([], True),
])
def test_it_rejects_times_that_are_not_one_to_four_distinct_whole_minutes(
        helen: TreatmentCourse, times: list[dt.time], enabled: bool) -> None:
    with pytest.raises(ValidationError) as caught:
        set_times(helen, *times, when=local(START, T(10), DENVER), enabled=enabled)
    assert "times" in caught.value.message_dict
    helen.refresh_from_db()
    assert helen.reminders_enabled is False
    assert not ReminderTime.objects.filter(course=helen).exists()


def test_settings_are_sorted_in_the_patients_zone_and_default_to_off(helen: TreatmentCourse) -> None:
    assert reminders.reminder_settings(helen) == {"enabled": False, "times": [],
                                                  "timezone": DENVER}
    answer = set_times(helen, T(20, 30), T(8), when=local(START, T(10), DENVER))
    assert answer == {"enabled": True, "times": ["08:00", "20:30"], "timezone": DENVER}


def test_times_turned_off_are_kept_and_never_due(helen: TreatmentCourse) -> None:
    answer = set_times(helen, T(8), T(20), when=local(START, T(10), DENVER), enabled=False)
    assert answer == {"enabled": False, "times": ["08:00", "20:00"], "timezone": DENVER}
    assert list(ReminderTime.objects.filter(course=helen).values_list("next_due_at", flat=True)) == [
        None, None]
    assert scan(local(START + dt.timedelta(days=1), T(21), DENVER)) == 0


def test_times_are_replaced_and_a_kept_time_keeps_its_due_occurrence(helen: TreatmentCourse) -> None:
    set_times(helen, T(8), T(20), when=local(START, T(10), DENVER))
    # 20:00:30, before the scan reached today's 20:00: changing the other time does not lose it.
    set_times(helen, T(20), T(21), when=local(START, T(20, 0, 30), DENVER))
    assert row(helen, T(20)).next_due_at == local(START, T(20), DENVER)
    assert row(helen, T(21)).next_due_at == local(START, T(21), DENVER)
    assert not ReminderTime.objects.filter(course=helen, at=T(8)).exists()


def test_a_time_already_past_today_is_first_due_tomorrow(helen: TreatmentCourse) -> None:
    set_times(helen, T(8), T(20), when=local(START, T(10), DENVER))
    assert row(helen, T(8)).next_local_date == START + dt.timedelta(days=1)
    assert row(helen, T(20)).next_local_date == START
    assert row(helen, T(20)).next_due_at == utc(2026, 2, 2, 3)  # 20:00 MST


# --- The instant of an occurrence -----------------------------------------------------------------


@pytest.mark.parametrize(("tz", "day", "at", "expected"), [
    # Denver springs forward on 8 March 2026, 02:00 MST -> 03:00 MDT: 02:30 does not exist.
    (DENVER, dt.date(2026, 3, 8), T(2, 30), utc(2026, 3, 8, 9)),
    (DENVER, dt.date(2026, 3, 8), T(2), utc(2026, 3, 8, 9)),
    (DENVER, dt.date(2026, 3, 8), T(3), utc(2026, 3, 8, 9)),
    (DENVER, dt.date(2026, 3, 8), T(1, 59), utc(2026, 3, 8, 8, 59)),
    # Denver falls back on 1 November 2026, 02:00 MDT -> 01:00 MST: 01:30 happens twice; the first.
    (DENVER, dt.date(2026, 11, 1), T(1, 30), utc(2026, 11, 1, 7, 30)),
    (DENVER, dt.date(2026, 11, 1), T(2, 30), utc(2026, 11, 1, 9, 30)),
    # Auckland springs forward on 27 September 2026, 02:00 NZST -> 03:00 NZDT.
    (AUCKLAND, dt.date(2026, 9, 27), T(2, 30), utc(2026, 9, 26, 14)),
    # Auckland falls back on 5 April 2026, 03:00 NZDT -> 02:00 NZST: 02:30 twice; the first.
    (AUCKLAND, dt.date(2026, 4, 5), T(2, 30), utc(2026, 4, 4, 13, 30)),
    (AUCKLAND, dt.date(2026, 4, 5), T(20), utc(2026, 4, 5, 8)),
])
def test_an_occurrence_is_the_wall_time_in_the_zone_or_the_first_instant_after_a_gap(
        tz: str, day: dt.date, at: dt.time, expected: dt.datetime) -> None:
    assert reminders.occurrence(day, at, ZoneInfo(tz)) == expected
    assert reminders.next_occurrence(at, ZoneInfo(tz), expected - dt.timedelta(seconds=1)) == (
        day, expected)


def test_the_next_occurrence_after_a_fall_back_one_is_the_next_local_day() -> None:
    zone = ZoneInfo(DENVER)
    first = utc(2026, 11, 1, 7, 30)  # 01:30 MDT; 08:30Z is 01:30 MST, the same wall time again
    assert reminders.next_occurrence(T(1, 30), zone, first) == (dt.date(2026, 11, 2),
                                                                utc(2026, 11, 2, 8, 30))
    assert reminders.next_occurrence(T(1, 30), zone, utc(2026, 11, 1, 8, 30)) == (
        dt.date(2026, 11, 2), utc(2026, 11, 2, 8, 30))


def beat(start: dt.datetime, end: dt.datetime, *, every: dt.timedelta) -> list[dt.datetime]:
    """Scan at every step from start to end, as beat would; the instants scanned."""
    instants = []
    when = start
    while when <= end:
        scan(when)
        instants.append(when)
        when += every
    return instants


@pytest.mark.parametrize(("tz", "change_day", "description"), [
    (DENVER, dt.date(2026, 3, 8), "spring forward"),
    (DENVER, dt.date(2026, 11, 1), "fall back"),
    (AUCKLAND, dt.date(2026, 9, 27), "spring forward"),
    (AUCKLAND, dt.date(2026, 4, 5), "fall back"),
])
def test_across_a_clock_change_each_reminder_comes_once_a_local_day_at_its_instant(
        cast: Any, tz: str, change_day: dt.date, description: str) -> None:
    start = change_day - dt.timedelta(days=20)
    patient, user = new_patient(cast, tz, start=start)
    course = new_course(cast, patient, start=start)
    subscribe(user)
    times = (T(1, 30), T(2, 30), T(8), T(20))  # in or beside the changed hour, and ordinary ones
    before = local(change_day - dt.timedelta(days=1), T(0, 10), tz)
    set_times(course, *times, when=before)

    beat(before, local(change_day + dt.timedelta(days=1), T(23, 50), tz),
         every=dt.timedelta(minutes=20))

    found = occurrences(course)
    zone = ZoneInfo(tz)
    days = [change_day + dt.timedelta(days=n) for n in (-1, 0, 1)]
    assert [(at, day) for at, day, _, _ in found] == sorted(
        ((at, day) for day in days for at in times),
        key=lambda pair: reminders.occurrence(pair[1], pair[0], zone))
    for at, day, due_at, outcome in found:
        assert due_at == reminders.occurrence(day, at, zone)
        assert outcome == ReminderOutcome.SENT
    assert len(sent(course)) == len(days) * len(times)


def test_a_reminder_in_the_gap_is_found_at_the_first_instant_after_it_and_not_before(
        helen: TreatmentCourse) -> None:
    set_times(helen, T(2, 30), when=local(dt.date(2026, 3, 7), T(10), DENVER))
    assert row(helen, T(2, 30)).next_due_at == utc(2026, 3, 8, 9)

    assert scan(utc(2026, 3, 8, 8, 59, 59)) == 0
    assert scan(utc(2026, 3, 8, 9)) == 1

    assert [d.payload["type"] for d in sent(helen)] == ["reminder"]
    assert row(helen, T(2, 30)).next_due_at == utc(2026, 3, 9, 8, 30)  # 02:30 MDT


def test_a_reminder_in_the_repeated_hour_comes_at_the_first_pass_only(
        helen: TreatmentCourse) -> None:
    set_times(helen, T(1, 30), when=local(dt.date(2026, 10, 31), T(10), DENVER))

    assert scan(utc(2026, 11, 1, 7, 30)) == 1  # 01:30 MDT
    assert scan(utc(2026, 11, 1, 8, 30)) == 0  # 01:30 MST, the same wall time again
    assert scan(utc(2026, 11, 1, 9, 0)) == 0

    assert len(sent(helen)) == 1
    assert row(helen, T(1, 30)).next_local_date == dt.date(2026, 11, 2)


# --- What an occurrence comes to ------------------------------------------------------------------

DAY = dt.date(2026, 3, 2)


@pytest.fixture
def at_eight(helen: TreatmentCourse) -> TreatmentCourse:
    """Helen's reminder at 20:00, set in the morning of DAY."""
    set_times(helen, T(20), when=local(DAY, T(9), DENVER))
    return helen


def test_a_due_reminder_is_handed_to_the_workers_with_a_warm_plain_payload(
        at_eight: TreatmentCourse, tasks_sent: Any, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert scan(local(DAY, T(20, 0, 20), DENVER)) == 1

    [delivery] = sent(at_eight)
    assert tasks_sent[queue.SEND_PUSH] == [[str(delivery.pk)]]
    assert delivery.enqueued_at is not None
    assert delivery.payload == {"type": "reminder", "title": "Tend", "body": delivery.payload["body"],
                                "url": "/", "course": str(at_eight.pk)}
    assert delivery.push_service == "https://fcm.googleapis.com"
    assert occurrences(at_eight) == [(T(20), DAY, local(DAY, T(20), DENVER), ReminderOutcome.SENT)]


def test_the_payload_is_in_the_patients_language_and_says_nothing_clinical(cast: Any) -> None:
    patient, user = new_patient(cast, DENVER, language="es", name="Rosa Delgado")
    course = new_course(cast, patient)
    subscribe(user)
    subscribe(caregiver_of(patient))
    set_times(course, T(20), when=local(DAY, T(9), DENVER))

    scan(local(DAY, T(20, 1), DENVER))

    deliveries = sent(course)
    assert len(deliveries) == 2
    for delivery in deliveries:
        text = " ".join(str(value) for value in delivery.payload.values()).lower()
        assert "hora" in text  # Spanish, for the caregiver too
        for clinical in ("thiosulfate", "tiosulfato", "thigh", "muslo", "zinc", "calcinosis",
                         "radiotherapy", "rosa", "delgado", "%", "cream", "wound", "herida"):
            assert clinical not in text, clinical


def test_english_payload_names_no_drug_site_or_diagnosis(at_eight: TreatmentCourse) -> None:
    scan(local(DAY, T(20, 1), DENVER))
    [delivery] = sent(at_eight)
    text = str(delivery.payload).lower()
    assert "time" in text
    for word in ("sodium", "thiosulfate", "thigh", "lateral", "calcinosis", "ana", "ruiz"):
        assert word not in text, word


@pytest.mark.parametrize("status", ["applied", "skipped"])
def test_a_day_already_logged_is_not_reminded_but_staff_can_see_why(
        at_eight: TreatmentCourse, status: str, tasks_sent: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    log(at_eight, local(DAY, T(19), DENVER), status)

    with django_capture_on_commit_callbacks(execute=True):
        scan(local(DAY, T(20, 1), DENVER))

    assert occurrences(at_eight)[0][3] == ReminderOutcome.ALREADY_LOGGED
    [delivery] = PushDelivery.objects.filter(course=at_eight)
    assert delivery.outcome == DeliveryOutcome.ALREADY_LOGGED
    assert tasks_sent[queue.SEND_PUSH] == []


def test_a_voided_application_leaves_the_day_unlogged(at_eight: TreatmentCourse) -> None:
    mistake = log(at_eight, local(DAY, T(19), DENVER))
    with time_machine.travel(local(DAY, T(19, 30), DENVER), tick=False):
        records.record_void(kind=records.APPLICATION, record=mistake,
                            voided_by=at_eight.patient.user, reason="Logged by mistake.")

    scan(local(DAY, T(20, 1), DENVER))

    assert occurrences(at_eight)[0][3] == ReminderOutcome.SENT
    assert len(sent(at_eight)) == 1


def test_yesterday_logged_does_not_count_for_today(at_eight: TreatmentCourse) -> None:
    log(at_eight, local(DAY - dt.timedelta(days=1), T(19), DENVER))
    scan(local(DAY, T(20, 1), DENVER))
    assert len(sent(at_eight)) == 1


def test_twice_daily_with_one_of_two_logged_still_reminds(cast: Any) -> None:
    patient, user = new_patient(cast, DENVER)
    course = new_course(cast, patient, per_day=2)
    subscribe(user)
    set_times(course, T(8), T(20), when=local(DAY, T(7), DENVER))
    log(course, local(DAY, T(8, 30), DENVER))

    scan(local(DAY, T(8, 1), DENVER))  # before her morning application
    scan(local(DAY, T(20, 1), DENVER))  # one of two logged

    assert [o[3] for o in occurrences(course)] == [ReminderOutcome.SENT, ReminderOutcome.SENT]
    log(course, local(DAY, T(20, 30), DENVER))
    scan(local(DAY + dt.timedelta(days=1), T(8, 1), DENVER))
    assert [o[3] for o in occurrences(course)][-1] == ReminderOutcome.SENT  # a new day


def test_a_paused_course_is_not_reminded(cast: Any, at_eight: TreatmentCourse) -> None:
    with time_machine.travel(local(DAY, T(12), DENVER), tick=False):
        course = courses.course_update(course=at_eight, changed_by=cast.physician,
                                       changes={"status": CourseStatus.PAUSED})
        reminders.reschedule_course(course)
    assert row(at_eight, T(20)).next_due_at is None
    assert scan(local(DAY, T(20, 1), DENVER)) == 0

    with time_machine.travel(local(DAY + dt.timedelta(days=2), T(12), DENVER), tick=False):
        course = courses.course_update(course=course, changed_by=cast.physician,
                                       changes={"status": CourseStatus.ACTIVE})
        reminders.reschedule_course(course)
    assert row(at_eight, T(20)).next_local_date == DAY + dt.timedelta(days=2)
    assert sent(at_eight) == []


@pytest.mark.parametrize("paused", ["the course paused", "a pause over the day"])
def test_a_paused_day_found_due_is_not_expected_and_sends_nothing(
        at_eight: TreatmentCourse, paused: str) -> None:
    # Changed behind the services' back (no reschedule): the time is still due tonight, and the
    # scan itself sees the pause.
    CoursePause.objects.create(course=at_eight, starts_on=DAY,
                               ends_on=None if paused == "the course paused" else DAY)
    if paused == "the course paused":
        TreatmentCourse.objects.filter(pk=at_eight.pk).update(status=CourseStatus.PAUSED)

    assert scan(local(DAY, T(20, 1), DENVER)) == 1

    assert occurrences(at_eight)[0][3] == ReminderOutcome.NOT_EXPECTED
    assert PushDelivery.objects.filter(course=at_eight).count() == 0
    if paused == "the course paused":
        assert row(at_eight, T(20)).next_due_at is None  # and stops it until she resumes
    else:
        assert row(at_eight, T(20)).next_local_date == DAY + dt.timedelta(days=1)


def test_a_course_that_starts_tomorrow_is_first_reminded_on_its_first_day(cast: Any) -> None:
    patient, user = new_patient(cast, DENVER, start=DAY)
    subscribe(user)
    course = new_course(cast, patient, start=DAY + dt.timedelta(days=1), prescribed_on=DAY)
    set_times(course, T(20), when=local(DAY, T(9), DENVER))
    assert row(course, T(20)).next_local_date == DAY + dt.timedelta(days=1)
    assert scan(local(DAY, T(20, 1), DENVER)) == 0

    ReminderTime.objects.filter(course=course).update(  # as if found on the day before
        next_local_date=DAY, next_due_at=local(DAY, T(20), DENVER))
    assert scan(local(DAY, T(20, 1), DENVER)) == 1
    assert occurrences(course)[0][3] == ReminderOutcome.NOT_EXPECTED
    assert sent(course) == []


def test_an_ended_course_is_not_reminded_after_its_last_day(cast: Any,
                                                            at_eight: TreatmentCourse) -> None:
    with time_machine.travel(local(DAY, T(12), DENVER), tick=False):
        course = courses.course_update(course=at_eight, changed_by=cast.physician,
                                       changes={"end_date": DAY})
        reminders.reschedule_course(course)
    assert scan(local(DAY, T(20, 1), DENVER)) == 1  # its last day still is one
    assert row(at_eight, T(20)).next_due_at is None


@pytest.mark.parametrize(("minutes", "outcome", "messages"), [
    (59, ReminderOutcome.SENT, 1),
    (60, ReminderOutcome.SENT, 1),
    (61, ReminderOutcome.LATE, 0),
])
def test_a_reminder_found_more_than_an_hour_late_is_dropped(
        at_eight: TreatmentCourse, minutes: int, outcome: str, messages: int) -> None:
    scan(local(DAY, T(20), DENVER) + dt.timedelta(minutes=minutes))
    assert occurrences(at_eight)[0][3] == outcome
    assert len(sent(at_eight)) == messages
    assert row(at_eight, T(20)).next_local_date == DAY + dt.timedelta(days=1)


def test_after_days_down_only_the_first_missed_day_is_recorded_and_today_still_comes(
        at_eight: TreatmentCourse) -> None:
    scan(local(DAY + dt.timedelta(days=3), T(20, 30), DENVER))  # beat was down for three days
    assert [o[1:] for o in occurrences(at_eight)] == [
        (DAY, local(DAY, T(20), DENVER), ReminderOutcome.LATE)]
    assert row(at_eight, T(20)).next_local_date == DAY + dt.timedelta(days=3)
    scan(local(DAY + dt.timedelta(days=3), T(20, 31), DENVER))
    assert occurrences(at_eight)[-1][1:] == (DAY + dt.timedelta(days=3),
                                             local(DAY + dt.timedelta(days=3), T(20), DENVER),
                                             ReminderOutcome.SENT)


def test_without_a_device_the_occurrence_says_so(cast: Any) -> None:
    patient, _ = new_patient(cast, DENVER)
    course = new_course(cast, patient)
    set_times(course, T(20), when=local(DAY, T(9), DENVER))
    scan(local(DAY, T(20, 1), DENVER))
    assert occurrences(course)[0][3] == ReminderOutcome.NO_DEVICE


def test_scanning_again_sends_nothing_more_and_next_due_moves_a_day(at_eight: TreatmentCourse) -> None:
    for when in (T(20, 1), T(20, 1), T(20, 2), T(23, 59)):
        scan(local(DAY, when, DENVER))
    assert len(sent(at_eight)) == 1
    assert row(at_eight, T(20)).next_due_at == local(DAY + dt.timedelta(days=1), T(20), DENVER)


def test_an_occurrence_claimed_elsewhere_is_skipped_and_still_moves_on(
        at_eight: TreatmentCourse) -> None:
    ReminderOccurrence.objects.create(course=at_eight, patient=at_eight.patient, reminder_time=T(20),
                                      local_date=DAY, due_at=local(DAY, T(20), DENVER),
                                      outcome=ReminderOutcome.SENT)
    assert scan(local(DAY, T(20, 1), DENVER)) == 1
    assert PushDelivery.objects.filter(course=at_eight).count() == 0
    assert row(at_eight, T(20)).next_local_date == DAY + dt.timedelta(days=1)


def test_caregivers_devices_get_it_but_not_a_revoked_caregivers(cast: Any) -> None:
    patient, user = new_patient(cast, DENVER)
    course = new_course(cast, patient)
    phone, tablet = subscribe(user), subscribe(user)
    daughter = subscribe(caregiver_of(patient))
    subscribe(caregiver_of(patient, status=CaregiverStatus.REVOKED))
    _, other_user = new_patient(cast, DENVER, name="Someone Else")
    subscribe(other_user)
    set_times(course, T(20), when=local(DAY, T(9), DENVER))

    scan(local(DAY, T(20, 1), DENVER))

    assert {d.subscription_id for d in sent(course)} == {phone.pk, tablet.pk, daughter.pk}
    assert {d.user_id for d in sent(course)} == {user.pk, daughter.user_id}


def test_a_time_zone_change_moves_the_next_reminder_and_no_day_comes_twice(
        at_eight: TreatmentCourse) -> None:
    scan(local(DAY, T(20, 1), DENVER))  # Denver's 20:00 sent for DAY
    patient = at_eight.patient
    with time_machine.travel(local(DAY, T(20, 30), DENVER), tick=False):
        people.patient_update(patient=patient, changes={"timezone": "America/Los_Angeles"})
        reminders.reschedule_patient(patient)
    # 20:30 in Denver is 19:30 in Los Angeles: today's 20:00 there is still to come, but today
    # was reminded already.
    assert row(at_eight, T(20)).next_due_at == local(DAY, T(20), "America/Los_Angeles")
    scan(local(DAY, T(20, 1), "America/Los_Angeles"))
    assert len(sent(at_eight)) == 1
    assert row(at_eight, T(20)).next_local_date == DAY + dt.timedelta(days=1)


def test_a_new_course_keeps_the_reminders_of_the_one_it_replaces(
        cast: Any, at_eight: TreatmentCourse) -> None:
    with time_machine.travel(local(DAY, T(10), DENVER), tick=False):
        new, _ = courses.course_create(
            patient=at_eight.patient, prescribed_by=cast.physician, previous=at_eight,
            previous_status=CourseStatus.COMPLETED, data={
                "medication": "Sodium thiosulfate", "concentration_percent": 25,
                "vehicle": "Zinc oxide paste", "body_site": "Left lateral thigh",
                "applications_per_day": 1, "start_date": DAY, "end_date": None,
                "instructions": ""})
        reminders.reschedule_course(at_eight)
        reminders.reminders_copy(source=at_eight, target=new)
    assert row(at_eight, T(20)).next_due_at is None
    assert reminders.reminder_settings(new)["times"] == ["20:00"]
    assert row(new, T(20)).next_due_at == local(DAY, T(20), DENVER)


def test_the_scan_costs_the_same_queries_for_two_patients_as_for_eight(cast: Any, statements: str
                                                                      ) -> None:
    if statements == "row-by-row":
        pytest.skip("row by row, the embedded default's scan costs queries per reminder")
    def due_patients(count: int) -> None:
        for _ in range(count):
            patient, user = new_patient(cast, DENVER)
            course = new_course(cast, patient)
            subscribe(user)
            subscribe(caregiver_of(patient))
            set_times(course, T(20), T(20, 30), when=local(DAY, T(9), DENVER))

    counts = []
    for count, day in ((2, DAY), (8, DAY + dt.timedelta(days=1))):
        ReminderTime.objects.update(next_due_at=None)
        due_patients(count)
        with time_machine.travel(local(day, T(20, 40), DENVER), tick=False):
            ReminderTime.objects.filter(next_due_at__isnull=False).update(
                next_due_at=local(day, T(20), DENVER), next_local_date=day)
            with CaptureQueriesContext(connection) as queries:
                assert reminders.reminders_due_scan() == 2 * count
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 10


@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_send_each_reminder_once(cast: Any, tasks_sent: Any) -> None:
    due = []
    for _ in range(6):
        patient, user = new_patient(cast, DENVER)
        course = new_course(cast, patient)
        subscribe(user)
        set_times(course, T(20), T(20, 15), when=local(DAY, T(9), DENVER))
        due.append(course)
    barrier = threading.Barrier(2)
    handled: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            handled.append(reminders.reminders_due_scan(now=local(DAY, T(20, 20), DENVER)))
        except BaseException as exc:  # noqa: BLE001  (reported by the test below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sum(handled) == 12
    assert ReminderOccurrence.objects.count() == 12
    assert PushDelivery.objects.filter(kind=PushKind.REMINDER).count() == 12
    for course in due:
        assert len(sent(course)) == 2
    assert sorted(args[0] for args in tasks_sent[queue.SEND_PUSH]) == sorted(
        str(pk) for pk in PushDelivery.objects.values_list("pk", flat=True))
