"""Creating, correcting and voiding the records of a course: every kind in record_kinds.KINDS.

Three rules hold for every kind:
1. A create is idempotent by its id (tracker/idempotency.py).
2. A record is never deleted. A correction bumps its version and keeps the old values.
3. Entered-in-error marks a record void; it stays, and drops out of adherence and reports.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar, cast

from django.db import transaction
from django.utils import timezone

from tracker import clock
from tracker.errors import Conflict, ValidationError, field_error
from tracker.idempotency import canonical, create_once, fingerprint
from tracker.models import (
    ApplicationStatus,
    CourseRecord,
    CourseStatus,
    RecordVersion,
    TreatmentCourse,
    User,
)
from tracker.record_kinds import APPLICATION, DEBRIDEMENT, KINDS, PHOTO, SYMPTOM, RecordKind

# The kinds are the registry's; callers name them through this module as well.
__all__ = ["APPLICATION", "DEBRIDEMENT", "KINDS", "PHOTO", "SYMPTOM", "RecordKind", "record_create",
           "record_update", "record_void"]

R = TypeVar("R", bound=CourseRecord)


def _content(kind: RecordKind, data: dict[str, Any]) -> dict[str, Any]:
    defaults = {f.name: f.get_default() for f in kind.model._meta.concrete_fields}
    return {name: data.get(name, defaults.get(name)) for name in kind.fields}


def validate_content(kind: RecordKind, course: TreatmentCourse, content: dict[str, Any]) -> None:
    """Rules beyond field types: when the thing happened, and what the kind itself requires."""
    time_field = kind.time_field
    instant = content[time_field]
    clock.ensure_not_future(time_field, instant)
    day = clock.local_date(instant, course.patient.timezone)
    if not kind.may_predate_course and day < course.start_date:
        raise field_error(time_field, f"This is before the course started ({course.start_date}).")
    if course.end_date and day > course.end_date:
        raise field_error(time_field, f"This is after the course ended ({course.end_date}).")
    if kind.check is not None:
        kind.check(content)


def ensure_course_open(course: TreatmentCourse) -> None:
    if course.status != CourseStatus.ACTIVE:
        raise field_error("course", f"This course is {course.status}; it takes no new records.")


def record_create(*, kind: RecordKind, recorded_by: User, course: TreatmentCourse,
                  record_id: uuid.UUID | None = None, data: dict[str, Any]
                  ) -> tuple[CourseRecord, bool]:
    """Store a record, or return the one already stored under this id. Returns (record, created).

    Raises Conflict when the id is taken by a record with other content.
    """
    content = _content(kind, data)

    def validate() -> None:
        ensure_course_open(course)
        validate_content(kind, course, content)

    def build(pk: uuid.UUID) -> CourseRecord:
        return kind.model(
            id=pk, course=course, patient_id=course.patient_id,
            local_date=clock.local_date(content[kind.time_field], course.patient.timezone),
            recorded_by=recorded_by, **content,
        )

    def then(record: CourseRecord) -> None:
        if kind.guard is not None:
            kind.guard(record)
        if kind.on_create is not None:
            kind.on_create(record)

    return create_once(
        kind.model, client_id=record_id, fingerprint=fingerprint({"course": course.pk, **content}),
        build=build, validate=validate, then=then,
        conflict="Another record with different content already has this id.",
    )


def _lock(kind: RecordKind, record: R) -> R:
    locked = kind.model._default_manager.select_for_update().select_related(
        "course__patient").get(pk=record.pk)
    return cast(R, locked)  # the same kind as the record it locks


def _version(kind: RecordKind, record: CourseRecord, *, by: User, action: str,
             changes: dict[str, dict[str, Any]]) -> None:
    record.version += 1
    RecordVersion.objects.create(
        object_type=kind.object_type, object_id=record.pk, version=record.version,
        changed_by=by, action=action,
        changes={name: {k: canonical(v) for k, v in change.items()}
                 for name, change in changes.items()},
    )


@transaction.atomic
def record_update(*, kind: RecordKind, record: R, changed_by: User, changes: dict[str, Any]) -> R:
    """Correct a record. Each changed field's old value is kept in a new RecordVersion."""
    record = _lock(kind, record)
    if record.is_voided:
        raise Conflict("This record was marked entered in error; it cannot be changed.")
    unknown = set(changes) - set(kind.fields)
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in sorted(unknown)})
    changes = dict(changes)  # the caller's dict stays as it was
    content = {name: getattr(record, name) for name in kind.fields}
    if "status" in changes and changes["status"] == ApplicationStatus.APPLIED:
        changes.setdefault("skip_reason", "")
    diff = {name: {"from": content[name], "to": value}
            for name, value in changes.items() if content[name] != value}
    if not diff:
        return record
    content.update(changes)
    validate_content(kind, record.course, content)
    for name, change in diff.items():
        setattr(record, name, change["to"])
    if kind.time_field in diff:
        record.local_date = clock.local_date(content[kind.time_field],
                                             record.course.patient.timezone)
    record.updated_at = timezone.now()
    _version(kind, record, by=changed_by, action="update", changes=diff)
    record.save()
    if kind.guard is not None:
        kind.guard(record)
    return record


@transaction.atomic
def record_void(*, kind: RecordKind, record: R, voided_by: User, reason: str) -> R:
    record = _lock(kind, record)
    if record.is_voided:
        raise Conflict("This record is already marked entered in error.")
    if not reason.strip():
        raise field_error("reason", "Say why this record was entered in error.")
    now = timezone.now()
    record.entered_in_error_at = now
    record.entered_in_error_by = voided_by
    record.entered_in_error_reason = reason.strip()
    record.updated_at = now
    _version(kind, record, by=voided_by, action="entered_in_error",
             changes={"entered_in_error_reason": {"from": "", "to": record.entered_in_error_reason}})
    record.save()
    return record
