"""Which version of a record an edit was based on, and what others changed since.

A form carries a version token: when it was opened, and a digest of the rows it showed (the
record itself and the rows edited with it, such as a claim's attributions). A save whose token no
longer matches the stored rows was based on an older version: it is refused, and the person is
told who changed what meanwhile, from the history.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.apps import apps
from django.db import connection, models
from django.utils import timezone
from django.utils.dateparse import parse_datetime

# At most this many changes are listed in a refusal; the history page has the rest.
CHANGES_SHOWN = 8


def version_token(rows: Sequence[models.QuerySet], *, now: datetime | None = None) -> str:
    """A token for the current state of `rows` (querysets of the record and of what is edited with it)."""
    return f"{(now or timezone.now()).isoformat()}|{_digest(rows)}"


def version_matches(token: str, rows: Sequence[models.QuerySet]) -> bool:
    _opened, _, digest = (token or "").partition("|")
    return bool(digest) and digest == _digest(rows)


def opened_at(token: str) -> datetime | None:
    return parse_datetime((token or "").partition("|")[0])


def _digest(rows: Sequence[models.QuerySet]) -> str:
    digest = hashlib.sha256()
    for queryset in rows:
        digest.update(queryset.model._meta.label.encode())
        for values in queryset.order_by("pk").values_list():
            # str, not repr: a value's repr may name where it lives in memory.
            digest.update("\x1f".join(map(str, values)).encode() + b"\x1e")
    return digest.hexdigest()


@dataclass(frozen=True)
class Change:
    what: str
    fields: tuple[str, ...]
    user: str
    when: datetime

    def __str__(self) -> str:
        fields = f" ({', '.join(self.fields)})" if self.fields else ""
        return f"{self.what}{fields} by {self.user} at {timezone.localtime(self.when):%H:%M:%S}"


def changes_since(histories: Iterable[models.QuerySet], since: datetime | None) -> list[Change]:
    """The history rows written after `since`, newest first: what changed, which fields, by whom."""
    if since is None:
        return []
    changes: list[Change] = []
    for history in histories:
        rows = history.filter(history_date__gt=since).select_related("history_user")
        for row in rows.order_by("-history_date")[:CHANGES_SHOWN]:
            changes.append(_change(row))
    return sorted(changes, key=lambda change: change.when, reverse=True)[:CHANGES_SHOWN]


def _change(row) -> Change:
    kind = {"+": "added", "~": "changed", "-": "removed"}.get(row.history_type, "changed")
    fields: tuple[str, ...] = ()
    if row.history_type == "~":
        previous = row.prev_record
        if previous is not None:
            fields = tuple(change.field for change in row.diff_against(previous).changes)
    label = row.instance_type._meta.verbose_name
    user = getattr(row.history_user, "username", None) or "someone"
    return Change(what=f"{label} {kind}", fields=fields, user=user, when=row.history_date)


def record_version(model_names: Iterable[str]) -> str:
    """The version the record's tables are at: the newest history row of each, in one query.

    Every write (the services, the admin, the importer's bulk writer, a deletion) adds a history row,
    and history ids only grow: the same version means the same rows, whatever the record's size. Each
    max() reads one end of a primary-key index.
    """
    tables = [apps.get_model("agencies", name).history.model._meta.db_table for name in model_names]
    quote = connection.ops.quote_name
    # Table names from the models, quoted: no input reaches this SQL.
    newest = ", ".join(f"(SELECT MAX(history_id) FROM {quote(table)})" for table in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {newest}")
        row = cursor.fetchone()
    return ".".join(str(value or 0) for value in row)
