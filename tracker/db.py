"""Database helpers the ORM does not offer as such."""

from __future__ import annotations

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
    the same way, so the caller must have no other.
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
