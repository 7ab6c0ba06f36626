"""Every record of a course in one list, newest first."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db.models import CharField, F, QuerySet, Value

from tracker.models import TreatmentCourse
from tracker.record_kinds import KINDS


@dataclass(frozen=True)
class TimelineEntry:
    type: str
    id: uuid.UUID
    at: dt.datetime
    summary: str
    entered_in_error: bool


def _keys(course: TreatmentCourse) -> QuerySet:
    parts = [
        kind.model._default_manager.filter(course=course)
        .annotate(type=Value(name, output_field=CharField()), at=F(kind.time_field))
        .values("type", "id", "at")
        .order_by()
        for name, kind in KINDS.items()
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
        return sum(kind.model._default_manager.filter(course=self.course).count() for kind in KINDS.values())

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
            for record in KINDS[name].model._default_manager.filter(pk__in=ids)
        }
        entries = []
        for key in keys:
            record = records[(key["type"], key["id"])]
            entries.append(TimelineEntry(key["type"], key["id"], record.occurred_at,
                                         KINDS[key["type"]].describe(record), record.is_voided))
        return entries
