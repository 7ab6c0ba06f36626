"""A reminder end to end with a real Celery worker through Redis: the scan task, sent through the
broker as beat sends it, finds the due reminder and enqueues its message on commit; the worker
sends it to a push service (tests/pushservice.py) that checks the VAPID signature and decrypts it
with the browser's keys.

The worker joins this run's test database and queue through the environment, with this test's
VAPID key and push service, and is always stopped (its whole process group) afterwards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings as django_settings
from django.utils import timezone

from tests.processes import CeleryWorker, run_env, wait_until
from tests.pushservice import FakePushService
from tracker import clock, tasks
from tracker.models import DeliveryOutcome, PushDelivery, ReminderOccurrence, ReminderTime
from tracker.services import notifications, reminders

pytestmark = pytest.mark.django_db(transaction=True)

SUBJECT = "mailto:care@tend.invalid"


@pytest.fixture
def service(settings: Any) -> Iterator[FakePushService]:
    with FakePushService() as running:
        settings.TEND_PUSH_SERVICES = [running.origin]
        settings.TEND_VAPID_PRIVATE_KEY = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()).decode()
        settings.TEND_VAPID_SUBJECT = SUBJECT
        yield running


@pytest.fixture
def worker(service: FakePushService, tmp_path: Path) -> Iterator[CeleryWorker]:
    """A worker that sends with the same key, to the same push service, as this test."""
    env = run_env(TEND_PUSH_SERVICES=service.origin, TEND_VAPID_SUBJECT=SUBJECT,
                  TEND_VAPID_PRIVATE_KEY=django_settings.TEND_VAPID_PRIVATE_KEY)
    running = CeleryWorker(tmp_path / "worker.log", env=env)
    try:
        yield running.wait_ready()
    finally:
        running.stop()


def test_a_due_reminder_is_scanned_sent_by_the_worker_and_decrypted_by_the_browser(
        cast: Any, service: FakePushService, worker: CeleryWorker) -> None:
    browser = service.new_subscription()
    notifications.subscription_save(user=cast.patient_user, endpoint=browser.endpoint,
                                    p256dh=browser.p256dh, auth=browser.auth)
    reminders.reminders_set(course=cast.course, enabled=True, times=[dt.time(20)],
                            by=cast.patient_user)
    due = timezone.now() - dt.timedelta(minutes=2)  # as if 20:00 came two minutes ago
    ReminderTime.objects.filter(course=cast.course).update(
        next_due_at=due, next_local_date=clock.local_date(due, cast.patient.timezone))

    tasks.scan_due_reminders.apply_async(queue=django_settings.CELERY_TASK_DEFAULT_QUEUE)

    [received] = wait_until(lambda: service.received_for(browser), timeout=30,
                            what="the push message", log=worker.log)
    assert received.problems == []
    assert received.claims is not None and received.claims["sub"] == SUBJECT
    assert received.payload["type"] == "reminder"
    assert received.payload["course"] == str(cast.course.pk)
    delivery = wait_until(lambda: PushDelivery.objects.filter(outcome=DeliveryOutcome.SENT).first(),
                          timeout=10, what="the delivery marked sent", log=worker.log)
    assert delivery.payload == received.payload and delivery.status_code == 201
    assert ReminderOccurrence.objects.get().outcome == "sent"

    # Beat scanning again finds nothing more to send.
    tasks.scan_due_reminders.apply_async(queue=django_settings.CELERY_TASK_DEFAULT_QUEUE)
    tasks.requeue_pending_deliveries.apply_async(queue=django_settings.CELERY_TASK_DEFAULT_QUEUE)
    wait_until(lambda: worker.log.read_text().count("requeue_pending_deliveries") >= 2, timeout=20,
               what="the sweeper to run", log=worker.log)
    assert len(service.received) == 1
    assert worker.alive()
