"""One consistent view of the record for everything a briefing reads.

A briefing reads the record in some forty queries; an import committing between two of them would
give a PDF that prints a state that never existed. `record_snapshot()` runs the reads in one
read-only transaction at snapshot isolation:

- PostgreSQL: REPEATABLE READ, READ ONLY (every query sees the database as of the first one);
- SQLite: one deferred transaction (BEGIN, not the IMMEDIATE the settings use for writers, so it takes
  no write lock): in WAL mode its first read fixes the snapshot until it ends; `query_only` refuses
  writes meanwhile.

Inside a transaction already open (a test's, or a caller's) the isolation level cannot change any
more: the reads then share that transaction, which is what its owner asked for.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction


@contextmanager
def record_snapshot(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    connection = connections[using]
    if connection.in_atomic_block:
        yield
        return
    if connection.vendor == "postgresql":
        with transaction.atomic(using=using):
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        saved = connection.transaction_mode
        connection.transaction_mode = "DEFERRED"
        try:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA query_only = ON")
            try:
                with transaction.atomic(using=using):
                    yield
            finally:
                with connection.cursor() as cursor:
                    cursor.execute("PRAGMA query_only = OFF")
        finally:
            connection.transaction_mode = saved
        return
    with transaction.atomic(using=using):
        yield
