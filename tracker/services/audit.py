"""Writing the audit trail. Events are only ever added."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import connection
from django.db.models import Field, ForeignKey
from django.utils import timezone

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

    def retarget(self, object_type: str, object_id: object = "", patient_id: uuid.UUID | None = None
                 ) -> None:
        """The request turned out to be about this one object instead (a create that learnt its
        row's id, a list filtered on one patient): it replaces what was touched so far."""
        self.targets.clear()
        self.touch(object_type, object_id, patient_id)


def outcome_for_status(status_code: int) -> str:
    if status_code < 400:
        return AuditOutcome.ALLOWED
    if status_code in (401, 403, 404, 429):
        return AuditOutcome.DENIED
    if status_code < 500:
        return AuditOutcome.REJECTED
    return AuditOutcome.ERROR


def audit_events_record(*, context: AuditContext, action: str, status_code: int,
                        targets: Iterable[AuditTarget]) -> int:
    """Add one event per target (at least one), in one INSERT. Returns how many were added."""
    actor = context.actor
    common = {
        "at": timezone.now(),
        "actor_id": actor.pk if actor else None,
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
    if connection.vendor == "postgresql":
        # A page of 50 patients or photos is 50 events that differ only in their target: the
        # shared values are sent once and PostgreSQL makes the rows, instead of the ORM preparing
        # 15 values for each (a third of the cost of listing a page).
        with connection.cursor() as cursor:
            cursor.execute(_insert_sql(), {
                **common,
                "object_types": [t.object_type for t in unique],
                "object_ids": [t.object_id for t in unique],
                "patient_ids": [t.patient_id for t in unique],
            })
        return len(unique)
    AuditEvent.objects.bulk_create([
        AuditEvent(object_type=t.object_type, object_id=t.object_id, patient_id=t.patient_id,
                   **common)
        for t in unique
    ])
    return len(unique)


# The values every event of a request shares, by field name; then what differs per target.
_SHARED = ("at", "actor", "actor_username", "role", "action", "outcome", "status_code", "ip",
           "request_id", "method", "path")
_PER_TARGET = ("object_type", "object_id", "patient")


@functools.cache
def _insert_sql() -> str:
    meta, quote = AuditEvent._meta, connection.ops.quote_name

    def model_field(name: str) -> Field[Any, Any]:
        found = meta.get_field(name)
        assert isinstance(found, Field)  # every audit column is a concrete field
        return found

    def column(name: str) -> str:
        return quote(model_field(name).column)

    def typed(name: str) -> str:
        # Text goes in as plain varchar, so that an over-long value fails instead of being cut.
        field = model_field(name)
        target = cast(ForeignKey[Any, Any], field).target_field if field.is_relation else field
        kind = "varchar" if target.get_internal_type() == "CharField" else target.db_type(connection)
        return f"CAST(%({field.attname})s AS {kind})"

    columns = ", ".join(column(name) for name in ("id", *_SHARED, *_PER_TARGET))
    values = ", ".join(typed(name) for name in _SHARED)
    # Built from the model's own names only; every value is a parameter.
    return (f"INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608
            f"SELECT gen_random_uuid(), {values}, t.object_type, t.object_id, t.patient_id "
            "FROM unnest(%(object_types)s::varchar[], %(object_ids)s::varchar[], "
            "%(patient_ids)s::uuid[]) AS t(object_type, object_id, patient_id)")
