"""The photo task's reliability, in process: retries with backoff and jitter, the final `failed`,
the sweeper's choice of stale photos, an upload while the broker is down, and the Celery settings
that make a lost worker's task come back. The real worker and Redis are in
tests/system/test_photo_pipeline.py.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from kombu.exceptions import OperationalError

from config.celery import app as celery_app
from tests import images
from tracker import imaging, queue, tasks
from tracker.models import Photo, PhotoStatus
from tracker.services import photos


def _upload(cast: Any, **kwargs: Any) -> Photo:
    """A `processing` photo with its raw bytes stored (outside a captured commit: not enqueued)."""
    photo, created = photos.photo_upload(course=cast.course, uploaded_by=cast.patient_user,
                                         data=images.phone_jpeg(300, 200),
                                         taken_at=timezone.now() - dt.timedelta(minutes=5), **kwargs)
    assert created and photo.status == PhotoStatus.PROCESSING
    return photo


@pytest.fixture
def sent(photos_sent: list[list[str]]) -> list[list[str]]:
    """The args of every process_photo published, recorded instead of sent to a broker."""
    return photos_sent


@pytest.fixture
def broker_down(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(queue, "publish", refuse)


@pytest.fixture
def countdowns(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, float]]:
    """(retries so far, countdown) of every retry the task asks for, from the real backoff."""
    asked: list[tuple[int, float]] = []
    real = tasks.backoff

    def recording(retries: int, **kwargs: Any) -> float:
        asked.append((retries, value := real(retries, **kwargs)))
        return value

    monkeypatch.setattr(tasks, "backoff", recording)
    return asked


# --- Retries, backoff, failure ----------------------------------------------------------------------

def test_a_transient_error_is_retried_with_backoff_and_then_fails_the_photo_with_a_reason(
        cast: Any, api: Any, monkeypatch: pytest.MonkeyPatch, countdowns: list[tuple[int, float]]) -> None:
    photo = _upload(cast)
    runs: list[str] = []

    def storage_down(*, photo_id: str) -> None:
        runs.append(photo_id)
        raise OSError("storage unavailable")

    monkeypatch.setattr(photos, "photo_process", storage_down)

    tasks.process_photo.apply(args=[str(photo.pk)])

    assert runs == [str(photo.pk)] * (tasks.PHOTO_MAX_RETRIES + 1)
    assert [retries for retries, _ in countdowns] == list(range(tasks.PHOTO_MAX_RETRIES))
    assert all(0 <= wait <= 2.0 * 2 ** retries for retries, wait in countdowns)
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.FAILED
    assert photo.failure_reason.startswith(f"Processing failed after {tasks.PHOTO_MAX_RETRIES + 1} attempts")
    assert "OSError" in photo.failure_reason
    assert photo.upload_name and photo.image_name == ""  # raw bytes kept for a retry; nothing served
    shown = api(cast.nurse).get(f"/api/v1/photos/{photo.pk}/").json()
    assert (shown["status"], shown["failure_reason"]) == ("failed", photo.failure_reason)


def test_a_transient_error_that_clears_on_a_retry_ends_ready(
        cast: Any, monkeypatch: pytest.MonkeyPatch, countdowns: list[tuple[int, float]]) -> None:
    photo = _upload(cast)
    real = photos.photo_process
    failures = iter([OSError("disk busy")])

    def flaky(*, photo_id: str) -> Photo | None:
        if (error := next(failures, None)) is not None:
            raise error
        return real(photo_id=photo_id)

    monkeypatch.setattr(photos, "photo_process", flaky)

    tasks.process_photo.apply(args=[str(photo.pk)])

    photo.refresh_from_db()
    assert photo.status == PhotoStatus.READY and photo.failure_reason == ""
    assert len(countdowns) == 1


def test_a_file_that_cannot_be_decoded_fails_at_once_without_retries(
        cast: Any, monkeypatch: pytest.MonkeyPatch, countdowns: list[tuple[int, float]]) -> None:
    photo = _upload(cast)
    runs: list[str] = []

    def broken(*, photo_id: str) -> None:
        runs.append(photo_id)
        raise imaging.ImageRejected("This file is broken or is not a valid image.")

    monkeypatch.setattr(photos, "photo_process", broken)

    tasks.process_photo.apply(args=[str(photo.pk)])

    assert len(runs) == 1 and countdowns == []
    photo.refresh_from_db()
    assert (photo.status, photo.failure_reason) == (PhotoStatus.FAILED,
                                                    "This file is broken or is not a valid image.")


def test_processing_twice_changes_nothing(cast: Any) -> None:
    photo = _upload(cast)
    tasks.process_photo.apply(args=[str(photo.pk)])
    photo.refresh_from_db()
    first = (photo.status, photo.sha256, photo.image_name, photo.attempts, photo.processed_at)

    tasks.process_photo.apply(args=[str(photo.pk)])

    photo.refresh_from_db()
    assert first[0] == PhotoStatus.READY
    assert (photo.status, photo.sha256, photo.image_name, photo.attempts, photo.processed_at) == first


def test_backoff_grows_exponentially_up_to_its_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(random, "uniform", lambda low, high: high)  # the top of each range

    assert [tasks.backoff(retries) for retries in range(5)] == [2.0, 4.0, 8.0, 16.0, 32.0]
    assert tasks.backoff(20) == 300.0
    assert tasks.backoff(3, base=1.0, cap=5.0) == 5.0


@pytest.mark.parametrize("retries", [0, 2, 4])
def test_backoff_is_jittered_over_the_whole_range(retries: int) -> None:
    top = 2.0 * 2 ** retries
    waits = [tasks.backoff(retries) for _ in range(400)]

    assert all(0 <= wait <= top for wait in waits)
    assert len(set(waits)) > 350  # workers that failed together do not retry together
    assert min(waits) < top * 0.2 and max(waits) > top * 0.8


# --- The sweeper ------------------------------------------------------------------------------------

def test_the_sweeper_requeues_only_stale_processing_photos(cast: Any, sent: list[list[str]]) -> None:
    now = timezone.now()
    long_ago = now - dt.timedelta(seconds=settings.TEND_PHOTO_REQUEUE_AFTER_SECONDS + 5)
    recently = now - dt.timedelta(seconds=settings.TEND_PHOTO_REQUEUE_AFTER_SECONDS - 5)
    cases = {
        "never enqueued, old": (PhotoStatus.PROCESSING, long_ago, None),
        "enqueued long ago": (PhotoStatus.PROCESSING, long_ago, long_ago),
        "enqueued recently": (PhotoStatus.PROCESSING, long_ago, recently),
        "never enqueued, new": (PhotoStatus.PROCESSING, recently, None),
        "ready": (PhotoStatus.READY, long_ago, long_ago),
        "failed": (PhotoStatus.FAILED, long_ago, long_ago),
    }
    ids = {}
    for name, (status, created_at, enqueued_at) in cases.items():
        photo = _upload(cast)
        Photo.objects.filter(pk=photo.pk).update(status=status, created_at=created_at,
                                                 enqueued_at=enqueued_at)
        ids[name] = photo.pk

    requeued = photos.photos_requeue_stale(now=now)

    stale = {ids["never enqueued, old"], ids["enqueued long ago"]}
    assert requeued == 2
    # The id only, as a string (JSON): no patient data in task arguments.
    assert sorted(sent) == sorted([str(pk)] for pk in stale)
    for pk in stale:
        assert Photo.objects.get(pk=pk).enqueued_at >= now
    for name, pk in ids.items():
        if pk not in stale:
            assert Photo.objects.get(pk=pk).enqueued_at == cases[name][2], name


def test_the_sweeper_task_runs_the_service(cast: Any, sent: list[list[str]]) -> None:
    photo = _upload(cast)
    Photo.objects.filter(pk=photo.pk).update(created_at=timezone.now() - dt.timedelta(days=1))

    assert tasks.requeue_stale_photos.apply().get() == 1
    assert sent == [[str(photo.pk)]]


def test_the_sweeper_leaves_photos_as_they_are_while_the_broker_is_down(
        cast: Any, broker_down: None) -> None:
    photo = _upload(cast)
    Photo.objects.filter(pk=photo.pk).update(created_at=timezone.now() - dt.timedelta(days=1))

    assert photos.photos_requeue_stale() == 0

    photo.refresh_from_db()
    assert (photo.status, photo.enqueued_at) == (PhotoStatus.PROCESSING, None)


def test_the_sweeper_runs_on_the_beat_schedule() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["requeue-stale-photos"]
    assert entry["task"] == tasks.requeue_stale_photos.name
    assert tasks.requeue_stale_photos.name in celery_app.tasks
    assert 0 < entry["schedule"] <= settings.TEND_PHOTO_REQUEUE_AFTER_SECONDS


# --- Enqueue on upload --------------------------------------------------------------------------------

def _post(cast: Any, api: Any, note: str = "") -> Any:
    upload = SimpleUploadedFile("helen-mercer-wound.jpg", images.phone_jpeg(300, 200),
                                content_type="image/jpeg")
    return api(cast.patient_user).post("/api/v1/photos/", {
        "course": str(cast.course.pk), "taken_at": timezone.now().isoformat(), "image": upload,
        "note": note}, format="multipart")


def test_an_upload_is_enqueued_on_commit_with_its_id_only(
        cast: Any, api: Any, sent: list[list[str]], django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _post(cast, api)
        assert sent == []  # nothing is sent before the row and file are committed

    assert response.status_code == 202, response.content
    for callback in callbacks:
        callback()
    photo_id = response.json()["id"]
    assert sent == [[photo_id]]
    assert Photo.objects.get(pk=photo_id).enqueued_at is not None


def test_an_upload_while_the_broker_is_down_is_accepted_and_logged_without_patient_data(
        cast: Any, api: Any, broker_down: None, caplog: pytest.LogCaptureFixture,
        django_capture_on_commit_callbacks: Any) -> None:
    note = "Redness near the ankle, Helen says it itches"
    with caplog.at_level(logging.INFO), django_capture_on_commit_callbacks(execute=True):
        response = _post(cast, api, note=note)

    assert response.status_code == 202, response.content
    photo = Photo.objects.get(pk=response.json()["id"])
    assert (photo.status, photo.enqueued_at) == (PhotoStatus.PROCESSING, None)
    assert [r.levelno for r in caplog.records if r.name == "tracker.queue"] == [logging.WARNING]
    warned = "\n".join(record.getMessage() for record in caplog.records)
    assert str(photo.pk) in warned and "sweeper" in warned
    for secret in (cast.patient.display_name, "Helen", "helen", note, "helen-mercer-wound",
                   images.GPS_MARKER, str(cast.course.pk)):
        assert secret not in warned
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# --- The Celery settings that make the above hold -------------------------------------------------------

def test_celery_acknowledges_late_requeues_lost_tasks_and_speaks_json_only() -> None:
    conf = celery_app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert (conf.task_serializer, conf.result_serializer) == ("json", "json")
    assert list(conf.accept_content) == ["json"]
    assert tasks.process_photo.max_retries == tasks.PHOTO_MAX_RETRIES


def test_the_visibility_timeout_outlasts_the_longest_task_and_its_retry_countdowns() -> None:
    timeout = celery_app.conf.broker_transport_options["visibility_timeout"]
    # A retry waits unacknowledged in the worker for its countdown: at most the backoff cap.
    longest_countdown = max(tasks.backoff.__kwdefaults__["cap"],
                            2.0 * 2 ** (tasks.PHOTO_MAX_RETRIES - 1))
    # A 48 MP photo takes seconds; a task limit, if set, is the longest a task may run.
    longest_task = celery_app.conf.task_time_limit or 600
    assert timeout > longest_countdown + longest_task
    assert timeout > settings.TEND_PHOTO_REQUEUE_AFTER_SECONDS


def test_a_photo_that_keeps_killing_its_worker_fails_instead_of_looping(cast: Any, sent: Any,
                                                                        settings: Any) -> None:
    # Each start counts; a worker that dies mid-task never gets to fail the photo itself.
    settings.TEND_PHOTO_MAX_ATTEMPTS = 3
    photo = _upload(cast)
    Photo.objects.filter(pk=photo.pk).update(attempts=3)
    photos.photo_process(photo_id=photo.pk)
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.FAILED
    assert "started 3 times" in photo.failure_reason
    assert not photo.image_name  # nothing half-made
