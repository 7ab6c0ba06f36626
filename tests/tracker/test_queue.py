"""tracker/queue.py: the one way the services hand work to the workers, by task name, on commit."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from kombu.exceptions import OperationalError

from config.celery import app as celery_app
from tests.conftest import make_photo
from tracker import queue
from tracker.models import Photo, PhotoStatus

pytestmark = pytest.mark.django_db

SERVICES = Path(__file__).resolve().parents[2] / "tracker" / "services"


def test_every_task_the_queue_names_is_a_registered_task() -> None:
    celery_app.loader.import_default_modules()
    for name in (queue.PROCESS_PHOTO, queue.RENDER_REPORT):
        assert name in celery_app.tasks, name


def test_no_service_imports_the_tasks_that_import_the_services() -> None:
    for path in SERVICES.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                modules = [node.module or "", *(f"{node.module}.{alias.name}" for alias in node.names)]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            assert "tracker.tasks" not in modules, path.name


def test_enqueue_sends_the_row_id_by_name_and_stamps_the_row(cast: Any, tasks_sent: Any) -> None:
    photo = make_photo(cast.course, cast.patient_user, status=PhotoStatus.PROCESSING)

    assert queue.enqueue(queue.PROCESS_PHOTO, Photo, photo.pk) is True

    assert tasks_sent == {queue.PROCESS_PHOTO: [[str(photo.pk)]]}
    photo.refresh_from_db()
    assert photo.enqueued_at is not None


def test_a_broker_that_refuses_leaves_the_row_for_the_sweeper(
        cast: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    photo = make_photo(cast.course, cast.patient_user, status=PhotoStatus.PROCESSING)

    def refuse(*args: Any) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(queue, "publish", refuse)

    assert queue.enqueue(queue.PROCESS_PHOTO, Photo, photo.pk) is False

    photo.refresh_from_db()
    assert photo.enqueued_at is None
    assert f"photo {photo.pk} waits for the sweeper" in caplog.text


def test_enqueue_on_commit_sends_nothing_before_the_commit(
        cast: Any, tasks_sent: Any, django_capture_on_commit_callbacks: Any) -> None:
    photo = make_photo(cast.course, cast.patient_user, status=PhotoStatus.PROCESSING)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        queue.enqueue_on_commit(queue.PROCESS_PHOTO, Photo, photo.pk)
        assert tasks_sent == {}
    assert len(callbacks) == 1 and tasks_sent == {queue.PROCESS_PHOTO: [[str(photo.pk)]]}
