"""Handing work to the Celery workers: by task name, after the transaction commits.

A task is only a nudge; the row it names is the source of truth. So a task is published once the
row is committed (a worker can never find it missing), and a broker that cannot take it is logged,
not raised: the row stays pending and the sweeper (photos_requeue_stale, reports_requeue_stale)
sends it again. The services name tasks and never import tracker.tasks, which imports them.
"""

from __future__ import annotations

import logging
import uuid

from celery import current_app
from django.db import models, transaction
from django.utils import timezone

log = logging.getLogger(__name__)

PROCESS_PHOTO = "tracker.tasks.process_photo"
RENDER_REPORT = "tracker.tasks.render_report"


def publish(task: str, *args: str) -> None:
    """Send one task to the broker now; raises what the broker raises."""
    current_app.send_task(task, args=list(args), retry=False)


def enqueue(task: str, model: type[models.Model], pk: uuid.UUID) -> bool:
    """Send the task for this row and stamp the row's `enqueued_at`, which the sweeper reads.
    False, and the row left as it was, when the broker cannot take it."""
    try:
        publish(task, str(pk))
    except Exception:  # noqa: BLE001  (any broker failure: the sweeper sends it again)
        log.warning("Broker unavailable; %s %s waits for the sweeper.", model._meta.model_name, pk)
        return False
    model._default_manager.filter(pk=pk).update(enqueued_at=timezone.now())
    return True


def enqueue_on_commit(task: str, model: type[models.Model], pk: uuid.UUID) -> None:
    """enqueue() once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: enqueue(task, model, pk))
