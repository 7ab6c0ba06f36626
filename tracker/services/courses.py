"""Prescribing a treatment course and changing it (status, end date, instructions)."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from tracker import clock
from tracker.errors import Conflict, ValidationError, field_error
from tracker.idempotency import canonical, create_once, fingerprint
from tracker.models import CoursePause, CourseStatus, Patient, RecordVersion, TreatmentCourse, User
from tracker.services import reminders

COURSE_FIELDS = ("medication", "concentration_percent", "vehicle", "body_site",
                 "applications_per_day", "start_date", "end_date", "instructions")
CHANGEABLE_FIELDS = ("status", "end_date", "instructions")

# Where a course may go from each status. Completed and stopped are final.
_TRANSITIONS: dict[str, frozenset[str]] = {
    CourseStatus.ACTIVE: frozenset({CourseStatus.PAUSED, CourseStatus.COMPLETED,
                                    CourseStatus.STOPPED}),
    CourseStatus.PAUSED: frozenset({CourseStatus.ACTIVE, CourseStatus.COMPLETED,
                                    CourseStatus.STOPPED}),
    CourseStatus.COMPLETED: frozenset(),
    CourseStatus.STOPPED: frozenset(),
}


def _validate_dates(start: dt.date, end: dt.date | None, *, today: dt.date) -> None:
    if end is not None and end < start:
        raise field_error("end_date", "The course cannot end before it starts.")
    if start < today - dt.timedelta(days=366):
        raise field_error("start_date", "A course cannot start more than a year ago.")
    if start > today + dt.timedelta(days=366):
        raise field_error("start_date", "A course cannot start more than a year ahead.")


IN_FORCE = (CourseStatus.ACTIVE, CourseStatus.PAUSED)
# What the course in force may become when a new one replaces it.
REPLACED_STATUSES = (CourseStatus.PAUSED, CourseStatus.COMPLETED, CourseStatus.STOPPED)


def course_create(*, patient: Patient, prescribed_by: User, course_id: uuid.UUID | None = None,
                  data: dict[str, Any], previous: TreatmentCourse | None = None,
                  previous_status: str | None = None) -> tuple[TreatmentCourse, bool]:
    """Prescribe a course; idempotent by id like every create. Returns (course, created).

    A patient has one course in force (active or paused) at a time, so that her app never
    switches course silently: a second one is a conflict unless the same request says what the
    one in force becomes (`previous`, `previous_status`: paused, completed or stopped).
    """
    content: dict[str, Any] = {name: data.get(name) for name in COURSE_FIELDS}
    content["instructions"] = content["instructions"] or ""
    if isinstance(content["concentration_percent"], float | int | decimal.Decimal):
        # Stored with two decimals: 10, 10.0 and 10.00 are the same content for idempotency.
        content["concentration_percent"] = decimal.Decimal(
            str(content["concentration_percent"])).quantize(decimal.Decimal("0.01"))

    def validate() -> None:
        _validate_dates(content["start_date"], content["end_date"],
                        today=clock.today_in(patient.timezone))
        in_force = list(TreatmentCourse.objects.filter(patient=patient, status__in=IN_FORCE)
                        .order_by("start_date"))
        if previous is None:
            if in_force:
                course = in_force[-1]
                article = "an" if course.status == CourseStatus.ACTIVE else "a"
                raise Conflict(f"This patient already has {article} {course.status} course "
                               f"({course.pk}, "
                               f"since {course.start_date}): say in the same request whether it is "
                               "paused, completed or stopped (previous_course).", field="patient")
            return
        if previous not in in_force or previous.patient_id != patient.pk:
            raise field_error("previous_course", "Not a course in force of this patient.")
        if previous_status not in REPLACED_STATUSES:
            raise field_error("previous_course", "It can become paused, completed or stopped.")

    def replace_previous(course: TreatmentCourse) -> None:
        # The patient's row locked: two prescriptions at once take their turn, and the second
        # finds the first in force.
        Patient.objects.select_for_update().filter(pk=patient.pk).first()
        if previous is not None and previous_status is not None:
            course_update(course=previous, changed_by=prescribed_by,
                          changes={"status": previous_status})
            # Her reminders go on with the course that replaces this one.
            reminders.reminders_copy(source=previous, target=course)
        others = TreatmentCourse.objects.filter(patient=patient, status=CourseStatus.ACTIVE)
        if others.exclude(pk=course.pk).exists():
            raise Conflict("This patient has another active course, prescribed at the same time: "
                           "pause or end it first.", field="patient")

    return create_once(
        TreatmentCourse, client_id=course_id, fingerprint=fingerprint({"patient": patient.pk, **content}),
        build=lambda pk: TreatmentCourse(id=pk, patient=patient, prescribed_by=prescribed_by, **content),
        validate=validate, then=replace_previous,
        conflict="Another course with different content already has this id.",
    )


def _apply_status(course: TreatmentCourse, new: str, *, today: dt.date) -> None:
    old = course.status
    if new not in _TRANSITIONS[old]:
        raise field_error("status", f"A {old} course cannot become {new}.")
    open_pause = course.pauses.filter(ends_on__isnull=True).first()
    if open_pause is not None:
        # Resumed or ended: the pause covers the days up to yesterday. Paused and resumed the same
        # day, today is still expected and the pause covered nothing.
        if new == CourseStatus.ACTIVE and open_pause.starts_on >= today:
            open_pause.delete()
        else:
            open_pause.ends_on = today - dt.timedelta(days=1) if new == CourseStatus.ACTIVE else today
            open_pause.save(update_fields=["ends_on"])
    if new == CourseStatus.PAUSED:
        # From today on nothing more is expected; what she applied today, before the pause or
        # logged later from her phone, still counts on today (selectors/adherence.Schedule).
        CoursePause.objects.create(course=course, starts_on=today)
    if new in (CourseStatus.COMPLETED, CourseStatus.STOPPED) and (
        course.end_date is None or course.end_date > today
    ):
        course.end_date = max(today, course.start_date)
    course.status = new


@transaction.atomic
def course_update(*, course: TreatmentCourse, changed_by: User, changes: dict[str, Any]
                  ) -> TreatmentCourse:
    """Change status, end date or instructions. The earlier values are kept as a version."""
    course = TreatmentCourse.objects.select_for_update().select_related("patient").get(pk=course.pk)
    unknown = set(changes) - set(CHANGEABLE_FIELDS)
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in sorted(unknown)})
    before = {name: getattr(course, name) for name in CHANGEABLE_FIELDS}
    today = clock.today_in(course.patient.timezone)
    if "end_date" in changes and changes["end_date"] != course.end_date:
        if course.status in (CourseStatus.COMPLETED, CourseStatus.STOPPED):
            raise field_error("end_date", f"A {course.status} course keeps its end date.")
        end = changes["end_date"]
        if end is not None and end < course.start_date:
            raise field_error("end_date", "The course cannot end before it starts.")
        course.end_date = end
    if "instructions" in changes:
        course.instructions = changes["instructions"] or ""
    if "status" in changes and changes["status"] != course.status:
        if changes["status"] == CourseStatus.ACTIVE:
            other = (TreatmentCourse.objects.filter(patient_id=course.patient_id,
                                                    status=CourseStatus.ACTIVE)
                     .exclude(pk=course.pk).first())
            if other is not None:
                raise Conflict(f"This patient has another active course ({other.pk}, since "
                               f"{other.start_date}): pause or end it first.", field="status")
        _apply_status(course, changes["status"], today=today)
    diff = {name: {"from": canonical(before[name]), "to": canonical(getattr(course, name))}
            for name in CHANGEABLE_FIELDS if before[name] != getattr(course, name)}
    if not diff:
        return course
    course.version += 1
    course.updated_at = timezone.now()
    course.save()
    RecordVersion.objects.create(object_type="course", object_id=course.pk, version=course.version,
                                 changed_by=changed_by, action="update", changes=diff)
    if "status" in diff or "end_date" in diff:
        reminders.reschedule_course(course)  # paused or ended: no reminders; resumed: again
    return course
