"""The rules that open alerts, and only here. Each opens at most one alert per episode (see
alerts.alert_raise); the kinds are models.AlertKind.

- nothing logged for 2 whole local days of an active course (a beat task, in each patient's days);
- 3 consecutive expected days with no application, skipped or nothing logged (the same task);
- a symptom entry with a warning sign: fever, pus or spreading redness (high);
- pain at least 3 points above the patient's mean of the previous 7 days, or 8 or more (medium);
- a review with signs of infection (high), or flagged for the physician (medium);
- a healing checkpoint: area reduction below a threshold at a given week (low).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import cast

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

# Consecutive expected days without an application: its own kind, so that it is told and
# acknowledged apart from "nothing logged" (whose notice also reaches her caregivers). The
# AlertKind choice it stands for: ("missed_applications", "Applications missed").
MISSED_APPLICATIONS = cast(AlertKind, "missed_applications")
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


def healing_checkpoint(course: TreatmentCourse) -> Alert | None:
    """At the checkpoint week, compare the latest measured area with the first one.

    The threshold comes from other wounds: venous leg ulcers that shrink by at least 40 % by week 3
    (Phillips 2000) and diabetic foot ulcers by 53 % at week 4 (Sheehan 2003) tend to heal. It is
    not validated for calcinosis cutis: the alert asks for a review of the plan, never to stop.
    """
    week = settings.TEND_HEALING_CHECKPOINT_WEEK
    threshold = Decimal(settings.TEND_HEALING_CHECKPOINT_PERCENT)
    if Alert.objects.filter(course=course, kind=AlertKind.HEALING_CHECKPOINT).exists():
        return None  # one checkpoint per course
    checkpoint = course.start_date + dt.timedelta(weeks=week)
    reviews = Review.objects.filter(course=course, photo__entered_in_error_at__isnull=True)
    first = reviews.order_by("photo__taken_at", "created_at").first()
    latest = (reviews.filter(photo__local_date__gte=checkpoint)
              .order_by("-photo__taken_at", "-created_at").first())
    if first is None or latest is None or first.pk == latest.pk or first.area_cm2 <= 0:
        return None
    reduction = (first.area_cm2 - latest.area_cm2) / first.area_cm2 * 100
    if reduction >= threshold:
        return None
    return alert_raise(
        course=course, kind=AlertKind.HEALING_CHECKPOINT, severity=AlertSeverity.LOW,
        detail=(
            f"Week {week} checkpoint: the wound area changed by {-reduction:+.0f} % "
            f"({first.area_cm2} cm² to {latest.area_cm2} cm²), below the {threshold:.0f} % "
            "reduction that predicts healing in venous leg ulcers (at least 40 % by week 3, "
            "Phillips 2000) and diabetic foot ulcers (53 % at week 4, Sheehan 2003). This "
            "threshold is not validated for calcinosis cutis: please review the plan with the "
            "patient; this is not a reason to stop treatment on its own."
        ),
        facts={"week": week, "change_percent": round(float(-reduction)),
               "first_area_cm2": float(first.area_cm2), "last_area_cm2": float(latest.area_cm2),
               "threshold_percent": float(threshold)},
        source_type="review", source_id=latest.pk,
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
        if Alert.objects.filter(course=course, kind=MISSED_APPLICATIONS,
                                created_at__gte=since).exists():
            continue  # this run was told already
        skipped = sum(1 for _, n in run if n)
        alert = alert_raise(
            course=course, kind=MISSED_APPLICATIONS, severity=AlertSeverity.MEDIUM,
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
