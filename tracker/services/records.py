"""Creating, correcting and voiding the records of a course (applications, symptoms, debridements).

Three rules hold for every kind:
1. A create is idempotent by its id: the same id with the same content returns the stored record
   and stores nothing; the same id with other content is a conflict. The primary key's unique
   constraint decides (INSERT ... ON CONFLICT DO NOTHING), so two concurrent duplicates cannot
   both insert.
2. A record is never deleted. A correction bumps its version and keeps the old values.
3. Entered-in-error marks a record void; it stays, and drops out of adherence and reports.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone

from tracker import clock
from tracker.db import insert_unless_taken
from tracker.errors import Conflict, ValidationError, field_error
from tracker.models import (
    Application,
    ApplicationStatus,
    CourseRecord,
    CourseStatus,
    Debridement,
    Photo,
    RecordVersion,
    SymptomEntry,
    TreatmentCourse,
    User,
)
from tracker.services.alert_rules import symptom_alerts

R = TypeVar("R", bound=CourseRecord)


@dataclass(frozen=True)
class RecordKind:
    model: type[CourseRecord]
    object_type: str
    # Content fields a client sets, besides the course.
    fields: tuple[str, ...]

    @property
    def time_field(self) -> str:
        return self.model.time_field


APPLICATION = RecordKind(Application, "application",
                         ("applied_at", "status", "skip_reason", "notes"))
SYMPTOM = RecordKind(SymptomEntry, "symptom",
                     ("recorded_at", "pain", "itch", "drainage", "fever", "redness_spreading",
                      "notes"))
DEBRIDEMENT = RecordKind(Debridement, "debridement",
                         ("performed_at", "method", "nodules_removed", "specimen_sent", "notes"))
# A photo is created by services/photos.py (multipart); corrections and voiding are shared.
PHOTO = RecordKind(Photo, "photo", ("taken_at", "notes"))

KINDS = {kind.object_type: kind for kind in (APPLICATION, SYMPTOM, DEBRIDEMENT, PHOTO)}
# The debridement that opens a course, and the baseline photo, come before its first day.
_MAY_PREDATE_COURSE = (DEBRIDEMENT, PHOTO)


def canonical(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date | uuid.UUID | decimal.Decimal):
        return str(value)
    return value


def fingerprint(values: dict[str, Any]) -> str:
    plain = {key: canonical(value) for key, value in values.items()}
    return hashlib.sha256(json.dumps(plain, sort_keys=True).encode()).hexdigest()


def _content(kind: RecordKind, data: dict[str, Any]) -> dict[str, Any]:
    defaults = {f.name: f.get_default() for f in kind.model._meta.concrete_fields}
    return {name: data.get(name, defaults.get(name)) for name in kind.fields}


def validate_content(kind: RecordKind, course: TreatmentCourse, content: dict[str, Any]) -> None:
    """Rules beyond field types: when the thing happened, and what the kind itself requires."""
    time_field = kind.time_field
    instant = content[time_field]
    clock.ensure_not_future(time_field, instant)
    day = clock.local_date(instant, course.patient.timezone)
    if kind not in _MAY_PREDATE_COURSE and day < course.start_date:
        raise field_error(time_field, f"This is before the course started ({course.start_date}).")
    if course.end_date and day > course.end_date:
        raise field_error(time_field, f"This is after the course ended ({course.end_date}).")
    if kind is APPLICATION:
        if content["status"] == ApplicationStatus.SKIPPED and not content["skip_reason"].strip():
            raise field_error("skip_reason", "Say why the application was skipped.")
        if content["status"] == ApplicationStatus.APPLIED and content["skip_reason"]:
            raise field_error("skip_reason", "Only a skipped application has a skip reason.")


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
    print_ = fingerprint({"course": course.pk, **content})
    model = kind.model

    def existing_or_conflict() -> CourseRecord | None:
        existing = model.objects.filter(pk=record_id).first()
        if existing is None:
            return None
        if existing.client_fingerprint != print_:
            raise Conflict("Another record with different content already has this id.",
                           field="id")
        return existing

    try:
        ensure_course_open(course)
        validate_content(kind, course, content)
    except ValidationError:
        # A retry of a record stored before the course closed still gets its record back.
        if record_id is not None and (found := existing_or_conflict()) is not None:
            return found, False
        raise
    record = model(
        id=record_id or uuid.uuid4(), course=course, patient_id=course.patient_id,
        local_date=clock.local_date(content[kind.time_field], course.patient.timezone),
        recorded_by=recorded_by, client_fingerprint=print_, **content,
    )
    with transaction.atomic(savepoint=False):
        inserted = insert_unless_taken(record)
        if inserted and kind is SYMPTOM:
            symptom_alerts(record)  # type: ignore[arg-type]
    if inserted:
        return record, True
    # The id is taken (a retry, or a concurrent duplicate that committed first): the stored
    # record decides. Records are never deleted, so it is there to be read.
    found = existing_or_conflict()
    assert found is not None
    return found, False


def _lock(kind: RecordKind, record: R) -> R:
    return kind.model.objects.select_for_update().select_related(  # type: ignore[return-value]
        "course__patient"
    ).get(pk=record.pk)


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
