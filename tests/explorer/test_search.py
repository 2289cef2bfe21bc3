"""Full-text search on PostgreSQL: stemmed, web-search syntax, and answered from the GIN indexes."""

import pytest
from django.db import connection
from django.http import QueryDict

from agencies import models as m
from agencies.core import search
from agencies.core.filters import ClaimFilter
from tests import factories as f

pytestmark = pytest.mark.integration

SEARCH_INDEXES = {
    "claim_text_search",
    "attribution_quote_search",
    "document_title_search",
    "source_description_search",
}


def selected(query: str) -> list[str]:
    chosen = ClaimFilter(QueryDict(query), queryset=m.Claim.objects.all())
    assert chosen.is_valid(), chosen.errors
    return sorted(chosen.qs.values_list("slug", flat=True))


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # On a handful of rows a sequential scan and a sort are cheaper; forbid them to see which
        # indexes could serve.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_migration_made_the_indexes(postgres):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(%s)",
            [[*SEARCH_INDEXES, "claim_newest_first"]],
        )
        found = dict(cursor.fetchall())
    assert set(found) == {*SEARCH_INDEXES, "claim_newest_first"}
    assert all(
        "USING gin" in found[name] and "to_tsvector('english'" in found[name] for name in SEARCH_INDEXES
    )
    assert "made DESC NULLS LAST, slug" in found["claim_newest_first"]


def test_search_is_stemmed_and_takes_web_search_syntax(postgres):
    f.ClaimFactory(slug="covers", text="Officials want access to mail covers.")
    f.ClaimFactory(slug="tracking", text="Officials want package tracking data.")
    f.ClaimFactory(slug="phrase", text="Covers of the mail were photographed.")
    assert selected("q=cover") == ["covers", "phrase"]  # "covers" and "cover" share a stem
    assert selected("q=mail+covers") == ["covers", "phrase"]  # every word, in any order
    assert selected('q="mail covers"') == ["covers"]  # a quoted phrase
    assert selected("q=officials+-tracking") == ["covers"]  # minus leaves out
    assert selected("q=tracking+or+photographed") == ["phrase", "tracking"]
    assert selected("q=the") == []  # only a stop word: nothing to look for


def test_each_branch_of_the_search_uses_its_index(postgres):
    f.ClaimFactory(text="Mail covers")
    ids, _documents, _sources = search.matches("mail covers")
    found = plan(ids)
    for index in SEARCH_INDEXES:
        assert f"Bitmap Index Scan on {index}" in found, found


def test_a_search_matching_many_claims_reads_a_page_in_its_order(postgres, monkeypatch):
    monkeypatch.setattr(search, "MATCHES_LISTED", 0)  # as if the term matched very many claims
    f.ClaimFactory(text="Mail covers")
    chosen = ClaimFilter(QueryDict("q=mail+covers"), queryset=m.Claim.objects.all())
    found = plan(chosen.qs[:50])
    # Claims in the page's order, each tested; the documents and sources found once, by index.
    assert "Index Scan using claim_newest_first" in found and "Sort" not in found, found
    for index in ("document_title_search", "source_description_search"):
        assert f"Bitmap Index Scan on {index}" in found, found


def test_a_page_in_the_default_order_is_read_from_an_index(postgres):
    f.ClaimFactory()
    chosen = ClaimFilter(QueryDict(""), queryset=m.Claim.objects.all())
    found = plan(chosen.qs[:50])
    assert "Index Scan using claim_newest_first" in found and "Sort" not in found, found


@pytest.mark.parametrize("listed", [0, 2, 3, 100])
def test_a_selective_search_filters_by_the_ids_it_found(postgres, monkeypatch, listed):
    monkeypatch.setattr(search, "MATCHES_LISTED", listed)
    for n in range(3):
        f.ClaimFactory(slug=f"covers-{n}", text="Officials want access to mail covers.")
    f.ClaimFactory(slug="other", text="Package tracking data.")
    chosen = ClaimFilter(QueryDict("q=mail+covers"), queryset=m.Claim.objects.all())
    assert chosen.is_valid()
    sql = str(chosen.qs.query)
    # Up to MATCHES_LISTED matches the filter is their ids; past it, the search itself.
    assert ("to_tsvector" in sql) == (listed < 3)
    assert sorted(chosen.qs.values_list("slug", flat=True)) == ["covers-0", "covers-1", "covers-2"]
