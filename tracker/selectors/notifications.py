"""Reads for reminders and notifications, many courses or patients at a time: a reminder scan asks
each question once for the whole batch, not once per reminder."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection
from django.db.models import Count, Q

from tracker.models import Application, CoursePause, TreatmentCourse
from tracker.selectors.adherence import Schedule

CourseDay = tuple[uuid.UUID, dt.date]
_NOT_PLAIN = frozenset('{}"\\ \t\n')


def set_based() -> bool:
    """Whether the database takes PostgreSQL's set-based statements (unnest of array literals);
    the embedded default (SQLite, `make run`) takes the ORM's row-by-row twins instead."""
    return connection.vendor == "postgresql"


def array_literal(values: Iterable[object]) -> str:
    """A PostgreSQL array literal of plain values (ids, numbers, dates, times, instants, codes):
    one text parameter where a list would be one placeholder per value, which the driver parses
    and quotes one by one."""
    text = ",".join("NULL" if value is None
                    else value.isoformat() if isinstance(value, dt.date | dt.time)
                    else str(value) for value in values)
    if set(text) & _NOT_PLAIN:
        raise ValueError("An array literal holds plain values only (no quotes, braces or spaces).")
    return "{" + text + "}"


def pauses_on(days: Iterable[dt.date]) -> dict[uuid.UUID, list[CoursePause]]:
    """The pauses, of any course, that cover some of these days, by course: a handful, however
    many courses there are."""
    days = set(days)
    if not days:
        return {}
    found: dict[uuid.UUID, list[CoursePause]] = defaultdict(list)
    for pause in CoursePause.objects.filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=min(days)), starts_on__lte=max(days)):
        found[pause.course_id].append(pause)
    return found


def expected_on(course: TreatmentCourse, pauses: list[CoursePause], day: dt.date) -> int:
    """How many applications the course expects on this local day (adherence's own rule: none
    before its start, after its end or on a paused day)."""
    return Schedule(course, pauses, today=day).expected(day)


def logged_counts(course_days: Iterable[CourseDay]) -> dict[CourseDay, int]:
    """For each (course, local day): its applications applied or skipped, not entered in error.
    One query, on the courses' day index (app_course_day), however many pairs."""
    wanted = list(set(course_days))
    if not wanted:
        return {}
    if not set_based():  # the embedded default (SQLite): the same, by the ORM
        match = Q()
        for course, day in wanted:
            match |= Q(course_id=course, local_date=day)
        rows = (Application.objects.filter(match, entered_in_error_at__isnull=True)
                .values_list("course_id", "local_date").annotate(n=Count("id")))
        return {(course, day): n for course, day, n in rows}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.course_id, a.local_date, count(*)
            FROM unnest(%s::uuid[], %s::date[]) AS wanted(course_id, local_date)
            JOIN tracker_application a
              ON a.course_id = wanted.course_id AND a.local_date = wanted.local_date
                 AND a.entered_in_error_at IS NULL
            GROUP BY a.course_id, a.local_date
            """,
            [array_literal(course for course, _ in wanted), array_literal(day for _, day in wanted)],
        )
        return {(course, day): n for course, day, n in cursor.fetchall()}


def day_fully_logged(course: TreatmentCourse, day: dt.date) -> bool:
    """Whether every application the course expects that day is logged (applied or skipped)."""
    expected = expected_on(course, list(course.pauses.all()), day)
    return expected > 0 and logged_counts([(course.pk, day)]).get((course.pk, day), 0) >= expected
