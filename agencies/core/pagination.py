"""Pages of long lists and honest counts of large ones: the admin's changelists, the claims explorer,
the agency pages and Findings."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db import connections, router
from django.db.models import Count, Model, QuerySet
from django.utils.functional import cached_property

# Below this many rows a count is exact and cheap; above it, an unfiltered list shows the estimate.
ESTIMATE_ABOVE = 100_000


class EstimatedCountPaginator(Paginator):
    """Counting a million claims on every page view costs more than the page: on PostgreSQL an
    unfiltered list of a large table shows the planner's row estimate instead (`estimated` says so;
    ANALYZE and autovacuum keep it close). A filtered list is always counted exactly."""

    estimated = False

    @cached_property
    def count(self):
        queryset = self.object_list
        if isinstance(queryset, QuerySet) and not queryset.query.where:
            connection = connections[queryset.db]
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                        [connection.ops.quote_name(queryset.model._meta.db_table)],
                    )
                    row = cursor.fetchone()
                if row and row[0] > ESTIMATE_ABOVE:
                    self.estimated = True
                    return row[0]
        return super().count


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
        return Counts(counts_by(model.objects.all(), field_name), estimated=False)
    column = connection.ops.quote_name(model._meta.get_field(field_name).column)
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
        cursor.execute(sql, [model._meta.get_field(field_name).column, table, ESTIMATE_ABOVE])
        rows = cursor.fetchall()
    target = model._meta.get_field(field_name).target_field
    listed = {target.to_python(v): n for v, n, _ in rows if v is not None}
    other = next((n for v, n, _ in rows if v is None), 0)
    return Counts(listed, estimated=any(e for _v, _n, e in rows), other=other)
