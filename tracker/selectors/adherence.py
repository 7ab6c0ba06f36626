"""Adherence: how many of the expected applications were made, day by day, in the patient's days.

Today is not over: what it expects and she has not logged yet is pending, neither expected nor
missed, until she logs it (as the streak treats it). Each day of `days` says what the schedule
expects of it, today's too (so an app can show today as still open), and `pending` how many of
today's are not logged yet; the totals and the percentage count each day's `expected - pending`.
Today once logged counts like any other day: applied, or skipped and so not applied.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count

from tracker import clock
from tracker.errors import field_error
from tracker.models import Application, CoursePause, TreatmentCourse

MAX_PERIOD_DAYS = 731


@dataclass(frozen=True)
class AdherenceDay:
    date: dt.date
    expected: int
    applied: int
    skipped: int
    pending: int = 0  # today's expected applications not logged yet: not counted

    @property
    def counted(self) -> int:
        """The applications of the day that adherence counts as expected."""
        return self.expected - self.pending


def tally(day: dt.date, *, expected: int, applied: int, skipped: int, today: dt.date
          ) -> AdherenceDay:
    """A day's figures from what it expects and what was logged on it: applied counts at most
    what is expected; on today, what is neither applied nor skipped yet is pending."""
    applied = min(applied, expected)
    skipped = min(skipped, expected - applied)
    pending = expected - applied - skipped if day == today else 0
    return AdherenceDay(day, expected, applied, skipped, pending)


@dataclass(frozen=True)
class Adherence:
    start: dt.date
    end: dt.date
    expected: int
    applied: int
    adherence_percent: float | None
    current_streak_days: int
    days: list[AdherenceDay]


class Schedule:
    """Which local days of a course expect applications, and how many."""

    def __init__(self, course: TreatmentCourse, pauses: list[CoursePause], today: dt.date) -> None:
        self.per_day = course.applications_per_day
        self.first = course.start_date
        self.last = course.last_day(today)
        self.pauses = [(p.starts_on, p.ends_on or dt.date.max) for p in pauses]
        self.paused_on = {p.starts_on for p in pauses}

    def expected(self, day: dt.date, *, applied: int = 0) -> int:
        """What the day expects, given the applications `applied` on it.

        A pause begins on the day the course was paused, which may be after she applied that day:
        what was applied on that day counts on it (expected and applied, never dropped), the rest
        of the day expects nothing. Later paused days expect nothing.
        """
        if not self.first <= day <= self.last:
            return 0
        if any(start <= day <= end for start, end in self.pauses):
            return min(applied, self.per_day) if day in self.paused_on else 0
        return self.per_day


def _counts(course: TreatmentCourse, start: dt.date, end: dt.date
            ) -> dict[dt.date, dict[str, int]]:
    rows = (
        Application.objects.filter(course=course, entered_in_error_at__isnull=True,
                                   local_date__range=(start, end))
        .values("local_date", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[dt.date, dict[str, int]] = defaultdict(lambda: {"applied": 0, "skipped": 0})
    for row in rows:
        counts[row["local_date"]][row["status"]] = row["n"]
    return counts


def _streak(schedule: Schedule, counts: dict[dt.date, dict[str, int]], today: dt.date,
            last: dt.date) -> int:
    """Consecutive fully-applied days ending on `last`: today, or yesterday if today is not yet
    logged; a day before today is over, and ends the streak if it is not fully applied.

    Days that expect nothing (a pause) neither break nor lengthen a streak.
    """
    day = min(last, schedule.last)
    logged = counts.get(today, {"applied": 0, "skipped": 0})
    if day == today and schedule.expected(today, applied=logged["applied"]):
        if logged["applied"] < schedule.expected(today, applied=logged["applied"]):
            if logged["skipped"]:
                return 0
            day = today - dt.timedelta(days=1)
    streak = 0
    while day >= schedule.first:
        applied = counts.get(day, {"applied": 0})["applied"]
        expected = schedule.expected(day, applied=applied)
        if expected:
            if applied < expected:
                break
            streak += 1
        day -= dt.timedelta(days=1)
    return streak


def course_adherence(*, course: TreatmentCourse, start: dt.date | None = None,
                     end: dt.date | None = None, today: dt.date | None = None,
                     streak_until: dt.date | None = None) -> Adherence:
    """Adherence over [start, end] (default: the course's first day to today, patient's days).

    `today` is the patient's day in progress (default: the clock's); the streak ends on
    `streak_until` (default: today), a day before today for a report of a period already over.
    """
    today = today or clock.today_in(course.patient.timezone)
    # A bad period is named by the bound the client sent (the other one is a default).
    named = "end" if end is not None else "start"
    start = start or course.start_date
    end = end or max(today, start)
    if end < start:
        raise field_error("end", "The period cannot end before it starts.")
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise field_error(named, f"A period spans at most {MAX_PERIOD_DAYS} days.")

    schedule = Schedule(course, list(course.pauses.all()), today)
    # One query covers both the period and the streak, which runs back from today.
    lo, hi = min(start, course.start_date), max(end, today)
    counts = _counts(course, lo, hi)

    days = []
    for day in clock.days(start, end):
        logged = counts.get(day, {"applied": 0, "skipped": 0})
        days.append(tally(day, expected=schedule.expected(day, applied=logged["applied"]),
                          applied=logged["applied"], skipped=logged["skipped"], today=today))
    total_expected = sum(d.counted for d in days)
    total_applied = sum(d.applied for d in days)
    percent = round(100 * total_applied / total_expected, 1) if total_expected else None
    streak = _streak(schedule, counts, today, min(streak_until or today, today))
    return Adherence(start=start, end=end, expected=total_expected, applied=total_applied,
                     adherence_percent=percent, current_streak_days=streak, days=days)
