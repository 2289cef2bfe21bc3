import pytest
from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
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


def _analysed_claims(statuses: list[str]) -> None:
    for status in statuses:
        f.ClaimFactory(status=status)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE agencies_claim")


@pytest.mark.integration
def test_a_filtered_count_that_takes_long_is_estimated_from_a_sample(postgres, admin_client, monkeypatch):
    _analysed_claims(["unverified"] * 30 + ["disputed"] * 10)
    monkeypatch.setattr(pagination, "ESTIMATE_ABOVE", 3)
    monkeypatch.setattr(pagination, "_count_within", lambda queryset, ms: None)  # as if it took too long
    queryset = Claim.objects.filter(status="disputed")
    paginator = pagination.EstimatedCountPaginator(queryset, 10)
    assert paginator.count == 10 and paginator.estimated  # the sample holds every row here

    monkeypatch.setattr(pagination, "SAMPLE_ROWS", 20)  # about half of the rows
    assert 0 < pagination.EstimatedCountPaginator(queryset, 10).count <= 40
    page = admin_client.get("/admin/agencies/claim/?status__exact=disputed")
    assert b"About " in page.content and page.context["cl"].paginator.estimated
    page = admin_client.get("/claims/?status=disputed")
    assert b"About <strong>" in page.content


@pytest.mark.integration
def test_a_quick_filtered_count_is_exact_and_a_rare_selection_is_counted(postgres, monkeypatch):
    _analysed_claims(["unverified"] * 30 + ["refuted"])
    monkeypatch.setattr(pagination, "ESTIMATE_ABOVE", 3)
    paginator = pagination.EstimatedCountPaginator(Claim.objects.filter(status="unverified"), 10)
    assert paginator.count == 30 and not paginator.estimated
    monkeypatch.setattr(pagination, "_count_within", lambda queryset, ms: None)
    # A sample of one row, the first: it misses the one refuted claim, made last.
    monkeypatch.setattr(pagination, "SAMPLE_ROWS", 1)
    monkeypatch.setattr(pagination, "SAMPLE_SLICES", 1)
    paginator = pagination.EstimatedCountPaginator(Claim.objects.filter(status="refuted"), 10)
    assert paginator.count == 1 and not paginator.estimated


@pytest.mark.integration
def test_a_count_cut_short_leaves_the_connection_as_it_was(postgres):
    from django.db import transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = '7s'")
        assert pagination._count_within(Claim.objects.filter(status="refuted"), 1000) == 0
        cursor.execute("SELECT pg_sleep(0)")
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "7s"
    f.ClaimFactory()
    slow = Claim.objects.filter(RawSQL("(SELECT true FROM pg_sleep(0.2))", [], output_field=BooleanField()))
    assert pagination._count_within(slow, 20) is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
