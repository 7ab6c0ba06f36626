"""The rules that open alerts, and only here. Each opens at most one alert per episode (see
alerts.alert_raise); the kinds are models.AlertKind.

- nothing logged for 2 whole local days of an active course (a beat task, in each patient's days);
- 3 consecutive expected days with no application, skipped or nothing logged (the same task);
- a symptom entry with a warning sign: fever, pus or spreading redness (high);
- pain at least 3 points above the patient's mean of the previous 7 days, or 8 or more (medium);
- a review with signs of infection (high), or flagged for the physician (medium);
- a healing checkpoint: too little L x W reduction near a given week (low).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db.models import Avg, OuterRef, Subquery

from tracker import clock
from tracker.models import (
    Alert,
    AlertKind,
    AlertSeverity,
    Application,
    ApplicationStatus,
    CourseStatus,
    Review,
    SymptomEntry,
    TreatmentCourse,
)
from tracker.selectors.adherence import course_adherence
from tracker.services.alerts import alert_raise

# How far back a run of missed days is followed.
RUN_LOOKBACK_DAYS = 120


def red_flags(entry: SymptomEntry) -> list[str]:
    """The warning signs an entry reports, in words: "fever", "pus", "spreading redness"."""
    return [sign.label for sign in entry.warning_signs()]


def symptom_alerts(entry: SymptomEntry) -> list[Alert]:
    """Run when a symptom entry is stored."""
    raised: list[Alert | None] = []
    flags = red_flags(entry)
    if flags:
        raised.append(alert_raise(
            course=entry.course, kind=AlertKind.SYMPTOM_RED_FLAG, severity=AlertSeverity.HIGH,
            detail=f"Warning signs reported on {entry.local_date}: {', '.join(flags)}. "
                   "Contact the patient today.",
            facts={"date": entry.local_date.isoformat(),
                   "signs": [sign.value for sign in entry.warning_signs()]},
            source_type="symptom", source_id=entry.pk))
    if entry.pain is None:
        return [alert for alert in raised if alert is not None]  # pain not answered: no rise
    rise, high = settings.TEND_PAIN_RISE_POINTS, settings.TEND_PAIN_HIGH_SCORE
    previous = SymptomEntry.objects.filter(
        course_id=entry.course_id, entered_in_error_at__isnull=True,
        local_date__gte=entry.local_date - dt.timedelta(days=7), local_date__lt=entry.local_date,
    ).aggregate(mean=Avg("pain"))["mean"]
    rose = previous is not None and entry.pain >= previous + rise
    # Above a mean of 10 - rise no rise can show: pain this high alerts on its own.
    if rose or entry.pain >= high:
        words = [f"Pain {entry.pain}/10 on {entry.local_date}"]
        if rose:
            words.append(f"{entry.pain - previous:.1f} points above the mean of the previous 7 "
                         f"days ({previous:.1f})")
        if entry.pain >= high:
            words.append(f"at or above {high}/10")
        if not rose and previous is not None:
            words.append(f"mean of the previous 7 days {previous:.1f}")
        raised.append(alert_raise(
            course=entry.course, kind=AlertKind.PAIN_RISE, severity=AlertSeverity.MEDIUM,
            detail=", ".join(words) + ".",
            facts={"date": entry.local_date.isoformat(), "pain": entry.pain,
                   "mean": round(float(previous), 1) if previous is not None else None,
                   "rise_points": rise, "rose": rose, "high_score": high,
                   "high": entry.pain >= high},
            source_type="symptom", source_id=entry.pk))
    return [alert for alert in raised if alert is not None]


def review_alerts(review: Review) -> list[Alert]:
    """Run when a review is stored: signs of infection, or a flag for the physician."""
    course = review.photo.course
    when = clock.local_date(review.created_at, course.patient.timezone).isoformat()
    raised: list[Alert | None] = []
    if review.signs_of_infection:
        raised.append(alert_raise(
            course=course, kind=AlertKind.REVIEW_INFECTION, severity=AlertSeverity.HIGH,
            detail=f"A wound review on {when} found signs of infection.", facts={"date": when},
            source_type="review", source_id=review.pk))
    if review.flag_for_physician:
        raised.append(alert_raise(
            course=course, kind=AlertKind.REVIEW_FLAGGED, severity=AlertSeverity.MEDIUM,
            detail=f"A wound review on {when} was flagged for the physician.", facts={"date": when},
            source_type="review", source_id=review.pk))
    return [alert for alert in raised if alert is not None]


# What the literature says of the area change at a checkpoint, each figure for what it is; none of
# them is about calcinosis cutis. (key, wound, reduction %, at week, what it predicted)
CHECKPOINT_SOURCES: list[tuple[str, str, int | None, int, str]] = [
    ("Kantor & Margolis 2000", "venous leg ulcers", None, 4, "healing by week 24"),
    ("Phillips 2000", "venous leg ulcers", 40, 3, "healing by week 12"),
    ("Sheehan 2003", "diabetic foot ulcers", 53, 4, "healing by week 12"),
    ("Coerper 2009", "diabetic foot ulcers", 50, 4, "healing"),
]


def checkpoint_source(week: int, threshold: int) -> str | None:
    """The cited study whose figure and week the configured checkpoint is, if one is."""
    return next((name for name, _, percent, at, _ in CHECKPOINT_SOURCES
                 if percent == threshold and at == week), None)


def checkpoint_evidence(week: int, threshold: int) -> str:
    """The sentences that cite each figure for what it is, and say how the configured checkpoint
    relates to them."""
    source = checkpoint_source(week, threshold)
    matched = (f"This checkpoint ({threshold} % at week {week}) is {source}'s figure"
               if source else
               f"This checkpoint ({threshold} % at week {week}) is configured: it is none of "
               "these figures as published")
    return (
        "In venous leg ulcers the percentage change in area over the first 4 weeks predicted "
        "healing by week 24 (Kantor & Margolis 2000), and a reduction of at least 40 % by week 3 "
        "predicted most outcomes at week 12 (Phillips 2000); in diabetic foot ulcers a reduction "
        "of about 53 % at week 4 (Sheehan 2003) and of 50 % at week 4 (Coerper 2009) predicted "
        f"healing. {matched}, and none is validated for calcinosis cutis."
    )


def _measurements(course: TreatmentCourse) -> list[Review]:
    """Each measured photo of the course in force (its latest review), in the order taken."""
    latest: dict[object, Review] = {}
    for review in (Review.objects.filter(course=course, photo__entered_in_error_at__isnull=True)
                   .select_related("photo").order_by("photo__taken_at", "created_at")):
        latest[review.photo_id] = review
    return list(latest.values())


def healing_checkpoint(course: TreatmentCourse) -> Alert | None:
    """At the checkpoint week, compare the measurement nearest the checkpoint with the first one.

    1. Once a photo on or after the checkpoint day is measured, the checkpoint is decided from the
       measurement nearest that day within TEND_HEALING_CHECKPOINT_WINDOW_DAYS either side (the
       later of two as near); none in the window, no checkpoint: a regression at week 12 is not
       week 4's.
    2. Its L x W is compared with the first measurement's; less reduction than the configured
       percentage opens one low alert per course, naming both dates.
    The figures come from venous leg and diabetic foot ulcers (CHECKPOINT_SOURCES), never from
    calcinosis cutis: the alert asks for a review of the plan, never to stop.
    """
    week = settings.TEND_HEALING_CHECKPOINT_WEEK
    threshold = settings.TEND_HEALING_CHECKPOINT_PERCENT
    window = settings.TEND_HEALING_CHECKPOINT_WINDOW_DAYS
    if Alert.objects.filter(course=course, kind=AlertKind.HEALING_CHECKPOINT).exists():
        return None  # one checkpoint per course
    checkpoint = course.start_date + dt.timedelta(weeks=week)
    measured = _measurements(course)
    if len(measured) < 2 or measured[-1].photo.local_date < checkpoint:
        return None
    first = measured[0]
    near = [r for r in measured[1:] if abs((r.photo.local_date - checkpoint).days) <= window]
    if not near or first.area_cm2 <= 0:
        return None
    nearest = min(near, key=lambda r: (abs((r.photo.local_date - checkpoint).days),
                                       -r.photo.local_date.toordinal()))
    reduction = (first.area_cm2 - nearest.area_cm2) / first.area_cm2 * 100
    if reduction >= Decimal(threshold):
        return None
    first_day, last_day = first.photo.local_date, nearest.photo.local_date
    offset = (last_day - checkpoint).days
    return alert_raise(
        course=course, kind=AlertKind.HEALING_CHECKPOINT, severity=AlertSeverity.LOW,
        detail=(
            f"Week {week} checkpoint ({checkpoint}): L \u00d7 W changed by {-reduction:+.0f} %, from "
            f"{first.area_cm2} cm² on {first_day} to {nearest.area_cm2} cm² on {last_day} (the "
            f"measurement nearest the checkpoint, within {window} days), less than the "
            f"{threshold} % reduction of this checkpoint. {checkpoint_evidence(week, threshold)} "
            "Please review the plan with the patient; this is not a reason to stop treatment on "
            "its own."
        ),
        facts={"week": week, "change_percent": round(float(-reduction)),
               "first_area_cm2": float(first.area_cm2), "last_area_cm2": float(nearest.area_cm2),
               "threshold_percent": float(threshold), "checkpoint_date": checkpoint.isoformat(),
               "first_date": first_day.isoformat(), "last_date": last_day.isoformat(),
               "days_from_checkpoint": offset, "window_days": window,
               "source": checkpoint_source(week, threshold)},
        source_type="review", source_id=nearest.pk,
    )


def missed_days_check(*, now: dt.datetime | None = None) -> list[Alert]:
    """For every active course: nothing logged on the last N whole local days (default 2), then
    missed_applications_check.

    Run hourly by beat, so that each patient is checked soon after her own midnight.
    """
    days = settings.TEND_MISSED_DAYS
    raised = []
    courses = (
        TreatmentCourse.objects.filter(status=CourseStatus.ACTIVE)
        .select_related("patient")
        .prefetch_related("pauses")
        .annotate(last_logged=Subquery(
            Application.objects.filter(course=OuterRef("pk"), entered_in_error_at__isnull=True)
            .order_by("-local_date").values("local_date")[:1]
        ))
    )
    for course in courses.iterator(chunk_size=500):
        today = clock.today_in(course.patient.timezone, now=now)
        first_missing = today - dt.timedelta(days=days)
        if course.start_date > first_missing:
            continue  # the course has not run for N whole days yet
        if course.end_date is not None and course.end_date < today - dt.timedelta(days=1):
            continue
        if course.last_logged is not None and course.last_logged >= first_missing:
            continue
        if any(p.ends_on is None or p.ends_on >= first_missing for p in course.pauses.all()):
            continue  # a pause covered part of those days: they were not all expected
        last = course.last_logged.isoformat() if course.last_logged else "never"
        alert = alert_raise(
            course=course, kind=AlertKind.NO_LOG, severity=AlertSeverity.MEDIUM,
            detail=f"Nothing logged for {days} whole days (last log: {last}). "
                   "Check in with the patient.",
            facts={"days": days,
                   "last_log": course.last_logged.isoformat() if course.last_logged else None},
        )
        if alert is not None:
            raised.append(alert)
    return raised + missed_applications_check(now=now)


def _missed_run(course: TreatmentCourse, today: dt.date) -> list[tuple[dt.date, int]]:
    """The latest run of consecutive expected days with no application, ending today (skipped)
    or yesterday: (day, skipped) newest first. Today is part of it only once logged, as skipped;
    days that expect nothing (a pause) neither break nor lengthen it."""
    start = max(course.start_date, today - dt.timedelta(days=RUN_LOOKBACK_DAYS))
    if start > today:
        return []
    run = []
    for day in reversed(course_adherence(course=course, start=start, end=today,
                                         today=today).days):
        if not day.counted:
            continue  # not expected, or today still pending
        if day.applied:
            break
        run.append((day.date, day.skipped))
    return run


def missed_applications_check(*, now: dt.datetime | None = None) -> list[Alert]:
    """For every active course: no application on N consecutive expected days (default 3),
    whatever the reason: skipped ("skin too sore", "ran out of the emulsion") or nothing logged.

    One alert per run (an episode): none while one is open, and none again for the same run once
    acknowledged; a new run opens a new one.
    """
    days = settings.TEND_MISSED_APPLICATIONS_DAYS
    raised = []
    courses = (
        TreatmentCourse.objects.filter(status=CourseStatus.ACTIVE)
        .select_related("patient").prefetch_related("pauses")
        .annotate(last_applied=Subquery(
            Application.objects.filter(course=OuterRef("pk"), entered_in_error_at__isnull=True,
                                       status=ApplicationStatus.APPLIED)
            .order_by("-local_date").values("local_date")[:1]
        ))
    )
    for course in courses.iterator(chunk_size=500):
        today = clock.today_in(course.patient.timezone, now=now)
        if course.end_date is not None and course.end_date < today - dt.timedelta(days=1):
            continue
        # Applied within the last N days: no run of N can end today or yesterday.
        if course.last_applied is not None and course.last_applied > today - dt.timedelta(days=days):
            continue
        run = _missed_run(course, today)
        if len(run) < days:
            continue
        first, last = run[-1][0], run[0][0]
        since = dt.datetime.combine(first, dt.time.min, clock.zone(course.patient.timezone))
        if Alert.objects.filter(course=course, kind=AlertKind.MISSED_APPLICATIONS,
                                created_at__gte=since).exists():
            continue  # this run was told already
        skipped = sum(1 for _, n in run if n)
        alert = alert_raise(
            course=course, kind=AlertKind.MISSED_APPLICATIONS, severity=AlertSeverity.MEDIUM,
            detail=f"No application on {len(run)} consecutive expected days, {first} to {last} "
                   f"({skipped} skipped, {len(run) - skipped} with nothing logged). "
                   "Check in with the patient.",
            facts={"days": len(run), "threshold_days": days, "first_day": first.isoformat(),
                   "last_day": last.isoformat(), "skipped": skipped,
                   "nothing_logged": len(run) - skipped},
        )
        if alert is not None:
            raised.append(alert)
    return raised
