"""A real Celery worker process runs a task handed to it through Redis, end to end."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from config.celery import app as celery_app
from tracker.models import ApiToken
from tracker.tasks import purge_expired_credentials

BASE_DIR = Path(__file__).resolve().parent.parent
CELERY = Path(sys.executable).parent / "celery"


def _test_database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker(transactional_db: None, tmp_path: Path) -> Any:
    """A worker process on this run's queue, its database and its Redis; always stopped after."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "TEND_TEST_RUN_ID": settings.TEST_RUN_ID,
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": settings.REDIS_URL,
    }
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(CELERY), "-A", "config", "worker", "--pool=solo", "--concurrency=1",
             "-Q", settings.CELERY_TASK_DEFAULT_QUEUE, "--loglevel=INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        yield process, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        # The worker's connection must be gone before the test database is emptied or dropped.
        connection.close()


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
