"""The kinds of record a course holds, in one registry.

The record services (create, correct, void, history) and the course timeline both read this: a new
kind of record is one entry here, with its model, the fields a client sets, the rules of the kind
itself and its line on the timeline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tracker.errors import Conflict, field_error
from tracker.models import (
    Application,
    ApplicationStatus,
    CourseRecord,
    Debridement,
    Photo,
    SymptomEntry,
    TreatmentCourse,
)
from tracker.services.alert_rules import symptom_alerts


@dataclass(frozen=True)
class RecordKind:
    model: type[CourseRecord]
    object_type: str
    # Content fields a client sets, besides the course.
    fields: tuple[str, ...]
    # The record's line on the course timeline.
    summary: Callable[[Any], str]
    # Rules of the kind itself, beyond field types, on the content as it would be stored.
    check: Callable[[dict[str, Any]], None] | None = None
    # Rules against the other records of the course, run in the write's transaction after the
    # row is in (a create) or changed (a correction), the course row locked: concurrent writes of
    # one course take their turn, and a refusal rolls the write back.
    guard: Callable[[Any], None] | None = None
    # What storing a new record of this kind sets off (alerts), in its transaction.
    on_create: Callable[[Any], object] | None = None
    # The debridement that opens a course, and the baseline photo, come before its first day.
    may_predate_course: bool = False

    @property
    def time_field(self) -> str:
        return self.model.time_field

    def describe(self, record: CourseRecord) -> str:
        """The record's line on the timeline, marked when it was entered in error."""
        text = self.summary(record)
        return f"{text} (entered in error)" if record.is_voided else text


def _check_application(content: dict[str, Any]) -> None:
    if content["status"] == ApplicationStatus.SKIPPED and not content["skip_reason"].strip():
        raise field_error("skip_reason", "Say why the application was skipped.")
    if content["status"] == ApplicationStatus.APPLIED and content["skip_reason"]:
        raise field_error("skip_reason", "Only a skipped application has a skip reason.")


def _one_answer_a_day(record: Application) -> None:
    """Each expected application of a day is applied or skipped, not both: once a day, a skip and
    an application of the same day contradict each other, and the second must void the first.
    (Twice a day, one of each is the truth.)"""
    course = TreatmentCourse.objects.select_for_update().get(pk=record.course_id)
    day = Application.objects.filter(course_id=record.course_id, local_date=record.local_date,
                                     entered_in_error_at__isnull=True)
    applied = day.filter(status=ApplicationStatus.APPLIED).count()
    skipped = day.filter(status=ApplicationStatus.SKIPPED).count()
    if applied and skipped and applied + skipped > course.applications_per_day:
        other = "a skipped" if record.status == ApplicationStatus.APPLIED else "an applied"
        raise Conflict(f"{record.local_date} already has {other} application; mark it entered in "
                       "error first.", field="applied_at")


def _application_summary(record: Application) -> str:
    return "Applied" if record.status == ApplicationStatus.APPLIED else f"Skipped: {record.skip_reason}"


def _score(value: int | None) -> str:
    return "not answered" if value is None else f"{value}/10"


def _symptom_summary(record: SymptomEntry) -> str:
    text = f"Pain {_score(record.pain)}, itch {_score(record.itch)}, drainage {record.drainage}"
    if signs := record.warning_signs():
        text += "; " + ", ".join(sign.label for sign in signs)
    return text


def _debridement_summary(record: Debridement) -> str:
    text = f"{record.get_method_display()} debridement, {record.nodules_removed} nodules removed"
    return text + ", specimen sent" if record.specimen_sent else text


def _photo_summary(record: Photo) -> str:
    return f"Wound photo ({record.status})"


APPLICATION = RecordKind(Application, "application", ("applied_at", "status", "skip_reason", "notes"),
                         summary=_application_summary, check=_check_application,
                         guard=_one_answer_a_day)
SYMPTOM = RecordKind(SymptomEntry, "symptom",
                     ("recorded_at", "pain", "itch", "drainage", "fever", "redness_spreading", "notes"),
                     summary=_symptom_summary, on_create=symptom_alerts)
DEBRIDEMENT = RecordKind(Debridement, "debridement",
                         ("performed_at", "method", "nodules_removed", "specimen_sent", "notes"),
                         summary=_debridement_summary, may_predate_course=True)
# A photo is created by services/photos.py (multipart); corrections and voiding are shared.
PHOTO = RecordKind(Photo, "photo", ("taken_at", "notes"), summary=_photo_summary,
                   may_predate_course=True)

KINDS: dict[str, RecordKind] = {kind.object_type: kind
                                for kind in (APPLICATION, SYMPTOM, DEBRIDEMENT, PHOTO)}

