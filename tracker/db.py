"""Database helpers the ORM does not offer as such, and the routing of report reads to a replica."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import connections, router
from django.db.models import Model
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery


def insert_unless_taken(obj: Model) -> bool:
    """INSERT the row unless its primary key is taken; True when it was inserted.

    One statement (PostgreSQL `ON CONFLICT DO NOTHING`, SQLite `INSERT OR IGNORE`): a duplicate
    id neither raises nor breaks the enclosing transaction, so no savepoint is needed to recover
    from it, and a concurrent insert of the same id waits for the other transaction, then yields.
    Only the model's own primary key may be unique: another unique constraint would be ignored
    the same way, so the caller must have no other. On SQLite, OR IGNORE also skips a row that
    breaks NOT NULL or CHECK: validate the row before, as the services do.
    """
    model = type(obj)
    using = router.db_for_write(model, instance=obj)
    fields = [field for field in model._meta.local_concrete_fields if not field.generated]
    query = InsertQuery(model, on_conflict=OnConflict.IGNORE)
    query.insert_values(fields, [obj])
    with connections[using].cursor() as cursor:
        for sql, params in query.get_compiler(using=using).as_sql():
            cursor.execute(sql, params)
        inserted = cursor.rowcount == 1
    if inserted:
        obj._state.adding, obj._state.db = False, using
    return inserted


# --- Reports read from a replica ------------------------------------------------------------------
REPLICA = "replica"
_replica_reads: contextvars.ContextVar[bool] = contextvars.ContextVar("tend_replica_reads",
                                                                      default=False)


@contextlib.contextmanager
def replica_reads() -> Iterator[None]:
    """Reads inside this block go to the `replica` database when one is configured
    (TEND_REPLICA_DATABASE_URL); writes always go to the primary."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def has_replica() -> bool:
    return REPLICA in settings.DATABASES


class ReplicaRouter:
    """Routes the reads of a replica_reads() block to the replica, everything else to default."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        return REPLICA if _replica_reads.get() and has_replica() else None

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        return None

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        return True  # the replica holds the primary's rows: the same objects

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == REPLICA else None  # a replica follows the primary's schema
