"""Writing the audit trail. Events are only ever added."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from tracker.models import AuditEvent, AuditOutcome, User


def _text(value: str, max_length: int) -> str:
    """Text a client controls, made storable: no NUL (PostgreSQL refuses it), cut to the column."""
    return value.replace("\x00", "\ufffd")[:max_length]


@dataclass(frozen=True)
class AuditContext:
    """Who is asking and from where: what every event of one request shares."""

    actor: User | None
    role: str = ""
    ip: str | None = None
    request_id: str = ""
    method: str = ""
    path: str = ""


@dataclass(frozen=True)
class AuditTarget:
    object_type: str
    object_id: str = ""
    patient_id: uuid.UUID | None = None


@dataclass
class AuditTrail:
    """The objects one request touched, gathered as the request runs."""

    action: str = ""
    targets: list[AuditTarget] = field(default_factory=list)
    # Set when the request itself establishes who the actor is (signing in, activating).
    actor: User | None = None

    def touch(self, object_type: str, object_id: object = "", patient_id: uuid.UUID | None = None
              ) -> None:
        # An id taken from the address may be anything a client typed: keep what fits the column.
        self.targets.append(AuditTarget(object_type, _text(str(object_id or ""), 64), patient_id))


def outcome_for_status(status_code: int) -> str:
    if status_code < 400:
        return AuditOutcome.ALLOWED
    if status_code in (401, 403, 404, 429):
        return AuditOutcome.DENIED
    if status_code < 500:
        return AuditOutcome.REJECTED
    return AuditOutcome.ERROR


def audit_events_record(*, context: AuditContext, action: str, status_code: int,
                        targets: Iterable[AuditTarget]) -> list[AuditEvent]:
    """Add one event per target (at least one), in one INSERT."""
    actor = context.actor
    common = {
        "actor": actor,
        "actor_username": actor.username if actor else "",
        "role": context.role,
        "action": action,
        "outcome": outcome_for_status(status_code),
        "status_code": status_code,
        "ip": context.ip,
        "request_id": context.request_id[:64],
        "method": context.method[:8],
        "path": _text(context.path, 300),
    }
    unique = list(dict.fromkeys(targets)) or [AuditTarget("")]
    events = [
        AuditEvent(object_type=t.object_type, object_id=t.object_id, patient_id=t.patient_id,
                   **common)
        for t in unique
    ]
    return AuditEvent.objects.bulk_create(events)
