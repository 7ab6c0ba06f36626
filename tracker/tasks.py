"""Celery tasks. Each takes ids or nothing, calls a service, and is safe to run twice."""

from __future__ import annotations

import random
from collections.abc import Callable

from celery import Task, shared_task

from tracker import imaging
from tracker.services import alert_rules, notifications, photos, reminders, reports
from tracker.services.auth import credentials_purge_expired

PHOTO_MAX_RETRIES = 5


def backoff(retries: int, *, base: float = 2.0, cap: float = 300.0) -> float:
    """Exponential backoff with full jitter: workers that failed together do not retry together."""
    return random.uniform(0, min(cap, base * 2 ** retries))


def retry_or_fail(task: Task, exc: Exception, *, max_retries: int,
                  fail: Callable[[str], None], what: str) -> None:
    """Retry with jittered backoff; after the last retry, record the failure on the row."""
    if task.request.retries >= max_retries:
        fail(f"{what} failed after {max_retries + 1} attempts ({exc.__class__.__name__}).")
        return
    raise task.retry(exc=exc, countdown=backoff(task.request.retries)) from exc


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
    except Exception as exc:  # noqa: BLE001  (any failure is retried or recorded; retry_or_fail raises)
        retry_or_fail(self, exc, max_retries=PHOTO_MAX_RETRIES, what="Processing", fail=lambda why:
                      photos.photo_fail(photo_id=photo_id,
                                        reason=f"{why} Retry it, or ask for a new photo."))


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
    except Exception as exc:  # noqa: BLE001  (any failure is retried or recorded; retry_or_fail raises)
        if self.request.retries < REPORT_MAX_RETRIES:
            reports.report_release(report_id=report_id)  # back to queued for the retry
        retry_or_fail(self, exc, max_retries=REPORT_MAX_RETRIES, what="Rendering",
                      fail=lambda why: reports.report_fail(report_id=report_id, reason=why))


@shared_task(name="tracker.tasks.create_weekly_reports")
def create_weekly_reports() -> int:
    return reports.weekly_reports_create()


@shared_task(name="tracker.tasks.requeue_stale_reports")
def requeue_stale_reports() -> int:
    return reports.reports_requeue_stale()


@shared_task(name="tracker.tasks.scan_due_reminders")
def scan_due_reminders() -> int:
    return reminders.reminders_due_scan()


@shared_task(name="tracker.tasks.send_push")
def send_push(delivery_id: str) -> str:
    """Send one push message; a retry is the sweeper's, after the backoff the row records."""
    return notifications.delivery_send(delivery_id)


@shared_task(name="tracker.tasks.notify_alert")
def notify_alert(alert_id: str) -> bool:
    return notifications.alert_notify(alert_id)


@shared_task(name="tracker.tasks.requeue_pending_deliveries")
def requeue_pending_deliveries() -> int:
    return notifications.deliveries_requeue_pending()


@shared_task(name="tracker.tasks.notify_unnotified_alerts")
def notify_unnotified_alerts() -> int:
    return notifications.alerts_notify_unnotified()
