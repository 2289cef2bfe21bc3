"""Pages of long lists, for the admin's changelists and the claims explorer."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
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
