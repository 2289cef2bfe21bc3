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


# A scope with at most this many claim links is counted exactly; a larger one is estimated.
EXACT_UP_TO = 10_000
# About this many claims are read to estimate the shares of a larger scope's statuses.
SAMPLE_SIZE = 2_000


@dataclass(frozen=True)
class Counts:
    by_value: dict  # value -> count (estimated when `estimated`)
    estimated: bool


def counts_by(qs: QuerySet, field_name: str) -> dict:
    return dict(qs.order_by().values_list(field_name).annotate(n=Count("pk")))


def estimated_counts_by(model: type[Model], field_name: str) -> Counts:
    """Rows of a table per value of a column (agency -> claims about it). On PostgreSQL a large table
    gives the planner's statistics (its most common values and their shares, of the estimated
    rows), not a scan of every row; a small one, or SQLite, is counted."""
    connection = connections[router.db_for_read(model)]
    column = model._meta.get_field(field_name).column
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.reltuples::bigint, s.most_common_vals::text::text[], s.most_common_freqs"
                " FROM pg_class c LEFT JOIN pg_stats s ON s.tablename = c.relname AND s.attname = %s"
                " AND s.schemaname = current_schema() WHERE c.oid = %s::regclass",
                [column, connection.ops.quote_name(model._meta.db_table)],
            )
            row = cursor.fetchone()
        if row and row[0] > ESTIMATE_ABOVE and row[1]:
            rows, values, shares = row
            target = model._meta.get_field(field_name).target_field
            return Counts(
                {target.to_python(v): round(rows * share) for v, share in zip(values, shares, strict=True)},
                estimated=True,
            )
    return Counts(counts_by(model.objects.all(), field_name), estimated=False)


def sample_step(total: int) -> int:
    """Every how many rows (by id) to read for about SAMPLE_SIZE of `total`."""
    return max(total // SAMPLE_SIZE, 1)


def scaled(sample: dict, total: int) -> Counts:
    """Counts of a sample scaled up to `total` rows: estimated shares of the whole."""
    seen = sum(sample.values()) or 1
    return Counts({value: round(n * total / seen) for value, n in sample.items()}, estimated=True)
