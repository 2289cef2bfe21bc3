"""Writing many rows at once, with their history: what the dossier importer writes through.

On PostgreSQL the rows and their history rows go in by COPY, the fastest way in, with ids drawn
from each table's sequence first so that the created objects come back with their pks (children
point at them). Elsewhere it is simple_history's bulk_create_with_history. Either way every new
row gets one history row ("+") saying who and why, exactly as bulk_create_with_history writes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from django.conf import settings
from django.db import connections, models, transaction
from django.utils import timezone
from simple_history.utils import (
    bulk_create_with_history,
    bulk_update_with_history,
    get_history_manager_for_model,
)

# Rows per statement where bulk_create is used.
BATCH = 1000


def update_with_history(
    objs: Sequence[models.Model],
    model: type[models.Model],
    fields: Sequence[str],
    *,
    user=None,
    reason: str = "",
) -> None:
    """Save `fields` of `objs` (stored rows of `model`, already changed in memory), a history row each."""
    if objs:
        bulk_update_with_history(
            list(objs), model, list(fields), batch_size=BATCH, default_user=user, default_change_reason=reason
        )


def delete_with_history(objs: Sequence[models.Model], *, user=None, reason: str = "") -> None:
    """Delete `objs` one by one, so that each history row says who and why (only changed lists come here)."""
    for obj in objs:
        obj._change_reason = reason  # type: ignore[attr-defined]  # read off the instance by simple_history
        if user is not None:
            obj._history_user = user  # type: ignore[attr-defined]
        obj.delete()


def create_with_history(
    objs: Sequence[models.Model], model: type[models.Model], *, user=None, reason: str = "", using="default"
) -> list[models.Model]:
    """Insert `objs` (unsaved, all of `model`) and a history row for each; returns them with pks."""
    objs = list(objs)
    if not objs:
        return []
    connection = connections[using]
    if connection.vendor != "postgresql":
        return bulk_create_with_history(
            objs, model, batch_size=BATCH, default_user=user, default_change_reason=reason
        )
    with transaction.atomic(using=using, savepoint=False), connection.cursor() as cursor:
        meta = model._meta
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
        fields = meta.concrete_fields
        rows = _prepared_rows(objs, fields, connection)
        columns = [cast(str, field.column) for field in fields]  # concrete fields all have a column
        copy_rows(cursor, connection, meta.db_table, columns, rows)
        if getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
            _copy_history(cursor, connection, model, fields, rows, objs=objs, user=user, reason=reason)
        for obj in objs:
            obj._state.adding = False
            obj._state.db = using
    return objs


def insert_with_history(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence],
    *,
    user=None,
    reason: str = "",
    using="default",
) -> list[int]:
    """Insert `rows` (each the values of `columns`, attnames of `model`; its other columns take their
    defaults and timestamps) and a history row for each, as `create_with_history` does; returns
    their pks in order. On PostgreSQL no model instance is built: for rows by the ten thousand,
    building them is most of the time an import takes."""
    if not rows:
        return []
    connection = connections[using]
    if connection.vendor != "postgresql":
        objs = [model(**dict(zip(columns, row, strict=True))) for row in rows]
        return [obj.pk for obj in create_with_history(objs, model, user=user, reason=reason, using=using)]
    meta = model._meta
    fields = meta.concrete_fields
    with transaction.atomic(using=using, savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(rows)],
        )
        pks = [pk for (pk,) in cursor.fetchall()]
        prepared = _prepared_tuples(pks, columns, rows, fields, connection)
        copy_rows(cursor, connection, meta.db_table, [cast(str, field.column) for field in fields], prepared)
        if getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
            _copy_history(cursor, connection, model, fields, prepared, objs=None, user=user, reason=reason)
    return pks


def _prepared_tuples(pks, columns, rows, fields, connection) -> list[list]:
    """Each row's column values as the database takes them (see `_prepared_rows`), the pk first
    where the table has it, the columns `rows` leave out filled with their defaults."""
    index = {name: i for i, name in enumerate(columns)}
    now = timezone.now()
    steps: list[
        tuple[str, Any]
    ] = []  # per field: ("pk", None), ("given", (i, field, plain)), ("constant", value)
    for field in fields:
        if field.primary_key:
            steps.append(("pk", None))
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            steps.append(("constant", field.get_db_prep_save(now, connection)))
        elif field.attname in index:
            steps.append(("given", (index[field.attname], field, type(field) in _PLAIN)))
        else:  # what a model instance would hold: its default, "" for text, else None
            steps.append(("constant", field.get_db_prep_save(field.get_default(), connection)))
    prepared = []
    for pk, row in zip(pks, rows, strict=True):
        out = []
        for step, detail in steps:
            if step == "given":
                i, field, plain = detail
                value = row[i]
                if not plain or type(value) not in _PLAIN_VALUES:
                    value = field.get_db_prep_save(value, connection)
                out.append(value)
            else:
                out.append(pk if step == "pk" else detail)
        prepared.append(out)
    return prepared


# Fields that store a str, int or bool exactly as given: their values need no preparation.
_PLAIN = (
    models.CharField,
    models.TextField,
    models.SlugField,
    models.URLField,
    models.IntegerField,
    models.BigIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.SmallIntegerField,
    models.BooleanField,
    models.ForeignKey,
    models.AutoField,
    models.BigAutoField,
)
_PLAIN_VALUES = (str, int, bool, type(None))


def _prepared_rows(objs, fields, connection) -> list[list]:
    """Each object's column values as the database takes them. Every field prepares its own value
    (dates as text, notes encrypted), except plain values of plain fields, which are taken as they
    are; auto_now timestamps are one moment for the whole batch, prepared once."""
    now = timezone.now()
    steps = []
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            steps.append((field, "now", field.get_db_prep_save(now, connection)))
        else:
            steps.append((field, "plain" if type(field) in _PLAIN else "prepare", None))
    rows = []
    for obj in objs:
        row = []
        for field, step, prepared in steps:
            if step == "now":
                setattr(obj, field.attname, now)
                row.append(prepared)
                continue
            value = getattr(obj, field.attname)
            if step != "plain" or type(value) not in _PLAIN_VALUES:
                value = field.get_db_prep_save(value, connection)
            row.append(value)
        rows.append(row)
    return rows


def copy_rows(cursor, connection, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Write `rows` (each the values of `columns`, as the database takes them) into `table` by COPY,
    on PostgreSQL (psycopg 3)."""
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    # COPY goes through psycopg's own cursor: wrap its errors as Django wraps every other query's
    # (IntegrityError, ...), so that callers handling django.db.DatabaseError see them too.
    statement = f"COPY {connection.ops.quote_name(table)} ({names}) FROM STDIN"  # noqa: S608
    with connection.wrap_database_errors, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _copy_history(cursor, connection, model, fields, rows, *, objs, user, reason) -> None:
    """The "+" history rows of rows just written (`objs`, when given, may say their own who and why)."""
    history_model = get_history_manager_for_model(model).model
    tracked = {field.attname for field in history_model.tracked_fields}
    # The history row holds the row's own prepared values (ciphertext stays ciphertext).
    kept = [i for i, field in enumerate(fields) if field.attname in tracked]
    if len(kept) != len(tracked):
        missing = tracked - {fields[i].attname for i in kept}
        raise ValueError(f"{model.__name__}: history tracks fields the table lacks: {sorted(missing)}")
    when = timezone.now()
    user_id = None if user is None else user.pk
    columns = [fields[i].attname for i in kept]
    columns = [history_model._meta.get_field(name).column for name in columns] + [
        "history_date",
        "history_change_reason",
        "history_type",
        "history_user_id",
    ]
    history_rows = []
    for obj, row in zip(objs or [None] * len(rows), rows, strict=True):
        history_rows.append(
            [row[i] for i in kept]
            + [
                getattr(obj, "_history_date", when),
                getattr(obj, "_change_reason", None) or reason,
                "+",
                getattr(getattr(obj, "_history_user", None), "pk", user_id),
            ]
        )
    copy_rows(cursor, connection, history_model._meta.db_table, columns, history_rows)
