import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.core import pagination
from agencies.models import Claim
from tests import factories as f


@pytest.mark.integration
def test_a_large_unfiltered_changelist_shows_the_estimate_not_a_count(postgres, admin_client, monkeypatch):
    for _ in range(7):
        f.ClaimFactory()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE agencies_claim")
    monkeypatch.setattr(pagination, "ESTIMATE_ABOVE", 3)

    with CaptureQueriesContext(connection) as queries:
        page = admin_client.get("/admin/agencies/claim/")
    assert page.status_code == 200
    assert not any('COUNT(*) AS "__count" FROM "agencies_claim"' in q["sql"] for q in queries)
    assert page.context["cl"].result_count == 7  # ANALYZE on a small table counts it exactly

    with CaptureQueriesContext(connection) as queries:
        page = admin_client.get("/admin/agencies/claim/?status__exact=unverified")
    assert any("COUNT(*)" in q["sql"] for q in queries)  # a filtered list is counted exactly
    assert page.context["cl"].result_count == Claim.objects.filter(status="unverified").count()


def test_a_small_table_is_counted_exactly(db):
    paginator = pagination.EstimatedCountPaginator(Claim.objects.all(), 10)
    f.ClaimFactory()
    assert paginator.count == 1
