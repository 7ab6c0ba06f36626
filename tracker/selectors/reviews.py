"""What waits for a nurse's or physician's eye."""

from __future__ import annotations

from django.db.models import QuerySet

from tracker.models import Photo, PhotoStatus


def review_queue() -> QuerySet[Photo]:
    """Ready photos in force that nobody has reviewed or asked to retake yet, oldest first (scope
    it to the user's patients). It reads the partial index `photo_unreviewed`, which holds only
    these photos."""
    return Photo.objects.filter(
        status=PhotoStatus.READY, entered_in_error_at__isnull=True, reviewed_at__isnull=True,
        retake_requested_at__isnull=True,
    ).order_by("taken_at", "created_at")
