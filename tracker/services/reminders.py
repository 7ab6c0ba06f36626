"""Reminders at the patient's own wall-clock times, by Web Push to her devices and her caregivers'.

Each ReminderTime keeps the UTC instant of its next occurrence (`next_due_at`), so beat finds the
due ones on a partial index whatever the number of patients, and the time-zone arithmetic is done
once per occurrence. The occurrence of wall time T on local day D is the instant of D T in the
patient's zone; in a spring-forward gap, the first instant after the gap; on a fall-back day, the
first of the two (fold=0): a reminder comes once a local day, whatever the clocks do.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from tracker import clock, queue
from tracker.errors import field_error
from tracker.models import (
    Caregiver,
    CaregiverStatus,
    CourseStatus,
    DeliveryOutcome,
    Language,
    Patient,
    PushDelivery,
    PushKind,
    PushSubscription,
    ReminderOccurrence,
    ReminderOutcome,
    ReminderTime,
    TreatmentCourse,
    User,
)
from tracker.selectors import notifications as notification_selectors
from tracker.selectors.notifications import array_literal, expected_on, logged_counts, pauses_on
from tracker.services.notifications import message, push_service_of

MAX_TIMES = 4
# Reminder times one pass of the scan takes at most, in one transaction; a longer backlog takes
# further passes of the same scan.
SCAN_BATCH = 10_000
ONE_DAY = dt.timedelta(days=1)


class ReminderSettings(TypedDict):
    enabled: bool
    times: list[str]
    timezone: str


def reminder_settings(course: TreatmentCourse) -> ReminderSettings:
    """Whether the course reminds, at which wall-clock times ("HH:MM", in order), in which zone."""
    times = sorted(ReminderTime.objects.filter(course=course).values_list("at", flat=True))
    return {"enabled": course.reminders_enabled, "times": [at.strftime("%H:%M") for at in times],
            "timezone": course.patient.timezone}


def _validate_times(enabled: bool, times: list[dt.time]) -> None:
    if any(at.tzinfo is not None for at in times):
        raise field_error("times", "Reminder times are wall-clock times in the patient's zone, "
                                   "without an offset.")
    if any(at.second or at.microsecond for at in times):
        raise field_error("times", "Reminder times are whole minutes (HH:MM).")
    if len(set(times)) != len(times):
        raise field_error("times", "Each reminder time can be given once.")
    if len(times) > MAX_TIMES:
        raise field_error("times", f"At most {MAX_TIMES} reminder times a day.")
    if enabled and not times:
        raise field_error("times", "Choose at least one time to turn reminders on.")


def reminders_set(*, course: TreatmentCourse, enabled: bool, times: list[dt.time], by: User
                  ) -> ReminderSettings:
    """Set the course's reminder times and turn reminders on or off.

    Turned on: 1 to 4 distinct times; off: 0 to 4, kept for when they are turned on again. A time
    kept from before keeps its next occurrence, so that changing the others at 20:00:30 does not
    lose the 20:00 reminder the scan has not reached yet. (`by` is who changed them: the API's
    audit event of the request names her.)
    """
    _validate_times(enabled, times)
    given = course
    with transaction.atomic():
        course = (TreatmentCourse.objects.select_for_update(of=("self",)).select_related("patient")
                  .get(pk=course.pk))
        ReminderTime.objects.filter(course=course).exclude(at__in=times).delete()
        kept = set(ReminderTime.objects.filter(course=course).values_list("at", flat=True))
        ReminderTime.objects.bulk_create([ReminderTime(course=course, at=at)
                                          for at in times if at not in kept])
        if course.reminders_enabled != enabled:
            course.reminders_enabled = enabled
            TreatmentCourse.objects.filter(pk=course.pk).update(reminders_enabled=enabled)
        _reschedule([course], now=timezone.now(), keep_due=True)
    given.reminders_enabled = enabled
    return reminder_settings(course)


def reminders_copy(*, source: TreatmentCourse, target: TreatmentCourse) -> None:
    """Give a new course the reminders of the course it replaces, so that a new prescription does
    not silently end them. Nothing changes if the new course has reminder times already."""
    if ReminderTime.objects.filter(course=target).exists():
        return
    times = list(ReminderTime.objects.filter(course=source).values_list("at", flat=True))
    if times:
        enabled = TreatmentCourse.objects.filter(pk=source.pk).values_list(
            "reminders_enabled", flat=True).get()
        reminders_set(course=target, enabled=enabled, times=times, by=target.prescribed_by)


# --- Occurrences ----------------------------------------------------------------------------------


def occurrence(day: dt.date, at: dt.time, tz: ZoneInfo) -> dt.datetime:
    """The UTC instant of wall time `at` on local day `day` (see the module's docstring)."""
    wall = dt.datetime.combine(day, at)
    first = wall.replace(tzinfo=tz)  # fold=0: the first of two, on a fall-back day
    instant = first.astimezone(dt.UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == wall:
        return instant
    return _gap_end(first, tz)


def _gap_end(wall: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """The first instant after the spring-forward gap that `wall` falls in.

    In a gap, fold=0 reads the wall time with the offset before the change and fold=1 with the
    offset after; the change lies between the two instants. Bisect to the second: a zone changes
    its offset on a whole second.
    """
    before = int(wall.astimezone(dt.UTC).timestamp())
    after = int(wall.replace(fold=1).astimezone(dt.UTC).timestamp())
    lo, hi = min(before, after), max(before, after)
    new_offset = dt.datetime.fromtimestamp(hi, tz).utcoffset()
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if dt.datetime.fromtimestamp(mid, tz).utcoffset() == new_offset:
            hi = mid
        else:
            lo = mid
    return dt.datetime.fromtimestamp(hi, dt.UTC)


def next_occurrence(at: dt.time, tz: ZoneInfo, after: dt.datetime) -> tuple[dt.date, dt.datetime]:
    """The first local day whose occurrence of `at` comes strictly after `after`, and that
    occurrence (UTC). Days are counted in the zone, so a fall-back day's second pass through the
    same wall time is no occurrence of its own."""
    # No occurrence of an earlier day can come after `after`: even one pushed out of a gap that
    # crosses midnight lands on the first instant of the next day, at or before `after`.
    day = after.astimezone(tz).date()
    while True:
        due = occurrence(day, at, tz)
        if due > after:
            return day, due
        day += ONE_DAY


def _next_for(at: dt.time, course: TreatmentCourse, tz_name: str, after: dt.datetime
              ) -> tuple[dt.date | None, dt.datetime | None]:
    """Where a reminder time goes next: its next occurrence after `after`, not before the course's
    first day; none while reminders are off or the course is not active, or after its end date."""
    if not course.reminders_enabled or course.status != CourseStatus.ACTIVE:
        return None, None
    tz = clock.zone(tz_name)
    day, due = next_occurrence(at, tz, after)
    if day < course.start_date:
        day, due = course.start_date, occurrence(course.start_date, at, tz)
    if course.end_date is not None and day > course.end_date:
        return None, None
    return day, due


def _reschedule(courses: list[TreatmentCourse], *, now: dt.datetime, keep_due: bool) -> None:
    """Recompute the next occurrence of each reminder time of these courses from `now`.

    With `keep_due`, a time that has a next occurrence and may still have it (reminders on, the
    course active, the day not after its end) keeps it, even if it is due and not yet scanned.
    """
    by_id = {course.pk: course for course in courses}
    rows = list(ReminderTime.objects.filter(course_id__in=list(by_id)))
    for row in rows:
        course = by_id[row.course_id]
        still = (course.reminders_enabled and course.status == CourseStatus.ACTIVE
                 and row.next_local_date is not None
                 and (course.end_date is None or row.next_local_date <= course.end_date))
        if keep_due and row.next_due_at is not None and still:
            continue
        row.next_local_date, row.next_due_at = _next_for(row.at, course, course.patient.timezone,
                                                         now)
    ReminderTime.objects.bulk_update(rows, ["next_due_at", "next_local_date"])


def reschedule_course(course: TreatmentCourse, *, now: dt.datetime | None = None) -> None:
    """After a course's status or end date changed (paused, resumed, completed, stopped, ended
    earlier or later), inside the same transaction: paused or ended, its reminders stop; resumed,
    they start again from now."""
    course = TreatmentCourse.objects.select_related("patient").get(pk=course.pk)
    _reschedule([course], now=now or timezone.now(), keep_due=True)


def reschedule_patient(patient: Patient, *, now: dt.datetime | None = None) -> None:
    """After the patient's time zone changed: her reminder times come at the same wall-clock
    times in the new zone, from now on. A local day already reminded is not reminded again."""
    courses = list(TreatmentCourse.objects.filter(
        patient_id=patient.pk, pk__in=ReminderTime.objects.values("course_id")))
    for course in courses:
        course.patient = patient
    _reschedule(courses, now=now or timezone.now(), keep_due=False)


# --- The scan -------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Found:
    """One due reminder time, and what becomes of this occurrence."""

    pk: int
    at: dt.time
    due_at: dt.datetime
    day: dt.date
    course: TreatmentCourse
    patient_id: uuid.UUID
    timezone: str
    language: str
    outcome: str = ""
    expected: int = 0


_FOUND_COLUMNS = ("pk", "at", "next_due_at", "next_local_date", "course_id", "course__status",
                  "course__reminders_enabled", "course__applications_per_day",
                  "course__start_date", "course__end_date", "course__patient_id",
                  "course__patient__timezone", "course__patient__language")


def found_query(now: dt.datetime) -> QuerySet[ReminderTime, tuple[Any, ...]]:
    """The scan's finding query: the reminder times due by `now`, oldest first, with their course
    and patient, each locked for this transaction unless another scan holds it (skipped, not
    waited for). Read off the `reminder_due` partial index, as plain values: a model instance per
    row would cost more than all the rest of the scan."""
    return (ReminderTime.objects.filter(next_due_at__lte=now)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("next_due_at")
            .values_list(*_FOUND_COLUMNS)[:SCAN_BATCH])


# The course's columns the scan reads, in the model's order, as Model.from_db takes them.
_COURSE_COLUMNS = [field.attname for field in TreatmentCourse._meta.concrete_fields
                   if field.attname in {"id", "patient_id", "status", "reminders_enabled",
                                        "applications_per_day", "start_date", "end_date"}]


def _found(now: dt.datetime) -> list[_Found]:
    """The due times, and a course object each (from_db: as loaded, without the defaults of the
    columns not read), which the adherence schedule reads."""
    courses: dict[uuid.UUID, TreatmentCourse] = {}
    found = []
    for (pk, at, due_at, day, course_id, status, enabled, per_day, start, end, patient_id, tz,
         language) in found_query(now):
        course = courses.get(course_id)
        if course is None:
            values = {"id": course_id, "patient_id": patient_id, "status": status,
                      "reminders_enabled": enabled, "applications_per_day": per_day,
                      "start_date": start, "end_date": end}
            course = courses[course_id] = TreatmentCourse.from_db(
                connection.alias, _COURSE_COLUMNS, [values[name] for name in _COURSE_COLUMNS])
        found.append(_Found(pk=pk, at=at, due_at=due_at, day=day or clock.local_date(due_at, tz),
                            course=course, patient_id=patient_id, timezone=tz, language=language))
    return found


def reminders_due_scan(*, now: dt.datetime | None = None) -> int:
    """Beat's pass over the reminder times that are due. Returns how many it handled.

    1. One query on the `reminder_due` partial index finds the times due by now, with their course
       and patient, locked FOR UPDATE SKIP LOCKED: a second scan at the same moment takes others.
    2. Each occurrence's outcome: found more than TEND_REMINDER_LATE_MINUTES late: `late`; the
       course not active or the day not expected (adherence's schedule, with the pauses of those
       days read in one query): `not_expected`; the day logged, applied or skipped (one query for all):
       `already_logged`; otherwise `sent`, or `no_device` when neither the patient nor an active
       caregiver has one.
    3. One statement claims the occurrences, INSERT ... ON CONFLICT DO NOTHING (the unique course,
       time and day make any other worker, restarted beat or retried task that claimed one first
       win it), and writes a delivery per device for each one claimed: pending for `sent`, sent
       by the workers once this commits; `already_logged` for staff to read.
    4. One UPDATE moves every time found to its next occurrence, on the next local day.
    Five queries per batch of up to SCAN_BATCH times, whatever the number of patients.
    """
    now = now or timezone.now()
    handled = 0
    while True:
        with transaction.atomic():
            found = _found(now)
            if found:
                _handle(found, now)
        handled += len(found)
        if len(found) < SCAN_BATCH:
            return handled


def _handle(found: list[_Found], now: dt.datetime) -> None:
    late = dt.timedelta(minutes=settings.TEND_REMINDER_LATE_MINUTES)
    for f in found:
        if now - f.due_at > late:
            f.outcome = ReminderOutcome.LATE
        elif not f.course.reminders_enabled or f.course.status != CourseStatus.ACTIVE:
            f.outcome = ReminderOutcome.NOT_EXPECTED
    pauses = pauses_on(f.day for f in found if not f.outcome)
    for f in found:
        if not f.outcome:
            f.expected = expected_on(f.course, pauses.get(f.course.pk, []), f.day)
            if not f.expected:
                f.outcome = ReminderOutcome.NOT_EXPECTED
    undecided = [f for f in found if not f.outcome]
    logged = logged_counts((f.course.pk, f.day) for f in undecided)
    for f in undecided:
        done = logged.get((f.course.pk, f.day), 0) >= f.expected
        f.outcome = ReminderOutcome.ALREADY_LOGGED if done else ReminderOutcome.SENT

    pending = _claim_and_deliver(found, now)
    queue.publish_many_on_commit(queue.SEND_PUSH, pending)
    # A time found late goes to its first occurrence that is not late yet.
    _advance([(f.pk, *_next_for(f.at, f.course, f.timezone, max(f.due_at, now - late)))
              for f in found])


# Step 3 of the scan in one statement. `found` is the occurrences of the reminder times found,
# each with the outcome decided so far (the times are still at these occurrences: they move on in
# step 4); `devices`, the subscriptions of each patient's user and of her active caregivers'
# users. A `sent` occurrence with no device is claimed as `no_device`.
_CLAIM_AND_DELIVER = """
WITH found AS (
    SELECT rt.id, rt.course_id, c.patient_id, rt.at AS reminder_time, f.local_date,
           rt.next_due_at AS due_at, f.outcome, p.language
    FROM unnest(%(ids)s::bigint[], %(days)s::date[], %(outcomes)s::text[])
         AS f(id, local_date, outcome)
    JOIN tracker_remindertime rt ON rt.id = f.id
    JOIN tracker_treatmentcourse c ON c.id = rt.course_id
    JOIN tracker_patient p ON p.id = c.patient_id
), recipients AS (
    SELECT p.id AS patient_id, p.user_id FROM tracker_patient p
    WHERE p.id = ANY(%(patients)s::uuid[]) AND p.user_id IS NOT NULL
    UNION ALL
    SELECT c.patient_id, c.user_id FROM tracker_caregiver c
    WHERE c.patient_id = ANY(%(patients)s::uuid[]) AND c.status = %(active)s
          AND c.user_id IS NOT NULL
), devices AS (
    SELECT r.patient_id, s.user_id, s.id AS subscription_id, s.endpoint
    FROM recipients r
    JOIN tracker_pushsubscription s ON s.user_id = r.user_id
    JOIN tracker_user u ON u.id = r.user_id AND u.is_active
), claimed AS (
    INSERT INTO tracker_reminderoccurrence (course_id, patient_id, reminder_time, local_date,
                                            due_at, found_at, outcome)
    SELECT course_id, patient_id, reminder_time, local_date, due_at, %(now)s,
           CASE WHEN outcome = %(sent)s AND NOT EXISTS (
                    SELECT 1 FROM devices d WHERE d.patient_id = found.patient_id)
                THEN %(no_device)s ELSE outcome END
    FROM found
    ON CONFLICT (course_id, reminder_time, local_date) DO NOTHING
    RETURNING id, course_id, patient_id, reminder_time, local_date, outcome
), delivered AS (
    INSERT INTO tracker_pushdelivery (id, kind, user_id, subscription_id, push_service, patient_id,
                                      course_id, occurrence_id, payload, outcome, attempts,
                                      created_at, next_attempt_at, enqueued_at)
    SELECT gen_random_uuid(), %(kind)s, d.user_id, d.subscription_id,
           left(substring(d.endpoint FROM '^[^:/?#]+://[^/?#]+'), 255),
           claimed.patient_id, claimed.course_id, claimed.id,
           (%(texts)s::jsonb -> found.language)
               || jsonb_build_object('course', claimed.course_id::text),
           CASE claimed.outcome WHEN %(sent)s THEN %(pending)s ELSE %(already_logged)s END, 0,
           %(now)s, %(now)s, CASE claimed.outcome WHEN %(sent)s THEN %(now)s END
    FROM claimed
    JOIN found USING (course_id, reminder_time, local_date)
    JOIN devices d ON d.patient_id = claimed.patient_id
    WHERE claimed.outcome IN (%(sent)s, %(already_logged)s)
    RETURNING id, outcome
)
SELECT id::text FROM delivered WHERE outcome = %(pending)s
"""


def _claim_and_deliver(found: list[_Found], now: dt.datetime) -> list[str]:
    """Step 3 of the scan; the ids of the pending deliveries, stamped enqueued as of now (a broker
    that refuses them leaves them to the sweeper a minute later)."""
    texts = {language: message(PushKind.REMINDER, language)
             for language in {f.language for f in found} | {Language.ENGLISH}}
    told = {f.patient_id for f in found
            if f.outcome in (ReminderOutcome.SENT, ReminderOutcome.ALREADY_LOGGED)}
    # The embedded default (SQLite, `make run`) takes the same steps row by row through the ORM:
    # the same outcomes, for a demo's handful of reminders.
    if not notification_selectors.set_based():
        return _claim_and_deliver_by_row(found, now, texts=texts, told=told)
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_AND_DELIVER, {
            "ids": array_literal(f.pk for f in found), "days": array_literal(f.day for f in found),
            "outcomes": array_literal(f.outcome for f in found), "patients": array_literal(told),
            "texts": json.dumps(texts), "now": now, "kind": PushKind.REMINDER.value,
            "active": CaregiverStatus.ACTIVE.value, "sent": ReminderOutcome.SENT.value,
            "no_device": ReminderOutcome.NO_DEVICE.value, "pending": DeliveryOutcome.PENDING.value,
            "already_logged": DeliveryOutcome.ALREADY_LOGGED.value,
        })
        return [pk for (pk,) in cursor.fetchall()]


def _devices(patients: set[uuid.UUID]) -> dict[uuid.UUID, list[tuple[uuid.UUID, uuid.UUID, str]]]:
    """(user, subscription, endpoint) of each patient's active users: herself and her active
    caregivers. The row-by-row twin of the statement's `devices`."""
    users: dict[uuid.UUID, uuid.UUID] = dict(
        Patient.objects.filter(pk__in=patients, user__isnull=False, user__is_active=True)
        .values_list("user_id", "pk"))
    users |= dict(Caregiver.objects.filter(patient_id__in=patients, status=CaregiverStatus.ACTIVE,
                                           user__isnull=False, user__is_active=True)
                  .values_list("user_id", "patient_id"))
    devices: dict[uuid.UUID, list[tuple[uuid.UUID, uuid.UUID, str]]] = defaultdict(list)
    for pk, user_id, endpoint in (PushSubscription.objects.filter(user_id__in=users)
                                  .values_list("pk", "user_id", "endpoint")):
        devices[users[user_id]].append((user_id, pk, endpoint))
    return devices


def _claim_and_deliver_by_row(found: list[_Found], now: dt.datetime, *,
                              texts: dict[str, dict[str, Any]], told: set[uuid.UUID]) -> list[str]:
    """Step 3 through the ORM: each occurrence claimed under the unique constraint (a savepoint
    each, so one taken by another worker skips only itself), then its deliveries."""
    devices = _devices(told)
    rows: list[PushDelivery] = []
    for f in found:
        outcome = f.outcome
        if outcome == ReminderOutcome.SENT and not devices.get(f.patient_id):
            outcome = ReminderOutcome.NO_DEVICE
        try:
            with transaction.atomic():
                claimed = ReminderOccurrence.objects.create(
                    course_id=f.course.pk, patient_id=f.patient_id, reminder_time=f.at,
                    local_date=f.day, due_at=f.due_at, found_at=now, outcome=outcome)
        except IntegrityError:
            continue  # another worker, a restarted beat or a retry claimed it first
        if outcome not in (ReminderOutcome.SENT, ReminderOutcome.ALREADY_LOGGED):
            continue
        sent = outcome == ReminderOutcome.SENT
        payload = (texts.get(f.language) or texts[Language.ENGLISH]) | {"course": str(f.course.pk)}
        rows += [PushDelivery(
            kind=PushKind.REMINDER, user_id=user_id, subscription_id=subscription_id,
            push_service=push_service_of(endpoint), patient_id=f.patient_id,
            course_id=f.course.pk, occurrence=claimed, payload=payload,
            outcome=DeliveryOutcome.PENDING if sent else DeliveryOutcome.ALREADY_LOGGED,
            created_at=now, next_attempt_at=now, enqueued_at=now if sent else None,
        ) for user_id, subscription_id, endpoint in devices[f.patient_id]]
    PushDelivery.objects.bulk_create(rows)
    return [str(row.pk) for row in rows if row.outcome == DeliveryOutcome.PENDING]


def _advance(moves: list[tuple[int, dt.date | None, dt.datetime | None]]) -> None:
    if not notification_selectors.set_based():
        ReminderTime.objects.bulk_update(
            [ReminderTime(pk=pk, next_local_date=day, next_due_at=due) for pk, day, due in moves],
            ["next_local_date", "next_due_at"])
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE tracker_remindertime AS r SET next_local_date = moved.day, next_due_at = moved.due
            FROM unnest(%s::bigint[], %s::date[], %s::timestamptz[]) AS moved(id, day, due)
            WHERE r.id = moved.id
            """,
            [array_literal(pk for pk, _, _ in moves), array_literal(day for _, day, _ in moves),
             array_literal(due for _, _, due in moves)],
        )
