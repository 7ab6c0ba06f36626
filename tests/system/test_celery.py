"""A real Celery worker process runs a task handed to it through Redis, end to end."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from config.celery import app as celery_app
from tests.processes import CeleryWorker
from tracker.models import ApiToken
from tracker.tasks import purge_expired_credentials


@pytest.fixture
def worker(transactional_db: None, tmp_path: Path) -> Any:
    """A worker process on this run's queue, its database and its Redis; always stopped after."""
    running = CeleryWorker(tmp_path / "worker.log")
    try:
        yield running.popen, running.log
    finally:
        running.stop()


def _token(user: Any, name: str, **fields: Any) -> ApiToken:
    now = timezone.now()
    values = {"created_at": now - dt.timedelta(days=2), "last_used_at": now,
              "expires_at": now + dt.timedelta(days=20), **fields}
    return ApiToken.objects.create(user=user, key_hash=name.ljust(64, "0"), **values)


def test_a_worker_process_purges_expired_credentials_sent_through_redis(cast, worker):
    process, log = worker
    now = timezone.now()
    expired = _token(cast.patient_user, "expired", expires_at=now - dt.timedelta(minutes=1))
    revoked = _token(cast.physician, "revoked", revoked_at=now - dt.timedelta(days=2))
    live_patient = _token(cast.patient_user, "live-patient")
    live_staff = _token(cast.nurse, "live-staff", expires_at=now + dt.timedelta(hours=6))

    assert celery_app.conf.broker_url.startswith("redis://")
    purge_expired_credentials.apply_async(queue=settings.CELERY_TASK_DEFAULT_QUEUE)

    deadline = time.monotonic() + 60
    while ApiToken.objects.filter(pk__in=[expired.pk, revoked.pk]).exists():
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "the worker did not run the task:\n" + log.read_text()
        time.sleep(0.25)

    assert set(ApiToken.objects.values_list("pk", flat=True)) == {live_patient.pk, live_staff.pk}
    assert "purge_expired_credentials" in log.read_text()


def test_celery_sends_json_only_and_hands_a_task_back_if_its_worker_dies():
    conf = celery_app.conf
    assert conf.task_serializer == "json"
    assert conf.result_serializer == "json"
    assert list(conf.accept_content) == ["json"]
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options["visibility_timeout"] > 0


def test_the_tasks_take_no_patient_data_as_arguments():
    """Tasks take ids or nothing: a message in the broker must not carry a name or a note."""
    import inspect

    tasks = {name: task for name, task in celery_app.tasks.items() if name.startswith("tracker.")}
    assert "tracker.tasks.purge_expired_credentials" in tasks
    for name, task in tasks.items():
        for parameter in inspect.signature(task.run).parameters.values():
            assert parameter.name.endswith("_id"), (
                f"{name} takes {parameter.name}")
