"""Pages of long lists and honest counts of large ones: the admin's changelists, the claims explorer,
the agency pages and Findings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.db import DatabaseError, connections, router, transaction
from django.db.models import BooleanField, Count, Max, Min, Model, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.functional import cached_property

# Below this many rows a count is exact and cheap; above it, an unfiltered list shows the estimate.
ESTIMATE_ABOVE = 100_000
# A filtered list of a larger table is counted exactly when that takes no longer than this.
EXACT_COUNT_MS = 100
# Otherwise its count is estimated from the rows it selects among about SAMPLE_ROWS of the table,
# read by primary key in SAMPLE_SLICES runs spread over the table.
SAMPLE_ROWS = 2_000
SAMPLE_SLICES = 20


class EstimatedCountPaginator(Paginator):
    """Counting a million claims on every page view costs more than the page. On PostgreSQL, for a
    table past ESTIMATE_ABOVE rows: an unfiltered list shows the planner's row estimate (ANALYZE and
    autovacuum keep it close); a filtered one is counted exactly if that is quick (EXACT_COUNT_MS),
    else estimated from a sample of the table (one or two significant figures). `estimated` says so, and
    the page says "About"."""

    estimated = False

    @cached_property
    def count(self):
        queryset = self.object_list
        if not isinstance(queryset, QuerySet) or connections[queryset.db].vendor != "postgresql":
            return super().count
        filtered = bool(queryset.query.where)
        if filtered:
            # Counted at once if the table is small: one query, as on any database (the table's size
            # is a one-time filter, so on a large table this answers 0 without reading a row).
            exact = queryset.filter(_small_table(queryset)).count()
            if exact:
                return exact
        rows = _table_rows(queryset)
        if rows <= ESTIMATE_ABOVE:
            return exact if filtered else super().count
        if filtered:
            within = _count_within(queryset, EXACT_COUNT_MS)
            if within is not None:
                return within
            found = _sampled_count(queryset, rows)
            if found is None:
                return super().count  # nothing in the sample: a rare selection, worth counting
        else:
            found = rows
        self.estimated = True
        return found


def _small_table(queryset: QuerySet) -> RawSQL:
    table = connections[queryset.db].ops.quote_name(queryset.model._meta.db_table)
    return RawSQL(
        "(SELECT reltuples FROM pg_class WHERE oid = %s::regclass) <= %s",
        [table, ESTIMATE_ABOVE],
        output_field=BooleanField(),
    )


def _table_rows(queryset: QuerySet) -> int:
    connection = connections[queryset.db]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [connection.ops.quote_name(queryset.model._meta.db_table)],
        )
        row = cursor.fetchone()
    return row[0] if row else 0


def _count_within(queryset: QuerySet, ms: int) -> int | None:
    """The exact count, or None if it takes longer than `ms` (the query is cancelled)."""
    connection = connections[queryset.db]
    try:
        with transaction.atomic(using=queryset.db), connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('statement_timeout')")
            (previous,) = cursor.fetchone()
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", [f"{ms}ms"])
            count = queryset.count()
            # Inside an outer transaction the setting would outlive this block: put it back.
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", [previous])
    except DatabaseError:
        return None  # rolled back, the setting with it
    return count


def _sampled_count(queryset: QuerySet, rows: int) -> int | None:
    """`rows` times the share of the sample the queryset selects, rounded to two significant figures
    (one when it selects under a hundred rows of it); None when it selects none of the sample."""
    table = queryset.model._default_manager.using(queryset.db)
    bounds = table.aggregate(low=Min("pk"), high=Max("pk"))
    low, high = bounds["low"], bounds["high"]
    if low is None:
        return None
    span = high - low + 1
    step = max(1, span // SAMPLE_SLICES)
    width = max(1, span * SAMPLE_ROWS // (SAMPLE_SLICES * max(rows, 1)))
    sample = Q(pk__in=[])
    for start in range(low, high + 1, step):
        sample |= Q(pk__gte=start, pk__lt=start + width)
    found = queryset.filter(sample).count()
    if not found:
        return None
    estimate = round(found * rows / max(table.filter(sample).count(), 1))
    # Under a hundred rows found, the sample's error is past a tenth: one significant figure.
    return int(float(f"{estimate:.2g}" if found >= 100 else f"{estimate:.1g}"))


# A scope with at most this many rows is counted exactly; a larger one may be estimated.
EXACT_UP_TO = 10_000
# About this many rows are read to estimate the shares of a larger one.
SAMPLE_SIZE = 2_000


@dataclass(frozen=True)
class Counts:
    by_value: dict  # value -> count (estimated when `estimated`)
    estimated: bool
    other: int = 0  # estimated: each value the statistics do not list (by_value.get(v, other))

    def get(self, value) -> int:
        return self.by_value.get(value, self.other)


def counts_by(qs: QuerySet, field_name: str) -> dict:
    return dict(qs.order_by().values_list(field_name).annotate(n=Count("pk")))


def estimated_counts_by(model: type[Model], field_name: str) -> Counts:
    """Rows of a table per value of a column (agency -> claims about it), in one query. On
    PostgreSQL a table of more than ESTIMATE_ABOVE rows gives the planner's statistics (its most
    common values and their shares of the estimated rows) instead of a scan of every row; a
    smaller one, or SQLite, is counted."""
    connection = connections[router.db_for_read(model)]
    if connection.vendor != "postgresql":
        return Counts(counts_by(model._default_manager.all(), field_name), estimated=False)
    field: Any = model._meta.get_field(field_name)  # a concrete column: the stubs type it as any field
    column = connection.ops.quote_name(field.column)
    table = connection.ops.quote_name(model._meta.db_table)
    # The statistics when the table is large and has them; otherwise (a one-time filter) the count.
    # A value the statistics do not list (a row with no value) gets an equal share of what is left.
    sql = (
        "WITH stats AS (SELECT c.reltuples AS n, s.most_common_vals::text::text[] AS vals,"  # noqa: S608 - names only
        " s.most_common_freqs AS freqs, s.null_frac,"
        " CASE WHEN s.n_distinct < 0 THEN -s.n_distinct * c.reltuples ELSE s.n_distinct END AS kinds"
        " FROM pg_class c LEFT JOIN pg_stats s ON s.tablename = c.relname"
        " AND s.attname = %s AND s.schemaname = current_schema() WHERE c.oid = %s::regclass),"
        " large AS (SELECT * FROM stats WHERE n > %s AND vals IS NOT NULL)"
        " SELECT v.val, round(large.n * v.freq)::bigint, true"
        " FROM large, unnest(large.vals, large.freqs) v(val, freq)"
        " UNION ALL SELECT NULL, greatest(0, round(large.n"
        " * (1 - large.null_frac - (SELECT sum(f) FROM unnest(large.freqs) f))"
        " / greatest(large.kinds - cardinality(large.vals), 1)))::bigint, true FROM large"
        f" UNION ALL SELECT {column}::text, count(*), false FROM {table}"
        f" WHERE NOT EXISTS (SELECT 1 FROM large) GROUP BY {column}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [field.column, table, ESTIMATE_ABOVE])
        rows = cursor.fetchall()
    target = field.target_field
    listed = {target.to_python(v): n for v, n, _ in rows if v is not None}
    other = next((n for v, n, _ in rows if v is None), 0)
    return Counts(listed, estimated=any(e for _v, _n, e in rows), other=other)
