"""The one rule of every create that takes a client-chosen id (records, courses, photos, reviews,
reports): the same id with the same content returns the stored row and stores nothing; the same id
with other content is a conflict.

A phone that lost its answer sends the same create again, so a retry must be recognised even when
the create would no longer be accepted (the course closed since, the photo was voided): the stored
row is looked for before a validation failure is answered. The primary key decides between two
concurrent duplicates: the row is inserted with ON CONFLICT DO NOTHING, which needs no savepoint and
makes the second insert wait for the first, then yield to it.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import transaction

from tracker.db import insert_unless_taken
from tracker.errors import Conflict, ValidationError
from tracker.models import ClientCreated

M = TypeVar("M", bound=ClientCreated)


def canonical(value: Any) -> Any:
    """A value as JSON holds it: instants in UTC, dates, ids and decimals as text."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date | uuid.UUID | decimal.Decimal):
        return str(value)
    return value


def fingerprint(values: dict[str, Any]) -> str:
    """SHA-256 of the content as first sent, stored with the row to tell a retry from a conflict.

    Stored fingerprints must keep matching their retries: never change how this is computed."""
    plain = {key: canonical(value) for key, value in values.items()}
    return hashlib.sha256(json.dumps(plain, sort_keys=True).encode()).hexdigest()


def stored(model: type[M], pk: uuid.UUID | None, print_: str, *, conflict: str) -> M | None:
    """The row a client already stored under this id, or None; Conflict when its content differs."""
    if pk is None:
        return None
    existing = model._default_manager.filter(pk=pk).first()
    if existing is not None and existing.client_fingerprint != print_:
        raise Conflict(conflict, field="id")
    return existing


def create_once(model: type[M], *, client_id: uuid.UUID | None, fingerprint: str,
                build: Callable[[uuid.UUID], M], conflict: str,
                validate: Callable[[], None] | None = None,
                then: Callable[[M], object] | None = None) -> tuple[M, bool]:
    """Insert the row `build` makes for its id, unless a client's retry stored it already.
    Returns (row, created).

    `client_id` is the id the client chose, if it did (only then can the row exist already);
    `fingerprint` is of the content the client sent, and `conflict` the message of the 409 when
    the id holds other content. `validate` runs first and may raise ValidationError or Conflict;
    `then` runs after the insert, in the same transaction, only for a new row (alerts, files,
    enqueue on commit).
    """
    try:
        if validate is not None:
            validate()
    except (ValidationError, Conflict):
        if (found := stored(model, client_id, fingerprint, conflict=conflict)) is not None:
            return found, False
        raise
    row = build(client_id or uuid.uuid4())
    row.client_fingerprint = fingerprint
    with transaction.atomic(savepoint=False):
        inserted = insert_unless_taken(row)
        if inserted and then is not None:
            then(row)
    if inserted:
        return row, True
    # The id is taken (a retry, or a concurrent duplicate that committed first): the stored row
    # decides. None of these rows is ever deleted, so it is there to be read.
    found = stored(model, client_id, fingerprint, conflict=conflict)
    assert found is not None
    return found, False
