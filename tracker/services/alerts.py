"""Alerts for the care team. One open alert per course and kind: a new episode only after the
last one was acknowledged. The partial unique index decides, even for concurrent raisers."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from tracker import queue
from tracker.models import Alert, AlertKind, AlertStatus, TreatmentCourse, User


def alert_raise(*, course: TreatmentCourse, kind: AlertKind, severity: str, detail: str,
                facts: dict[str, Any] | None = None, source_type: str = "",
                source_id: uuid.UUID | None = None) -> Alert | None:
    """Open an alert, unless one of this kind is already open for the course. Returns the new
    alert, or None when the episode is already open."""
    if Alert.objects.filter(course=course, kind=kind, status=AlertStatus.OPEN).exists():
        return None
    try:
        with transaction.atomic():
            alert = Alert.objects.create(course=course, patient_id=course.patient_id, kind=kind,
                                         severity=severity, detail=detail, facts=facts or {},
                                         source_type=source_type, source_id=source_id)
            # The care team is told once the alert is committed (alerts_notify_unnotified tells
            # them if the broker cannot take this).
            queue.nudge_on_commit(queue.NOTIFY_ALERT, alert.pk)
            return alert
    except IntegrityError:
        return None  # a concurrent raiser opened it first


@transaction.atomic
def alert_acknowledge(*, alert: Alert, by: User, note: str = "") -> Alert:
    """Acknowledging is idempotent: the first acknowledgement, and its note, are kept."""
    Alert.objects.filter(pk=alert.pk, status=AlertStatus.OPEN).update(
        status=AlertStatus.ACKNOWLEDGED, acknowledged_at=timezone.now(), acknowledged_by=by,
        acknowledged_note=note.strip())
    alert.refresh_from_db()
    return alert
