"""Each filter of the explorer runs the same queries on N claims and on N+1: none reads the record
into Python or asks something per row (tests/admin/test_changelists.py does the same for the admin)."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from agencies.core.filters import SORTS
from tests.factories import bulk_record

pytestmark = pytest.mark.django_db

URL = "/claims/"
FILTERS = [
    "q=mail",
    "q=quote+-covers",
    "agency=bulk-parent",
    "agency=bulk-child",
    "status=disputed",
    "kind=role",
    "outlet=bulk-outlet-1",
    "origin_kind=anonymous",
    "anonymous_only=true",
    "anonymous_only=false",
    "single_outlet=true",
    "single_outlet=false",
    "contested=true",
    "contested=false",
    "made_after=2025-03",
    "made_before=2025-04",
    *(f"sort={sort}" for sort in SORTS),
]
# Every bulk claim has one supporting line, so every one is single-outlet.
NONE_IN_BULK = {"single_outlet=false"}


def queries_and_rows(client, query: str, n: int) -> tuple[int, int]:
    with transaction.atomic():
        bulk_record(n)
        client.get(f"{URL}?{query}")  # the first time also derives what is kept (contested figures)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{URL}?{query}")
        assert response.status_code == 200
        rows = len(response.context["rows"])
        transaction.set_rollback(True)
    return len(queries), rows


@pytest.mark.parametrize("query", FILTERS)
def test_each_filter_runs_as_many_queries_on_n_and_n_plus_one_claims(client, reader, query):
    client.force_login(reader)
    client.get(URL)  # the session and permissions are cached after the first request
    queries_n, rows_n = queries_and_rows(client, query, 12)
    queries_more, rows_more = queries_and_rows(client, query, 13)
    assert (rows_n > 0) != (query in NONE_IN_BULK)
    assert rows_more >= rows_n
    assert queries_more == queries_n
