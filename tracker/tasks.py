"""Celery tasks. Each takes ids or nothing, calls a service, and is safe to run twice."""

from __future__ import annotations

import random

from celery import Task, shared_task

from tracker import imaging
from tracker.services import alert_rules, photos, reports
from tracker.services.auth import credentials_purge_expired

PHOTO_MAX_RETRIES = 5


def backoff(retries: int, *, base: float = 2.0, cap: float = 300.0) -> float:
    """Exponential backoff with full jitter: workers that failed together do not retry together."""
    return random.uniform(0, min(cap, base * 2 ** retries))


@shared_task(name="tracker.tasks.purge_expired_credentials")
def purge_expired_credentials() -> int:
    return credentials_purge_expired()


@shared_task(bind=True, name="tracker.tasks.process_photo", max_retries=PHOTO_MAX_RETRIES)
def process_photo(self: Task, photo_id: str) -> None:
    """Process one photo. A file that cannot be decoded fails at once; anything else (storage,
    database) is retried with backoff, and after the last retry the photo is `failed`."""
    try:
        photos.photo_process(photo_id=photo_id)
    except imaging.ImageRejected as exc:
        photos.photo_fail(photo_id=photo_id, reason=exc.message)
    except Exception as exc:
        if self.request.retries >= PHOTO_MAX_RETRIES:
            photos.photo_fail(photo_id=photo_id, reason=(
                f"Processing failed after {PHOTO_MAX_RETRIES + 1} attempts "
                f"({exc.__class__.__name__}). Retry it, or ask for a new photo."))
            return
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc


@shared_task(name="tracker.tasks.requeue_stale_photos")
def requeue_stale_photos() -> int:
    return photos.photos_requeue_stale()


@shared_task(name="tracker.tasks.check_missed_days")
def check_missed_days() -> int:
    return len(alert_rules.missed_days_check())


REPORT_MAX_RETRIES = 3


@shared_task(bind=True, name="tracker.tasks.render_report", max_retries=REPORT_MAX_RETRIES)
def render_report(self: Task, report_id: str) -> None:
    """Render one report; retried with backoff, then `failed` with a reason and no file."""
    try:
        reports.report_render(report_id=report_id)
    except Exception as exc:
        if self.request.retries >= REPORT_MAX_RETRIES:
            reports.report_fail(report_id=report_id, reason=(
                f"Rendering failed after {REPORT_MAX_RETRIES + 1} attempts "
                f"({exc.__class__.__name__})."))
            return
        reports.report_release(report_id=report_id)
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc


@shared_task(name="tracker.tasks.create_weekly_reports")
def create_weekly_reports() -> int:
    return reports.weekly_reports_create()


@shared_task(name="tracker.tasks.requeue_stale_reports")
def requeue_stale_reports() -> int:
    return reports.reports_requeue_stale()
