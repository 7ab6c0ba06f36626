"""Handing work to the Celery workers: by task name, after the transaction commits.

A task is only a nudge; the row it names is the source of truth. So a task is published once the
row is committed (a worker can never find it missing), and a broker that cannot take it is logged,
not raised: the row stays pending and the sweeper (photos_requeue_stale, reports_requeue_stale)
sends it again. The services name tasks and never import tracker.tasks, which imports them.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from celery import current_app
from django.db import models, transaction
from django.utils import timezone

log = logging.getLogger(__name__)

PROCESS_PHOTO = "tracker.tasks.process_photo"
RENDER_REPORT = "tracker.tasks.render_report"
SEND_PUSH = "tracker.tasks.send_push"
NOTIFY_ALERT = "tracker.tasks.notify_alert"


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


def enqueue_many(task: str, model: type[models.Model], pks: Iterable[uuid.UUID]) -> int:
    """enqueue() for many rows: one message each, then one UPDATE stamps those the broker took.
    Returns how many it took; at the first refusal the rest are left for the sweeper."""
    taken: list[uuid.UUID] = []
    for pk in pks:
        try:
            publish(task, str(pk))
        except Exception:  # noqa: BLE001  (any broker failure: the sweeper sends them again)
            log.warning("Broker unavailable; %s %s and the rest wait for the sweeper.",
                        model._meta.model_name, pk)
            break
        taken.append(pk)
    if taken:
        model._default_manager.filter(pk__in=taken).update(enqueued_at=timezone.now())
    return len(taken)


def enqueue_many_on_commit(task: str, model: type[models.Model], pks: Iterable[uuid.UUID]) -> None:
    """enqueue_many() once the current transaction commits; nothing to do for no rows."""
    pks = list(pks)
    if pks:
        transaction.on_commit(lambda: enqueue_many(task, model, pks))


def publish_many(task: str, pks: Iterable[uuid.UUID | str]) -> int:
    """Send the task for each of these rows. Returns how many the broker took; at the first
    refusal the rest are left for the sweeper."""
    sent = 0
    for pk in pks:
        try:
            publish(task, str(pk))
        except Exception:  # noqa: BLE001  (any broker failure: the sweeper sends them again)
            log.warning("Broker unavailable; %s for the rows after %d waits for the sweeper.",
                        task, sent)
            break
        sent += 1
    return sent


def publish_many_on_commit(task: str, pks: Iterable[uuid.UUID | str]) -> None:
    """publish_many() once the current transaction commits, for rows that were written with
    `enqueued_at` already set: a refusal leaves them to the sweeper once that is old enough."""
    pks = list(pks)
    if pks:
        transaction.on_commit(lambda: publish_many(task, pks))


def nudge(task: str, pk: uuid.UUID) -> bool:
    """Send the task for a row that keeps no `enqueued_at` (an alert: its sweeper reads
    `notified_at`). False when the broker cannot take it."""
    try:
        publish(task, str(pk))
    except Exception:  # noqa: BLE001  (any broker failure: the sweeper sends it again)
        log.warning("Broker unavailable; %s %s waits for the sweeper.", task, pk)
        return False
    return True


def nudge_on_commit(task: str, pk: uuid.UUID) -> None:
    """nudge() once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: nudge(task, pk))
