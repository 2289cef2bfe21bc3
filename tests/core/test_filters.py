"""ClaimFilter: which claims a query string selects (the explorer, its exports, a briefing's scope)."""

from __future__ import annotations

import pytest
from django.http import QueryDict

from agencies import models as m
from agencies.core.filters import ClaimFilter
from tests import factories as f

pytestmark = pytest.mark.django_db


def selected(query: str) -> list[str]:
    claim_filter = ClaimFilter(QueryDict(query), queryset=m.Claim.objects.all())
    assert claim_filter.is_valid(), claim_filter.errors
    return sorted(claim_filter.qs.values_list("slug", flat=True))


def errors(query: str) -> dict:
    claim_filter = ClaimFilter(QueryDict(query), queryset=m.Claim.objects.all())
    assert not claim_filter.is_valid()
    return claim_filter.errors


@pytest.fixture
def tree():
    top = f.AgencyFactory(slug="top")
    middle = f.AgencyFactory(slug="middle", parent=top)
    bottom = f.AgencyFactory(slug="bottom", parent=middle)
    other = f.AgencyFactory(slug="other")
    f.ClaimFactory(slug="about-top", agencies=[top])
    f.ClaimFactory(slug="about-bottom", agencies=[bottom])
    f.ClaimFactory(slug="about-other", agencies=[other])
    f.ClaimFactory(slug="about-both", agencies=[other, middle])
    return top, middle, bottom, other


def test_no_filter_selects_every_claim(tree):
    assert selected("") == ["about-both", "about-bottom", "about-other", "about-top"]


def test_agency_includes_sub_agencies_at_any_depth(tree):
    assert selected("agency=top") == ["about-both", "about-bottom", "about-top"]
    assert selected("agency=middle") == ["about-both", "about-bottom"]
    assert selected("agency=bottom") == ["about-bottom"]
    assert selected("agency=bottom&agency=other") == ["about-both", "about-bottom", "about-other"]


def test_an_unknown_agency_is_an_error_not_everything(tree):
    assert "agency" in errors("agency=nowhere")


def test_status_and_kind_take_one_or_more_values():
    f.ClaimFactory(slug="disputed-figure", status=m.ClaimStatus.DISPUTED, kind=m.ClaimKind.FIGURE)
    f.ClaimFactory(slug="refuted-role", status=m.ClaimStatus.REFUTED, kind=m.ClaimKind.ROLE)
    f.ClaimFactory(slug="unverified-role", kind=m.ClaimKind.ROLE)

    assert selected("status=disputed") == ["disputed-figure"]
    assert selected("status=disputed&status=refuted") == ["disputed-figure", "refuted-role"]
    assert selected("kind=role") == ["refuted-role", "unverified-role"]
    assert selected("kind=role&status=refuted") == ["refuted-role"]
    assert "status" in errors("status=maybe")


def test_outlet_matches_any_document_of_a_line_hops_included_once_each():
    post, beast, other = (
        f.OutletFactory(slug="post"),
        f.OutletFactory(slug="beast"),
        f.OutletFactory(slug="other"),
    )
    via_post = f.ClaimFactory(slug="via-post")
    f.AttributionFactory(
        claim=via_post, document=f.DocumentFactory(outlet=beast), via=[f.DocumentFactory(outlet=post)]
    )
    f.AttributionFactory(claim=via_post, document=f.DocumentFactory(outlet=post), position=1)
    in_beast = f.ClaimFactory(slug="in-beast")
    f.AttributionFactory(claim=in_beast, document=f.DocumentFactory(outlet=beast))
    f.AttributionFactory(claim=f.ClaimFactory(slug="elsewhere"), document=f.DocumentFactory(outlet=other))

    assert selected("outlet=post") == ["via-post"]
    assert selected("outlet=beast") == ["in-beast", "via-post"]
    assert selected("outlet=post&outlet=other") == ["elsewhere", "via-post"]


def test_made_after_and_before_respect_precision():
    for slug, made in (
        ("year", "2025"),
        ("may", "2025-05"),
        ("may-12", "2025-05-12"),
        ("april", "2025-04"),
        ("june-1", "2025-06-01"),
        ("older", "2024-12-31"),
    ):
        f.ClaimFactory(slug=slug, made=made)
    f.ClaimFactory(slug="undated", made=None)

    # "May 2025" may be after the 10th; "2025" may be too; an undated claim cannot be placed.
    assert selected("made_after=2025-05-10") == ["june-1", "may", "may-12", "year"]
    assert selected("made_before=2025-05-10") == ["april", "may", "older", "year"]
    assert selected("made_after=2025-05&made_before=2025-05") == ["may", "may-12", "year"]
    assert selected("made_before=2024") == ["older"]
    assert "made_after" in errors("made_after=last+week")


def test_q_searches_claim_text_quotes_titles_and_source_descriptions_but_not_notes():
    by_text = f.ClaimFactory(slug="by-text", text="Mail covers are photographed.")
    by_quote = f.ClaimFactory(slug="by-quote")
    f.AttributionFactory(claim=by_quote, quote="the MAIL COVERS program")
    by_title = f.ClaimFactory(slug="by-title")
    f.AttributionFactory(claim=by_title, document=f.DocumentFactory(title="All about mail covers"))
    by_hop = f.ClaimFactory(slug="by-hop")
    f.AttributionFactory(claim=by_hop, via=[f.DocumentFactory(title="Mail covers, explained")])
    by_source = f.ClaimFactory(slug="by-source")
    f.AttributionFactory(claim=by_source, origin=f.SourceFactory(name="", description="a mail covers clerk"))
    secret = f.SourceFactory()
    m.SourceConfidentialNote.objects.create(source=secret, notes="knows about mail covers")
    f.AttributionFactory(claim=f.ClaimFactory(slug="noted"), origin=secret)
    twice = f.ClaimFactory(slug="twice", text="mail covers")
    f.AttributionFactory(claim=twice, quote="mail covers")
    f.AttributionFactory(claim=twice, quote="mail covers", position=1)

    assert selected("q=mail+covers") == ["by-hop", "by-quote", "by-source", "by-text", "by-title", "twice"]
    assert selected("q=+++") == sorted(m.Claim.objects.values_list("slug", flat=True))
    assert by_text.slug in selected("q=PHOTOGRAPHED")


def test_filters_combine(tree):
    top = tree[0]
    f.ClaimFactory(slug="top-disputed", agencies=[top], status=m.ClaimStatus.DISPUTED, made="2025-06")

    assert selected("agency=top&status=disputed&made_after=2025-06-01&q=claim") == ["top-disputed"]
