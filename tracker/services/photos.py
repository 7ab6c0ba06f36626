"""Wound photos: accepting an upload, processing it in a worker, and recovering from outages.

The database row is the source of truth. An upload commits its raw bytes and a `processing` row,
then asks a worker (on commit) to process it. If the broker is down the upload still succeeds; the
sweeper re-enqueues every photo still `processing` after a while. Processing is idempotent: a
photo that is no longer `processing` is left alone, and the outputs have fixed names.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from tracker import clock, imaging, queue
from tracker.errors import Conflict, field_error
from tracker.idempotency import create_once, fingerprint
from tracker.models import Photo, PhotoStatus, TreatmentCourse, User
from tracker.services.records import PHOTO, ensure_course_open, validate_content


def _names(photo_id: uuid.UUID) -> tuple[str, str, str]:
    base = f"photos/{photo_id}"
    return f"{base}/upload.bin", f"{base}/full.jpg", f"{base}/thumbnail.jpg"


def photo_upload(*, course: TreatmentCourse, uploaded_by: User, data: bytes,
                 taken_at: dt.datetime, note: str = "", photo_id: uuid.UUID | None = None
                 ) -> tuple[Photo, bool]:
    """Validate the bytes, store them privately with a `processing` row, enqueue on commit.

    Returns (photo, created). Raises imaging.ImageRejected (nothing stored) or Conflict.
    """
    info = imaging.inspect_upload(data, max_bytes=settings.TEND_MAX_UPLOAD_BYTES)
    content = {"taken_at": taken_at, "notes": note}

    def validate() -> None:
        ensure_course_open(course)
        validate_content(PHOTO, course, content)

    def build(pk: uuid.UUID) -> Photo:
        return Photo(id=pk, course=course, patient_id=course.patient_id,
                     local_date=clock.local_date(taken_at, course.patient.timezone),
                     recorded_by=uploaded_by, upload_format=info.format, upload_bytes=len(data),
                     **content)

    def store_bytes(photo: Photo) -> None:
        # Written inside the row's transaction: if the file fails, no row; if the row fails after
        # it, the file is removed. Either both are stored or neither.
        photo.upload_name = default_storage.save(_names(photo.pk)[0], ContentFile(data))
        try:
            Photo.objects.filter(pk=photo.pk).update(upload_name=photo.upload_name)
        except BaseException:
            default_storage.delete(photo.upload_name)
            raise
        queue.enqueue_on_commit(queue.PROCESS_PHOTO, Photo, photo.pk)

    return create_once(
        Photo, client_id=photo_id,
        fingerprint=fingerprint({"course": course.pk, "sha256": info.sha256, **content}),
        build=build, validate=validate, then=store_bytes,
        conflict="Another photo with different content already has this id.",
    )


def _replace(name: str, content: bytes) -> str:
    if default_storage.exists(name):
        default_storage.delete(name)
    return default_storage.save(name, ContentFile(content))


def photo_process(*, photo_id: uuid.UUID | str) -> Photo | None:
    """Make the served image and thumbnail, record them, and drop the raw upload.

    Safe to run twice or concurrently: only a `processing` photo is worked on, the outputs have
    fixed names, and only one run can move the row to `ready`.
    """
    photo = Photo.objects.filter(pk=photo_id).first()
    if photo is None or photo.status != PhotoStatus.PROCESSING:
        return photo
    if photo.attempts >= settings.TEND_PHOTO_MAX_ATTEMPTS:
        # A photo that kills its worker (out of memory) would otherwise be re-queued for ever.
        photo_fail(photo_id=photo.pk, reason=f"Processing was started {photo.attempts} times "
                                             "without finishing. Ask for a new photo.")
        return Photo.objects.get(pk=photo.pk)
    Photo.objects.filter(pk=photo.pk).update(attempts=F("attempts") + 1)
    if not photo.upload_name or not default_storage.exists(photo.upload_name):
        raise imaging.ImageRejected("The uploaded file is missing from storage.")
    with default_storage.open(photo.upload_name, "rb") as handle:
        data = handle.read()
    rendered = imaging.render(data, photo.upload_format)
    _, full_name, thumb_name = _names(photo.pk)
    full_name = _replace(full_name, rendered.full)
    thumb_name = _replace(thumb_name, rendered.thumbnail)
    with transaction.atomic():
        moved = Photo.objects.filter(pk=photo.pk, status=PhotoStatus.PROCESSING).update(
            status=PhotoStatus.READY, image_name=full_name, image_bytes=len(rendered.full),
            thumbnail_name=thumb_name, thumbnail_bytes=len(rendered.thumbnail),
            width=rendered.width, height=rendered.height, sha256=rendered.sha256,
            processed_at=timezone.now(), failure_reason="", upload_name="",
            updated_at=timezone.now(),
        )
        if moved:
            upload_name = photo.upload_name
            transaction.on_commit(lambda: default_storage.delete(upload_name))
    photo.refresh_from_db()
    return photo


def photo_fail(*, photo_id: uuid.UUID | str, reason: str) -> None:
    """After its retries, a photo is `failed` with a reason staff can see. The raw bytes stay,
    so that staff can retry it once the cause is fixed."""
    Photo.objects.filter(pk=photo_id, status=PhotoStatus.PROCESSING).update(
        status=PhotoStatus.FAILED, failure_reason=reason[:300], updated_at=timezone.now(),
    )


def photo_retry(*, photo: Photo) -> Photo:
    """Put a failed photo back in the queue."""
    if photo.status != PhotoStatus.FAILED:
        raise Conflict("Only a failed photo can be retried.")
    if not photo.upload_name or not default_storage.exists(photo.upload_name):
        raise Conflict("The uploaded file is gone; ask for a new photo.")
    Photo.objects.filter(pk=photo.pk, status=PhotoStatus.FAILED).update(
        status=PhotoStatus.PROCESSING, failure_reason="", attempts=0, enqueued_at=None)
    queue.enqueue_on_commit(queue.PROCESS_PHOTO, Photo, photo.pk)
    photo.refresh_from_db()
    return photo


def photos_requeue_stale(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """The sweeper: re-enqueue photos left `processing` (broker outage, a worker lost).

    A photo is stale when it was never enqueued, or was enqueued longer ago than the longest a
    worker takes. Re-enqueuing a photo a worker is still on is harmless: processing is idempotent.
    """
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.TEND_PHOTO_REQUEUE_AFTER_SECONDS)
    stale = (
        Photo.objects.filter(status=PhotoStatus.PROCESSING)
        .filter(Q(enqueued_at__lt=cutoff) | Q(enqueued_at__isnull=True, created_at__lt=cutoff))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(queue.enqueue(queue.PROCESS_PHOTO, Photo, pk) for pk in list(stale))


def photo_bytes(photo: Photo, which: str) -> tuple[Any, int]:
    """An open file of the served image or thumbnail, and its length."""
    if photo.status != PhotoStatus.READY:
        raise Conflict(f"This photo is {photo.status}; there is no image yet.")
    name, size = ((photo.image_name, photo.image_bytes) if which == "image"
                  else (photo.thumbnail_name, photo.thumbnail_bytes))
    return default_storage.open(name, "rb"), int(size or default_storage.size(name))


def photo_retake(*, photo: Photo, by: User, reason: str) -> Photo:
    """Ask the patient for a new photo instead of measuring this one (blurred, the wound cut off,
    the wrong place). She is told why; the photo leaves the review queue. Asking again keeps the
    first request."""
    reason = reason.strip()
    if not reason:
        raise field_error("reason", "Say why a new photo is needed: the patient is told.")
    if photo.status != PhotoStatus.READY or photo.entered_in_error_at is not None:
        raise Conflict(f"This photo is {'entered in error' if photo.entered_in_error_at else photo.status}"
                       "; only a ready photo in force can be retaken.")
    Photo.objects.filter(pk=photo.pk, retake_requested_at__isnull=True).update(
        retake_requested_at=timezone.now(), retake_requested_by=by, retake_reason=reason[:500],
        updated_at=timezone.now())
    photo.refresh_from_db()
    return photo
