"""Everything a progress report shows, gathered once; the summary and the PDF both read from here,
so every figure in the PDF equals the one in the summary."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tracker import clock
from tracker.models import (
    Alert,
    Application,
    ApplicationStatus,
    Debridement,
    DebridementMethod,
    Photo,
    PhotoStatus,
    Review,
    SymptomEntry,
    TreatmentCourse,
)
from tracker.selectors.adherence import Adherence, course_adherence
from tracker.services.reviews import EXUDATE_POINTS, TISSUE_POINTS, area_points


@dataclass(frozen=True)
class PhotoPoint:
    photo_id: str
    date: dt.date
    thumbnail_name: str
    area_cm2: Decimal | None  # length x width, as PUSH takes it (not the wound's traced area)
    push_score: int | None
    review: Review | None = None  # its latest review: length, width, exudate, tissue

    def push_parts(self) -> dict[str, int] | None:
        """PUSH Tool 3.0's three sub-scores: length x width, exudate amount, tissue type."""
        if self.review is None:
            return None
        return {"length_width": area_points(self.review.area_cm2),
                "exudate": EXUDATE_POINTS[self.review.exudate],
                "tissue": TISSUE_POINTS[self.review.tissue_type]}


@dataclass(frozen=True)
class Baseline:
    """Where the course started from, whatever the report's period: the index procedure (the
    first excisional debridement of the patient, often the day before the course starts) with
    its notes (its histology), and the course's first measurement.

    The diagnosis and the radiation history have no place in the record yet: once they do, they
    are gathered here and printed beside the index procedure; until then nothing is printed.
    """

    index_procedure: Debridement | None
    first_measurement: PhotoPoint | None
    diagnosis: str | None = None
    radiation_history: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportData:
    course: TreatmentCourse
    start: dt.date
    end: dt.date
    adherence: Adherence
    longest_gap_days: int
    symptoms: list[SymptomEntry]
    red_flags: list[SymptomEntry]
    photos: list[Photo]
    reviews: list[Review]  # oldest first
    measurements: list[PhotoPoint]  # one per reviewed photo (its latest review), by date
    timeline: list[PhotoPoint]  # first, one per week, last
    debridements: list[Debridement]
    alerts: list[Alert]
    baseline: Baseline
    skips: list[Application]  # skipped applications of the period, with her reasons, by date


def _longest_gap(adherence: Adherence) -> int:
    """The longest run of consecutive expected days not fully applied (today, still pending,
    is not one of them)."""
    longest = run = 0
    for day in adherence.days:
        if not day.counted:
            continue
        run = run + 1 if day.applied < day.counted else 0
        longest = max(longest, run)
    return longest


def _between(model: Any, course: TreatmentCourse, start: dt.date, end: dt.date) -> Any:
    return model.objects.filter(course=course, entered_in_error_at__isnull=True,
                                local_date__range=(start, end))


def _photo_timeline(points: list[PhotoPoint]) -> list[PhotoPoint]:
    """The first photo, then the first of each later week, and the last."""
    if not points:
        return []
    chosen = [points[0]]
    week = lambda p: (p.date - points[0].date).days // 7  # noqa: E731
    seen = {week(points[0])}
    for point in points[1:]:
        if week(point) not in seen:
            seen.add(week(point))
            chosen.append(point)
    if chosen[-1] is not points[-1]:
        chosen.append(points[-1])
    return chosen


def gather(course: TreatmentCourse, start: dt.date, end: dt.date, *,
           today: dt.date | None = None) -> ReportData:
    """The report's data as of `today`, the patient's day it was asked for on (default: the
    clock's): a period ending that day leaves today's applications pending until logged, a period
    ended before is over. So a report never changes when made again, and for a period ending
    today this is exactly what the adherence endpoint answers."""
    today = today or clock.today_in(course.patient.timezone)
    adherence = course_adherence(course=course, start=start, end=end, today=today,
                                 streak_until=min(end, today))
    symptoms = list(_between(SymptomEntry, course, start, end).order_by("recorded_at"))
    photos = list(_between(Photo, course, start, end).filter(status=PhotoStatus.READY)
                  .order_by("taken_at"))
    reviews = list(Review.objects.filter(photo__in=[p.pk for p in photos])
                   .select_related("reviewer", "photo").order_by("created_at"))
    latest: dict[Any, Review] = {}
    for review in reviews:
        latest[review.photo_id] = review
    points = [
        PhotoPoint(str(p.pk), p.local_date, p.thumbnail_name,
                   latest[p.pk].area_cm2 if p.pk in latest else None,
                   latest[p.pk].push_score if p.pk in latest else None, latest.get(p.pk))
        for p in photos
    ]
    index = (Debridement.objects.filter(patient_id=course.patient_id,
                                        method=DebridementMethod.EXCISIONAL,
                                        entered_in_error_at__isnull=True)
             .order_by("performed_at").first())
    first_review = (Review.objects.filter(course=course, photo__status=PhotoStatus.READY,
                                          photo__entered_in_error_at__isnull=True)
                    .select_related("photo").order_by("photo__taken_at", "-created_at").first())
    first_measurement = None if first_review is None else PhotoPoint(
        str(first_review.photo_id), first_review.photo.local_date,
        first_review.photo.thumbnail_name, first_review.area_cm2, first_review.push_score,
        first_review)
    zone = clock.zone(course.patient.timezone)
    alerts = list(Alert.objects.filter(
        course=course,
        created_at__gte=dt.datetime.combine(start, dt.time.min, zone),
        created_at__lt=dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, zone),
    ).order_by("created_at"))
    return ReportData(
        course=course, start=start, end=end, adherence=adherence,
        longest_gap_days=_longest_gap(adherence), symptoms=symptoms,
        red_flags=[s for s in symptoms if s.warning_signs()],
        photos=photos, reviews=reviews,
        measurements=[p for p in points if p.area_cm2 is not None],
        timeline=_photo_timeline(points),
        debridements=list(_between(Debridement, course, start, end).order_by("performed_at")),
        alerts=alerts,
        baseline=Baseline(index_procedure=index, first_measurement=first_measurement),
        skips=list(_between(Application, course, start, end)
                   .filter(status=ApplicationStatus.SKIPPED).order_by("applied_at")),
    )


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def area_change_percent(first: Decimal | None, last: Decimal | None) -> float | None:
    if first is None or last is None or first == 0:
        return None
    change = (Decimal(last) - Decimal(first)) / Decimal(first) * 100
    return float(change.quantize(Decimal("0.1"), ROUND_HALF_UP))


def summary(data: ReportData) -> dict[str, Any]:
    """The report's figures as JSON: the same for the same data whenever it is generated."""
    adherence = data.adherence
    first_m = data.measurements[0] if data.measurements else None
    last_m = data.measurements[-1] if data.measurements else None
    pains = [s.pain for s in data.symptoms if s.pain is not None]  # None: not answered
    itches = [s.itch for s in data.symptoms if s.itch is not None]
    return {
        "period_start": data.start.isoformat(),
        "period_end": data.end.isoformat(),
        "adherence_percent": adherence.adherence_percent,
        "applications_expected": adherence.expected,
        "applications_applied": adherence.applied,
        "applications_skipped": sum(d.skipped for d in adherence.days),
        "days_nothing_logged": sum(1 for d in adherence.days
                                   if d.counted and not d.applied and not d.skipped),
        # Today's applications not logged yet, counted neither as expected nor as missed.
        "applications_pending": sum(d.pending for d in adherence.days),
        "longest_gap_days": data.longest_gap_days,
        "current_streak_days": adherence.current_streak_days,
        "symptom_entries": len(data.symptoms),
        "pain_first": pains[0] if pains else None,
        "pain_last": pains[-1] if pains else None,
        "itch_first": itches[0] if itches else None,
        "itch_last": itches[-1] if itches else None,
        "red_flags": len(data.red_flags),
        "photos": len(data.photos),
        "reviews": len(data.reviews),
        "area_first_cm2": _number(first_m.area_cm2) if first_m else None,
        "area_last_cm2": _number(last_m.area_cm2) if last_m else None,
        "area_change_percent": area_change_percent(
            first_m.area_cm2 if first_m else None,
            last_m.area_cm2 if last_m and last_m is not first_m else None),
        # The dates of the two measurements compared (not those of the first and last photo).
        "area_first_date": first_m.date.isoformat() if first_m else None,
        "area_last_date": last_m.date.isoformat() if last_m else None,
        "push_first": first_m.push_score if first_m else None,
        "push_last": last_m.push_score if last_m else None,
        "push_first_parts": first_m.push_parts() if first_m else None,
        "push_last_parts": last_m.push_parts() if last_m else None,
        "debridements": len(data.debridements),
        "index_procedure_date": (data.baseline.index_procedure.local_date.isoformat()
                                 if data.baseline.index_procedure else None),
        "baseline_date": (data.baseline.first_measurement.date.isoformat()
                          if data.baseline.first_measurement else None),
        "baseline_area_cm2": (_number(data.baseline.first_measurement.area_cm2)
                              if data.baseline.first_measurement else None),
        "alerts": len(data.alerts),
    }
