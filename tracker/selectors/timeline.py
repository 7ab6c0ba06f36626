"""Every record of a course in one list, newest first."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db.models import CharField, F, QuerySet, Value

from tracker.models import (
    Application,
    CourseRecord,
    Debridement,
    Photo,
    SymptomEntry,
    TreatmentCourse,
)


@dataclass(frozen=True)
class TimelineEntry:
    type: str
    id: uuid.UUID
    at: dt.datetime
    summary: str
    entered_in_error: bool


def _summary(record: CourseRecord) -> str:
    if isinstance(record, Application):
        text = "Applied" if record.status == "applied" else f"Skipped: {record.skip_reason}"
    elif isinstance(record, SymptomEntry):
        flags = [name for name, on in (("fever", record.fever),
                                       ("spreading redness", record.redness_spreading)) if on]
        text = f"Pain {record.pain}/10, itch {record.itch}/10, drainage {record.drainage}"
        if flags:
            text += "; " + ", ".join(flags)
    elif isinstance(record, Photo):
        text = f"Wound photo ({record.status})"
    else:
        assert isinstance(record, Debridement)
        text = f"{record.get_method_display()} debridement, {record.nodules_removed} nodules removed"
        if record.specimen_sent:
            text += ", specimen sent"
    if record.is_voided:
        text += " (entered in error)"
    return text


_SOURCES: dict[str, type[CourseRecord]] = {
    "application": Application,
    "symptom": SymptomEntry,
    "debridement": Debridement,
    "photo": Photo,
}


def _keys(course: TreatmentCourse) -> QuerySet:
    parts = [
        model.objects.filter(course=course)
        .annotate(type=Value(name, output_field=CharField()), at=F(model.time_field))
        .values("type", "id", "at")
        .order_by()
        for name, model in _SOURCES.items()
    ]
    return parts[0].union(*parts[1:], all=True)


class CourseTimeline:
    """The timeline as a lazy sequence: len() counts, a slice fetches one page.

    A UNION ALL picks the page's (type, id, time) keys, then one query per kind loads the rows,
    so a page costs the same few queries whatever its size.
    """

    def __init__(self, course: TreatmentCourse) -> None:
        self.course = course

    def count(self) -> int:
        return sum(model.objects.filter(course=self.course).count() for model in _SOURCES.values())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[TimelineEntry]:
        keys = list(_keys(self.course).order_by("-at", "-id")[window])
        wanted: dict[str, list[uuid.UUID]] = {}
        for key in keys:
            wanted.setdefault(key["type"], []).append(key["id"])
        records = {
            (name, record.pk): record
            for name, ids in wanted.items()
            for record in _SOURCES[name].objects.filter(pk__in=ids)
        }
        return [
            TimelineEntry(key["type"], key["id"], records[(key["type"], key["id"])].occurred_at,
                          _summary(records[(key["type"], key["id"])]),
                          records[(key["type"], key["id"])].is_voided)
            for key in keys
        ]
