"""Progress reports: requested by the care team or made weekly, rendered by a worker.

The report row is the source of truth: `queued` until a worker claims it (`running`), then `ready`
with its summary and PDF, or `failed` with a reason and no file. Rendering is idempotent, and the
PDF is written to storage only once it is complete.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from tracker import clock, queue
from tracker.db import replica_reads
from tracker.errors import Conflict, field_error
from tracker.idempotency import create_once, fingerprint
from tracker.models import CourseStatus, Report, ReportKind, ReportStatus, TreatmentCourse, User
from tracker.reports import data as report_data
from tracker.reports import i18n
from tracker.reports.pdf import render_pdf
from tracker.selectors.adherence import MAX_PERIOD_DAYS


def _validate_period(course: TreatmentCourse, start: dt.date, end: dt.date) -> None:
    today = clock.today_in(course.patient.timezone)
    if end < start:
        raise field_error("period_end", "The period cannot end before it starts.")
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise field_error("period_end", "A report covers at most two years.")
    if start < course.start_date:
        raise field_error("period_start",
                          f"The period starts before the course ({course.start_date}).")
    last = course.last_day(today)
    if end > last:
        raise field_error("period_end", f"The period ends after the course's last day so far "
                                        f"({last}).")


def report_request(*, course: TreatmentCourse, requested_by: User,
                   period_start: dt.date | None = None, period_end: dt.date | None = None,
                   report_id: uuid.UUID | None = None) -> tuple[Report, bool]:
    """Queue a report (default period: the course's first day to today). Idempotent by id."""
    today = clock.today_in(course.patient.timezone)
    if period_end is None and today < course.start_date:
        raise field_error("course", f"The course starts on {course.start_date}: there is nothing "
                                    "to report yet.")
    start = period_start or course.start_date
    end = period_end or course.last_day(today)

    return create_once(
        Report, client_id=report_id,
        fingerprint=fingerprint({"course": course.pk, "start": start, "end": end}),
        build=lambda pk: Report(id=pk, course=course, patient_id=course.patient_id,
                                period_start=start, period_end=end, requested_by=requested_by),
        validate=lambda: _validate_period(course, start, end),
        then=lambda report: queue.enqueue_on_commit(queue.RENDER_REPORT, Report, report.pk),
        conflict="Another report with a different period already has this id.",
    )


def _claim(report_id: uuid.UUID | str, now: dt.datetime) -> bool:
    """Move a queued report (or one whose worker died while running it) to running."""
    stale = now - dt.timedelta(seconds=settings.TEND_REPORT_STALE_SECONDS)
    return Report.objects.filter(
        Q(status=ReportStatus.QUEUED) | Q(status=ReportStatus.RUNNING, started_at__lt=stale),
        pk=report_id,
    ).update(status=ReportStatus.RUNNING, started_at=now, attempts=F("attempts") + 1) == 1


def report_render(*, report_id: uuid.UUID | str, paper: str | None = None) -> Report | None:
    """Render a claimed report. Returns None when another worker has it or it is done."""
    now = timezone.now()
    if not _claim(report_id, now):
        return None
    report = Report.objects.select_related("course__patient", "requested_by").get(pk=report_id)
    course = report.course
    with replica_reads():  # a report's weeks are settled: a replica's second of lag is harmless
        # As of the day it was asked for: made again later, it says the same.
        gathered = report_data.gather(course, report.period_start, report.period_end,
                                      today=clock.local_date(report.created_at,
                                                             course.patient.timezone))
    summary = report_data.summary(gathered)
    whom = (report.requested_by.display_name or report.requested_by.username
            if report.requested_by else "")
    pdf = render_pdf(gathered, summary, language=course.patient.language,
                     paper=paper or settings.TEND_REPORT_PAPER, generated_at=now,
                     generated_for=whom or i18n.TEXT[course.patient.language]["care_team"])
    # A name of its own for each attempt: a slow render that a second worker re-claimed can never
    # delete the file the winner recorded. Only the run that moves the row keeps its file.
    stored = default_storage.save(f"reports/{report.pk}/{uuid.uuid4().hex}.pdf", ContentFile(pdf))
    moved = Report.objects.filter(pk=report.pk, status=ReportStatus.RUNNING).update(
        status=ReportStatus.READY, summary=summary, pdf_name=stored, pdf_bytes=len(pdf),
        finished_at=timezone.now(), failure_reason="",
    )
    if not moved:
        default_storage.delete(stored)
    report.refresh_from_db()
    return report


def report_fail(*, report_id: uuid.UUID | str, reason: str) -> None:
    Report.objects.filter(pk=report_id).exclude(status=ReportStatus.READY).update(
        status=ReportStatus.FAILED, failure_reason=reason[:300], finished_at=timezone.now())


def report_release(*, report_id: uuid.UUID | str) -> None:
    """A transient failure: back to `queued` so that the retry (or the sweeper) takes it."""
    Report.objects.filter(pk=report_id, status=ReportStatus.RUNNING).update(
        status=ReportStatus.QUEUED)


def reports_requeue_stale(*, now: dt.datetime | None = None, limit: int = 200) -> int:
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.TEND_REPORT_STALE_SECONDS)
    stale = (
        Report.objects.filter(
            Q(status=ReportStatus.QUEUED, enqueued_at__lt=cutoff)
            | Q(status=ReportStatus.QUEUED, enqueued_at__isnull=True, created_at__lt=cutoff)
            | Q(status=ReportStatus.RUNNING, started_at__lt=cutoff))
        .order_by("created_at").values_list("pk", flat=True)[:limit]
    )
    return sum(queue.enqueue(queue.RENDER_REPORT, Report, pk) for pk in list(stale))


def weekly_period(course: TreatmentCourse, *, now: dt.datetime | None = None
                  ) -> tuple[dt.date, dt.date] | None:
    """The 7 local days ending yesterday, clipped to the course; None if none of them counts."""
    today = clock.today_in(course.patient.timezone, now=now)
    end = today - dt.timedelta(days=1)
    start = max(course.start_date, end - dt.timedelta(days=6))
    if course.end_date:
        end = min(end, course.end_date)
    return (start, end) if start <= end else None


def weekly_reports_create(*, now: dt.datetime | None = None) -> int:
    """One weekly report per active course and period. The unique constraint makes this safe
    with two beat processes or a retried task: the second insert finds the first."""
    created = 0
    courses = TreatmentCourse.objects.filter(status=CourseStatus.ACTIVE).select_related("patient")
    for course in courses.iterator(chunk_size=500):
        period = weekly_period(course, now=now)
        if period is None:
            continue
        try:
            with transaction.atomic():
                report = Report.objects.create(
                    course=course, patient_id=course.patient_id, kind=ReportKind.WEEKLY,
                    period_start=period[0], period_end=period[1],
                )
        except IntegrityError:
            continue
        queue.enqueue_on_commit(queue.RENDER_REPORT, Report, report.pk)
        created += 1
    return created


def report_pdf(report: Report) -> tuple[Any, int]:
    if report.status != ReportStatus.READY:
        raise Conflict(f"This report is {report.status}; there is no PDF yet.")
    return default_storage.open(report.pdf_name, "rb"), int(report.pdf_bytes or 0)
